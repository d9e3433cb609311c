/* bc_admin.h — the moderation admin API (docs/API.md "Admin"): room mutes,
 * global bans and per-room slow mode, stored in Redis (key names from
 * common/keys.h) so every broadcaster's sequencer call sees them at once.
 * Admin requests run one at a time per connection, in order with publishes. */
#ifndef BC_ADMIN_H
#define BC_ADMIN_H
#include "bc_req.h"

/* 1 if h is for an admin path (whatever the method), else 0. */
int bc_admin_match(const http_request *h);

/* The handler (ctx: bc_ctx). */
extern const bc_handler bc_admin_handler;

#endif

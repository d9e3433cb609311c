/* bc_admin.h — the moderation admin API (docs/API.md "Admin"): room mutes,
 * global bans and per-room slow mode, stored in Redis (docs/ARCHITECTURE.md
 * key layout) so every broadcaster's sequencer call sees them at once. */
#ifndef BC_ADMIN_H
#define BC_ADMIN_H
#include <stddef.h>
#include "bc_conn.h"
#include "http.h"

/* If the request is for an admin path, handles it (answers now or later)
 * and returns 1; otherwise returns 0 and does nothing. */
int bc_admin_route(bc_conn *c, const http_request *h, const char *body, size_t len);

#endif

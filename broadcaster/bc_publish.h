/* bc_publish.h — the publish endpoints POST /v1/rooms/{room}/{comments|
 * gifts|likes}: token, decoding and validation (bc_decode), then the
 * sequencer (bc_seq); answered only from the sequencer's result (200 with
 * seq/epoch/ts_ms, 403/429 refusals, or 503). Requests of one connection may
 * be in flight together: their order is the sequencer batch's. */
#ifndef BC_PUBLISH_H
#define BC_PUBLISH_H
#include <stddef.h>
#include "bc_req.h"

/* /v1/rooms/{room}/{kind}: returns the kind (BC_COMMENT..BC_LIKE) and sets
 * room, or -1 if the path is no publish path. */
int bc_publish_match(const http_request *h, const char **room, size_t *room_len);

/* The handler (ctx: bc_ctx). */
extern const bc_handler bc_publish_handler;

#endif

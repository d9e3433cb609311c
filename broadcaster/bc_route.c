/* bc_route.c — the handler table: GET /healthz here, the publish and admin
 * handlers in their own modules, 404 for the rest. */
#include "bc_route.h"
#include "bc_admin.h"
#include "bc_publish.h"
#include <string.h>

static void healthz(void *ctx, bc_req *r)
{
    bc_ctx *x = ctx;
    if (!bc_req_method_is(r, "GET")) {
        bc_req_error(r, 405, "method_not_allowed", "use GET", "Allow: GET\r\n");
        return;
    }
    if (!bc_seq_ready(x->seq)) {
        bc_req_error(r, 503, "redis_unavailable", "not connected to Redis", NULL);
        return;
    }
    static const char ok[] = "{\"status\":\"ok\"}";
    bc_req_reply(r, 200, "application/json", NULL, ok, sizeof ok - 1);
}

static void not_found(void *ctx, bc_req *r)
{
    bc_req_error(r, 404, "not_found", "no such endpoint", NULL);
}

static const bc_handler healthz_handler = { "healthz", healthz, BC_H_PIPELINE };
static const bc_handler not_found_handler = { "not_found", not_found, BC_H_PIPELINE };

const bc_handler *bc_route(const http_request *h)
{
    const char *room;
    size_t room_len;
    if (h->path_len == 8 && !memcmp(h->path, "/healthz", 8))
        return &healthz_handler;
    if (bc_admin_match(h))
        return &bc_admin_handler;
    if (bc_publish_match(h, &room, &room_len) >= 0)
        return &bc_publish_handler;
    return &not_found_handler;
}

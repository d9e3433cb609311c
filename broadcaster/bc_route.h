/* bc_route.h — the broadcaster's handler table: which handler serves a
 * request head (docs/API.md): GET /healthz, the publish endpoints
 * (bc_publish), the admin API (bc_admin), and 404 for anything else. The
 * handlers run with a bc_ctx as their ctx. */
#ifndef BC_ROUTE_H
#define BC_ROUTE_H
#include "bc_ctx.h"
#include "bc_req.h"

/* A bc_router_fn: the handler of h, never NULL. */
const bc_handler *bc_route(const http_request *h);

#endif

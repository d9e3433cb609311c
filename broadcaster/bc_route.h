/* bc_route.h — what a request means: /healthz and the three publish
 * endpoints (docs/API.md). Decodes and validates the body, submits the event
 * to the sequencer and answers when the sequencer has answered. */
#ifndef BC_ROUTE_H
#define BC_ROUTE_H
#include <stddef.h>
#include "bc_conn.h"
#include "http.h"

/* Handles one complete request (head h, body[0..len), valid only during the
 * call). Answers through bc_conn_respond/bc_conn_error, now or later. */
void bc_route_request(bc_conn *c, const http_request *h, const char *body, size_t len);
/* Called when the connection goes away with a request pending. */
void bc_route_abort(bc_conn *c);

#endif

/* bc_req.h — one HTTP request as a handler sees it, and the interface
 * between the transport and the handlers: a request object (parsed head,
 * body, peer, request id) with a reply function, and the handler table entry
 * a router returns. The transport (bc_http) owns every bc_req and keeps the
 * answers in request order; handlers (bc_route, bc_publish, bc_admin) never
 * see a connection. */
#ifndef BC_REQ_H
#define BC_REQ_H
#include <stddef.h>
#include <stdint.h>
#include "http.h"

#define BC_REQ_STATE_MAX 192    /* bytes of handler state kept in each request */
#define BC_PEER_MAX 56          /* "[v6 address]:port" */

typedef struct bc_req bc_req;

/* Called by the transport when it gives a request up before it was answered
 * (the connection went away): cancel whatever will call back later. The
 * request must not be answered afterwards; it is freed when this returns. */
typedef void bc_req_abort_fn(bc_req *r);

/* The transport's side: queues the answer of r (see bc_req_reply). */
typedef void bc_req_answer_fn(bc_req *r, int status, const char *ctype, const char *extra,
                              const void *body, size_t len);

struct bc_req {
    /* set by the transport before the handler runs */
    const http_request *h;      /* valid only during the handler call */
    const char *body;           /* body[0..body_len): likewise */
    size_t body_len;
    uint64_t id;                /* per-process request id (X-Request-Id) */
    const char *peer;           /* "ADDR:PORT", valid until the answer */
    int loopback;               /* peer on 127/8 or ::1 */
    bc_req_answer_fn *answer;   /* the transport's; use bc_req_reply */
    /* set by the handler when it answers later */
    bc_req_abort_fn *abort;     /* NULL: nothing to cancel */
    /* handler-private, zeroed before the handler runs */
    _Alignas(max_align_t) unsigned char state[BC_REQ_STATE_MAX];
};

/* Answers r (exactly once per request, now or later from a callback). extra
 * is NULL or "Name: value\r\n" lines; body is copied. r must not be used
 * after this call: the transport may free it at once. */
void bc_req_reply(bc_req *r, int status, const char *ctype, const char *extra,
                  const void *body, size_t len);
/* The same with the JSON body {"error":{"code":code,"message":msg}}. */
void bc_req_error(bc_req *r, int status, const char *code, const char *msg, const char *extra);

/* 1 if the request's method is m ("GET", "POST" ...). */
int bc_req_method_is(const bc_req *r, const char *m);

/* A handler: answers r through bc_req_reply/bc_req_error, now or later.
 * ctx is the router's context (bc_ctx for the broadcaster). */
typedef void bc_handler_fn(void *ctx, bc_req *r);

enum bc_handler_flags {
    /* Requests of this handler may run while earlier requests of the same
     * connection are still waiting (their effects are ordered by their own
     * path, e.g. the sequencer batch). Without it a request waits until every
     * earlier one is answered, and later ones wait for it. */
    BC_H_PIPELINE = 1,
};

typedef struct bc_handler {
    const char *name;           /* for logs: "publish", "admin" ... */
    bc_handler_fn *fn;
    int flags;                  /* enum bc_handler_flags */
} bc_handler;

/* Finds the handler of a request head: never NULL (a router has a fallback
 * answering 404). */
typedef const bc_handler *bc_router_fn(const http_request *h);

#endif

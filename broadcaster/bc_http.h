/* bc_http.h — the HTTP/1.1 protocol state machine of one broadcaster
 * connection, without sockets: bytes go in (bc_http_input/bc_http_received),
 * requests are framed (Content-Length or chunked, body limit, Expect:
 * 100-continue, keep-alive), handed to handlers through bc_req, and answers
 * come out in request order (bc_http_output). Pipelined requests run
 * concurrently up to max_inflight when their handler allows it
 * (BC_H_PIPELINE). The owner (bc_conn, or a unit test) moves the bytes. */
#ifndef BC_HTTP_H
#define BC_HTTP_H
#include <stddef.h>
#include <stdint.h>
#include "bc_req.h"
#include "dbuf.h"
#include "http.h"
struct evbuffer;

#define BC_HTTP_HEAD_MAX 8192          /* request line + headers */
#define BC_HTTP_DRAIN_MAX (1u << 20)   /* bodies over max_body up to this are read and dropped */
#define BC_HTTP_OUT_MAX (1u << 20)     /* stop handling requests while this much output waits */

typedef struct bc_http_stats {
    uint64_t requests, st2xx, st4xx, st503, st5xx;
} bc_http_stats;

typedef struct bc_http_conf {
    size_t max_body;            /* decoded body bytes */
    int max_inflight;           /* requests per connection whose answer is not yet
                                 * in the output (waiting, or parked behind an
                                 * earlier one), >= 1 */
    bc_router_fn *route;
    void *ctx;                  /* passed to every handler */
} bc_http_conf;

/* An answer arrived from outside bc_http's own calls (a handler's callback):
 * the owner should send the output and call bc_http_process. It may free the
 * bc_http from here. */
typedef void bc_http_wake_fn(void *owner);

typedef struct bc_http_slot bc_http_slot;

typedef struct bc_http {
    /* set by bc_http_init */
    const bc_http_conf *conf;
    bc_http_stats *st;
    bc_http_wake_fn *wake;
    void *owner;
    const char *peer;           /* owner's string, outlives the bc_http */
    int loopback;
    dbuf in;                    /* received bytes; unconsumed from in_off */
    size_t in_off;
    struct evbuffer *out;       /* answers, in order; the owner drains it */
    /* private */
    int state;
    int eof, in_process, stopped;
    int keep_alive, sent_continue, want_continue;
    const bc_handler *handler;  /* of the request being read */
    size_t need, head_len, body_len;
    http_chunked chunked;
    bc_http_slot *qhead, *qtail;   /* requests not yet written to out, in order */
    int nqueued;                /* requests in that queue (answered or not) */
    int nwaiting;               /* of those, unanswered */
    int serial_busy;            /* an unanswered request without BC_H_PIPELINE */
} bc_http;

/* Initialises p (out is a new evbuffer). peer must outlive p. */
void bc_http_init(bc_http *p, const bc_http_conf *conf, bc_http_stats *st, bc_http_wake_fn *wake,
                  void *owner, const char *peer, int loopback);
/* Aborts every unanswered request (their abort hooks run), frees everything. */
void bc_http_free(bc_http *p);

/* Room for at least `want` more input bytes: returns where to write them
 * (the owner then calls bc_http_received). */
char *bc_http_input(bc_http *p, size_t want, size_t *room);
/* n bytes were written at bc_http_input's pointer; n == 0: the peer closed
 * its side (no more input). Does not process: call bc_http_process. */
void bc_http_received(bc_http *p, size_t n);
/* Handles the buffered requests until input runs out, too many are in flight,
 * a request must wait for earlier ones, or too much output is queued. */
void bc_http_process(bc_http *p);
/* Drops buffered input that is no request (used while lingering). */
void bc_http_drop_input(bc_http *p);

struct evbuffer *bc_http_output(bc_http *p);
/* Unparsed input bytes held. */
size_t bc_http_backlog(const bc_http *p);
/* Requests dispatched and not answered yet. */
int bc_http_waiting(const bc_http *p);
/* 1 when no further answer will be produced (a request asked to close, a
 * framing error, or the peer's EOF) and every answer is in the output: the
 * owner closes once the output is sent. */
int bc_http_finished(const bc_http *p);
/* 1 while the peer may still send input that would be handled. */
int bc_http_wants_input(const bc_http *p);
/* 1 while a request is partly read (the owner's idle timer applies). */
int bc_http_reading(const bc_http *p);

#endif

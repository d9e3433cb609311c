/* bench_peerwire.h — the wire formats danmaku-bench speaks to the peers.
 * RESP for Redis pub/sub (SUBSCRIBE/PUBLISH commands, pushed messages,
 * PUBLISH replies) and the HTTP responses of an Nchan publisher endpoint
 * (issue 10). Pure functions: parsers take a buffer, allocate nothing, and
 * return bytes consumed / -2 incomplete / -1 invalid; results point into the
 * caller's buffer. */
#ifndef BENCH_PEERWIRE_H
#define BENCH_PEERWIRE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "dbuf.h"

/* Appends the RESP command "SUBSCRIBE chan" to out. */
void pw_resp_subscribe(dbuf *out, const char *chan);
/* Appends the RESP command "PUBLISH chan msg" to out. */
void pw_resp_publish(dbuf *out, const char *chan, const uint8_t *msg, size_t mlen);

enum pw_push_kind { PW_MESSAGE = 1, PW_SUBSCRIBE = 2, PW_PUSH_OTHER = 3 };

typedef struct pw_push {
    int kind;                       /* enum pw_push_kind */
    const uint8_t *chan; size_t chan_len;
    const uint8_t *data; size_t data_len;   /* PW_MESSAGE: the payload */
    int64_t count;                  /* PW_SUBSCRIBE: channels now subscribed */
} pw_push;

/* Parses one RESP value pushed to a subscribed connection: an array whose
 * first element names it ("message" chan payload -> PW_MESSAGE,
 * "subscribe" chan count -> PW_SUBSCRIBE, anything else -> PW_PUSH_OTHER).
 * A bulk string longer than max_bulk is invalid. Returns bytes consumed,
 * -2 incomplete, -1 invalid (including a top-level error or non-array). */
ssize_t pw_resp_push(const uint8_t *p, size_t n, size_t max_bulk, pw_push *out);

enum pw_reply_kind { PW_INT = 1, PW_ERR = 2, PW_REPLY_OTHER = 3 };

/* Parses one RESP reply (to PUBLISH): an integer (*val = it) -> PW_INT, an
 * error (*err, *err_len: its text) -> PW_ERR, any other complete value ->
 * PW_REPLY_OTHER, in *kind. Returns bytes consumed, -2, -1. */
ssize_t pw_resp_reply(const uint8_t *p, size_t n, int *kind, int64_t *val,
                      const uint8_t **err, size_t *err_len);

/* Parses one HTTP/1.x response with a Content-Length (or none: empty body,
 * not chunked) at p: *status; *body, *body_len point into p. Returns the
 * bytes of head + body, -2 incomplete, -1 invalid (bad status line, chunked
 * encoding, a head over 64 KiB, a body over 1 MiB). */
ssize_t pw_http_response(const uint8_t *p, size_t n, int *status,
                         const uint8_t **body, size_t *body_len);

#endif

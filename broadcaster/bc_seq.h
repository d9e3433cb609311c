/* bc_seq.h — the broadcaster's link to the Redis sequencer (seq.lua): one
 * async hiredis connection on the event loop, the script loaded once and
 * called with EVALSHA; every event submitted during one loop iteration goes
 * out in one call (chunks of BC_SEQ_BATCH). Reconnects with backoff. */
#ifndef BC_SEQ_H
#define BC_SEQ_H
#include <stddef.h>
#include <stdint.h>
struct event_base;
struct rcred;
struct redisReply;

#define BC_SEQ_BATCH 64

enum bc_seq_status {
    BC_SEQ_OK = 0,          /* sequenced now */
    BC_SEQ_DUP,             /* a retry: seq/epoch/ts_ms of the first publish */
    BC_SEQ_UNAVAILABLE,     /* not stored as far as we know (link down or error) */
    BC_SEQ_LIMITED,         /* refused, nothing stored: rate limit; ms = wait */
    BC_SEQ_MUTED,           /* refused: muted in the room; ms = TTL or -1 */
    BC_SEQ_BANNED,          /* refused: banned everywhere; ms = TTL or -1 */
};

typedef struct bc_seq_result {
    int status;
    uint64_t seq;
    char epoch[17];
    int64_t ts_ms;
    int64_t ms;             /* LIMITED/MUTED/BANNED: see above */
} bc_seq_result;

typedef void bc_seq_cb(void *arg, const bc_seq_result *r);
typedef struct bc_seq bc_seq;
typedef struct bc_seq_req bc_seq_req;

typedef struct bc_seq_conf {
    const char *host;
    int port;
    long retention;         /* stream MAXLEN */
    long dedupe_window;     /* seconds */
    const struct rcred *cred;   /* AUTH on every (re)connect; NULL: none; outlives the bc_seq */
} bc_seq_conf;

typedef struct bc_seq_stats {
    uint64_t calls, events, dups, refused, unavailable, redis_errors, reconnects;
} bc_seq_stats;

/* Creates the client and starts connecting (non-blocking). conf->host is
 * copied. Never NULL. */
bc_seq *bc_seq_new(struct event_base *base, const bc_seq_conf *conf);
/* Closes the link: every outstanding request's callback runs with
 * BC_SEQ_UNAVAILABLE before this returns; then frees s. */
void bc_seq_free(bc_seq *s);
/* 1 when connected and the script is loaded (what /healthz reports). */
int bc_seq_ready(const bc_seq *s);
const bc_seq_stats *bc_seq_get_stats(const bc_seq *s);

/* Queues one event for sequencing. kind is 'c', 'g' or 'l'; cmid may be
 * empty (no dedupe); ev is the packed Event without seq/ts_ms; limits is the
 * rate spec "<room_cap> <room_window_ms> <global_cap> <global_window_ms>"
 * (caps 0: off; bans, mutes and slow mode are checked in any case). All
 * bytes are copied. cb(arg, result) runs exactly once, later, from the event loop —
 * never from inside this call — unless the request is cancelled. Returns
 * NULL (and never calls cb) when the link is not ready: answer 503. */
bc_seq_req *bc_seq_submit(bc_seq *s, const char *room, size_t room_len, char kind,
                          const char *user, size_t user_len, const char *cmid, size_t cmid_len,
                          const void *ev, size_t ev_len, const char *limits,
                          bc_seq_cb *cb, void *arg);
/* The callback of r will not run (the event may still be sequenced). */
void bc_seq_cancel(bc_seq_req *r);

/* Parses the script's reply to a call of n events — a flat array of 4 * n
 * values, four per event (docs/ARCHITECTURE.md "The sequencer script") —
 * into out[0..n-1]. Returns -1 when the reply is not an array of 4 * n
 * (out untouched: the whole call is unavailable); else the number of
 * malformed entries (wrong types, unknown status, seq < 1, epoch over 16
 * chars), each answered BC_SEQ_UNAVAILABLE. Pure: reads reply only, keeps
 * no pointer into it. */
struct redisReply;
int bc_seq_parse_reply(const struct redisReply *reply, int n, bc_seq_result *out);

/* One plain Redis command on the same link (admin API: mutes, bans, slow
 * mode). argv is copied. cb(arg, 0 | -1 on error or lost link, integer
 * reply or 0) runs exactly once, later, unless cancelled. NULL (cb never
 * runs) when the link is not ready. */
typedef struct bc_seq_cmd bc_seq_cmd;
typedef void bc_seq_cmd_cb(void *arg, int rc, long long integer);
bc_seq_cmd *bc_seq_command(bc_seq *s, int argc, const char **argv, const size_t *argvlen,
                           bc_seq_cmd_cb *cb, void *arg);
/* The same, handing the whole reply over: cb(arg, r) with r the reply
 * (possibly an error reply; owned by hiredis, valid during the call), or
 * NULL when the link was lost. For reads (GET /v1/audit). */
typedef void bc_seq_query_cb(void *arg, const struct redisReply *r);
bc_seq_cmd *bc_seq_query(bc_seq *s, int argc, const char **argv, const size_t *argvlen,
                         bc_seq_query_cb *cb, void *arg);
void bc_seq_cmd_cancel(bc_seq_cmd *c);

#endif

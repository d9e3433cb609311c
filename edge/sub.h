/* sub.h — a worker's two hiredis async links to Redis on its event loop:
 * one in subscribe mode (SUBSCRIBE dm:{R}:n per room with viewers), one for
 * commands (HMGET dm:{R}:meta, XRANGE dm:{R}:s). Reconnects with backoff.
 * Knows nothing of rooms or viewers: link events and replies go to the
 * owner's sub_callbacks; commands carry an opaque tag back to the reply. */
#ifndef DM_SUB_H
#define DM_SUB_H
#include <stddef.h>
#include <stdint.h>

struct event_base;

/* One stream entry of an XRANGE reply (pointers into the reply, valid only
 * during the callback). */
typedef struct xentry {
    uint64_t seq;
    const uint8_t *pb;
    size_t len;
} xentry;

/* What the links report (ctx = the ctx given to sub_new). `room` points into
 * the reply (not NUL-terminated, valid during the call). */
typedef struct sub_callbacks {
    void (*message)(void *ctx, const char *room, size_t rlen, const char *payload, size_t plen);
    void (*subscribed)(void *ctx, const char *room, size_t rlen);
    void (*unsubscribed)(void *ctx, const char *room, size_t rlen);
    void (*pubsub_up)(void *ctx);     /* PING answered after a (re)connect */
    void (*pubsub_down)(void *ctx);   /* link lost (not on sub_free) */
    void (*cmd_up)(void *ctx);
    /* Replies; ok = 0 when the link failed or the reply was malformed.
     * epoch NULL: the room has no state yet. */
    void (*meta)(void *ctx, void *tag, int ok, const char *epoch, size_t elen, uint64_t seq);
    void (*xrange)(void *ctx, void *tag, int ok, const xentry *e, size_t n);
} sub_callbacks;

/* The command surface the room layer uses, as a vtable so unit tests drive
 * the room state machines with a fake. Each command returns 0, or -1 when
 * its link is down (the tag is then not used and no callback comes). */
typedef struct sub_ops {
    int (*subscribe)(void *ctx, const char *room, size_t len);
    int (*unsubscribe)(void *ctx, const char *room, size_t len);
    /* HMGET dm:{R}:meta epoch seq; reply to sub_callbacks.meta. */
    int (*meta)(void *ctx, const char *room, size_t len, void *tag);
    /* XRANGE dm:{R}:s <from>-0 <to>-0|+ COUNT count (to 0 = "+"). */
    int (*xrange)(void *ctx, const char *room, size_t len, uint64_t from, uint64_t to,
                  size_t count, void *tag);
    int (*pubsub_up)(const void *ctx);
    int (*cmd_up)(const void *ctx);
} sub_ops;

typedef struct sub sub;

/* The sub_ops of the real links (ctx = a sub *). */
extern const sub_ops sub_link_ops;

/* Connects both links to host:port on base (retrying in the background).
 * cb and ctx must outlive the sub. */
sub *sub_new(struct event_base *base, const char *host, int port, const sub_callbacks *cb, void *ctx);
/* Disconnects both links (pending command callbacks run with ok = 0) and
 * frees. NULL is a no-op. */
void sub_free(sub *s);
int sub_pubsub_up(const sub *s);
int sub_cmd_up(const sub *s);

#endif

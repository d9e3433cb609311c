/* sub.h — the worker's two hiredis async links to Redis on its event loop:
 * one in subscribe mode (SUBSCRIBE dm:{R}:n per room with viewers), one for
 * commands (HMGET dm:{R}:meta, XRANGE dm:{R}:s). Reconnects with backoff
 * and tells room.c when a link comes back. */
#ifndef DM_SUB_H
#define DM_SUB_H
#include <stddef.h>
#include <stdint.h>

struct worker;
struct room;
struct viewer;

enum req_type { REQ_META = 1, REQ_REPAIR, REQ_CATCHUP };

/* An in-flight command. room / v are cleared (set NULL) by their owner when
 * it is freed first; the reply then only frees the req. */
typedef struct req {
    int type;
    struct worker *w;
    struct room *room;
    struct viewer *v;
    uint64_t gen;            /* room epoch_gen when sent */
    uint64_t from, to;       /* XRANGE range (to 0 = "+") */
    size_t count;
} req;

typedef struct sub sub;

sub *sub_new(struct worker *w);
/* Disconnects both links (pending callbacks run with no reply) and frees. */
void sub_free(sub *s);
int sub_pubsub_up(const sub *s);
int sub_cmd_up(const sub *s);

/* SUBSCRIBE / UNSUBSCRIBE the room channel. 0, or -1 if the link is down. */
int sub_subscribe(sub *s, const char *room);
int sub_unsubscribe(sub *s, const char *room);
/* HMGET dm:{R}:meta epoch seq; reply to room_on_meta. The req is owned by
 * the link until the callback. 0 or -1 (link down: q not used). */
int sub_meta(sub *s, const char *room, req *q);
/* XRANGE dm:{R}:s <from>-0 <to>-0|+ COUNT n; reply to room_on_xrange. */
int sub_xrange(sub *s, const char *room, req *q);

#endif

/* bench_pub.h — open-loop publishers: comments/gifts/likes at a total target
 * rate (bench_pace schedule) over several HTTP/1.1 keep-alive connections
 * (pipelined) to the broadcasters, texts replayed from the corpus. Each
 * request carries client_msg_id "<prefix><n>-<intended_us>"; each 200 reply's
 * seq is recorded per room, so viewers are checked against exactly the set
 * of acknowledged events. With --target redis|nchan the publisher assigns
 * each room's seqs itself and sends our JSON batch frame of one event by
 * RESP PUBLISH or HTTP POST /pub/<room> (a room always on the same
 * connection); a reply acknowledges it. Runs on the caller's event loop. */
#ifndef BENCH_PUB_H
#define BENCH_PUB_H
#include <stddef.h>
#include <stdint.h>
#include "bench_cfg.h"
#include "bench_corpus.h"
#include "bench_hist.h"
#include "bench_pop.h"
struct event_base;

typedef struct room_acks { uint64_t *seq; size_t n, cap; } room_acks;

typedef struct pub_stats {
    uint64_t offered[3];        /* events due by the schedule, per kind */
    uint64_t sent[3];           /* written to a connection */
    uint64_t acked[3];          /* 200 with a seq */
    uint64_t by_status[600];    /* replies by HTTP status (0: no reply / conn lost;
                                 * redis: 200 integer reply, 500 error reply) */
    uint64_t conn_errors, reconnects, unanswered;
    char err_sample[4][160];    /* first error replies: "<status> <body>" */
    size_t nerr_sample;
    hist lat;                   /* intended send -> 200 reply, us */
    room_acks *rooms;           /* per room, in reply order */
    size_t nrooms;
} pub_stats;

typedef struct publisher publisher;

/* 1 for a reply status that acknowledges an event: 200 (ours, a Redis
 * integer reply), 201/202 (Nchan: delivered / queued). */
static inline int pub_status_ok(int s) { return s == 200 || s == 201 || s == 202; }

/* c, co, p must outlive the publisher. */
publisher *pub_new(struct event_base *base, const bench_cfg *c, const corpus *co,
                   const pop *p, const char *room_prefix, const char *cmid_prefix);
/* Opens the connections (asynchronously). */
void pub_connect(publisher *pb);
/* Starts the schedule: events with intended (CLOCK_REALTIME) times in
 * [start_us, end_us). */
void pub_start(publisher *pb, int64_t start_us, int64_t end_us);
/* Requests written but not answered yet. */
size_t pub_outstanding(const publisher *pb);
/* 1 once the schedule has handed out its last event. */
int pub_schedule_done(const publisher *pb);
/* Closes connections; unanswered requests are counted. Stats stay valid. */
void pub_stop(publisher *pb);
const pub_stats *pub_get_stats(const publisher *pb);
/* Sorts every room's acked seqs (call after pub_stop). */
void pub_sort_acks(publisher *pb);
void pub_free(publisher *pb);

#endif

/* wctx.h — the state one edge worker process shares with its modules: the
 * configuration, the event loop, the Redis command surface, the room table,
 * the flush wheel, the shared encoder and the counters. The worker
 * (edge_worker.c) owns and wires it; every module below takes a worker *
 * and may use what is here, but nothing here calls up into a module. */
#ifndef DM_WCTX_H
#define DM_WCTX_H
#include <stddef.h>
#include <stdint.h>
#include "batch.h"
#include "edge_conf.h"
#include "flush.h"
#include "static.h"
#include "sub.h"

struct event_base;
struct event;
struct evconnlistener;
struct viewer;
struct room;

typedef struct edge_stats {
    uint64_t frames, bytes, events_in;
    uint64_t accepted, rejected, closed_bad;
    uint64_t slow_degraded, slow_recovered, slow_closed, gaps_sent;
    uint64_t resets, repairs, catchups;
    uint64_t encodes;            /* shared frames built (once per room, tick, variant) */
    uint64_t own_encodes;        /* frames built for one viewer (history, resume, partial) */
    uint64_t room_flushes;       /* room ticks flushed */
} edge_stats;

/* The worker's rooms by name (chained hash; managed by room.c). */
typedef struct room_table {
    struct room **buckets;
    size_t nbuckets, n;
} room_table;

/* How viewer.c reports up (set by the worker): a viewer upgraded to room
 * `name` (NUL-terminated, validated) / a room viewer is leaving (closed or
 * dead). Either may run inside the viewer's own callbacks. */
typedef struct viewer_hooks {
    void (*join)(struct viewer *v, const char *name);
    void (*leave)(struct viewer *v);
    void (*drained)(struct viewer *v);   /* a room viewer's output became empty (may be NULL) */
} viewer_hooks;

typedef struct worker {
    const edge_conf *conf;
    int index;
    int pid;
    struct event_base *base;
    struct evconnlistener *lis;
    struct event *sig_term, *sig_int, *sig_hup, *sweep_ev, *stats_ev, *reap_ev;
    struct sub *sub;             /* the real links (owned; NULL in unit tests) */
    const sub_ops *redis;        /* commands for the room layer (sub_link_ops or a fake) */
    void *redis_ctx;
    viewer_hooks vh;
    room_table rooms;
    batch_ctx batch;
    static_dir web;              /* viewer page files (static.h) */
    struct viewer *viewers;      /* every connection of this worker */
    size_t nconns, nws;          /* connections; upgraded WebSocket viewers */
    struct viewer *reap;         /* dead viewers, freed outside callbacks */
    int reap_rooms;              /* some room may have become empty */
    int retry_pending;           /* some room / catch-up waits for intake_retry */
    int stopping;
    uint64_t now_ms;             /* refreshed per callback that needs it */
    flush_wheel wheel;           /* rooms with pending events (flush.c) */
    struct room *active;         /* rooms with events lately (room.c list, tick.c) */
    size_t nactive;
    double write_cost_us;        /* EWMA all-in CPU cost of one frame (tick.c) */
    double frame_budget;         /* frames/s the worker plans to write (tick.c) */
    uint32_t tick_ms;            /* the worker's room tick (tick.c) */
    uint64_t tick_t_us, tick_cpu_us, tick_frames, tick_flush_us;  /* tick.c's last sample */
    edge_stats st;
    uint8_t scratch[65536];      /* read buffer shared by all viewers */
} worker;

/* Current monotonic time in ms, also stored in w->now_ms. */
uint64_t wctx_now(worker *w);
/* Schedules the reaper (dead viewers, empty rooms) for the next loop turn
 * (no-op before the worker created it). */
void wctx_schedule_reap(worker *w);
/* 1 when both Redis links are up. */
int wctx_healthy(const worker *w);

#endif

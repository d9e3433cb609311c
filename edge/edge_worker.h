/* edge_worker.h — one edge worker process (its own event loop, listener
 * with SO_REUSEPORT, Redis links, rooms and viewers) and the supervisor
 * that forks N of them, restarts one that dies and forwards SIGTERM. */
#ifndef DM_EDGE_WORKER_H
#define DM_EDGE_WORKER_H
#include <stddef.h>
#include <stdint.h>
#include "batch.h"
#include "edge_conf.h"
#include "flush.h"

struct event_base;
struct event;
struct evconnlistener;
struct viewer;
struct room;
struct sub;

typedef struct edge_stats {
    uint64_t frames, bytes, events_in;
    uint64_t accepted, rejected, closed_bad;
    uint64_t slow_degraded, slow_recovered, slow_closed, gaps_sent;
    uint64_t resets, repairs, catchups;
    uint64_t encodes;            /* shared frames built (once per room, tick, variant) */
    uint64_t own_encodes;        /* frames built for one viewer (history, resume, partial) */
    uint64_t room_flushes;       /* room ticks flushed */
} edge_stats;

typedef struct room_table {
    struct room **buckets;
    size_t nbuckets, n;
} room_table;

typedef struct worker {
    const edge_conf *conf;
    int index;
    int pid;
    struct event_base *base;
    struct evconnlistener *lis;
    struct event *sig_term, *sig_int, *sweep_ev, *stats_ev, *reap_ev;
    struct sub *sub;
    room_table rooms;
    batch_ctx batch;
    struct viewer *viewers;      /* every connection of this worker */
    size_t nconns, nws;          /* connections; upgraded WebSocket viewers */
    struct viewer *reap;         /* dead viewers, freed outside callbacks */
    int reap_rooms;              /* some room may have become empty */
    int stopping;
    uint64_t now_ms;             /* refreshed per callback that needs it */
    uint64_t next_room_id;
    struct event *flush_ev;      /* the one flush timer (flush.c) */
    struct room *wheel[FLUSH_SLOTS];   /* lists of scheduled rooms */
    uint64_t wheel_pos;          /* lowest slot not yet fully flushed */
    uint64_t flush_armed;        /* slot flush_ev fires for, or UINT64_MAX */
    size_t npending;             /* rooms on the wheel */
    uint64_t flush_passes;       /* flush-timer wake-ups (each flushes every due room) */
    double write_cost_us;        /* EWMA cost of one frame write (tick.c) */
    size_t active_rooms;         /* rooms with events in the last second */
    uint32_t max_tick_ms;        /* largest room tick in use */
    edge_stats st;
    uint8_t scratch[65536];      /* read buffer shared by all viewers */
} worker;

/* Current monotonic time in ms (cached by the loop) stored in w->now_ms. */
uint64_t worker_now(worker *w);
/* Schedules the reaper (dead viewers, empty rooms) for the next loop turn. */
void worker_schedule_reap(worker *w);
/* 1 when both Redis links are up. */
int worker_healthy(worker *w);

/* Runs the supervisor: forks conf->workers workers and supervises them until
 * SIGTERM/SIGINT, then forwards it and waits. Returns the exit status. */
int edge_supervise(const edge_conf *conf);
/* Runs one worker in this process until SIGTERM, accepting on listen_fd (a
 * listening socket it takes over). Returns the exit status (1: could not
 * start). */
int worker_main(const edge_conf *conf, int index, int listen_fd);

#endif

/* room.h — a room as one worker sees it: its viewers, the Redis
 * subscription (refcounted by viewers), the events received in seq order
 * (a ring of recent events for history and catch-up), gap repair, and the
 * per-room tick that encodes each batch once per variant in use and attaches
 * it to every viewer by reference. */
#ifndef DM_ROOM_H
#define DM_ROOM_H
#include <stddef.h>
#include <stdint.h>
#include "batch.h"
#include "evt.h"

struct worker;
struct viewer;
struct req;

enum room_state {
    R_SUBSCRIBING = 0,   /* meta being read, then SUBSCRIBE sent, not confirmed */
    R_READY,             /* subscribed: delivering (see `ready` for the state) */
    R_UNSUBSCRIBING      /* last viewer left; UNSUBSCRIBE in flight */
};

/* Events with consecutive seqs lo .. lo+n-1 (power-of-two circular). */
typedef struct evring {
    evt **v;
    size_t cap, head, n;
    uint64_t lo;
} evring;

/* One cached history frame: seqs a..b of epoch generation gen. */
typedef struct hist_cache {
    uint64_t a, b, gen;
    rbuf *rb;
} hist_cache;

typedef struct room {
    struct worker *w;
    struct room *hnext;          /* hash chain */
    uint64_t id;
    char name[65];
    int state;
    int resubscribe;             /* a viewer came back during UNSUBSCRIBING */
    int ready;                   /* epoch/seq read from Redis at least once */
    char epoch[64];              /* "" until known */
    uint64_t epoch_gen;          /* bumped on every epoch change */
    uint64_t known;              /* highest seq held in order */
    uint64_t delivered;          /* highest seq flushed to viewers */
    evring ring;
    evt **stash;                 /* out-of-order / early events */
    size_t nstash, capstash;
    struct req *meta_req, *repair_req;
    int need_repair;             /* retry a repair when the link is back */
    const char *reset_reason;    /* pending room-wide reset, or NULL */
    struct viewer *vhead;
    size_t nviewers;
    size_t nvar[BATCH_NVARIANTS];
    size_t nslow;
    struct room *due_next, **due_pprev;   /* flush wheel list (flush.c) */
    uint64_t due_slot;
    int tick_armed;
    uint32_t tick_ms;            /* this room's batching window (tick.c) */
    uint32_t recent_events;      /* events since the last tick_adapt */
    uint64_t last_flush_ms;      /* monotonic start of the last flush */
    hist_cache hcache[BATCH_NVARIANTS];
} room;

/* One stream entry of an XRANGE reply (pointers into the reply). */
typedef struct xentry {
    uint64_t seq;
    const uint8_t *pb;
    size_t len;
} xentry;

void room_table_init(struct worker *w);
/* Frees every room (shutdown); viewers must be gone already. */
void room_table_free(struct worker *w);
struct room *room_find(struct worker *w, const char *name, size_t len);

/* Adds viewer v to room `name` (created and subscribed on first use).
 * When the room's state is known the viewer's start (history / resume) runs
 * now, else when the room becomes ready. */
void room_join(struct worker *w, const char *name, struct viewer *v);
/* Removes v from its room (no-op if none). The room is unsubscribed later
 * by room_reap_empty() if it stays empty. */
void room_leave(struct viewer *v);
/* Unsubscribes rooms left without viewers. Called from the reaper. */
void room_reap_empty(struct worker *w);

/* Pub/sub link events (from sub.c). */
void room_on_subscribed(struct worker *w, const char *name, size_t len);
void room_on_unsubscribed(struct worker *w, const char *name, size_t len);
void room_on_message(struct worker *w, const char *name, size_t nlen,
                     const char *payload, size_t plen);
/* The pub/sub link went down (rooms keep their state) / came back up
 * (every room is subscribed again and re-checked against Redis). */
void room_on_sub_down(struct worker *w);
void room_on_sub_up(struct worker *w);
/* The command link came back: retry pending repairs and catch-ups. */
void room_on_cmd_up(struct worker *w);

/* Replies to commands issued for a room or a viewer (from sub.c). ok = 0
 * when the link failed (no reply). */
void room_on_meta(struct req *q, int ok, const char *epoch, size_t elen, uint64_t seq);
void room_on_xrange(struct req *q, int ok, const xentry *e, size_t n);

/* Retries stalled catch-ups and repairs (once a second from the sweep). */
void room_retry(struct worker *w);

#endif

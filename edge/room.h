/* room.h — a room as one worker sees it (the state every room module
 * shares), the worker's room table, and room membership (the viewer list and
 * per-variant counts). The stream side is intake.c, the tick flush
 * deliver.c, per-viewer history / resume catchup.c, the event ring
 * evring.c. Nothing here talks to Redis or writes to a viewer. */
#ifndef DM_ROOM_H
#define DM_ROOM_H
#include <stddef.h>
#include <stdint.h>
#include "batch.h"
#include "evring.h"
#include "flush.h"

struct worker;
struct viewer;

enum room_state {
    R_SUBSCRIBING = 0,   /* meta being read, then SUBSCRIBE sent, not confirmed */
    R_READY,             /* subscribed: delivering (see `ready` for the state) */
    R_UNSUBSCRIBING      /* last viewer left; UNSUBSCRIBE in flight */
};

enum req_type { REQ_META = 1, REQ_REPAIR, REQ_CATCHUP };

/* An in-flight Redis command of the room layer (the tag of a sub_ops call).
 * room / v are cleared (set NULL) by their owner when it is freed first; the
 * reply then only frees the req. */
typedef struct req {
    int type;
    struct room *room;       /* REQ_META, REQ_REPAIR */
    struct viewer *v;        /* REQ_CATCHUP */
    uint64_t gen;            /* room epoch_gen when sent */
} req;

/* One cached history frame: seqs a..b of epoch generation gen. */
typedef struct hist_cache {
    uint64_t a, b, gen;
    rbuf *rb;
} hist_cache;

typedef struct room {
    struct worker *w;
    struct room *hnext;          /* hash chain */
    char name[65];
    size_t nlen;
    int state;
    int resubscribe;             /* a viewer came back during UNSUBSCRIBING */
    int ready;                   /* epoch/seq read from Redis at least once */
    char epoch[64];              /* "" until known */
    uint64_t epoch_gen;          /* bumped on every epoch change */
    uint64_t known;              /* highest seq held in order */
    uint64_t delivered;          /* highest seq flushed to viewers (<= known) */
    evring ring;
    evt **stash;                 /* out-of-order / early events (intake.c) */
    size_t nstash, capstash;
    req *meta_req, *repair_req;
    int need_repair;             /* retry a meta read / repair when the link is back */
    const char *reset_reason;    /* pending room-wide reset, or NULL */
    struct viewer *vhead;
    size_t nviewers;
    size_t nvar[BATCH_NVARIANTS];
    flush_node due;              /* on the worker's flush wheel (deliver.c) */
    int tick_armed;
    uint32_t recent_events;      /* events since the last tick_adapt */
    double rate;                 /* events/s, smoothed once a second (tick.c) */
    struct room *anext, **aprev; /* worker's active list: rooms with events lately */
    uint64_t last_flush_ms;      /* monotonic start of the last flush */
    hist_cache hcache[BATCH_NVARIANTS];
} room;

#define room_of_due(n) ((room *)((char *)(n) - offsetof(room, due)))

void room_table_init(struct worker *w);
/* Frees every room (shutdown); viewers must be gone already. */
void room_table_free(struct worker *w);
/* The room of that name, or NULL. */
room *room_find(struct worker *w, const char *name, size_t len);
/* A new empty room in the table (name must not be there yet; <= 64 bytes). */
room *room_new(struct worker *w, const char *name);
/* Unlinks and frees r: its in-flight reqs are detached, it leaves the flush
 * wheel, its events and frames are released. r must have no viewers. */
void room_destroy(room *r);
/* Calls fn for every room; fn may destroy the room it is given (only). */
void room_each(struct worker *w, void (*fn)(room *r, void *arg), void *arg);

/* Puts v at the head of r's viewer list (v->room = r, mode VM_WAIT). */
void room_add_viewer(room *r, struct viewer *v);
/* Removes v from its room (no-op if none) and detaches its catch-up req.
 * A room left empty is handed to the reaper (wctx_schedule_reap), which
 * unsubscribes it if it stays empty. */
void room_leave(struct viewer *v);

/* Puts r on the worker's active list (rooms that had events lately; the
 * only rooms tick_adapt looks at) if it is not there yet. */
void room_set_active(room *r);
/* Takes r off the active list (no-op if it is not on it). */
void room_clear_active(room *r);

/* A new req tag of `type` for room r (REQ_META / REQ_REPAIR: q->room = r)
 * or viewer v of r (REQ_CATCHUP: q->v = v), stamped with r's epoch_gen.
 * Owned by the Redis command until its reply (free() it if the command
 * could not be sent). */
req *room_req_new(room *r, int type, struct viewer *v);
/* Drops the held out-of-order events (the array is kept). */
void room_stash_clear(room *r);
/* Forgets the room's stream position: ring and stash emptied, known =
 * delivered = seq. */
void room_reset_stream(room *r, uint64_t seq);
/* 1 when the room's epoch is epoch[0..elen). */
int room_epoch_is(const room *r, const char *epoch, size_t elen);
void room_set_epoch(room *r, const char *epoch, size_t elen);

#endif

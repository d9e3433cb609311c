/* room.c — rooms of one worker: subscription refcount, in-order event
 * intake with gap repair (XRANGE catch-up on a seq jump or a reconnect),
 * epoch changes, per-viewer start (history / resume with reset frames) and
 * the per-room tick that encodes each batch once per variant in use. */
#include "room.h"
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include "edge_worker.h"
#include "flush.h"
#include "log.h"
#include "sub.h"
#include "tick.h"
#include "viewer.h"

#define REPAIR_COUNT 1000

/* ---- ring of recent events ------------------------------------------------ */

static evt *ring_get(const evring *r, uint64_t seq)
{
    if (!r->n || seq < r->lo || seq >= r->lo + r->n)
        return NULL;
    return r->v[(r->head + (seq - r->lo)) & (r->cap - 1)];
}

static void ring_grow(evring *r)
{
    size_t cap = r->cap ? r->cap * 2 : 32;
    evt **v = xmalloc(cap * sizeof *v);
    for (size_t i = 0; i < r->n; i++)
        v[i] = r->v[(r->head + i) & (r->cap - 1)];
    free(r->v);
    r->v = v;
    r->cap = cap;
    r->head = 0;
}

/* Appends e (takes the reference); e->seq must be lo + n when not empty. */
static void ring_push(evring *r, evt *e)
{
    if (r->n == r->cap)
        ring_grow(r);
    if (!r->n)
        r->lo = e->seq;
    r->v[(r->head + r->n) & (r->cap - 1)] = e;
    r->n++;
}

static void ring_pop(evring *r)
{
    evt_unref(r->v[r->head]);
    r->head = (r->head + 1) & (r->cap - 1);
    r->n--;
    r->lo++;
}

static void ring_clear(evring *r)
{
    while (r->n)
        ring_pop(r);
}

static void ring_free(evring *r)
{
    ring_clear(r);
    free(r->v);
    memset(r, 0, sizeof *r);
}

/* ---- table --------------------------------------------------------------- */

static size_t hash_name(const char *s, size_t n)
{
    size_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

void room_table_init(worker *w)
{
    w->rooms.nbuckets = 1024;
    w->rooms.buckets = xcalloc(w->rooms.nbuckets, sizeof(room *));
    w->rooms.n = 0;
}

room *room_find(worker *w, const char *name, size_t len)
{
    room *r = w->rooms.buckets[hash_name(name, len) & (w->rooms.nbuckets - 1)];
    for (; r; r = r->hnext)
        if (strlen(r->name) == len && !memcmp(r->name, name, len))
            return r;
    return NULL;
}

static void table_grow(worker *w)
{
    size_t nb = w->rooms.nbuckets * 2;
    room **b = xcalloc(nb, sizeof *b);
    for (size_t i = 0; i < w->rooms.nbuckets; i++)
        for (room *r = w->rooms.buckets[i], *nx; r; r = nx) {
            nx = r->hnext;
            size_t k = hash_name(r->name, strlen(r->name)) & (nb - 1);
            r->hnext = b[k];
            b[k] = r;
        }
    free(w->rooms.buckets);
    w->rooms.buckets = b;
    w->rooms.nbuckets = nb;
}

static void room_flush_now(room *r);

static room *room_new(worker *w, const char *name)
{
    if (w->rooms.n >= w->rooms.nbuckets * 2)
        table_grow(w);
    room *r = xcalloc(1, sizeof *r);
    r->w = w;
    r->id = ++w->next_room_id;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->tick_ms = 0;   /* chosen by tick_for() on first use */
    size_t k = hash_name(name, strlen(name)) & (w->rooms.nbuckets - 1);
    r->hnext = w->rooms.buckets[k];
    w->rooms.buckets[k] = r;
    w->rooms.n++;
    return r;
}

static void stash_clear(room *r)
{
    for (size_t i = 0; i < r->nstash; i++)
        evt_unref(r->stash[i]);
    r->nstash = 0;
}

static void room_destroy(room *r)
{
    worker *w = r->w;
    room **pp = &w->rooms.buckets[hash_name(r->name, strlen(r->name)) & (w->rooms.nbuckets - 1)];
    while (*pp != r)
        pp = &(*pp)->hnext;
    *pp = r->hnext;
    w->rooms.n--;
    if (r->meta_req)
        r->meta_req->room = NULL;
    if (r->repair_req)
        r->repair_req->room = NULL;
    flush_cancel(r);
    ring_free(&r->ring);
    stash_clear(r);
    free(r->stash);
    for (int i = 0; i < BATCH_NVARIANTS; i++)
        rbuf_unref(r->hcache[i].rb);
    free(r);
}

void room_table_free(worker *w)
{
    for (size_t i = 0; i < w->rooms.nbuckets; i++)
        while (w->rooms.buckets[i])
            room_destroy(w->rooms.buckets[i]);
    free(w->rooms.buckets);
    w->rooms.buckets = NULL;
}

/* ---- viewers ------------------------------------------------------------- */

static void viewer_start(room *r, viewer *v);
static void catchup(room *r, viewer *v);
static void read_meta(room *r);

static void subscribe(room *r)
{
    r->state = R_SUBSCRIBING;
    if (sub_subscribe(r->w->sub, r->name))
        LOGD("room", "%s: pub/sub link down, subscribing when it is back", r->name);
}

void room_join(worker *w, const char *name, viewer *v)
{
    room *r = room_find(w, name, strlen(name));
    if (!r) {
        r = room_new(w, name);   /* meta first, then SUBSCRIBE (see room_on_meta) */
        read_meta(r);
    } else if (r->state == R_UNSUBSCRIBING) {
        r->resubscribe = 1;
    }
    v->room = r;
    v->rprev = NULL;
    v->rnext = r->vhead;
    if (r->vhead)
        r->vhead->rprev = v;
    r->vhead = v;
    r->nviewers++;
    r->nvar[viewer_variant(v)]++;
    v->mode = VM_WAIT;
    if (r->ready && r->state != R_UNSUBSCRIBING)
        viewer_start(r, v);
}

void room_leave(viewer *v)
{
    room *r = v->room;
    if (!r)
        return;
    if (v->rprev)
        v->rprev->rnext = v->rnext;
    else
        r->vhead = v->rnext;
    if (v->rnext)
        v->rnext->rprev = v->rprev;
    r->nviewers--;
    r->nvar[viewer_variant(v)]--;
    if (v->slow)
        r->nslow--;
    if (v->req) {
        v->req->v = NULL;
        v->req = NULL;
    }
    v->room = NULL;
    v->rprev = v->rnext = NULL;
    if (!r->nviewers) {
        r->w->reap_rooms = 1;
        worker_schedule_reap(r->w);
    }
}

void room_reap_empty(worker *w)
{
    for (size_t i = 0; i < w->rooms.nbuckets; i++)
        for (room *r = w->rooms.buckets[i], *nx; r; r = nx) {
            nx = r->hnext;
            if (r->nviewers || r->state == R_UNSUBSCRIBING)
                continue;
            if (!sub_pubsub_up(w->sub) || sub_unsubscribe(w->sub, r->name)) {
                room_destroy(r);   /* not subscribed on any live link */
                continue;
            }
            r->state = R_UNSUBSCRIBING;
            r->resubscribe = 0;
            flush_cancel(r);
            r->tick_armed = 0;
        }
}

/* ---- event intake ----------------------------------------------------------- */

static void arm_tick(room *r)
{
    if (r->tick_armed || r->delivered >= r->known)
        return;
    /* Flushes start at least one tick apart; an event after a quiet spell
     * goes out on the next loop turn, and a long flush does not add to the
     * next window. */
    uint64_t t = tick_for(r), since = worker_now(r->w) - r->last_flush_ms;
    t = since >= t ? 0 : t - since;
    flush_schedule(r, t);
    r->tick_armed = 1;
}

/* Held events are only an optimisation over re-reading the stream: past
 * STASH_MAX (a repair that cannot run) they are dropped and the repair's
 * XRANGE brings them back. */
#define STASH_MAX 20000

static void stash_add(room *r, evt *e)
{
    if (r->nstash >= STASH_MAX) {
        LOGW("room", "%s: %zu held events while repairing: dropped (re-read from the stream)",
             r->name, r->nstash);
        stash_clear(r);
    }
    if (r->nstash == r->capstash) {
        r->capstash = r->capstash ? r->capstash * 2 : 16;
        r->stash = xrealloc(r->stash, r->capstash * sizeof *r->stash);
    }
    r->stash[r->nstash++] = e;
}

static int cmp_evt(const void *a, const void *b)
{
    uint64_t x = (*(evt *const *)a)->seq, y = (*(evt *const *)b)->seq;
    return x < y ? -1 : x > y;
}

/* Appends e in order (takes the reference). */
static void accept_evt(room *r, evt *e)
{
    ring_push(&r->ring, e);
    r->known = e->seq;
    r->recent_events++;
}

/* Moves stashed events that now follow `known` into the ring. Returns the
 * lowest seq still stashed (beyond a hole), or 0. */
static uint64_t drain_stash(room *r)
{
    if (!r->nstash)
        return 0;
    qsort(r->stash, r->nstash, sizeof *r->stash, cmp_evt);
    size_t i = 0, keep = 0;
    for (; i < r->nstash; i++) {
        evt *e = r->stash[i];
        if (e->seq <= r->known)
            evt_unref(e);
        else if (e->seq == r->known + 1)
            accept_evt(r, e);
        else
            r->stash[keep++] = e;
    }
    r->nstash = keep;
    return keep ? r->stash[0]->seq : 0;
}

/* The room jumps forward over seqs that Redis no longer holds: viewers get a
 * reset (reason trimmed) before the next batch. */
static void jump_to(room *r, uint64_t seq)
{
    LOGW("room", "%s: seqs %llu..%llu are no longer in the stream: reset (trimmed)", r->name,
         (unsigned long long)r->known + 1, (unsigned long long)seq - 1);
    if (r->delivered < r->known) {
        /* flush what we hold first so the reset lands at the jump */
        room_flush_now(r);
    }
    ring_clear(&r->ring);
    r->known = r->delivered = seq - 1;
    if (!r->reset_reason)
        r->reset_reason = "trimmed";
}

static void repair(room *r)
{
    if (r->repair_req || !r->ready)
        return;
    req *q = xcalloc(1, sizeof *q);
    q->type = REQ_REPAIR;
    q->w = r->w;
    q->room = r;
    q->gen = r->epoch_gen;
    q->from = r->known + 1;
    q->to = 0;
    q->count = REPAIR_COUNT;
    if (sub_xrange(r->w->sub, r->name, q)) {
        free(q);
        r->need_repair = 1;
        return;
    }
    r->need_repair = 0;
    r->repair_req = q;
    r->w->st.repairs++;
}

static void epoch_change(room *r, const char *epoch, size_t elen)
{
    LOGW("room", "%s: epoch changed %s -> %.*s: reset (epoch_changed)", r->name,
         r->epoch[0] ? r->epoch : "(none)", (int)elen, epoch);
    if (r->delivered < r->known)
        room_flush_now(r);
    snprintf(r->epoch, sizeof r->epoch, "%.*s", (int)elen, epoch);
    r->epoch_gen++;
    ring_clear(&r->ring);
    stash_clear(r);
    r->known = r->delivered = 0;
    r->reset_reason = "epoch_changed";
    if (r->repair_req) {
        r->repair_req->room = NULL;   /* stale: ignore its reply */
        r->repair_req = NULL;
    }
    for (viewer *v = r->vhead; v; v = v->rnext) {
        if (v->req) {
            v->req->v = NULL;
            v->req = NULL;
        }
        v->catchup_stalled = 0;
        v->pending_reset = NULL;
        v->mode = VM_LIVE;
        v->next_seq = 1;
    }
}

static int epoch_matches(room *r, const char *epoch, size_t elen)
{
    return strlen(r->epoch) == elen && !memcmp(r->epoch, epoch, elen);
}

void room_on_message(worker *w, const char *name, size_t nlen, const char *payload, size_t plen)
{
    room *r = room_find(w, name, nlen);
    if (!r || r->state == R_UNSUBSCRIBING)
        return;
    const char *colon = memchr(payload, ':', plen < 64 ? plen : 64);
    if (!colon)
        return;
    size_t elen = colon - payload;
    evt *e = evt_new((const uint8_t *)colon + 1, plen - elen - 1, 0);
    w->st.events_in++;
    if (!e)
        return;
    if (!r->ready) {
        stash_add(r, e);
        return;
    }
    if (!r->epoch[0])
        snprintf(r->epoch, sizeof r->epoch, "%.*s", (int)elen, payload);
    else if (!epoch_matches(r, payload, elen))
        epoch_change(r, payload, elen);
    if (r->repair_req || e->seq > r->known + 1) {
        stash_add(r, e);
        repair(r);
        return;
    }
    if (e->seq <= r->known) {
        evt_unref(e);
        return;
    }
    accept_evt(r, e);
    arm_tick(r);
}

/* ---- readiness ---------------------------------------------------------------- */

static void read_meta(room *r)
{
    if (r->meta_req)
        return;
    req *q = xcalloc(1, sizeof *q);
    q->type = REQ_META;
    q->w = r->w;
    q->room = r;
    if (sub_meta(r->w->sub, r->name, q)) {
        free(q);
        r->need_repair = 1;   /* retried by room_retry */
        return;
    }
    r->meta_req = q;
}

/* Subscribed (first time or after a reconnect): read meta again; its reply
 * checks the epoch and XRANGEs whatever was published since `known`. */
void room_on_subscribed(worker *w, const char *name, size_t len)
{
    room *r = room_find(w, name, len);
    if (!r || r->state != R_SUBSCRIBING)
        return;
    r->state = R_READY;
    read_meta(r);
}

void room_on_unsubscribed(worker *w, const char *name, size_t len)
{
    room *r = room_find(w, name, len);
    if (!r || r->state != R_UNSUBSCRIBING)
        return;
    if (r->resubscribe && r->nviewers) {
        LOGD("room", "%s: viewers came back while unsubscribing: subscribing again", r->name);
        r->resubscribe = 0;
        r->ready = 0;
        ring_clear(&r->ring);
        stash_clear(r);
        r->epoch[0] = 0;
        r->known = r->delivered = 0;
        r->state = R_SUBSCRIBING;
        read_meta(r);
        return;
    }
    room_destroy(r);
}

static void start_waiting(room *r)
{
    for (viewer *v = r->vhead, *nx; v; v = nx) {
        nx = v->rnext;
        if (v->mode == VM_WAIT)
            viewer_start(r, v);
    }
}

void room_on_meta(req *q, int ok, const char *epoch, size_t elen, uint64_t seq)
{
    room *r = q->room;
    free(q);
    if (!r)
        return;
    r->meta_req = NULL;
    if (!ok) {
        r->need_repair = 1;
        return;
    }
    if (!r->ready) {
        /* The room's join point: what existed before its first viewer came
         * is history. SUBSCRIBE only now, and XRANGE from here once the
         * subscription is confirmed, so nothing published in between is
         * lost and nothing is treated as history by mistake. */
        if (epoch)
            snprintf(r->epoch, sizeof r->epoch, "%.*s", (int)elen, epoch);
        r->known = r->delivered = seq;
        r->ready = 1;
        if (r->state == R_SUBSCRIBING)
            subscribe(r);
    } else if (epoch && r->epoch[0] && !epoch_matches(r, epoch, elen)) {
        epoch_change(r, epoch, elen);
    } else if (epoch && !r->epoch[0]) {
        snprintf(r->epoch, sizeof r->epoch, "%.*s", (int)elen, epoch);
    }
    if (r->state == R_READY) {
        drain_stash(r);
        repair(r);
    }
    arm_tick(r);
    start_waiting(r);
}

static void on_repair(room *r, const xentry *e, size_t n)
{
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].seq <= r->known)
            continue;
        evt *x = evt_new(e[i].pb, e[i].len, e[i].seq);
        if (!x)
            continue;
        x->seq = e[i].seq;   /* the stream ID is authoritative */
        if (x->seq > r->known + 1)
            jump_to(r, x->seq);
        accept_evt(r, x);
        found++;
    }
    if (n == REPAIR_COUNT) {
        repair(r);
        return;
    }
    uint64_t hole = drain_stash(r);
    if (hole) {
        if (found)
            repair(r);      /* another loss after this read */
        else {
            jump_to(r, hole);
            drain_stash(r);
        }
    }
}

static void on_catchup_reply(room *r, viewer *v, const xentry *e, size_t n);

void room_on_xrange(req *q, int ok, const xentry *e, size_t n)
{
    room *r = q->room;
    viewer *v = q->v;
    int type = q->type;
    uint64_t gen = q->gen;
    free(q);
    if (type == REQ_REPAIR) {
        if (!r)
            return;
        r->repair_req = NULL;
        if (!ok || gen != r->epoch_gen) {
            r->need_repair = 1;
            return;
        }
        on_repair(r, e, n);
        arm_tick(r);
        return;
    }
    if (!v)
        return;
    v->req = NULL;
    r = v->room;
    if (!r || gen != r->epoch_gen)
        return;
    if (!ok) {
        v->catchup_stalled = 1;
        return;
    }
    on_catchup_reply(r, v, e, n);
}

void room_on_sub_down(worker *w)
{
    for (size_t i = 0; i < w->rooms.nbuckets; i++)
        for (room *r = w->rooms.buckets[i], *nx; r; r = nx) {
            nx = r->hnext;
            if (r->state == R_UNSUBSCRIBING && !r->resubscribe) {
                room_destroy(r);
                continue;
            }
            r->state = R_SUBSCRIBING;   /* re-subscribed by room_on_sub_up */
        }
}

void room_on_sub_up(worker *w)
{
    for (size_t i = 0; i < w->rooms.nbuckets; i++)
        for (room *r = w->rooms.buckets[i], *nx; r; r = nx) {
            nx = r->hnext;
            if (!r->nviewers) {
                room_destroy(r);
                continue;
            }
            r->resubscribe = 0;
            subscribe(r);
        }
}

void room_on_cmd_up(worker *w)
{
    room_retry(w);
}

/* ---- delivery -------------------------------------------------------------- */

static evt **gather(room *r, uint64_t a, uint64_t b, size_t *n)
{
    size_t k = (size_t)(b - a + 1);
    evt **evs = xmalloc(k * sizeof *evs);
    for (size_t i = 0; i < k; i++)
        evs[i] = ring_get(&r->ring, a + i);
    *n = k;
    return evs;
}

/* A frame for one viewer (catch-up or a partial batch): encoded for it alone. */
static void push_own(room *r, viewer *v, evt *const *evs, size_t n, int degraded)
{
    batch_ctx *c = &r->w->batch;
    rbuf *f;
    if (v->pending_reset) {
        f = batch_reset_frame(c, v->fmt, v->zstd, r->name, r->epoch, evs[0]->seq, v->pending_reset);
        v->pending_reset = NULL;
        r->w->st.resets++;
        viewer_push(v, f);
        rbuf_unref(f);
    }
    r->w->st.own_encodes++;
    if (degraded) {
        unsigned ng;
        f = batch_degraded(c, v->fmt, v->zstd, r->name, r->epoch, evs, n, &ng);
        r->w->st.gaps_sent += ng;
    } else {
        f = batch_frame(c, v->fmt, v->zstd, r->name, r->epoch, evs, n);
    }
    viewer_push(v, f);
    rbuf_unref(f);
}

typedef struct shared {
    rbuf *full[BATCH_NVARIANTS], *deg[BATCH_NVARIANTS], *rst[BATCH_NVARIANTS];
    unsigned ngaps[BATCH_NVARIANTS];
} shared;

static void deliver_one(room *r, viewer *v, shared *sh, evt *const *evs, size_t n)
{
    batch_ctx *c = &r->w->batch;
    int var = viewer_variant(v);
    uint64_t a = evs[0]->seq, b = evs[n - 1]->seq;
    int s = viewer_check_slow(v);
    if (s < 0)
        return;
    if (r->reset_reason) {
        if (!sh->rst[var])
            sh->rst[var] = batch_reset_frame(c, v->fmt, v->zstd, r->name, r->epoch, a, r->reset_reason);
        viewer_push(v, sh->rst[var]);
        r->w->st.resets++;
    }
    if (v->next_seq > a) {
        size_t skip = (size_t)(v->next_seq - a);
        push_own(r, v, evs + skip, n - skip, s);
    } else if (s) {
        if (!sh->deg[var]) {
            sh->deg[var] = batch_degraded(c, v->fmt, v->zstd, r->name, r->epoch, evs, n, &sh->ngaps[var]);
            r->w->st.encodes++;
        }
        viewer_push(v, sh->deg[var]);
        r->w->st.gaps_sent += sh->ngaps[var];
    } else {
        if (!sh->full[var]) {
            sh->full[var] = batch_frame(c, v->fmt, v->zstd, r->name, r->epoch, evs, n);
            r->w->st.encodes++;
        }
        viewer_push(v, sh->full[var]);
    }
    v->next_seq = b + 1;
}

static void flush_range(room *r, uint64_t a, uint64_t b)
{
    size_t n;
    evt **evs = gather(r, a, b, &n);
    shared sh;
    memset(&sh, 0, sizeof sh);
    for (viewer *v = r->vhead, *nx; v; v = nx) {
        nx = v->rnext;
        if (v->mode == VM_LIVE && v->next_seq <= b)
            deliver_one(r, v, &sh, evs, n);
    }
    for (int i = 0; i < BATCH_NVARIANTS; i++) {
        rbuf_unref(sh.full[i]);
        rbuf_unref(sh.deg[i]);
        rbuf_unref(sh.rst[i]);
    }
    free(evs);
    r->reset_reason = NULL;
    r->delivered = b;
}

static void trim_ring(room *r)
{
    size_t keep = (size_t)r->w->conf->ring_events;
    while (r->ring.n > keep && r->ring.lo <= r->delivered)
        ring_pop(&r->ring);
}

static void room_flush_now(room *r)
{
    uint64_t max = (uint64_t)r->w->conf->max_batch;
    uint64_t t0 = tick_now_us(), f0 = r->w->st.frames;
    r->last_flush_ms = t0 / 1000;
    r->w->st.room_flushes++;
    r->w->now_ms = r->last_flush_ms;   /* same clock as worker_now() */
    while (r->delivered < r->known) {
        uint64_t a = r->delivered + 1;
        uint64_t b = r->known - a + 1 > max ? a + max - 1 : r->known;
        flush_range(r, a, b);
    }
    trim_ring(r);
    tick_note_flush(r->w, r->w->st.frames - f0, tick_now_us() - t0);
}

void room_on_due(room *r)
{
    r->tick_armed = 0;
    if (r->state == R_UNSUBSCRIBING)
        return;
    room_flush_now(r);
}

/* ---- per-viewer start: history and resume ----------------------------------- */

static void go_live(room *r, viewer *v)
{
    if (v->pending_reset) {
        rbuf *f = batch_reset_frame(&r->w->batch, v->fmt, v->zstd, r->name, r->epoch,
                                    v->next_seq, v->pending_reset);
        v->pending_reset = NULL;
        r->w->st.resets++;
        viewer_push(v, f);
        rbuf_unref(f);
    }
    v->mode = VM_LIVE;
}

static void viewer_start(room *r, viewer *v)
{
    uint64_t hist = v->history;
    uint64_t start = r->delivered >= hist ? r->delivered - hist + 1 : 1;
    if (v->has_since) {
        if (!strcmp(v->since_epoch, r->epoch)) {
            /* may be beyond what this worker has flushed yet (the client came
             * from a faster worker): live batches then skip what it has */
            start = v->since + 1;
        } else {
            v->pending_reset = "epoch_changed";
            v->has_since = 0;
        }
    }
    v->next_seq = v->start_seq = start;
    v->mode = VM_CATCHUP;
    r->w->st.catchups++;
    catchup(r, v);
}

/* History frames for joiners are cached per variant: viewers joining in
 * the same tick with the same history get the same bytes by reference. */
static rbuf *history_frame(room *r, viewer *v, uint64_t a, uint64_t b)
{
    hist_cache *hc = &r->hcache[viewer_variant(v)];
    if (hc->rb && hc->a == a && hc->b == b && hc->gen == r->epoch_gen)
        return rbuf_ref(hc->rb);
    size_t n;
    evt **evs = gather(r, a, b, &n);
    rbuf *f = batch_frame(&r->w->batch, v->fmt, v->zstd, r->name, r->epoch, evs, n);
    r->w->st.own_encodes++;
    free(evs);
    rbuf_unref(hc->rb);
    hc->rb = rbuf_ref(f);
    hc->a = a;
    hc->b = b;
    hc->gen = r->epoch_gen;
    return f;
}

static void send_from_ring(room *r, viewer *v)
{
    uint64_t max = (uint64_t)r->w->conf->max_batch;
    while (v->next_seq <= r->delivered && v->state == V_WS) {
        uint64_t a = v->next_seq;
        uint64_t b = r->delivered - a + 1 > max ? a + max - 1 : r->delivered;
        if (v->pending_reset) {
            size_t n;
            evt **evs = gather(r, a, b, &n);
            push_own(r, v, evs, n, 0);
            free(evs);
        } else {
            rbuf *f = history_frame(r, v, a, b);
            viewer_push(v, f);
            rbuf_unref(f);
        }
        v->next_seq = b + 1;
    }
}

/* Sends v everything from next_seq up to the room's delivered seq, from
 * memory when the ring still holds it, else through XRANGE (async). */
static void catchup(room *r, viewer *v)
{
    if (v->next_seq > r->delivered) {
        go_live(r, v);
        return;
    }
    if (ring_get(&r->ring, v->next_seq)) {
        v->has_since = 0;
        send_from_ring(r, v);
        if (v->state == V_WS && v->room)
            go_live(r, v);
        return;
    }
    req *q = xcalloc(1, sizeof *q);
    q->type = REQ_CATCHUP;
    q->w = r->w;
    q->v = v;
    q->gen = r->epoch_gen;
    q->from = v->next_seq;
    q->to = r->delivered;
    q->count = (size_t)r->w->conf->max_batch;
    if (sub_xrange(r->w->sub, r->name, q)) {
        free(q);
        v->catchup_stalled = 1;
        return;
    }
    v->catchup_stalled = 0;
    v->req = q;
}

static void on_catchup_reply(room *r, viewer *v, const xentry *e, size_t n)
{
    size_t i = 0;
    while (i < n && e[i].seq < v->next_seq)
        i++;
    size_t j = i;
    while (j < n && e[j].seq <= r->delivered)
        j++;
    if (i == j || e[i].seq > v->next_seq) {
        /* the stream does not hold next_seq (any more): only the start of
         * a plain history may shrink silently; a resume point or a seq in
         * the middle of what this viewer is being sent gets a reset */
        uint64_t first = i < j ? e[i].seq : (r->ring.n && r->ring.lo > v->next_seq ? r->ring.lo : r->delivered + 1);
        if ((v->has_since || v->next_seq != v->start_seq) && !v->pending_reset)
            v->pending_reset = "trimmed";
        v->next_seq = first;
        if (i == j) {
            v->has_since = 0;
            catchup(r, v);
            return;
        }
    }
    v->has_since = 0;
    evt **evs = xmalloc((j - i) * sizeof *evs);
    size_t k = 0;
    for (size_t x = i; x < j; x++) {
        evt *ev = evt_new(e[x].pb, e[x].len, e[x].seq);
        if (ev) {
            ev->seq = e[x].seq;
            evs[k++] = ev;
        }
    }
    if (k) {
        push_own(r, v, evs, k, 0);
        v->next_seq = evs[k - 1]->seq + 1;
    }
    for (size_t x = 0; x < k; x++)
        evt_unref(evs[x]);
    free(evs);
    if (v->state == V_WS && v->room == r)
        catchup(r, v);
}

void room_retry(worker *w)
{
    if (!sub_cmd_up(w->sub))
        return;
    for (size_t i = 0; i < w->rooms.nbuckets; i++)
        for (room *r = w->rooms.buckets[i]; r; r = r->hnext) {
            if (r->state == R_UNSUBSCRIBING || (r->state == R_SUBSCRIBING && r->ready))
                continue;
            if (r->need_repair) {
                r->need_repair = 0;
                read_meta(r);   /* its reply re-checks the epoch and repairs */
            }
            if (!r->ready)
                continue;
            for (viewer *v = r->vhead, *nx; v; v = nx) {
                nx = v->rnext;
                if (v->mode == VM_CATCHUP && v->catchup_stalled && !v->req)
                    catchup(r, v);
            }
        }
}

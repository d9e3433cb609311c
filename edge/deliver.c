/* deliver.c — the tick flush of a room: batch build once per variant,
 * shared by reference, per-viewer skip / degrade / reset. */
#include "deliver.h"
#include "edge_metrics.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "batch.h"
#include "room.h"
#include "tick.h"
#include "viewer.h"
#include "wctx.h"

void deliver_arm(room *r)
{
    if (r->tick_armed || r->delivered >= r->known)
        return;
    /* Flushes start at least one tick apart; an event after a quiet spell
     * goes out on the next loop turn, and a long flush does not add to the
     * next window. */
    uint64_t now = wctx_now(r->w);
    uint64_t t = tick_for(r), since = now - r->last_flush_ms;
    t = since >= t ? 0 : t - since;
    flush_schedule(&r->w->wheel, &r->due, now, t);
    r->tick_armed = 1;
}

static void push_reset(room *r, viewer *v, uint64_t from_seq)
{
    rbuf *f = batch_reset_frame(&r->w->batch, v->fmt, v->zstd, r->name, r->epoch, from_seq,
                                v->pending_reset);
    v->pending_reset = NULL;
    r->w->st.resets++;
    viewer_push(v, f);
    rbuf_unref(f);
}

void deliver_own(room *r, viewer *v, evt *const *evs, size_t n, int degraded)
{
    batch_ctx *c = &r->w->batch;
    rbuf *f;
    assert(n > 0);
    if (v->pending_reset)
        push_reset(r, v, evs[0]->seq);
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

/* The frames of one batch shared by the viewers of a variant. */
typedef struct shared {
    rbuf *full[BATCH_NVARIANTS], *deg[BATCH_NVARIANTS], *rst[BATCH_NVARIANTS];
    unsigned ngaps[BATCH_NVARIANTS];
    int comments_only;           /* the batch has nothing a degraded viewer gets */
} shared;

/* Sends v its owed "slow" gap (the comments skipped while it was degraded
 * and backlogged), if any: one gap frame for all of them. */
static void push_owed_gap(room *r, viewer *v)
{
    if (!v->gap_to)
        return;
    rbuf *f = batch_gap_frame(&r->w->batch, v->fmt, v->zstd, r->name, v->gap_from, v->gap_to, "slow");
    v->gap_from = v->gap_to = 0;
    r->w->st.gaps_sent++;
    r->w->st.own_encodes++;
    viewer_push(v, f);
    rbuf_unref(f);
}

void deliver_on_drained(viewer *v)
{
    if (v->room && v->gap_to)
        push_owed_gap(v->room, v);
}

static void deliver_one(room *r, viewer *v, shared *sh, evt *const *evs, size_t n)
{
    batch_ctx *c = &r->w->batch;
    int var = viewer_variant(v);
    uint64_t a = evs[0]->seq, b = evs[n - 1]->seq;
    int s = viewer_check_slow(v);
    if (s < 0)
        return;
    /* A degraded viewer is backlogged: a batch of comments only adds to its
     * owed gap instead of a frame per tick; the gap goes out before its next
     * frame or when its output drains (deliver_on_drained). */
    int owe = s == VS_DEGRADED && sh->comments_only && !r->reset_reason && v->next_seq == a;
    if (owe) {
        if (!v->gap_to)
            v->gap_from = a;
        v->gap_to = b;
        v->next_seq = b + 1;
        return;
    }
    push_owed_gap(r, v);
    if (r->reset_reason) {
        if (!sh->rst[var])
            sh->rst[var] = batch_reset_frame(c, v->fmt, v->zstd, r->name, r->epoch, a, r->reset_reason);
        viewer_push(v, sh->rst[var]);
        r->w->st.resets++;
    }
    if (v->next_seq > a) {
        size_t skip = (size_t)(v->next_seq - a);
        assert(skip < n);
        deliver_own(r, v, evs + skip, n - skip, s);
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
    evt **evs = evring_slice(&r->ring, a, b, &n);
    shared sh;
    memset(&sh, 0, sizeof sh);
    sh.comments_only = 1;
    for (size_t i = 0; i < n && sh.comments_only; i++)
        sh.comments_only = evs[i]->kind == EVT_COMMENT;
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
        evring_pop(&r->ring);
}

uint64_t deliver_batch_end(uint64_t delivered, uint64_t known, uint64_t max)
{
    uint64_t a = delivered + 1;
    return known - a + 1 > max ? a + max - 1 : known;
}

void deliver_flush_now(room *r)
{
    worker *w = r->w;
    uint64_t max = (uint64_t)w->conf->max_batch;
    uint64_t t0 = tick_now_us(), f0 = w->st.frames;
    r->last_flush_ms = t0 / 1000;
    w->st.room_flushes++;
    w->now_ms = r->last_flush_ms;   /* same clock as wctx_now() */
    assert(r->delivered <= r->known);
    while (r->delivered < r->known)
    {
        uint64_t b = deliver_batch_end(r->delivered, r->known, max);
        edge_mx_batch(b - r->delivered);
        flush_range(r, r->delivered + 1, b);
    }
    trim_ring(r);
    tick_note_flush(w, w->st.frames - f0, tick_now_us() - t0);
    edge_mx_flush_us(tick_now_us() - t0);
}

void deliver_on_due(room *r)
{
    r->tick_armed = 0;
    if (r->state == R_UNSUBSCRIBING)
        return;
    deliver_flush_now(r);
}

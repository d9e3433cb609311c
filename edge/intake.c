/* intake.c — subscription lifecycle, join point, in-order intake, gap
 * repair, trimmed streams and epoch changes of the rooms of one worker. */
#include "intake.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "catchup.h"
#include "deliver.h"
#include "log.h"
#include "room.h"
#include "tick.h"
#include "viewer.h"
#include "wctx.h"

/* ---- subscription -------------------------------------------------------- */

/* Something of r needs intake_retry (a meta read / repair, or a stalled
 * catch-up): the sweep then visits the rooms, otherwise it skips them. */
static void need_repair(room *r)
{
    r->need_repair = 1;
    r->w->retry_pending = 1;
}

static void subscribe(room *r)
{
    worker *w = r->w;
    r->state = R_SUBSCRIBING;
    if (w->redis->subscribe(w->redis_ctx, r->name, r->nlen))
        LOGD("room", "room=%s pub/sub link down, subscribing when it is back", r->name);
}

static void read_meta(room *r)
{
    if (r->meta_req)
        return;
    worker *w = r->w;
    req *q = room_req_new(r, REQ_META, NULL);
    if (w->redis->meta(w->redis_ctx, r->name, r->nlen, q)) {
        free(q);
        need_repair(r);
        return;
    }
    r->meta_req = q;
}

void intake_join(worker *w, const char *name, viewer *v)
{
    room *r = room_find(w, name, strlen(name));
    if (!r) {
        r = room_new(w, name);   /* meta first, then SUBSCRIBE (see intake_on_meta) */
        read_meta(r);
    } else if (r->state == R_UNSUBSCRIBING) {
        r->resubscribe = 1;
    }
    room_add_viewer(r, v);
    if (r->ready && r->state != R_UNSUBSCRIBING)
        catchup_start(r, v);
}

static void reap_one(room *r, void *arg)
{
    worker *w = r->w;
    (void)arg;
    if (r->nviewers || r->state == R_UNSUBSCRIBING)
        return;
    if (!w->redis->pubsub_up(w->redis_ctx) || w->redis->unsubscribe(w->redis_ctx, r->name, r->nlen)) {
        room_destroy(r);   /* not subscribed on any live link */
        return;
    }
    r->state = R_UNSUBSCRIBING;
    r->resubscribe = 0;
    flush_cancel(&w->wheel, &r->due);
    r->tick_armed = 0;
}

void intake_reap_empty(worker *w)
{
    room_each(w, reap_one, NULL);
}

/* Subscribed (first time or after a reconnect): read meta again; its reply
 * checks the epoch and XRANGEs whatever was published since `known`. */
void intake_on_subscribed(worker *w, const char *name, size_t len)
{
    room *r = room_find(w, name, len);
    if (!r || r->state != R_SUBSCRIBING)
        return;
    r->state = R_READY;
    read_meta(r);
}

void intake_on_unsubscribed(worker *w, const char *name, size_t len)
{
    room *r = room_find(w, name, len);
    if (!r || r->state != R_UNSUBSCRIBING)
        return;
    if (r->resubscribe && r->nviewers) {
        LOGD("room", "room=%s viewers came back while unsubscribing: subscribing again", r->name);
        r->resubscribe = 0;
        r->ready = 0;
        room_reset_stream(r, 0);
        r->epoch[0] = 0;
        r->state = R_SUBSCRIBING;
        read_meta(r);
        return;
    }
    room_destroy(r);
}

static void sub_down_one(room *r, void *arg)
{
    (void)arg;
    if (r->state == R_UNSUBSCRIBING && !r->resubscribe) {
        room_destroy(r);
        return;
    }
    r->state = R_SUBSCRIBING;   /* re-subscribed by intake_on_sub_up */
}

void intake_on_sub_down(worker *w)
{
    room_each(w, sub_down_one, NULL);
}

static void sub_up_one(room *r, void *arg)
{
    (void)arg;
    if (!r->nviewers) {
        room_destroy(r);
        return;
    }
    r->resubscribe = 0;
    subscribe(r);
}

void intake_on_sub_up(worker *w)
{
    room_each(w, sub_up_one, NULL);
}

/* ---- event intake -------------------------------------------------------- */

static void stash_add(room *r, evt *e)
{
    if (r->nstash >= INTAKE_STASH_MAX) {
        LOGW("room", "room=%s %zu held events while repairing: dropped (re-read from the stream)",
             r->name, r->nstash);
        room_stash_clear(r);
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
    assert(e->seq == r->known + 1);
    evring_push(&r->ring, e);
    r->known = e->seq;
    tick_note_events(r, 1);
}

/* Moves stashed events that now follow `known` into the ring (duplicates
 * dropped). Returns the lowest seq still stashed (beyond a hole), or 0. */
static uint64_t drain_stash(room *r)
{
    if (!r->nstash)
        return 0;
    qsort(r->stash, r->nstash, sizeof *r->stash, cmp_evt);
    size_t keep = 0;
    for (size_t i = 0; i < r->nstash; i++) {
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
    LOGW("room", "room=%s seqs %llu..%llu are no longer in the stream: reset (trimmed)", r->name,
         (unsigned long long)r->known + 1, (unsigned long long)seq - 1);
    assert(seq > r->known + 1);
    if (r->delivered < r->known) {
        /* flush what we hold first so the reset lands at the jump */
        deliver_flush_now(r);
    }
    evring_clear(&r->ring);
    r->known = r->delivered = seq - 1;
    if (!r->reset_reason)
        r->reset_reason = "trimmed";
}

static void repair(room *r)
{
    if (r->repair_req || !r->ready)
        return;
    worker *w = r->w;
    req *q = room_req_new(r, REQ_REPAIR, NULL);
    if (w->redis->xrange(w->redis_ctx, r->name, r->nlen, r->known + 1, 0, INTAKE_REPAIR_COUNT, q)) {
        free(q);
        need_repair(r);
        return;
    }
    r->need_repair = 0;
    r->repair_req = q;
    w->st.repairs++;
}

static void epoch_change(room *r, const char *epoch, size_t elen)
{
    LOGW("room", "room=%s epoch changed %s -> %.*s: reset (epoch_changed)", r->name,
         r->epoch[0] ? r->epoch : "(none)", (int)elen, epoch);
    if (r->delivered < r->known)
        deliver_flush_now(r);
    room_set_epoch(r, epoch, elen);
    r->epoch_gen++;
    room_reset_stream(r, 0);
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

void intake_on_message(worker *w, const char *name, size_t nlen, const char *payload, size_t plen)
{
    room *r = room_find(w, name, nlen);
    if (!r || r->state == R_UNSUBSCRIBING)
        return;
    const char *colon = memchr(payload, ':', plen < 64 ? plen : 64);
    if (!colon)
        return;
    size_t elen = (size_t)(colon - payload);
    evt *e = evt_new((const uint8_t *)colon + 1, plen - elen - 1, 0);
    w->st.events_in++;
    if (!e)
        return;
    if (!r->ready) {
        stash_add(r, e);
        return;
    }
    if (!r->epoch[0])
        room_set_epoch(r, payload, elen);
    else if (!room_epoch_is(r, payload, elen))
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
    deliver_arm(r);
}

/* ---- replies ------------------------------------------------------------- */

static void start_waiting(room *r)
{
    for (viewer *v = r->vhead, *nx; v; v = nx) {
        nx = v->rnext;
        if (v->mode == VM_WAIT)
            catchup_start(r, v);
    }
}

void intake_on_meta(req *q, int ok, const char *epoch, size_t elen, uint64_t seq)
{
    room *r = q->room;
    free(q);
    if (!r)
        return;
    r->meta_req = NULL;
    if (!ok) {
        need_repair(r);
        return;
    }
    if (!r->ready) {
        /* The room's join point: what existed before its first viewer came
         * is history. SUBSCRIBE only now, and XRANGE from here once the
         * subscription is confirmed, so nothing published in between is
         * lost and nothing is treated as history by mistake. */
        if (epoch)
            room_set_epoch(r, epoch, elen);
        r->known = r->delivered = seq;
        r->ready = 1;
        if (r->state == R_SUBSCRIBING)
            subscribe(r);
    } else if (epoch && r->epoch[0] && !room_epoch_is(r, epoch, elen)) {
        epoch_change(r, epoch, elen);
    } else if (epoch && !r->epoch[0]) {
        room_set_epoch(r, epoch, elen);
    }
    if (r->state == R_READY) {
        drain_stash(r);
        repair(r);
    }
    deliver_arm(r);
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
    if (n == INTAKE_REPAIR_COUNT) {
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

void intake_on_xrange(req *q, int ok, const xentry *e, size_t n)
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
            need_repair(r);
            return;
        }
        on_repair(r, e, n);
        deliver_arm(r);
        return;
    }
    if (!v)
        return;
    v->req = NULL;
    r = v->room;
    if (!r || gen != r->epoch_gen)
        return;
    catchup_on_reply(r, v, ok, e, n);
}

/* ---- retries ------------------------------------------------------------- */

static void retry_one(room *r, void *arg)
{
    (void)arg;
    if (r->state == R_UNSUBSCRIBING || (r->state == R_SUBSCRIBING && r->ready)) {
        if (r->need_repair || r->nviewers)
            r->w->retry_pending = 1;   /* in transition: look again next time */
        return;
    }
    if (r->need_repair) {
        r->need_repair = 0;
        read_meta(r);   /* its reply re-checks the epoch and repairs */
    }
    if (r->ready)
        catchup_retry(r);
}

void intake_on_cmd_up(worker *w)
{
    w->retry_pending = 1;
    intake_retry(w);
}

void intake_retry(worker *w)
{
    if (!w->retry_pending || !w->redis->cmd_up(w->redis_ctx))
        return;
    w->retry_pending = 0;   /* set again by whatever stays stalled */
    room_each(w, retry_one, NULL);
}

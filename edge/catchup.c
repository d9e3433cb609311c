/* catchup.c — per-viewer history / resume: decisions, ring frames (cached
 * per variant for joiners of the same tick), XRANGE reads, going live. */
#include "catchup.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "batch.h"
#include "deliver.h"
#include "log.h"
#include "room.h"
#include "viewer.h"
#include "wctx.h"

uint64_t catchup_plan_start(uint64_t delivered, uint64_t hist, int has_since, uint64_t since,
                            const char *since_epoch, const char *room_epoch, int *epoch_reset)
{
    uint64_t start = delivered >= hist ? delivered - hist + 1 : 1;
    *epoch_reset = 0;
    if (has_since) {
        if (!strcmp(since_epoch, room_epoch)) {
            /* may be beyond what this worker has flushed yet (the client came
             * from a faster worker): live batches then skip what it has */
            start = since + 1;
        } else {
            *epoch_reset = 1;
        }
    }
    return start;
}

int catchup_plan_reply(const xentry *e, size_t n, uint64_t next_seq, uint64_t start_seq,
                       int has_since, uint64_t delivered, uint64_t ring_lo, size_t ring_n,
                       size_t *from, size_t *to, uint64_t *first, int *reset)
{
    size_t i = 0;
    while (i < n && e[i].seq < next_seq)
        i++;
    size_t j = i;
    while (j < n && e[j].seq <= delivered)
        j++;
    *from = i;
    *to = j;
    *reset = 0;
    *first = next_seq;
    if (i < j && e[i].seq == next_seq)
        return 0;
    *first = i < j ? e[i].seq : (ring_n && ring_lo > next_seq ? ring_lo : delivered + 1);
    *reset = has_since || next_seq != start_seq;
    return 1;
}

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

void catchup_start(room *r, viewer *v)
{
    int epoch_reset;
    uint64_t start = catchup_plan_start(r->delivered, v->history, v->has_since, v->since,
                                        v->since_epoch, r->epoch, &epoch_reset);
    if (epoch_reset) {
        LOGD("room", "room=%s resume in epoch %s, room is in %s: reset (epoch_changed)", r->name,
             v->since_epoch, r->epoch);
        v->pending_reset = "epoch_changed";
        v->has_since = 0;
    }
    v->next_seq = v->start_seq = start;
    v->mode = VM_CATCHUP;
    r->w->st.catchups++;
    catchup_continue(r, v);
}

/* History frames for joiners are cached per variant: viewers joining in
 * the same tick with the same history get the same bytes by reference. */
static rbuf *history_frame(room *r, viewer *v, uint64_t a, uint64_t b)
{
    hist_cache *hc = &r->hcache[viewer_variant(v)];
    if (hc->rb && hc->a == a && hc->b == b && hc->gen == r->epoch_gen)
        return rbuf_ref(hc->rb);
    size_t n;
    evt **evs = evring_slice(&r->ring, a, b, &n);
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
        uint64_t b = deliver_batch_end(a - 1, r->delivered, max);
        if (v->pending_reset) {
            size_t n;
            evt **evs = evring_slice(&r->ring, a, b, &n);
            deliver_own(r, v, evs, n, 0);
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
void catchup_continue(room *r, viewer *v)
{
    if (v->next_seq > r->delivered) {
        go_live(r, v);
        return;
    }
    if (evring_get(&r->ring, v->next_seq)) {
        v->has_since = 0;
        send_from_ring(r, v);
        if (v->state == V_WS && v->room)
            go_live(r, v);
        return;
    }
    worker *w = r->w;
    req *q = room_req_new(r, REQ_CATCHUP, v);
    if (w->redis->xrange(w->redis_ctx, r->name, r->nlen, v->next_seq, r->delivered,
                         (size_t)w->conf->max_batch, q)) {
        free(q);
        v->catchup_stalled = 1;
        r->w->retry_pending = 1;
        return;
    }
    v->catchup_stalled = 0;
    v->req = q;
}

void catchup_on_reply(room *r, viewer *v, int ok, const xentry *e, size_t n)
{
    if (!ok) {
        v->catchup_stalled = 1;
        r->w->retry_pending = 1;
        return;
    }
    size_t i, j;
    uint64_t first;
    int reset;
    if (catchup_plan_reply(e, n, v->next_seq, v->start_seq, v->has_since, r->delivered,
                           r->ring.lo, r->ring.n, &i, &j, &first, &reset)) {
        if (reset && !v->pending_reset) {
            LOGD("room", "room=%s seqs from %llu are no longer in the stream: viewer reset (trimmed)",
                 r->name, (unsigned long long)v->next_seq);
            v->pending_reset = "trimmed";
        }
        v->next_seq = first;
        if (i == j) {
            v->has_since = 0;
            catchup_continue(r, v);
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
            assert(!k || ev->seq > evs[k - 1]->seq);
            evs[k++] = ev;
        }
    }
    if (k) {
        deliver_own(r, v, evs, k, 0);
        v->next_seq = evs[k - 1]->seq + 1;
    }
    for (size_t x = 0; x < k; x++)
        evt_unref(evs[x]);
    free(evs);
    if (v->state == V_WS && v->room == r)
        catchup_continue(r, v);
}

void catchup_retry(room *r)
{
    for (viewer *v = r->vhead, *nx; v; v = nx) {
        nx = v->rnext;
        if (v->mode == VM_CATCHUP && v->catchup_stalled && !v->req)
            catchup_continue(r, v);
    }
}

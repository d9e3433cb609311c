/* test_room_deliver.c — a room's tick (edge/deliver.c) in-process
 * (room_fix.h): the first event arms the room on the flush wheel and the
 * wheel's pass delivers it; batches are cut at --max-batch and arrive in
 * seq order; each variant is encoded once per tick and shared by reference;
 * a viewer ahead of the room (resumed from a faster worker) gets only what it
 * lacks; viewers still catching up get nothing live; the ring is trimmed to
 * --ring-events delivered events. */
#include "room_fix.h"

#define EP "e1e1e1e1e1e1e1e1"

static void test_wheel_delivers(void)
{
    fx_setup();
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 0, v);
    fx_pub("r1", EP, 1);
    T_ASSERT(r->tick_armed && flush_scheduled(&r->due));
    fx_pub("r1", EP, 2);                 /* same tick */
    uint64_t end = wctx_now(fx_w) + 2000;
    while (r->delivered < 2 && wctx_now(fx_w) < end)
        event_base_loop(fx_w->base, EVLOOP_ONCE);
    T_EQ_U64(r->delivered, 2);
    T_ASSERT(!r->tick_armed);
    T_ASSERT(fx_one_batch(v, 1, 2));
    T_EQ_U64(fx_w->st.room_flushes, 1);
    fx_viewer_free(v);
    fx_teardown();
}

static void test_max_batch_and_sharing(void)
{
    fx_setup();
    fx_conf.max_batch = 4;
    viewer *a = fx_viewer(BATCH_PB, 1, 0);
    viewer *b = fx_viewer(BATCH_PB, 1, 0);
    viewer *c = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 0, a);
    fx_join(b, "r1");
    fx_join(c, "r1");
    T_EQ_INT(r->nvar[BATCH_VARIANT(BATCH_PB, 1)], 2);
    for (uint64_t s = 1; s <= 10; s++)
        fx_pub("r1", EP, s);
    deliver_flush_now(r);
    /* 3 batches x 2 variants in use: 6 encodes for 9 frames */
    T_EQ_U64(fx_w->st.encodes, 6);
    viewer *all[] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        Danmaku__Frame *f[8];
        int n = fx_frames(all[i], f, 8, NULL);
        T_EQ_INT(n, 3);
        uint64_t want = 1;
        for (int k = 0; k < n; k++) {
            T_ASSERT(f[k]->msg_case == DANMAKU__FRAME__MSG_BATCH);
            T_EQ_U64(f[k]->batch->from_seq, want);
            for (size_t e = 0; e < f[k]->batch->n_events; e++)
                T_EQ_U64(f[k]->batch->events[e]->seq, want + e);
            want = f[k]->batch->to_seq + 1;
        }
        T_EQ_U64(want, 11);
        fx_release(f, n);
    }
    fx_viewer_free(a);
    fx_viewer_free(b);
    fx_viewer_free(c);
    fx_teardown();
}

static void test_viewer_ahead_and_catching_up(void)
{
    fx_setup();
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 0, v);
    viewer *ahead = fx_viewer(BATCH_JSON, 0, 0);
    ahead->has_since = 1;
    ahead->since = 3;                    /* got 1..3 from a faster worker */
    snprintf(ahead->since_epoch, sizeof ahead->since_epoch, "%s", EP);
    fx_join(ahead, "r1");
    T_EQ_INT(ahead->mode, VM_LIVE);
    T_EQ_U64(ahead->next_seq, 4);
    viewer *wait = fx_viewer(BATCH_JSON, 0, 0);
    fx_join(wait, "r1");
    wait->mode = VM_CATCHUP;             /* as if its XRANGE were in flight */
    for (uint64_t s = 1; s <= 5; s++)
        fx_pub("r1", EP, s);
    deliver_flush_now(r);
    T_ASSERT(fx_one_batch(ahead, 4, 5));
    Danmaku__Frame *f[4];
    T_EQ_INT(fx_frames(wait, f, 4, NULL), 0);
    T_ASSERT(fx_one_batch(v, 1, 5));
    fx_viewer_free(v);
    fx_viewer_free(ahead);
    fx_viewer_free(wait);
    fx_teardown();
}

static void test_ring_trimmed_to_delivered(void)
{
    fx_setup();
    fx_conf.ring_events = 8;
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 0, v);
    for (uint64_t s = 1; s <= 20; s++)
        fx_pub("r1", EP, s);
    T_EQ_INT(r->ring.n, 20);             /* undelivered events are kept */
    deliver_flush_now(r);
    T_EQ_INT(r->ring.n, 8);
    T_EQ_U64(r->ring.lo, 13);
    T_EQ_U64(deliver_batch_end(0, 20, 8), 8);
    T_EQ_U64(deliver_batch_end(16, 20, 8), 20);
    fx_viewer_free(v);
    fx_teardown();
}

int main(void)
{
    T_RUN(test_wheel_delivers);
    T_RUN(test_max_batch_and_sharing);
    T_RUN(test_viewer_ahead_and_catching_up);
    T_RUN(test_ring_trimmed_to_delivered);
    return T_DONE();
}

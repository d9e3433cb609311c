/* test_room_catchup.c — a viewer's start (edge/catchup.c): the pure
 * decisions (history N, since/epoch resume, another epoch, a trimmed stream
 * with and without a reset) and the flows in-process (room_fix.h): history
 * from the ring, a resume inside retention from the ring or through XRANGE,
 * a trimmed resume point -> reset "trimmed", another epoch -> reset
 * "epoch_changed", a catch-up stalled by the link and retried. */
#include "room_fix.h"

#define EP "e1e1e1e1e1e1e1e1"

static void test_plan_start(void)
{
    int er;
    T_EQ_U64(catchup_plan_start(100, 10, 0, 0, "", EP, &er), 91);     /* history N */
    T_EQ_INT(er, 0);
    T_EQ_U64(catchup_plan_start(5, 10, 0, 0, "", EP, &er), 1);        /* less than N exists */
    T_EQ_U64(catchup_plan_start(100, 0, 0, 0, "", EP, &er), 101);     /* live only */
    T_EQ_U64(catchup_plan_start(100, 10, 1, 50, EP, EP, &er), 51);    /* resume */
    T_EQ_INT(er, 0);
    T_EQ_U64(catchup_plan_start(100, 10, 1, 120, EP, EP, &er), 121);  /* ahead of this worker */
    T_EQ_U64(catchup_plan_start(100, 10, 1, 50, "other", EP, &er), 91);
    T_EQ_INT(er, 1);                                                  /* other epoch: reset */
}

static void test_plan_reply(void)
{
    size_t from, to;
    uint64_t first;
    int reset;
    /* the reply starts at next_seq: send entries within delivered */
    fx_range(48, 60);
    T_EQ_INT(catchup_plan_reply(fx_xe, 13, 50, 50, 1, 55, 0, 0, &from, &to, &first, &reset), 0);
    T_EQ_INT(from, 2);
    T_EQ_INT(to, 8);                     /* 50..55 */
    T_EQ_INT(reset, 0);
    /* trimmed below the start of plain history: shrinks silently */
    fx_range(60, 70);
    T_EQ_INT(catchup_plan_reply(fx_xe, 11, 50, 50, 0, 70, 0, 0, &from, &to, &first, &reset), 1);
    T_EQ_U64(first, 60);
    T_EQ_INT(reset, 0);
    T_EQ_INT(from, 0);
    T_EQ_INT(to, 11);
    /* a resume point trimmed: reset */
    T_EQ_INT(catchup_plan_reply(fx_xe, 11, 50, 50, 1, 70, 0, 0, &from, &to, &first, &reset), 1);
    T_EQ_U64(first, 60);
    T_EQ_INT(reset, 1);
    /* trimmed in the middle of what the viewer is being sent: reset */
    T_EQ_INT(catchup_plan_reply(fx_xe, 11, 50, 40, 0, 70, 0, 0, &from, &to, &first, &reset), 1);
    T_EQ_INT(reset, 1);
    /* nothing left in the stream: continue at the ring, else after delivered */
    T_EQ_INT(catchup_plan_reply(fx_xe, 0, 50, 50, 1, 70, 65, 6, &from, &to, &first, &reset), 1);
    T_EQ_U64(first, 65);
    T_EQ_INT(from, to);
    T_EQ_INT(catchup_plan_reply(fx_xe, 0, 50, 50, 1, 70, 0, 0, &from, &to, &first, &reset), 1);
    T_EQ_U64(first, 71);
}

/* A ready room at epoch EP with seqs 1..n delivered, its first viewer
 * live-only (returned in *first_v). */
static room *room_with(uint64_t n, viewer **first_v)
{
    *first_v = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 0, *first_v);
    for (uint64_t s = 1; s <= n; s++)
        fx_pub("r1", EP, s);
    deliver_flush_now(r);
    evbuffer_drain((*first_v)->out, evbuffer_get_length((*first_v)->out) - 1);
    return r;
}

static void test_history_from_ring(void)
{
    fx_setup();
    viewer *v0;
    room *r = room_with(30, &v0);
    viewer *v = fx_viewer(BATCH_PB, 0, 10);
    fx_join(v, "r1");
    T_EQ_INT(v->mode, VM_LIVE);
    Danmaku__Frame *f[4];
    int n = fx_frames(v, f, 4, NULL);
    T_EQ_INT(n, 1);
    T_EQ_U64(f[0]->batch->from_seq, 21);
    T_EQ_U64(f[0]->batch->to_seq, 30);
    T_EQ_INT(f[0]->batch->n_events, 10);
    fx_release(f, n);
    /* a second joiner of the same tick shares the cached frame */
    uint64_t own = fx_w->st.own_encodes;
    viewer *v2 = fx_viewer(BATCH_PB, 0, 10);
    fx_join(v2, "r1");
    T_EQ_U64(fx_w->st.own_encodes, own);
    T_ASSERT(r->hcache[BATCH_VARIANT(BATCH_PB, 0)].rb != NULL);
    fx_viewer_free(v2);
    fx_viewer_free(v);
    fx_viewer_free(v0);
    fx_teardown();
}

static void test_resume_from_ring_and_other_epoch(void)
{
    fx_setup();
    viewer *v0;
    room_with(30, &v0);
    viewer *v = fx_viewer(BATCH_JSON, 0, 5);
    v->has_since = 1;
    v->since = 25;
    snprintf(v->since_epoch, sizeof v->since_epoch, "%s", EP);
    fx_join(v, "r1");
    T_ASSERT(fx_one_batch(v, 26, 30));
    /* another epoch: history 5 after a reset */
    viewer *w2 = fx_resumer(3, "old");
    w2->history = 5;
    fx_join(w2, "r1");
    Danmaku__Frame *f[4];
    int n = fx_frames(w2, f, 4, NULL);
    T_EQ_INT(n, 2);
    T_ASSERT(f[0]->msg_case == DANMAKU__FRAME__MSG_RESET);
    T_EQ_STR(f[0]->reset->reason, "epoch_changed");
    T_EQ_U64(f[0]->reset->from_seq, 26);
    T_EQ_U64(f[1]->batch->from_seq, 26);
    T_EQ_U64(f[1]->batch->to_seq, 30);
    fx_release(f, n);
    fx_viewer_free(w2);
    fx_viewer_free(v);
    fx_viewer_free(v0);
    fx_teardown();
}

static void test_resume_through_xrange(void)
{
    fx_setup();
    fx_conf.ring_events = 10;            /* the ring keeps 21..30 */
    viewer *v0;
    room *r = room_with(30, &v0);
    T_EQ_U64(r->ring.lo, 21);
    viewer *v = fx_resumer(12, EP);
    fx_join(v, "r1");
    T_EQ_INT(v->mode, VM_CATCHUP);
    fk_call *x = fk_last(FK_XRANGE);
    T_EQ_U64(x->from, 13);
    T_EQ_U64(x->to, 30);
    T_EQ_U64(x->count, 500);
    fx_answer_xrange(fx_index(x), fx_range(13, 30));
    T_EQ_INT(v->mode, VM_LIVE);
    T_ASSERT(fx_one_batch(v, 13, 30));
    fx_viewer_free(v);
    fx_viewer_free(v0);
    fx_teardown();
}

static void test_resume_trimmed_resets(void)
{
    fx_setup();
    fx_conf.ring_events = 10;
    viewer *v0;
    room_with(30, &v0);
    viewer *v = fx_resumer(4, EP);
    fx_join(v, "r1");
    fk_call *x = fk_last(FK_XRANGE);
    T_EQ_U64(x->from, 5);
    fx_answer_xrange(fx_index(x), fx_range(15, 30));   /* 5..14 trimmed */
    Danmaku__Frame *f[4];
    int n = fx_frames(v, f, 4, NULL);
    T_EQ_INT(n, 2);
    T_ASSERT(f[0]->msg_case == DANMAKU__FRAME__MSG_RESET);
    T_EQ_STR(f[0]->reset->reason, "trimmed");
    T_EQ_U64(f[0]->reset->from_seq, 15);
    T_EQ_U64(f[1]->batch->from_seq, 15);
    T_EQ_U64(f[1]->batch->to_seq, 30);
    fx_release(f, n);
    /* plain history whose start was trimmed: no reset */
    viewer *h = fx_viewer(BATCH_JSON, 0, 28);
    fx_join(h, "r1");
    x = fk_last(FK_XRANGE);
    T_EQ_U64(x->from, 3);
    fx_answer_xrange(fx_index(x), fx_range(15, 30));
    n = fx_frames(h, f, 4, NULL);
    T_EQ_INT(n, 1);
    T_ASSERT(f[0]->msg_case == DANMAKU__FRAME__MSG_BATCH);
    T_EQ_U64(f[0]->batch->from_seq, 15);
    fx_release(f, n);
    fx_viewer_free(h);
    fx_viewer_free(v);
    fx_viewer_free(v0);
    fx_teardown();
}

static void test_stalled_catchup_retried(void)
{
    fx_setup();
    fx_conf.ring_events = 10;
    viewer *v0;
    room_with(30, &v0);
    fk_cmd = 0;
    viewer *v = fx_viewer(BATCH_JSON, 0, 25);
    fx_join(v, "r1");
    T_ASSERT(v->catchup_stalled && v->req == NULL);
    T_EQ_INT(v->mode, VM_CATCHUP);
    fk_cmd = 1;
    intake_retry(fx_w);
    fk_call *x = fk_last(FK_XRANGE);
    T_ASSERT(x && x->tag == v->req);
    T_EQ_U64(x->from, 6);
    /* the link fails before the reply: stalled again, then retried */
    void *tag = x->tag;
    x->tag = NULL;
    intake_on_xrange(tag, 0, NULL, 0);
    T_ASSERT(v->catchup_stalled);
    intake_retry(fx_w);
    x = fk_last(FK_XRANGE);
    fx_answer_xrange(fx_index(x), fx_range(6, 30));
    T_EQ_INT(v->mode, VM_LIVE);
    Danmaku__Frame *f[4];
    int n = fx_frames(v, f, 4, NULL);
    T_EQ_INT(n, 1);
    T_EQ_U64(f[0]->batch->from_seq, 6);
    fx_release(f, n);
    fx_viewer_free(v);
    fx_viewer_free(v0);
    fx_teardown();
}

int main(void)
{
    T_RUN(test_plan_start);
    T_RUN(test_plan_reply);
    T_RUN(test_history_from_ring);
    T_RUN(test_resume_from_ring_and_other_epoch);
    T_RUN(test_resume_through_xrange);
    T_RUN(test_resume_trimmed_resets);
    T_RUN(test_stalled_catchup_retried);
    return T_DONE();
}

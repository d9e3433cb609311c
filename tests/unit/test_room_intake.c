/* test_room_intake.c — a room's stream intake and gap repair (edge/intake.c)
 * driven in-process with a fake Redis (room_fix.h): the join point, in-order
 * events, a seq jump -> one repair XRANGE from known+1, events held while
 * repairing merged with the repaired ones, duplicates dropped, a full page
 * read again, a trimmed stream -> reset "trimmed", an epoch change -> reset
 * "epoch_changed" (and a stale repair reply ignored), early events before
 * the join point, retries when the command link was down. */
#include "room_fix.h"

#define EP "e1e1e1e1e1e1e1e1"

/* The ring holds exactly a..b, contiguous. */
static int ring_is(const room *r, uint64_t a, uint64_t b)
{
    if (r->ring.n != b - a + 1 || r->ring.lo != a)
        return 0;
    for (uint64_t s = a; s <= b; s++) {
        evt *e = evring_get(&r->ring, s);
        if (!e || e->seq != s)
            return 0;
    }
    return 1;
}

static void test_join_point(void)
{
    fx_setup();
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    fx_join(v, "r1");
    /* meta first, SUBSCRIBE only after its reply */
    T_EQ_INT(fk_count(FK_META), 1);
    T_EQ_INT(fk_count(FK_SUB), 0);
    fx_answer_meta(fx_index(fk_last(FK_META)), EP, 10);
    T_EQ_INT(fk_count(FK_SUB), 1);
    T_EQ_STR(fk_last(FK_SUB)->room, "r1");
    room *r = room_find(fx_w, "r1", 2);
    T_ASSERT(r && r->ready && r->state == R_SUBSCRIBING);
    T_EQ_U64(r->known, 10);
    T_EQ_U64(r->delivered, 10);
    T_EQ_INT(v->mode, VM_LIVE);          /* history 0: nothing to catch up */
    /* confirmed: meta again, then the stream from known + 1 */
    intake_on_subscribed(fx_w, "r1", 2);
    T_EQ_INT(r->state, R_READY);
    T_EQ_INT(fk_count(FK_META), 2);
    fx_answer_meta(fx_index(fk_last(FK_META)), EP, 12);
    fk_call *x = fk_last(FK_XRANGE);
    T_ASSERT(x != NULL);
    T_EQ_U64(x->from, 11);
    T_EQ_U64(x->to, 0);
    T_EQ_U64(x->count, INTAKE_REPAIR_COUNT);
    fx_answer_xrange(fx_index(x), fx_range(11, 12));
    T_EQ_U64(r->known, 12);
    T_ASSERT(ring_is(r, 11, 12));
    fx_viewer_free(v);
    fx_teardown();
}

static void test_in_order_and_duplicates(void)
{
    fx_setup();
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 10, v);
    int nx = fk_count(FK_XRANGE);
    for (uint64_t s = 11; s <= 13; s++)
        fx_pub("r1", EP, s);
    fx_pub("r1", EP, 12);                /* duplicate: dropped */
    fx_pub("r1", EP, 5);                 /* older than the join point: dropped */
    T_EQ_U64(r->known, 13);
    T_ASSERT(ring_is(r, 11, 13));
    T_EQ_INT(r->nstash, 0);
    T_EQ_INT(fk_count(FK_XRANGE), nx);   /* no repair */
    T_ASSERT(r->tick_armed && flush_scheduled(&r->due));
    T_EQ_U64(fx_w->st.events_in, 5);
    deliver_flush_now(r);
    T_EQ_U64(r->delivered, 13);
    T_ASSERT(r->reset_reason == NULL);
    fx_viewer_free(v);
    fx_teardown();
}

static void test_jump_repair_merge(void)
{
    fx_setup();
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 10, v);
    int nx = fk_count(FK_XRANGE);
    fx_pub("r1", EP, 11);
    fx_pub("r1", EP, 14);                /* 12, 13 lost: held, repair */
    T_EQ_U64(r->known, 11);
    T_EQ_INT(r->nstash, 1);
    T_EQ_INT(fk_count(FK_XRANGE), nx + 1);
    fk_call *x = fk_last(FK_XRANGE);
    T_EQ_U64(x->from, 12);
    T_EQ_U64(x->to, 0);
    T_EQ_U64(fx_w->st.repairs, 2);       /* the join read and this one */
    fx_pub("r1", EP, 16);                /* while repairing: held, no 2nd read */
    fx_pub("r1", EP, 15);
    fx_pub("r1", EP, 12);                /* late but in order: held too */
    T_EQ_U64(r->known, 11);
    T_EQ_INT(fk_count(FK_XRANGE), nx + 1);
    T_EQ_INT(r->nstash, 4);
    /* the stream has 12..14 at read time; 12 and 14 are also held */
    fx_answer_xrange(fx_index(x), fx_range(12, 14));
    T_EQ_U64(r->known, 16);
    T_ASSERT(ring_is(r, 11, 16));
    T_EQ_INT(r->nstash, 0);
    T_ASSERT(r->repair_req == NULL);
    T_ASSERT(r->reset_reason == NULL);
    T_EQ_INT(fk_count(FK_XRANGE), nx + 1);
    fx_viewer_free(v);
    fx_teardown();
}

static void test_hole_after_repair_reads_again(void)
{
    fx_setup();
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 10, v);
    fx_pub("r1", EP, 13);
    fk_call *x = fk_last(FK_XRANGE);
    fx_pub("r1", EP, 20);                /* another loss after the read */
    fx_answer_xrange(fx_index(x), fx_range(11, 13));
    T_EQ_U64(r->known, 13);
    T_EQ_INT(r->nstash, 1);
    fk_call *y = fk_last(FK_XRANGE);
    T_ASSERT(y != x);
    T_EQ_U64(y->from, 14);
    fx_answer_xrange(fx_index(y), fx_range(14, 19));
    T_EQ_U64(r->known, 20);
    T_ASSERT(ring_is(r, 11, 20));
    fx_viewer_free(v);
    fx_teardown();
}

static void test_full_page_reads_on(void)
{
    fx_setup();
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 0, v);
    fx_pub("r1", EP, 1500);
    fk_call *x = fk_last(FK_XRANGE);
    T_EQ_U64(x->from, 1);
    fx_answer_xrange(fx_index(x), fx_range(1, INTAKE_REPAIR_COUNT));
    T_EQ_U64(r->known, INTAKE_REPAIR_COUNT);
    fk_call *y = fk_last(FK_XRANGE);
    T_ASSERT(y != x);
    T_EQ_U64(y->from, INTAKE_REPAIR_COUNT + 1);
    fx_answer_xrange(fx_index(y), fx_range(INTAKE_REPAIR_COUNT + 1, 1499));
    T_EQ_U64(r->known, 1500);
    T_EQ_INT(r->nstash, 0);
    fx_viewer_free(v);
    fx_teardown();
}

static void test_trimmed_resets(void)
{
    fx_setup();
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 10, v);
    fx_pub("r1", EP, 11);
    fx_pub("r1", EP, 16);
    fk_call *x = fk_last(FK_XRANGE);
    T_EQ_U64(x->from, 12);
    /* 12..13 trimmed away: the stream starts at 14 */
    fx_answer_xrange(fx_index(x), fx_range(14, 15));
    T_EQ_U64(r->known, 16);
    T_EQ_STR(r->reset_reason, "trimmed");
    T_EQ_U64(r->delivered, 13);          /* 11 flushed before the jump */
    T_ASSERT(ring_is(r, 14, 16));
    /* the viewer got 11, then a reset at 14 before 14..16 */
    deliver_flush_now(r);
    Danmaku__Frame *f[8];
    int n = fx_frames(v, f, 8, NULL);
    T_EQ_INT(n, 3);
    T_ASSERT(f[0]->msg_case == DANMAKU__FRAME__MSG_BATCH);
    T_EQ_U64(f[0]->batch->from_seq, 11);
    T_EQ_U64(f[0]->batch->to_seq, 11);
    T_ASSERT(f[1]->msg_case == DANMAKU__FRAME__MSG_RESET);
    T_EQ_STR(f[1]->reset->reason, "trimmed");
    T_EQ_U64(f[1]->reset->from_seq, 14);
    T_ASSERT(f[2]->msg_case == DANMAKU__FRAME__MSG_BATCH);
    T_EQ_U64(f[2]->batch->from_seq, 14);
    T_EQ_U64(f[2]->batch->to_seq, 16);
    fx_release(f, n);
    T_ASSERT(r->reset_reason == NULL);
    fx_viewer_free(v);
    fx_teardown();
}

static void test_empty_repair_jumps_to_hole(void)
{
    fx_setup();
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 10, v);
    fx_pub("r1", EP, 14);
    fx_answer_xrange(fx_index(fk_last(FK_XRANGE)), 0);   /* 11..13 gone */
    T_EQ_U64(r->known, 14);
    T_EQ_U64(r->delivered, 13);
    T_EQ_STR(r->reset_reason, "trimmed");
    T_EQ_INT(r->nstash, 0);
    fx_viewer_free(v);
    fx_teardown();
}

static void test_epoch_change_resets(void)
{
    fx_setup();
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 10, v);
    fx_pub("r1", EP, 11);
    fx_pub("r1", EP, 13);                /* a repair is in flight */
    fk_call *stale = fk_last(FK_XRANGE);
    uint64_t gen = r->epoch_gen;
    fx_pub("r1", "e2e2e2e2e2e2e2e2", 1);   /* Redis lost its data */
    T_EQ_STR(r->epoch, "e2e2e2e2e2e2e2e2");
    T_EQ_U64(r->epoch_gen, gen + 1);
    T_EQ_STR(r->reset_reason, "epoch_changed");
    T_EQ_U64(r->known, 1);
    T_ASSERT(ring_is(r, 1, 1));
    T_EQ_INT(r->nstash, 0);
    T_ASSERT(r->repair_req == NULL);
    T_EQ_U64(v->next_seq, 1);
    T_EQ_INT(v->mode, VM_LIVE);
    /* the old epoch's repair reply changes nothing */
    fx_answer_xrange(fx_index(stale), fx_range(12, 13));
    T_EQ_U64(r->known, 1);
    T_ASSERT(ring_is(r, 1, 1));
    fx_pub("r1", "e2e2e2e2e2e2e2e2", 2);
    T_EQ_U64(r->known, 2);
    deliver_flush_now(r);
    Danmaku__Frame *f[8];
    int n = fx_frames(v, f, 8, NULL);
    /* 11 of the old epoch, then the reset, then 1..2 of the new one */
    T_EQ_INT(n, 3);
    T_ASSERT(f[0]->msg_case == DANMAKU__FRAME__MSG_BATCH && f[0]->batch->to_seq == 11);
    T_ASSERT(f[1]->msg_case == DANMAKU__FRAME__MSG_RESET);
    T_EQ_STR(f[1]->reset->reason, "epoch_changed");
    T_EQ_STR(f[1]->reset->epoch, "e2e2e2e2e2e2e2e2");
    T_EQ_U64(f[1]->reset->from_seq, 1);
    T_ASSERT(f[2]->msg_case == DANMAKU__FRAME__MSG_BATCH);
    T_EQ_U64(f[2]->batch->from_seq, 1);
    T_EQ_U64(f[2]->batch->to_seq, 2);
    fx_release(f, n);
    fx_viewer_free(v);
    fx_teardown();
}

static void test_meta_epoch_change(void)
{
    fx_setup();
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 10, v);
    /* a resubscribe after a reconnect reads meta: a new epoch there resets too */
    intake_on_sub_down(fx_w);
    T_EQ_INT(r->state, R_SUBSCRIBING);
    intake_on_sub_up(fx_w);
    intake_on_subscribed(fx_w, "r1", 2);
    fx_answer_meta(fx_index(fk_last(FK_META)), "e3e3e3e3e3e3e3e3", 4);
    T_EQ_STR(r->reset_reason, "epoch_changed");
    T_EQ_U64(r->known, 0);
    fk_call *x = fk_last(FK_XRANGE);
    T_EQ_U64(x->from, 1);
    fx_answer_xrange(fx_index(x), fx_range(1, 4));
    T_EQ_U64(r->known, 4);
    T_ASSERT(ring_is(r, 1, 4));
    fx_viewer_free(v);
    fx_teardown();
}

static void test_early_events_held_until_join_point(void)
{
    fx_setup();
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    fx_join(v, "r1");
    room *r = room_find(fx_w, "r1", 2);
    fx_pub("r1", EP, 12);                /* before meta answered */
    T_EQ_INT(r->nstash, 1);
    fx_answer_meta(fx_index(fk_last(FK_META)), EP, 10);
    intake_on_subscribed(fx_w, "r1", 2);
    fx_answer_meta(fx_index(fk_last(FK_META)), EP, 12);
    fk_call *x = fk_last(FK_XRANGE);
    T_EQ_U64(x->from, 11);
    fx_answer_xrange(fx_index(x), fx_range(11, 12));
    T_EQ_U64(r->known, 12);
    T_ASSERT(ring_is(r, 11, 12));
    T_EQ_INT(r->nstash, 0);
    fx_viewer_free(v);
    fx_teardown();
}

static void test_link_down_retried(void)
{
    fx_setup();
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 10, v);
    fk_cmd = 0;
    fx_pub("r1", EP, 12);                /* repair cannot be sent */
    T_ASSERT(r->need_repair && !r->repair_req);
    intake_retry(fx_w);                  /* link still down: nothing */
    T_ASSERT(r->need_repair);
    fk_cmd = 1;
    int nm = fk_count(FK_META);
    intake_retry(fx_w);                  /* meta again, its reply repairs */
    T_EQ_INT(fk_count(FK_META), nm + 1);
    fx_answer_meta(fx_index(fk_last(FK_META)), EP, 12);
    fk_call *x = fk_last(FK_XRANGE);
    T_EQ_U64(x->from, 11);
    fx_answer_xrange(fx_index(x), fx_range(11, 12));
    T_EQ_U64(r->known, 12);
    fx_viewer_free(v);
    fx_teardown();
}

static void test_unsubscribe_when_empty(void)
{
    fx_setup();
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    fx_ready_room("r1", EP, 10, v);
    fx_viewer_free(v);
    T_ASSERT(fx_w->reap_rooms);
    intake_reap_empty(fx_w);
    T_EQ_INT(fk_count(FK_UNSUB), 1);
    room *r = room_find(fx_w, "r1", 2);
    T_ASSERT(r && r->state == R_UNSUBSCRIBING);
    /* a viewer comes back before the reply: subscribed again from scratch */
    viewer *v2 = fx_viewer(BATCH_JSON, 0, 0);
    fx_join(v2, "r1");
    T_ASSERT(r->resubscribe);
    int nm = fk_count(FK_META);
    intake_on_unsubscribed(fx_w, "r1", 2);
    T_ASSERT(room_find(fx_w, "r1", 2) == r);
    T_EQ_INT(r->state, R_SUBSCRIBING);
    T_ASSERT(!r->ready);
    T_EQ_INT(fk_count(FK_META), nm + 1);
    fx_viewer_free(v2);
    intake_reap_empty(fx_w);             /* still subscribing: pub/sub not sent */
    fx_teardown();
}

int main(void)
{
    T_RUN(test_join_point);
    T_RUN(test_in_order_and_duplicates);
    T_RUN(test_jump_repair_merge);
    T_RUN(test_hole_after_repair_reads_again);
    T_RUN(test_full_page_reads_on);
    T_RUN(test_trimmed_resets);
    T_RUN(test_empty_repair_jumps_to_hole);
    T_RUN(test_epoch_change_resets);
    T_RUN(test_meta_epoch_change);
    T_RUN(test_early_events_held_until_join_point);
    T_RUN(test_link_down_retried);
    T_RUN(test_unsubscribe_when_empty);
    return T_DONE();
}

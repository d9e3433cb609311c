/* test_viewer_slow.c — the slow-viewer grades (docs/PROTOCOL.md §7): the
 * pure policy viewer_slow_grade (full, degraded past a soft cap, closed past
 * a hard cap, recovered only when the output drains), and what a degraded
 * viewer receives from a room tick (comment runs as gap frames with exact
 * bounds, gifts as batches, every seq covered once, in order) next to a
 * healthy viewer of the same room, comment-only ticks of a backlogged viewer
 * coalesced into one owed gap, then the close with 4429. In-process
 * (room_fix.h): fake viewers queue frames in their evbuffer. */
#include "room_fix.h"

#define EP "e1e1e1e1e1e1e1e1"

static void test_grades(void)
{
    edge_conf c;
    memset(&c, 0, sizeof c);
    c.slow_soft_bytes = 1000;
    c.slow_hard_bytes = 5000;
    c.slow_soft_age_ms = 2000;
    c.slow_hard_age_ms = 7000;
    T_EQ_INT(viewer_slow_grade(&c, 0, 0, 0), VS_FULL);
    T_EQ_INT(viewer_slow_grade(&c, 1000, 2000, 0), VS_FULL);       /* at the caps: still full */
    T_EQ_INT(viewer_slow_grade(&c, 1001, 0, 0), VS_DEGRADED);      /* first byte cap */
    T_EQ_INT(viewer_slow_grade(&c, 1, 2001, 0), VS_DEGRADED);      /* first age cap */
    T_EQ_INT(viewer_slow_grade(&c, 1, 0, 1), VS_DEGRADED);         /* stays degraded while queued */
    T_EQ_INT(viewer_slow_grade(&c, 5000, 7000, 1), VS_DEGRADED);
    T_EQ_INT(viewer_slow_grade(&c, 5001, 0, 0), VS_CLOSE);         /* second byte cap */
    T_EQ_INT(viewer_slow_grade(&c, 1, 7001, 1), VS_CLOSE);         /* second age cap */
    T_EQ_INT(viewer_slow_grade(&c, 0, 99999, 1), VS_FULL);         /* drained: recovered */
}

/* Queues `n` filler bytes on v (a backlog the socket did not take). */
static void backlog(viewer *v, size_t n)
{
    char *b = calloc(1, n);
    evbuffer_add(v->out, b, n);
    free(b);
}

static void test_degraded_delivery(void)
{
    fx_setup();
    fx_conf.slow_soft_bytes = 4096;
    fx_conf.slow_hard_bytes = 1 << 20;
    viewer *good = fx_viewer(BATCH_JSON, 0, 0);
    viewer *slow = fx_viewer(BATCH_JSON, 0, 0);
    room *r = fx_ready_room("r1", EP, 0, good);
    fx_join(slow, "r1");
    T_EQ_INT(slow->mode, VM_LIVE);
    /* 1..3 comments, 4 gift, 5..6 comments, 7 gift */
    int kinds[] = {0, FX_COMMENT, FX_COMMENT, FX_COMMENT, FX_GIFT, FX_COMMENT, FX_COMMENT, FX_GIFT};
    for (uint64_t s = 1; s <= 7; s++)
        fx_pub_kind("r1", EP, s, kinds[s]);
    Danmaku__Frame *f[16];
    int n = fx_frames(slow, f, 16, NULL);   /* nothing yet: drains nothing */
    T_EQ_INT(n, 0);
    backlog(slow, 5000);                     /* past the first cap */
    deliver_flush_now(r);
    T_EQ_INT(slow->slow, 1);
    T_EQ_U64(fx_w->st.slow_degraded, 1);
    /* the good viewer: one batch 1..7 */
    n = fx_frames(good, f, 16, NULL);
    T_EQ_INT(n, 1);
    T_ASSERT(f[0]->msg_case == DANMAKU__FRAME__MSG_BATCH);
    T_EQ_U64(f[0]->batch->from_seq, 1);
    T_EQ_U64(f[0]->batch->to_seq, 7);
    T_EQ_INT(f[0]->batch->n_events, 7);
    fx_release(f, n);
    /* the slow one: gap 1..3, gift 4, gap 5..6, gift 7 (after the backlog) */
    evbuffer_drain(slow->out, 5000);
    n = fx_frames(slow, f, 16, NULL);
    T_EQ_INT(n, 4);
    T_ASSERT(f[0]->msg_case == DANMAKU__FRAME__MSG_GAP);
    T_EQ_U64(f[0]->gap->from_seq, 1);
    T_EQ_U64(f[0]->gap->to_seq, 3);
    T_EQ_STR(f[0]->gap->reason, "slow");
    T_ASSERT(f[1]->msg_case == DANMAKU__FRAME__MSG_BATCH);
    T_EQ_U64(f[1]->batch->from_seq, 4);
    T_EQ_U64(f[1]->batch->to_seq, 4);
    T_ASSERT(f[2]->msg_case == DANMAKU__FRAME__MSG_GAP);
    T_EQ_U64(f[2]->gap->from_seq, 5);
    T_EQ_U64(f[2]->gap->to_seq, 6);
    T_ASSERT(f[3]->msg_case == DANMAKU__FRAME__MSG_BATCH);
    T_EQ_U64(f[3]->batch->from_seq, 7);
    fx_release(f, n);
    T_EQ_U64(fx_w->st.gaps_sent, 2);
    T_EQ_U64(slow->next_seq, 8);
    fx_viewer_free(good);
    fx_viewer_free(slow);
    fx_teardown();
}

static void test_close_at_second_cap(void)
{
    fx_setup();
    fx_conf.slow_soft_bytes = 1000;
    fx_conf.slow_hard_bytes = 8000;
    viewer *good = fx_viewer(BATCH_PB, 1, 0);
    viewer *slow = fx_viewer(BATCH_PB, 1, 0);
    room *r = fx_ready_room("r1", EP, 0, good);
    fx_join(slow, "r1");
    T_EQ_INT(r->nviewers, 2);
    backlog(slow, 9000);
    fx_pub("r1", EP, 1);
    deliver_flush_now(r);
    T_EQ_INT(slow->state, V_CLOSING);
    T_ASSERT(slow->room == NULL);        /* left the room */
    T_EQ_INT(r->nviewers, 1);
    T_EQ_U64(fx_w->st.slow_closed, 1);
    evbuffer_drain(slow->out, 9000);
    Danmaku__Frame *f[4];
    int code;
    int n = fx_frames(slow, f, 4, &code);
    T_EQ_INT(n, 0);                      /* no frame, only the close */
    T_EQ_INT(code, WS_CLOSE_SLOW);
    n = fx_frames(good, f, 4, NULL);
    T_EQ_INT(n, 1);
    T_EQ_U64(f[0]->batch->from_seq, 1);
    fx_release(f, n);
    fx_viewer_free(good);
    fx_viewer_free(slow);
    fx_teardown();
}

/* A degraded, backlogged viewer gets no frame per tick for comments only:
 * the skipped seqs add up to ONE gap, sent before its next frame (here a
 * gift) or when its output drains; a recovered viewer gets full batches. */
static void test_owed_gap_coalesced(void)
{
    fx_setup();
    fx_conf.slow_soft_bytes = 4096;
    viewer *good = fx_viewer(BATCH_PB, 1, 0);
    viewer *slow = fx_viewer(BATCH_PB, 1, 0);
    room *r = fx_ready_room("r1", EP, 0, good);
    fx_join(slow, "r1");
    backlog(slow, 5000);
    Danmaku__Frame *f[16];
    for (uint64_t s = 1; s <= 9; s++) {      /* three ticks of comments */
        fx_pub("r1", EP, s);
        if (s % 3 == 0)
            deliver_flush_now(r);
    }
    T_EQ_INT(evbuffer_get_length(slow->out), 5001);   /* nothing queued behind the backlog */
    T_EQ_U64(slow->next_seq, 10);
    T_EQ_U64(fx_w->st.gaps_sent, 0);
    fx_pub_kind("r1", EP, 10, FX_GIFT);       /* a gift: owed gap first, then it */
    deliver_flush_now(r);
    evbuffer_drain(slow->out, 5000);
    int n = fx_frames(slow, f, 16, NULL);
    T_EQ_INT(n, 2);
    T_ASSERT(f[0]->msg_case == DANMAKU__FRAME__MSG_GAP);
    T_EQ_U64(f[0]->gap->from_seq, 1);
    T_EQ_U64(f[0]->gap->to_seq, 9);
    T_EQ_STR(f[0]->gap->reason, "slow");
    T_ASSERT(f[1]->msg_case == DANMAKU__FRAME__MSG_BATCH);
    T_EQ_U64(f[1]->batch->from_seq, 10);
    T_EQ_U64(f[1]->batch->to_seq, 10);
    fx_release(f, n);
    backlog(slow, 5000);                       /* backlogged again: 11..12 owed */
    fx_pub("r1", EP, 11);
    fx_pub("r1", EP, 12);
    deliver_flush_now(r);
    T_EQ_INT(evbuffer_get_length(slow->out), 5001);
    evbuffer_drain(slow->out, 5000);
    deliver_on_drained(slow);                  /* the output drained: the gap goes */
    n = fx_frames(slow, f, 16, NULL);
    T_EQ_INT(n, 1);
    T_ASSERT(f[0]->msg_case == DANMAKU__FRAME__MSG_GAP);
    T_EQ_U64(f[0]->gap->from_seq, 11);
    T_EQ_U64(f[0]->gap->to_seq, 12);
    fx_release(f, n);
    deliver_on_drained(slow);                  /* nothing owed: nothing */
    T_EQ_INT(evbuffer_get_length(slow->out), 1);
    slow->slow = 0;                            /* recovered: full batches */
    fx_pub("r1", EP, 13);
    deliver_flush_now(r);
    T_ASSERT(fx_one_batch(slow, 13, 13));
    T_EQ_U64(fx_w->st.gaps_sent, 2);
    /* the good viewer got every seq in full batches */
    n = fx_frames(good, f, 16, NULL);
    uint64_t next = 1;
    for (int i = 0; i < n; i++) {
        T_ASSERT(f[i]->msg_case == DANMAKU__FRAME__MSG_BATCH);
        T_EQ_U64(f[i]->batch->from_seq, next);
        next = f[i]->batch->to_seq + 1;
    }
    T_EQ_U64(next, 14);
    fx_release(f, n);
    fx_viewer_free(good);
    fx_viewer_free(slow);
    fx_teardown();
}

int main(void)
{
    T_RUN(test_grades);
    T_RUN(test_degraded_delivery);
    T_RUN(test_close_at_second_cap);
    T_RUN(test_owed_gap_coalesced);
    return T_DONE();
}

/* test_bench_track.c — completeness accounting with injected missing,
 * duplicated, out-of-order events, explicit gaps and resets. */
#include "t.h"
#include "../../bench/bench_track.h"

static uint64_t acked[1000];
static size_t acked_range(uint64_t lo, uint64_t hi)
{
    size_t n = 0;
    for (uint64_t s = lo; s <= hi; s++) acked[n++] = s;
    return n;
}

static void test_complete_in_order(void)
{
    track t; track_init(&t);
    for (uint64_t s = 1; s <= 100; s++) track_event(&t, s);
    T_EQ_U64(t.received, 100); T_EQ_U64(t.dup, 0); T_EQ_U64(t.ooo, 0);
    T_EQ_U64(track_missing(&t, acked, acked_range(1, 100)), 0);
    /* acked but never delivered at the tail */
    T_EQ_U64(track_missing(&t, acked, acked_range(1, 103)), 3);
}

static void test_missing_events(void)
{
    track t; track_init(&t);
    for (uint64_t s = 1; s <= 100; s++)
        if (s != 10 && s != 50 && s != 51) track_event(&t, s);
    T_EQ_U64(t.received, 97);
    T_EQ_U64(track_missing(&t, acked, acked_range(1, 100)), 3);
    T_ASSERT(!track_has(&t, 50) && track_has(&t, 52));
}

static void test_missing_at_start(void)
{
    track t; track_init(&t);
    for (uint64_t s = 5; s <= 20; s++) track_event(&t, s);
    T_EQ_U64(track_missing(&t, acked, acked_range(1, 20)), 4);
    track u; track_init(&u);
    T_EQ_U64(track_missing(&u, acked, acked_range(1, 20)), 20);
}

static void test_duplicates(void)
{
    track t; track_init(&t);
    for (uint64_t s = 1; s <= 10; s++) { track_event(&t, s); if (s % 5 == 0) track_event(&t, s); }
    track_event(&t, 3);
    T_EQ_U64(t.dup, 3); T_EQ_U64(t.received, 10); T_EQ_U64(t.ooo, 0);
    T_EQ_U64(track_missing(&t, acked, acked_range(1, 10)), 0);
}

static void test_out_of_order(void)
{
    track t; track_init(&t);
    uint64_t order[] = { 1, 2, 4, 5, 3, 8, 7, 6, 9, 10, 7 };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) track_event(&t, order[i]);
    T_EQ_U64(t.received, 10);
    T_EQ_U64(t.ooo, 3);    /* 3, 7, 6 filled holes */
    T_EQ_U64(t.dup, 1);    /* the second 7 */
    T_EQ_INT(t.nholes, 0);
    T_EQ_U64(track_missing(&t, acked, acked_range(1, 10)), 0);
}

static void test_before_first(void)
{
    track t; track_init(&t);
    track_event(&t, 10); track_event(&t, 11); track_event(&t, 5);
    T_EQ_U64(t.ooo, 1);
    T_EQ_U64(track_missing(&t, acked, acked_range(5, 11)), 4); /* 6..9 */
    track_event(&t, 7);
    T_EQ_U64(track_missing(&t, acked, acked_range(5, 11)), 3);
}

static void test_explicit_gap_not_missing(void)
{
    track t; track_init(&t);
    for (uint64_t s = 1; s <= 10; s++) track_event(&t, s);
    track_gap(&t, 11, 30);
    for (uint64_t s = 31; s <= 40; s++) track_event(&t, s);
    T_EQ_U64(t.gap_events, 20); T_EQ_U64(t.gap_frames, 1);
    T_EQ_U64(t.received, 20);
    T_EQ_U64(track_missing(&t, acked, acked_range(1, 40)), 0);
    /* a gap that skips part of what was already a hole */
    track u; track_init(&u);
    track_event(&u, 1); track_event(&u, 10);          /* hole 2..9 */
    track_gap(&u, 4, 6);
    T_EQ_U64(u.gap_events, 3);
    T_EQ_U64(track_missing(&u, acked, acked_range(1, 10)), 5); /* 2,3,7,8,9 */
}

static void test_reset_skip_and_epoch(void)
{
    track t; track_init(&t);
    for (uint64_t s = 1; s <= 10; s++) track_event(&t, s);
    track_reset(&t, 21);              /* trimmed: 11..20 explicitly skipped */
    for (uint64_t s = 21; s <= 25; s++) track_event(&t, s);
    T_EQ_U64(t.reset_events, 10); T_EQ_U64(t.resets, 1);
    T_EQ_U64(track_missing(&t, acked, acked_range(1, 25)), 0);
    track_reset(&t, 1);               /* epoch changed: seq space restarts */
    T_EQ_U64(t.epoch_resets, 1);
    track_event(&t, 1);
    T_EQ_U64(t.dup, 0);
}

static void test_many_holes_bounded(void)
{
    track t; track_init(&t);
    for (uint64_t s = 1; s <= 400; s += 2) track_event(&t, s);   /* every even missing */
    T_ASSERT(t.nholes <= TRACK_MAX_HOLES);
    T_EQ_U64(track_missing(&t, acked, acked_range(1, 399)), 199);
}

int main(void)
{
    T_RUN(test_complete_in_order);
    T_RUN(test_missing_events);
    T_RUN(test_missing_at_start);
    T_RUN(test_duplicates);
    T_RUN(test_out_of_order);
    T_RUN(test_before_first);
    T_RUN(test_explicit_gap_not_missing);
    T_RUN(test_reset_skip_and_epoch);
    T_RUN(test_many_holes_bounded);
    return T_DONE();
}

/* test_edge_tick.c — the adaptive per-room tick: write-cost measurement,
 * floor tick for small rooms, a huge room stretched so the worker's frame
 * writes fit its budget, clamping to --tick-max-ms. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../../edge/wctx.h"
#include "../../edge/room.h"
#include "../../edge/tick.h"
#include "t.h"

static edge_conf conf;
static worker *w;

static room *add_room(size_t viewers, int active)
{
    room *r = calloc(1, sizeof *r);
    r->w = w;
    r->nviewers = viewers;
    r->recent_events = active ? 10 : 0;
    r->hnext = w->rooms.buckets[0];
    w->rooms.buckets[0] = r;
    w->rooms.n++;
    return r;
}

static void setup(void)
{
    memset(&conf, 0, sizeof conf);
    conf.tick_ms = 50;
    conf.tick_max_ms = 1000;   /* the test sets its own bound */
    conf.write_budget = 70;
    w = calloc(1, sizeof *w);
    w->conf = &conf;
    w->rooms.nbuckets = 1;
    w->rooms.buckets = calloc(1, sizeof(room *));
}

static void teardown(void)
{
    for (room *r = w->rooms.buckets[0], *nx; r; r = nx) {
        nx = r->hnext;
        free(r);
    }
    free(w->rooms.buckets);
    free(w);
}

static void test_cost_measurement(void)
{
    setup();
    tick_note_flush(w, 10, 1000);          /* too few frames: ignored */
    T_ASSERT(w->write_cost_us == 0);
    tick_note_flush(w, 1000, 3000);
    T_ASSERT(fabs(w->write_cost_us - 3.0) < 1e-9);
    tick_note_flush(w, 1000, 8000);        /* EWMA 0.8 / 0.2 */
    T_ASSERT(fabs(w->write_cost_us - 4.0) < 1e-9);
    teardown();
}

static void test_small_rooms_keep_floor_big_room_stretches(void)
{
    setup();
    w->write_cost_us = 5.0;                /* 140 writes/ms at 70 % */
    room *big = add_room(20000, 1);
    room *s1 = add_room(100, 1);
    room *s2 = add_room(10, 1);
    room *idle = add_room(50, 0);
    tick_adapt(w);
    T_EQ_INT(s1->tick_ms, 50);
    T_EQ_INT(s2->tick_ms, 50);
    T_EQ_INT(idle->tick_ms, 50);
    /* big gets what the small rooms leave: 140 - 2.2 writes/ms */
    T_ASSERT(big->tick_ms >= 140 && big->tick_ms <= 150);
    double load = 20000.0 / big->tick_ms + 100.0 / 50 + 10.0 / 50;
    T_ASSERT(load <= 140.0 * 1.01);
    T_EQ_INT(w->active_rooms, 3);
    T_EQ_INT(w->max_tick_ms, big->tick_ms);
    T_EQ_INT(big->recent_events, 0);       /* window restarts */
    teardown();
}

static void test_two_big_rooms_share(void)
{
    setup();
    w->write_cost_us = 5.0;
    room *a = add_room(20000, 1);
    room *b = add_room(20000, 1);
    tick_adapt(w);
    T_EQ_INT(a->tick_ms, b->tick_ms);
    T_ASSERT(a->tick_ms >= 280 && a->tick_ms <= 290);   /* 20000 / 70 */
    teardown();
}

static void test_clamped_and_fixed(void)
{
    setup();
    w->write_cost_us = 5.0;
    room *huge = add_room(1000000, 1);
    tick_adapt(w);
    T_EQ_INT(huge->tick_ms, 1000);
    conf.tick_max_ms = 50;                 /* fixed tick */
    tick_adapt(w);
    T_EQ_INT(huge->tick_ms, 50);
    teardown();
}

static void test_new_room_estimate(void)
{
    setup();
    w->write_cost_us = 5.0;
    room *r = add_room(14000, 1);
    T_EQ_INT(tick_for(r), 100);            /* 14000 / 140 per ms, one active room */
    r->tick_ms = 77;
    T_EQ_INT(tick_for(r), 77);
    teardown();
}

int main(void)
{
    T_RUN(test_cost_measurement);
    T_RUN(test_small_rooms_keep_floor_big_room_stretches);
    T_RUN(test_two_big_rooms_share);
    T_RUN(test_clamped_and_fixed);
    T_RUN(test_new_room_estimate);
    return T_DONE();
}

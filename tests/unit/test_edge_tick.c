/* test_edge_tick.c — the worker's room tick: the all-in cost per frame and
 * the frame budget, rates and the active list (idle rooms cost nothing),
 * the load model viewers * min(rate, 1000 / T), the shortest tick whose load
 * fits the budget, clamping to --tick-ms / --tick-max-ms. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../../edge/wctx.h"
#include "../../edge/room.h"
#include "../../edge/tick.h"
#include "t.h"

static edge_conf conf;
static worker *w;
static room *rooms[64];
static size_t nrooms;

/* A room with `viewers` and a measured rate (events/s; 0: idle, not on the
 * active list). */
static room *add_room(size_t viewers, double rate)
{
    room *r = calloc(1, sizeof *r);
    r->w = w;
    r->nviewers = viewers;
    if (rate > 0) {
        r->rate = rate;
        room_set_active(r);
    }
    rooms[nrooms++] = r;
    return r;
}

static void setup(void)
{
    memset(&conf, 0, sizeof conf);
    conf.tick_ms = 50;
    conf.tick_max_ms = 1000;
    conf.write_budget = 70;
    w = calloc(1, sizeof *w);
    w->conf = &conf;
    nrooms = 0;
}

static void teardown(void)
{
    for (size_t i = 0; i < nrooms; i++) {
        room_clear_active(rooms[i]);
        free(rooms[i]);
    }
    T_ASSERT(w->active == NULL && w->nactive == 0);
    free(w);
}

/* Cost = max(CPU, flush wall time) per frame over a sample, EWMA 0.5;
 * budget = write_budget % of a second / cost. */
static void test_cost_and_budget(void)
{
    setup();
    tick_sample(w, 1000000, 0);             /* first call: baseline only */
    T_ASSERT(w->write_cost_us == 0);
    w->st.frames = 50;                      /* too few frames: cost kept */
    tick_sample(w, 2000000, 500000);
    T_ASSERT(w->write_cost_us == 0);
    T_ASSERT(fabs(w->frame_budget - 0.7e6 / 6.0) < 1e-6);   /* initial 6 us */
    w->st.frames += 100000;                 /* 100k frames, 0.5 s CPU: 5 us */
    tick_sample(w, 3000000, 1000000);
    T_ASSERT(fabs(w->write_cost_us - 5.0) < 1e-9);
    T_ASSERT(fabs(w->frame_budget - 140000.0) < 1e-6);
    w->st.frames += 100000;                 /* CPU 0.3 s, flushes took 0.9 s wall */
    tick_note_flush(w, 100000, 900000);
    tick_sample(w, 4000000, 1300000);
    T_ASSERT(fabs(w->write_cost_us - 7.0) < 1e-9);   /* (5 + 9) / 2 */
    tick_sample(w, 4100000, 1400000);       /* < 200 ms since the last: ignored */
    T_ASSERT(fabs(w->write_cost_us - 7.0) < 1e-9);
    teardown();
}

/* Rates: EWMA of events per second; a room without events decays and leaves
 * the active list (unless a flush is armed). */
static void test_rates_and_active_list(void)
{
    setup();
    tick_sample(w, 1000000, 0);
    room *a = add_room(10, 0), *b = add_room(10, 0);
    T_EQ_INT(w->nactive, 0);
    tick_note_events(a, 20);
    tick_note_events(a, 20);
    T_EQ_INT(w->nactive, 1);
    tick_sample(w, 2000000, 0);
    T_ASSERT(fabs(a->rate - 40.0) < 1e-9);
    T_EQ_INT(a->recent_events, 0);
    tick_note_events(a, 20);
    tick_sample(w, 3000000, 0);
    T_ASSERT(fabs(a->rate - 30.0) < 1e-9);
    b->tick_armed = 1;
    tick_note_events(b, 1);
    for (int i = 0; i < 12; i++)            /* 30 / 2^10 < 0.05 */
        tick_sample(w, 4000000 + (uint64_t)i * 1000000, 0);
    T_ASSERT(a->aprev == NULL && a->rate == 0);
    T_ASSERT(b->aprev != NULL);             /* armed: stays */
    T_EQ_INT(w->nactive, 1);
    teardown();
}

/* load(T) = sum viewers * min(rate, 1000 / T): quiet rooms cost their rate. */
static void test_load_model(void)
{
    setup();
    add_room(10, 5);                        /* 5 ev/s < 20 ticks/s: 50 frames/s */
    add_room(100, 100);                     /* capped by ticks: 100 * 20 */
    add_room(1000, 0);                      /* idle: nothing */
    T_ASSERT(fabs(tick_load(w, 50) - (50 + 2000)) < 1e-9);
    T_ASSERT(fabs(tick_load(w, 500) - (20 + 200)) < 1e-9);
    teardown();
}

static void test_small_rooms_keep_the_floor(void)
{
    setup();
    w->frame_budget = 140000;
    for (int i = 0; i < 50; i++)            /* 50 rooms x 10 viewers x 10 ev/s */
        add_room(10, 10);
    T_EQ_INT(tick_choose(w), 50);
    T_EQ_INT(tick_for(rooms[0]), 50);
    teardown();
}

/* Writes run short: the common tick stretches until the load fits. */
static void test_stretch_to_fit(void)
{
    setup();
    w->frame_budget = 60000;
    add_room(10000, 1000);                  /* hot room: 10000 * 1000 / T */
    uint32_t t = tick_choose(w);
    T_ASSERT(t >= 166 && t <= 168);
    T_ASSERT(tick_load(w, t) <= 60000);
    T_ASSERT(tick_load(w, t - 2) > 60000);  /* the shortest that fits (1 ms bisection) */
    T_EQ_INT(w->tick_ms, t);
    teardown();

    setup();                                /* the long tail: 1000 rooms x 10 viewers */
    w->frame_budget = 60000;
    for (int i = 0; i < 64; i++)
        add_room(160, 10);                  /* 10240 viewers at 10 ev/s = 102400 frames/s at T <= 100 */
    t = tick_choose(w);
    T_ASSERT(t >= 170 && t <= 172);         /* 10240 * 1000 / T = 60000 */
    teardown();
}

static void test_clamped(void)
{
    setup();
    w->frame_budget = 1000;
    add_room(1000000, 1000);
    T_EQ_INT(tick_choose(w), 1000);         /* --tick-max-ms */
    conf.tick_max_ms = 50;                  /* fixed tick */
    T_EQ_INT(tick_choose(w), 50);
    teardown();

    setup();                                /* no budget measured yet: the floor */
    add_room(1000000, 1000);
    T_EQ_INT(tick_for(rooms[0]), 50);
    T_EQ_INT(tick_choose(w), 50);
    teardown();
}

int main(void)
{
    T_RUN(test_cost_and_budget);
    T_RUN(test_rates_and_active_list);
    T_RUN(test_load_model);
    T_RUN(test_small_rooms_keep_the_floor);
    T_RUN(test_stretch_to_fit);
    T_RUN(test_clamped);
    return T_DONE();
}

/* test_edge_flush.c — the worker's flush wheel (edge/flush.c) on a real
 * libevent loop: rooms due in the same grid slot are flushed in one pass,
 * never before their due time; an immediate room goes out on the next loop
 * turn; a room due more than one wheel turn ahead waits for its turn;
 * cancel and double-schedule. worker_now and room_on_due are defined here,
 * so only flush.o is linked from libedge. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../../edge/edge_worker.h"
#include "../../edge/flush.h"
#include "../../edge/room.h"
#include "t.h"

static edge_conf conf;
static worker *w;

#define MAXR 8
static room *rooms[MAXR];
static uint64_t fired_at[MAXR], fired_pass[MAXR];
static int nfired;

uint64_t worker_now(worker *wk)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    wk->now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    return wk->now_ms;
}

void room_on_due(room *r)
{
    for (int i = 0; i < MAXR; i++)
        if (rooms[i] == r) {
            fired_at[i] = worker_now(w);
            fired_pass[i] = w->flush_passes;
        }
    nfired++;
}

static void setup(long grid)
{
    memset(&conf, 0, sizeof conf);
    conf.flush_grid_ms = grid;
    w = calloc(1, sizeof *w);
    w->conf = &conf;
    w->base = event_base_new();
    worker_now(w);
    flush_init(w);
    memset(fired_at, 0, sizeof fired_at);
    memset(fired_pass, 0, sizeof fired_pass);
    nfired = 0;
    for (int i = 0; i < MAXR; i++) {
        rooms[i] = calloc(1, sizeof(room));
        rooms[i]->w = w;
    }
}

static void teardown(void)
{
    for (int i = 0; i < MAXR; i++) {
        flush_cancel(rooms[i]);
        free(rooms[i]);
    }
    flush_free(w);
    event_base_free(w->base);
    free(w);
}

/* Runs the loop until `n` rooms fired, nothing is pending, or 2 s passed. */
static void run_until(int n)
{
    uint64_t end = worker_now(w) + 2000;
    while (nfired < n && w->npending && worker_now(w) < end)
        event_base_loop(w->base, EVLOOP_ONCE);
}

static void test_same_slot_one_pass(void)
{
    setup(20);
    uint64_t now = worker_now(w);
    uint64_t slot = (now + 6 + 19) / 20, at = slot * 20;   /* >= now + 6 */
    flush_schedule(rooms[0], at - now - 5);
    flush_schedule(rooms[1], at - now);
    flush_schedule(rooms[2], 0);
    T_EQ_INT(w->npending, 3);
    run_until(3);
    T_EQ_INT(nfired, 3);
    T_EQ_INT(w->npending, 0);
    T_ASSERT(fired_at[0] >= at && fired_at[1] >= at);     /* never early */
    T_EQ_U64(fired_pass[0], fired_pass[1]);               /* one wake-up */
    T_ASSERT(fired_pass[2] < fired_pass[0]);              /* immediate first */
    T_ASSERT(fired_at[2] < at);
    teardown();
}

static void test_beyond_one_turn(void)
{
    setup(1);   /* 64 slots = 64 ms per turn */
    uint64_t t0 = worker_now(w);
    flush_schedule(rooms[0], 150);
    flush_schedule(rooms[1], 10);
    run_until(2);
    T_EQ_INT(nfired, 2);
    T_ASSERT(fired_at[1] >= t0 + 10);
    T_ASSERT(fired_at[0] >= t0 + 150);
    teardown();
}

static void test_cancel_and_double_schedule(void)
{
    setup(5);
    uint64_t t0 = worker_now(w);
    flush_schedule(rooms[0], 10);
    flush_schedule(rooms[0], 0);          /* already scheduled: no-op */
    flush_schedule(rooms[1], 10);
    flush_schedule(rooms[2], 10);
    flush_cancel(rooms[1]);
    flush_cancel(rooms[1]);               /* twice: no-op */
    T_EQ_INT(w->npending, 2);
    run_until(3);                         /* only 2 can fire */
    struct timespec ms30 = {0, 30 * 1000000};
    nanosleep(&ms30, NULL);
    event_base_loop(w->base, EVLOOP_NONBLOCK);
    T_EQ_INT(nfired, 2);
    T_EQ_U64(fired_at[1], 0);
    T_ASSERT(fired_at[0] >= t0 + 10);
    /* a fired room can be scheduled again */
    flush_schedule(rooms[0], 0);
    run_until(3);
    T_EQ_INT(nfired, 3);
    teardown();
}

int main(void)
{
    T_RUN(test_same_slot_one_pass);
    T_RUN(test_beyond_one_turn);
    T_RUN(test_cancel_and_double_schedule);
    return T_DONE();
}

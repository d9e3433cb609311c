/* test_edge_flush.c — the flush wheel (edge/flush.c) on a real libevent
 * loop: nodes due in the same grid slot are handed out in one pass, never
 * before their due time; an immediate node goes out on the next loop turn;
 * a node due more than one wheel turn ahead waits for its turn; cancel and
 * double-schedule. The wheel knows nothing of rooms: the nodes here are
 * bare flush_nodes with a test clock and due-callback. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../../edge/flush.h"
#include "t.h"

static struct event_base *base;
static flush_wheel wheel, *w = &wheel;
static int ctx_token;

#define MAXR 8
static flush_node rooms_[MAXR], *rooms[MAXR];
static uint64_t fired_at[MAXR], fired_pass[MAXR];
static int nfired, bad_ctx;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t test_clock(void *ctx)
{
    bad_ctx |= ctx != &ctx_token;
    return now_ms();
}

static void on_due(flush_node *n, void *ctx)
{
    bad_ctx |= ctx != &ctx_token;
    for (int i = 0; i < MAXR; i++)
        if (rooms[i] == n) {
            fired_at[i] = now_ms();
            fired_pass[i] = w->passes;
        }
    nfired++;
}

static void setup(long grid)
{
    base = event_base_new();
    flush_init(w, base, grid, test_clock, on_due, &ctx_token);
    memset(fired_at, 0, sizeof fired_at);
    memset(fired_pass, 0, sizeof fired_pass);
    memset(rooms_, 0, sizeof rooms_);
    nfired = 0;
    bad_ctx = 0;
    for (int i = 0; i < MAXR; i++)
        rooms[i] = &rooms_[i];
}

static void teardown(void)
{
    for (int i = 0; i < MAXR; i++)
        flush_cancel(w, rooms[i]);
    flush_free(w);
    event_base_free(base);
}

static void schedule(flush_node *n, uint64_t delay) { flush_schedule(w, n, now_ms(), delay); }

/* Runs the loop until `n` nodes fired, nothing is pending, or 2 s passed. */
static void run_until(int n)
{
    uint64_t end = now_ms() + 2000;
    while (nfired < n && w->npending && now_ms() < end)
        event_base_loop(base, EVLOOP_ONCE);
}

static void test_same_slot_one_pass(void)
{
    setup(20);
    uint64_t now = now_ms();
    uint64_t slot = (now + 6 + 19) / 20, at = slot * 20;   /* >= now + 6 */
    schedule(rooms[0], at - now - 5);
    schedule(rooms[1], at - now);
    schedule(rooms[2], 0);
    T_EQ_INT(w->npending, 3);
    run_until(3);
    T_EQ_INT(nfired, 3);
    T_EQ_INT(w->npending, 0);
    T_ASSERT(fired_at[0] >= at && fired_at[1] >= at);     /* never early */
    T_EQ_U64(fired_pass[0], fired_pass[1]);               /* one wake-up */
    T_ASSERT(fired_pass[2] < fired_pass[0]);              /* immediate first */
    T_ASSERT(fired_at[2] < at);
    T_EQ_INT(bad_ctx, 0);
    teardown();
}

static void test_beyond_one_turn(void)
{
    setup(1);   /* 64 slots = 64 ms per turn */
    uint64_t t0 = now_ms();
    schedule(rooms[0], 150);
    schedule(rooms[1], 10);
    run_until(2);
    T_EQ_INT(nfired, 2);
    T_ASSERT(fired_at[1] >= t0 + 10);
    T_ASSERT(fired_at[0] >= t0 + 150);
    teardown();
}

static void test_cancel_and_double_schedule(void)
{
    setup(5);
    uint64_t t0 = now_ms();
    schedule(rooms[0], 10);
    schedule(rooms[0], 0);          /* already scheduled: no-op */
    schedule(rooms[1], 10);
    schedule(rooms[2], 10);
    flush_cancel(w, rooms[1]);
    flush_cancel(w, rooms[1]);               /* twice: no-op */
    T_EQ_INT(w->npending, 2);
    run_until(3);                         /* only 2 can fire */
    struct timespec ms30 = {0, 30 * 1000000};
    nanosleep(&ms30, NULL);
    event_base_loop(base, EVLOOP_NONBLOCK);
    T_EQ_INT(nfired, 2);
    T_EQ_U64(fired_at[1], 0);
    T_ASSERT(fired_at[0] >= t0 + 10);
    /* a fired room can be scheduled again */
    schedule(rooms[0], 0);
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

/* wctx.c — the few helpers of the shared worker state. */
#include "wctx.h"
#include <event2/event.h>
#include <time.h>

uint64_t wctx_now(worker *w)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    w->now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    return w->now_ms;
}

void wctx_schedule_reap(worker *w)
{
    if (w->reap_ev)
        event_active(w->reap_ev, EV_TIMEOUT, 0);
}

int wctx_healthy(const worker *w)
{
    return w->redis && w->redis->pubsub_up(w->redis_ctx) && w->redis->cmd_up(w->redis_ctx);
}

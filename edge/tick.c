/* tick.c — adaptive per-room tick: measured write cost -> frames/ms the
 * worker can afford -> water-filled between active rooms. */
#include "tick.h"
#include <time.h>
#include "room.h"
#include "wctx.h"

#define COST_INIT_US 4.0
#define COST_MIN_US 0.5

uint64_t tick_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static double cost_us(const worker *w)
{
    return w->write_cost_us > COST_MIN_US ? w->write_cost_us : COST_INIT_US;
}

void tick_note_flush(worker *w, uint64_t frames, uint64_t us)
{
    if (frames < 64)        /* too small to measure */
        return;
    double c = (double)us / (double)frames;
    w->write_cost_us = w->write_cost_us > 0 ? 0.8 * w->write_cost_us + 0.2 * c : c;
}

/* Frames per ms this worker may spend on room writes. */
static double capacity(const worker *w)
{
    return (double)w->conf->write_budget / 100.0 * 1000.0 / cost_us(w);
}

static uint32_t clamp_tick(const worker *w, double t)
{
    double lo = (double)w->conf->tick_ms, hi = (double)w->conf->tick_max_ms;
    return (uint32_t)(t < lo ? lo : t > hi ? hi : t);
}

uint32_t tick_for(room *r)
{
    worker *w = r->w;
    if (r->tick_ms)
        return r->tick_ms;
    size_t active = w->active_rooms ? w->active_rooms : 1;
    return clamp_tick(w, (double)r->nviewers * (double)active / capacity(w));
}

static int is_active(const room *r) { return r->recent_events || r->tick_armed; }

void tick_adapt(worker *w)
{
    const double lo = (double)w->conf->tick_ms;
    double cap = capacity(w), small_load = 0;
    size_t active = 0, big = 0;
    for (size_t i = 0; i < w->rooms.nbuckets; i++)
        for (room *r = w->rooms.buckets[i]; r; r = r->hnext)
            active += is_active(r);
    double share = cap / (double)(active ? active : 1);
    /* water-filling: rooms content with the floor tick take what they need,
     * the big rooms share the rest */
    for (size_t i = 0; i < w->rooms.nbuckets; i++)
        for (room *r = w->rooms.buckets[i]; r; r = r->hnext) {
            if (!is_active(r))
                continue;
            double need = (double)r->nviewers / lo;
            if (need <= share)
                small_load += need;
            else
                big++;
        }
    double big_share = big ? (cap - small_load) / (double)big : share;
    if (big_share < share)
        big_share = share;
    uint32_t max_tick = 0;
    for (size_t i = 0; i < w->rooms.nbuckets; i++)
        for (room *r = w->rooms.buckets[i]; r; r = r->hnext) {
            double need = (double)r->nviewers / lo;
            r->tick_ms = need <= share ? clamp_tick(w, lo)
                                       : clamp_tick(w, (double)r->nviewers / big_share);
            r->recent_events = 0;
            if (r->tick_ms > max_tick)
                max_tick = r->tick_ms;
        }
    w->active_rooms = active;
    w->max_tick_ms = max_tick;
}

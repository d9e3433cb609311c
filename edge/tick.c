/* tick.c — the worker's room tick: all-in cost per frame -> frames/s the
 * worker can afford -> the shortest common tick whose load fits. */
#include "tick.h"
#include <sys/resource.h>
#include <time.h>
#include "room.h"
#include "wctx.h"

#define COST_INIT_US 6.0     /* until measured: a bare write on a quiet box */
#define MIN_FRAMES 100       /* fewer frames per sample: too few to measure */
#define MIN_SAMPLE_US 200000
#define RATE_IDLE 0.05       /* events/s below which an empty room is idle */

uint64_t tick_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t cpu_now_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000
           + (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

void tick_note_flush(worker *w, uint64_t frames, uint64_t us)
{
    (void)frames;   /* counted in w->st.frames */
    w->tick_flush_us += us;
}

void tick_note_events(room *r, unsigned n)
{
    r->recent_events += n;
    room_set_active(r);
}

static double cost_us(const worker *w)
{
    return w->write_cost_us > 0 ? w->write_cost_us : COST_INIT_US;
}

static void update_rates(worker *w, uint64_t dt_us)
{
    for (room *r = w->active, *nx; r; r = nx) {
        nx = r->anext;
        double inst = (double)r->recent_events * 1e6 / (double)dt_us;
        r->rate = r->rate > 0 ? 0.5 * r->rate + 0.5 * inst : inst;
        r->recent_events = 0;
        if (r->rate < RATE_IDLE && !r->tick_armed) {
            r->rate = 0;
            room_clear_active(r);
        }
    }
}

void tick_sample(worker *w, uint64_t now_us, uint64_t cpu_us)
{
    if (!w->tick_t_us || now_us < w->tick_t_us) {
        w->tick_t_us = now_us;
        w->tick_cpu_us = cpu_us;
        w->tick_frames = w->st.frames;
        w->tick_flush_us = 0;
    }
    uint64_t dt = now_us - w->tick_t_us;
    if (dt < MIN_SAMPLE_US)
        return;
    uint64_t frames = w->st.frames - w->tick_frames;
    if (frames >= MIN_FRAMES) {
        uint64_t cpu = cpu_us - w->tick_cpu_us, busy = cpu > w->tick_flush_us ? cpu : w->tick_flush_us;
        double c = (double)busy / (double)frames;
        w->write_cost_us = w->write_cost_us > 0 ? 0.5 * w->write_cost_us + 0.5 * c : c;
    }
    w->frame_budget = (double)w->conf->write_budget / 100.0 * 1e6 / cost_us(w);
    update_rates(w, dt);
    w->tick_t_us = now_us;
    w->tick_cpu_us = cpu_us;
    w->tick_frames = w->st.frames;
    w->tick_flush_us = 0;
}

double tick_load(const worker *w, double t_ms)
{
    double per_room_max = 1000.0 / t_ms, load = 0;
    for (const room *r = w->active; r; r = r->anext)
        load += (double)r->nviewers * (r->rate < per_room_max ? r->rate : per_room_max);
    return load;
}

uint32_t tick_choose(worker *w)
{
    double lo = (double)w->conf->tick_ms, hi = (double)w->conf->tick_max_ms;
    double budget = w->frame_budget;
    uint32_t t;
    if (budget <= 0 || hi <= lo || tick_load(w, lo) <= budget) {
        t = (uint32_t)lo;
    } else if (tick_load(w, hi) > budget) {
        t = (uint32_t)hi;
    } else {
        /* load(T) falls as T grows: bisect to 1 ms */
        while (hi - lo > 1.0) {
            double mid = (lo + hi) / 2;
            if (tick_load(w, mid) > budget)
                lo = mid;
            else
                hi = mid;
        }
        t = (uint32_t)(hi + 0.999);
    }
    w->tick_ms = t;
    return t;
}

uint32_t tick_for(const room *r)
{
    const worker *w = r->w;
    return w->tick_ms ? w->tick_ms : (uint32_t)w->conf->tick_ms;
}

void tick_adapt(worker *w)
{
    tick_sample(w, tick_now_us(), cpu_now_us());
    tick_choose(w);
}

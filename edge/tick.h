/* tick.h — the worker's room tick. Each worker measures what one frame costs
 * it all-in (its CPU time, or the wall time of its flushes if larger, per
 * frame written over the last second) and so the frames per second it can
 * afford within --write-budget percent of one core. Once a second it picks
 * ONE tick T in [--tick-ms, --tick-max-ms] for all its rooms: the shortest
 * for which the frames its active rooms need,
 *     load(T) = sum over rooms of viewers * min(events/s, 1000 / T),
 * fit that budget. A room flushes at most once per T and only when it holds
 * events, so a room with fewer events than ticks costs its event rate
 * whatever T is, and a busy room costs viewers / T: stretching T puts more
 * events in each frame, the lever when writes are what runs out. Only rooms
 * that had events lately (the worker's active list) are looked at: an idle
 * room costs nothing, per tick or per second. */
#ifndef DM_TICK_H
#define DM_TICK_H
#include <stdint.h>

struct worker;
struct room;

/* Records one flush: `frames` written in `us` wall microseconds. */
void tick_note_flush(struct worker *w, uint64_t frames, uint64_t us);
/* A room accepted n events in order: counts them for its rate and puts it
 * on the worker's active list. */
void tick_note_events(struct room *r, unsigned n);
/* Once a second: tick_sample with the worker's CPU time, then tick_choose. */
void tick_adapt(struct worker *w);
/* One measurement at monotonic now_us with the worker's CPU time cpu_us:
 * updates the cost per frame (when at least 100 frames were written since
 * the last sample), the frame budget and every active room's rate; rooms
 * whose rate fell to ~0 and that hold nothing leave the active list. */
void tick_sample(struct worker *w, uint64_t now_us, uint64_t cpu_us);
/* Frames/s the active rooms need at a tick of t_ms (load(T) above). */
double tick_load(const struct worker *w, double t_ms);
/* The tick for the current rates and budget; also stored in w->tick_ms. */
uint32_t tick_choose(struct worker *w);
/* The tick a room uses now (the worker's, --tick-ms until the first choice). */
uint32_t tick_for(const struct room *r);
/* Microseconds of the monotonic clock. */
uint64_t tick_now_us(void);

#endif

/* tick.h — the adaptive per-room tick. Each worker measures what one frame
 * write costs it (EWMA of flush time / frames written) and, once a second,
 * gives every active room a tick between --tick-ms and --tick-max-ms so
 * that the frames all rooms need per second fit in --write-budget percent
 * of one core: small rooms keep the shortest tick, a huge room stretches
 * its tick (more events per frame) instead of falling behind. */
#ifndef DM_TICK_H
#define DM_TICK_H
#include <stdint.h>

struct worker;
struct room;

/* Records one flush: `frames` written in `us` microseconds. */
void tick_note_flush(struct worker *w, uint64_t frames, uint64_t us);
/* Recomputes every room's tick (called once a second). */
void tick_adapt(struct worker *w);
/* The tick for a room that just got events (its last computed value, or
 * the share estimate for a new room). */
uint32_t tick_for(struct room *r);
/* Microseconds of the monotonic clock. */
uint64_t tick_now_us(void);

#endif

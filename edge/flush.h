/* flush.h — one flush timer per worker: rooms with pending events are put
 * on a timer wheel whose slots are --flush-grid-ms wide, and one callback
 * flushes every room that is due, so a wake-up writes the frames of many
 * rooms instead of one (and the loop holds one timer, not one per room). */
#ifndef DM_FLUSH_H
#define DM_FLUSH_H
#include <stdint.h>

struct worker;
struct room;

#define FLUSH_SLOTS 64   /* wheel slots (power of two) */

/* Creates the worker's flush event (w->base must exist). 0 ok, -1 error. */
int flush_init(struct worker *w);
/* Frees the flush event; rooms must have been cancelled or freed. */
void flush_free(struct worker *w);
/* Makes room r due `delay_ms` from now, rounded up to the grid (0: flushed
 * on the next loop turn). No-op if r is already scheduled. */
void flush_schedule(struct room *r, uint64_t delay_ms);
/* Takes r off the wheel (no-op if it is not on it). */
void flush_cancel(struct room *r);

/* Defined in room.c: the room's tick is due (called by the wheel). */
void room_on_due(struct room *r);

#endif

/* evring.h — a room's recent events with consecutive seqs (lo to
 * lo+n-1) in a power-of-two circular array, the history a worker serves
 * joiners and live batches from. Holds one reference per event. Knows nothing of
 * rooms or viewers. */
#ifndef DM_EVRING_H
#define DM_EVRING_H
#include <stddef.h>
#include <stdint.h>
#include "evt.h"

typedef struct evring {
    evt **v;
    size_t cap, head, n;     /* cap: 0 or a power of two; n <= cap */
    uint64_t lo;             /* seq of the oldest held event (when n > 0) */
} evring;

/* The event with this seq, or NULL when the ring does not hold it. The
 * pointer is borrowed (valid until the event is popped). */
evt *evring_get(const evring *r, uint64_t seq);
/* Appends e, taking its reference. e->seq must be lo + n when the ring is
 * not empty (asserted: the ring never holds a gap). */
void evring_push(evring *r, evt *e);
/* Drops the oldest event (the ring must not be empty). */
void evring_pop(evring *r);
/* Drops every event (keeps the array). */
void evring_clear(evring *r);
/* Drops every event and frees the array; the ring is zeroed. */
void evring_free(evring *r);
/* A new array (caller frees it) of the borrowed events a..b (inclusive),
 * which must all be held (asserted); *n gets b - a + 1. */
evt **evring_slice(const evring *r, uint64_t a, uint64_t b, size_t *n);
/* 1 when seqs a..b are all in the ring. */
static inline int evring_holds(const evring *r, uint64_t a, uint64_t b)
{
    return r->n && a >= r->lo && b < r->lo + r->n && a <= b;
}

#endif

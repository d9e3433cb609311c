/* deliver.h — a room's tick: the events a room holds in order beyond what
 * it delivered are cut into batches of at most --max-batch, each encoded
 * once per variant in use (full, or degraded for slow viewers) and attached
 * to every live viewer by reference, after a room-wide reset frame when one
 * is pending. A degraded (backlogged) viewer gets no frame for a batch of
 * comments only: the skipped seqs add up to ONE gap frame it gets before its
 * next frame or when its output drains. Also the one-viewer frames
 * (catch-up, partial batches). */
#ifndef DM_DELIVER_H
#define DM_DELIVER_H
#include <stddef.h>
#include <stdint.h>
#include "evt.h"

struct room;
struct viewer;

/* Puts r on the flush wheel when it holds undelivered events and is not
 * there yet: due one room tick after its last flush (now if that is past). */
void deliver_arm(struct room *r);
/* Flushes everything r holds beyond `delivered` now, then trims the ring to
 * --ring-events delivered events. */
void deliver_flush_now(struct room *r);
/* The wheel's due-callback for r. */
void deliver_on_due(struct room *r);
/* v's output just drained (the worker's viewer hook): sends the gap it is
 * owed for comments skipped while it was degraded, if any. */
void deliver_on_drained(struct viewer *v);
/* Pushes v a frame of evs[0..n) encoded for v alone (degraded: comments as
 * gap frames), preceded by v's pending reset. evs are borrowed. */
void deliver_own(struct room *r, struct viewer *v, evt *const *evs, size_t n, int degraded);
/* The first seq of the next batch after `delivered` and its last seq for a
 * room holding up to `known` with batches of at most `max` events
 * (pure; exposed for tests). Requires delivered < known, max >= 1. */
uint64_t deliver_batch_end(uint64_t delivered, uint64_t known, uint64_t max);

#endif

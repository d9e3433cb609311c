/* bench_track.h — per-viewer completeness accounting. A viewer feeds every
 * event seq it receives and every explicit gap/reset; the tracker keeps the
 * received set as [first, last] minus a short list of holes, and counts
 * duplicates, out-of-order arrivals (a seq that fills a hole), explicit gaps
 * and reset skips separately. At the end, track_missing() counts the
 * acknowledged seqs that never arrived and were not explicitly skipped:
 * those are silent losses, i.e. errors. */
#ifndef BENCH_TRACK_H
#define BENCH_TRACK_H
#include <stddef.h>
#include <stdint.h>

#define TRACK_MAX_HOLES 32

typedef struct track_range { uint64_t lo, hi; } track_range;

typedef struct track {
    uint64_t first, last;        /* covered span; first == 0: nothing yet */
    uint64_t received;           /* distinct events received */
    uint64_t dup;                /* events received again */
    uint64_t ooo;                /* events that arrived after a later seq */
    uint64_t gap_events, gap_frames;      /* explicitly skipped (type gap) */
    uint64_t reset_events, resets;        /* skipped by a reset (same epoch) */
    uint64_t epoch_resets;       /* resets that restarted the seq space */
    uint64_t hole_overflow;      /* untracked hole seqs (counted missing) */
    int nholes;
    track_range holes[TRACK_MAX_HOLES];   /* sorted, disjoint, inside span */
} track;

void track_init(track *t);
/* An event with this seq arrived. */
void track_event(track *t, uint64_t seq);
/* A {"type":"gap","from_seq":lo,"to_seq":hi} arrived. */
void track_gap(track *t, uint64_t lo, uint64_t hi);
/* A reset arrived: the next event is from_seq. A from_seq at or below the
 * last seq seen means the seq space restarted (epoch change): the state
 * restarts, counted in epoch_resets. */
void track_reset(track *t, uint64_t from_seq);
/* Acknowledged seqs (sorted ascending, distinct) this viewer should have
 * received; returns how many it did not receive and were not explicitly
 * skipped (gap/reset). */
uint64_t track_missing(const track *t, const uint64_t *acked, size_t n);
/* The part of track_missing() above the last seq received: events not
 * delivered (yet) when the run ended, as opposed to holes (silent skips). */
uint64_t track_missing_tail(const track *t, const uint64_t *acked, size_t n);
/* 1 if seq is inside the received set (span minus holes). */
int track_has(const track *t, uint64_t seq);

#endif

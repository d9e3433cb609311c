/* bench_track.c — completeness accounting (see bench_track.h). */
#include "bench_track.h"
#include <string.h>

void track_init(track *t) { memset(t, 0, sizeof *t); }

static void add_hole(track *t, uint64_t lo, uint64_t hi, int at)
{
    if (t->nholes == TRACK_MAX_HOLES) {      /* keep the list bounded */
        t->hole_overflow += hi - lo + 1;
        return;
    }
    memmove(&t->holes[at + 1], &t->holes[at], (size_t)(t->nholes - at) * sizeof t->holes[0]);
    t->holes[at] = (track_range){ lo, hi };
    t->nholes++;
}

static void del_hole(track *t, int i)
{
    memmove(&t->holes[i], &t->holes[i + 1], (size_t)(t->nholes - i - 1) * sizeof t->holes[0]);
    t->nholes--;
}

/* Removes [lo,hi] from the holes; returns how many seqs it filled. */
static uint64_t fill_holes(track *t, uint64_t lo, uint64_t hi)
{
    uint64_t filled = 0;
    for (int i = 0; i < t->nholes; i++) {
        track_range *h = &t->holes[i];
        if (h->hi < lo || h->lo > hi) continue;
        uint64_t a = h->lo > lo ? h->lo : lo, b = h->hi < hi ? h->hi : hi;
        filled += b - a + 1;
        if (a == h->lo && b == h->hi) { del_hole(t, i); i--; }
        else if (a == h->lo) h->lo = b + 1;
        else if (b == h->hi) h->hi = a - 1;
        else { uint64_t end = h->hi; h->hi = a - 1; add_hole(t, b + 1, end, i + 1); i++; }
    }
    return filled;
}

/* Marks [lo,hi] received; returns newly covered seqs, *from_holes of them
 * were inside the span (arrived late). */
static uint64_t cover(track *t, uint64_t lo, uint64_t hi, uint64_t *from_holes)
{
    *from_holes = 0;
    if (!t->first) { t->first = lo; t->last = hi; return hi - lo + 1; }
    uint64_t fresh = 0;
    if (lo < t->first) {                     /* before the span: extend down */
        uint64_t of = t->first, top = hi < of ? hi : of - 1;
        if (top + 1 < of) add_hole(t, top + 1, of - 1, 0);
        fresh += top - lo + 1; *from_holes += top - lo + 1;
        t->first = lo;
        if (hi < of) return fresh;
        lo = top + 1;
    }
    if (hi > t->last) {
        uint64_t from = lo > t->last ? lo : t->last + 1;
        if (from > t->last + 1) add_hole(t, t->last + 1, from - 1, t->nholes);
        fresh += hi - from + 1;
        uint64_t old_last = t->last;
        t->last = hi;
        if (lo > old_last) return fresh;
        hi = old_last;
    }
    uint64_t f = fill_holes(t, lo, hi);
    *from_holes += f;
    return fresh + f;
}

void track_event(track *t, uint64_t seq)
{
    uint64_t late;
    uint64_t n = cover(t, seq, seq, &late);
    if (!n) { t->dup++; return; }
    t->received++;
    if (late) t->ooo++;
}

void track_gap(track *t, uint64_t lo, uint64_t hi)
{
    if (hi < lo) return;
    uint64_t late;
    t->gap_frames++;
    t->gap_events += cover(t, lo, hi, &late);
}

void track_reset(track *t, uint64_t from_seq)
{
    t->resets++;
    if (t->first && from_seq <= t->last) {   /* seq space restarted */
        t->epoch_resets++;
        t->first = t->last = 0;
        t->nholes = 0;
        return;
    }
    if (!t->first || from_seq <= t->last + 1) return;
    uint64_t late;
    t->reset_events += cover(t, t->last + 1, from_seq - 1, &late);
}

int track_has(const track *t, uint64_t seq)
{
    if (!t->first || seq < t->first || seq > t->last) return 0;
    for (int i = 0; i < t->nholes; i++)
        if (seq >= t->holes[i].lo && seq <= t->holes[i].hi) return 0;
    return 1;
}

/* Number of a[] values in [lo, hi]. */
static size_t count_in(const uint64_t *a, size_t n, uint64_t lo, uint64_t hi)
{
    size_t l = 0, r = n;
    while (l < r) { size_t m = (l + r) / 2; if (a[m] < lo) l = m + 1; else r = m; }
    size_t start = l;
    r = n;
    while (l < r) { size_t m = (l + r) / 2; if (a[m] <= hi) l = m + 1; else r = m; }
    return l - start;
}

uint64_t track_missing_tail(const track *t, const uint64_t *acked, size_t n)
{
    if (!t->first) return n;
    return t->last < UINT64_MAX ? count_in(acked, n, t->last + 1, UINT64_MAX) : 0;
}

uint64_t track_missing(const track *t, const uint64_t *acked, size_t n)
{
    if (!n) return 0;
    if (!t->first) return n;
    uint64_t miss = t->hole_overflow;
    if (t->first > 0) miss += count_in(acked, n, 0, t->first - 1);
    if (t->last < UINT64_MAX) miss += count_in(acked, n, t->last + 1, UINT64_MAX);
    for (int i = 0; i < t->nholes; i++)
        miss += count_in(acked, n, t->holes[i].lo, t->holes[i].hi);
    return miss;
}

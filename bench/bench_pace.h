/* bench_pace.h — open-loop arrival schedule. Event k's intended send time is
 * fixed in advance from (start, rate, arrivals, seed) alone: constant
 * (start + k/rate) or Poisson (exponential gaps). A slow server cannot slow
 * the offered load: a late sender gets every overdue event at once and the
 * latency of each is measured from its intended time (no coordinated
 * omission). */
#ifndef BENCH_PACE_H
#define BENCH_PACE_H
#include <stdint.h>
#include "bench_rng.h"

enum pace_arrivals { PACE_CONSTANT = 0, PACE_POISSON = 1 };

typedef struct pace {
    int arrivals;
    double rate;            /* events per second, > 0 */
    int64_t start_us, end_us;
    uint64_t k;             /* events handed out so far */
    double next_us;         /* intended time of event k */
    rng r;
} pace;

void pace_init(pace *p, double rate, int arrivals, uint64_t seed, int64_t start_us, int64_t end_us);
/* Intended time of the next event (not consumed); INT64_MAX once past end. */
int64_t pace_peek(const pace *p);
/* If the next event is due at now_us (intended time <= now_us and before
 * end), consumes it, stores its intended time and returns 1; else 0. */
int pace_take(pace *p, int64_t now_us, int64_t *intended_us);
/* Parses "constant" | "poisson": PACE_* or -1. */
int pace_parse(const char *s);

#endif

/* bench_pop.h — room popularity: how N viewers (and the event traffic) are
 * spread over R rooms. "uniform", "zipf:S" (room k of 1..R has weight
 * 1/k^S) or "hot:F" (room 1 gets the share F, the rest is uniform). */
#ifndef BENCH_POP_H
#define BENCH_POP_H
#include <stddef.h>
#include <stdint.h>
#include "bench_rng.h"

enum pop_kind { POP_UNIFORM, POP_ZIPF, POP_HOT };

typedef struct pop {
    int kind;
    double param;      /* zipf exponent or hot share */
    size_t rooms;
    double *cdf;       /* rooms entries, cdf[rooms-1] == 1 */
} pop;

/* Parses spec and builds the weights for `rooms` (>= 1). 0, or -1 if the
 * spec is invalid. */
int pop_init(pop *p, const char *spec, size_t rooms);
void pop_free(pop *p);
/* Probability of room i (0-based). */
double pop_weight(const pop *p, size_t i);
/* Samples a room index from the distribution. */
size_t pop_sample(const pop *p, rng *r);
/* Deterministic apportionment of n viewers to rooms (largest remainder):
 * fills counts[rooms]; the sum is n. */
void pop_apportion(const pop *p, size_t n, size_t *counts);
/* Room of viewer i when viewers are laid out by pop_apportion counts
 * interleaved round-robin across rooms that still need viewers, so that a
 * ramp fills all rooms evenly. out[n] gets the room of each viewer. */
void pop_assign(const pop *p, size_t n, uint32_t *out);

#endif

/* bench_rng.h — a small, fast, seedable PRNG (xoshiro256** seeded through
 * splitmix64) for reproducible load: the same seed gives the same schedule. */
#ifndef BENCH_RNG_H
#define BENCH_RNG_H
#include <stdint.h>
#include <math.h>

typedef struct rng { uint64_t s[4]; } rng;

static inline uint64_t rng_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = rng_splitmix(&seed);
}

static inline uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5, res = ((x << 7) | (x >> 57)) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = (s[3] << 45) | (s[3] >> 19);
    return res;
}

/* Uniform double in [0, 1). */
static inline double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }
/* Uniform integer in [0, n), n > 0. */
static inline uint64_t rng_below(rng *r, uint64_t n) { return rng_next(r) % n; }
/* Exponential with mean 1. */
static inline double rng_exp(rng *r) { return -log(1.0 - rng_unit(r)); }

#endif

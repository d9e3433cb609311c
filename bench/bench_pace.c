/* bench_pace.c — open-loop schedule. */
#include "bench_pace.h"
#include <string.h>

void pace_init(pace *p, double rate, int arrivals, uint64_t seed, int64_t start_us, int64_t end_us)
{
    memset(p, 0, sizeof *p);
    p->arrivals = arrivals; p->rate = rate;
    p->start_us = start_us; p->end_us = end_us;
    rng_seed(&p->r, seed);
    p->next_us = (double)start_us;
    if (arrivals == PACE_POISSON) p->next_us += rng_exp(&p->r) * 1e6 / rate;
}

int64_t pace_peek(const pace *p)
{
    return p->next_us >= (double)p->end_us ? INT64_MAX : (int64_t)p->next_us;
}

int pace_take(pace *p, int64_t now_us, int64_t *intended_us)
{
    int64_t t = pace_peek(p);
    if (t == INT64_MAX || t > now_us) return 0;
    *intended_us = t;
    p->k++;
    if (p->arrivals == PACE_POISSON) p->next_us += rng_exp(&p->r) * 1e6 / p->rate;
    else p->next_us = (double)p->start_us + (double)p->k * 1e6 / p->rate;
    return 1;
}

int pace_parse(const char *s)
{
    if (!strcmp(s, "constant")) return PACE_CONSTANT;
    if (!strcmp(s, "poisson")) return PACE_POISSON;
    return -1;
}

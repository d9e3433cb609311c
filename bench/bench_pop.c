/* bench_pop.c — popularity distributions. */
#include "bench_pop.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dbuf.h"

static int parse(pop *p, const char *spec)
{
    char *end;
    if (!strcmp(spec, "uniform")) { p->kind = POP_UNIFORM; return 0; }
    if (!strncmp(spec, "zipf", 4)) {
        p->kind = POP_ZIPF; p->param = 1.0;
        if (spec[4] == ':') { p->param = strtod(spec + 5, &end); if (*end || p->param < 0 || p->param > 10) return -1; }
        else if (spec[4]) return -1;
        return 0;
    }
    if (!strncmp(spec, "hot", 3)) {
        p->kind = POP_HOT; p->param = 0.5;
        if (spec[3] == ':') { p->param = strtod(spec + 4, &end); if (*end || p->param <= 0 || p->param > 1) return -1; }
        else if (spec[3]) return -1;
        return 0;
    }
    return -1;
}

int pop_init(pop *p, const char *spec, size_t rooms)
{
    memset(p, 0, sizeof *p);
    if (!rooms || parse(p, spec) < 0) return -1;
    p->rooms = rooms;
    p->cdf = xmalloc(rooms * sizeof *p->cdf);
    double tot = 0;
    for (size_t i = 0; i < rooms; i++) {
        double w;
        if (p->kind == POP_ZIPF) w = 1.0 / pow((double)(i + 1), p->param);
        else if (p->kind == POP_HOT) w = rooms == 1 ? 1.0 : i == 0 ? p->param : (1.0 - p->param) / (double)(rooms - 1);
        else w = 1.0;
        tot += w;
        p->cdf[i] = tot;
    }
    for (size_t i = 0; i < rooms; i++) p->cdf[i] /= tot;
    p->cdf[rooms - 1] = 1.0;
    return 0;
}

void pop_free(pop *p) { free(p->cdf); memset(p, 0, sizeof *p); }

double pop_weight(const pop *p, size_t i)
{
    return i == 0 ? p->cdf[0] : p->cdf[i] - p->cdf[i - 1];
}

size_t pop_sample(const pop *p, rng *r)
{
    double u = rng_unit(r);
    size_t l = 0, h = p->rooms - 1;
    while (l < h) { size_t m = (l + h) / 2; if (p->cdf[m] > u) h = m; else l = m + 1; }
    return l;
}

typedef struct rem { double frac; size_t i; } rem;

static int cmp_rem(const void *a, const void *b)
{
    const rem *x = a, *y = b;
    if (x->frac != y->frac) return x->frac > y->frac ? -1 : 1;
    return x->i < y->i ? -1 : 1;
}

void pop_apportion(const pop *p, size_t n, size_t *counts)
{
    rem *r = xmalloc(p->rooms * sizeof *r);
    size_t given = 0;
    for (size_t i = 0; i < p->rooms; i++) {
        double exact = pop_weight(p, i) * (double)n;
        counts[i] = (size_t)exact;
        given += counts[i];
        r[i] = (rem){ exact - (double)counts[i], i };
    }
    qsort(r, p->rooms, sizeof *r, cmp_rem);
    for (size_t k = 0; given < n; k = (k + 1) % p->rooms, given++) counts[r[k].i]++;
    free(r);
}

void pop_assign(const pop *p, size_t n, uint32_t *out)
{
    size_t *left = xmalloc(p->rooms * sizeof *left);
    pop_apportion(p, n, left);
    size_t k = 0, room = 0;
    while (k < n) {                   /* round-robin over rooms with viewers left */
        if (left[room]) { out[k++] = (uint32_t)room; left[room]--; }
        room = (room + 1) % p->rooms;
    }
    free(left);
}

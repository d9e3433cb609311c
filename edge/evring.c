/* evring.c — the seq-indexed circular event array of a room. */
#include "evring.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "dbuf.h"

evt *evring_get(const evring *r, uint64_t seq)
{
    if (!r->n || seq < r->lo || seq >= r->lo + r->n)
        return NULL;
    return r->v[(r->head + (seq - r->lo)) & (r->cap - 1)];
}

static void grow(evring *r)
{
    size_t cap = r->cap ? r->cap * 2 : 32;
    evt **v = xmalloc(cap * sizeof *v);
    for (size_t i = 0; i < r->n; i++)
        v[i] = r->v[(r->head + i) & (r->cap - 1)];
    free(r->v);
    r->v = v;
    r->cap = cap;
    r->head = 0;
}

void evring_push(evring *r, evt *e)
{
    assert(!r->n || e->seq == r->lo + r->n);
    if (r->n == r->cap)
        grow(r);
    if (!r->n)
        r->lo = e->seq;
    r->v[(r->head + r->n) & (r->cap - 1)] = e;
    r->n++;
    assert(r->n <= r->cap && (r->cap & (r->cap - 1)) == 0);
}

void evring_pop(evring *r)
{
    assert(r->n > 0 && r->head < r->cap);
    evt_unref(r->v[r->head]);
    r->head = (r->head + 1) & (r->cap - 1);
    r->n--;
    r->lo++;
}

void evring_clear(evring *r)
{
    while (r->n)
        evring_pop(r);
}

void evring_free(evring *r)
{
    evring_clear(r);
    free(r->v);
    memset(r, 0, sizeof *r);
}

evt **evring_slice(const evring *r, uint64_t a, uint64_t b, size_t *n)
{
    assert(evring_holds(r, a, b));
    size_t k = (size_t)(b - a + 1);
    evt **evs = xmalloc(k * sizeof *evs);
    for (size_t i = 0; i < k; i++) {
        evs[i] = r->v[(r->head + (a - r->lo) + i) & (r->cap - 1)];
        assert(evs[i]->seq == a + i);
    }
    *n = k;
    return evs;
}

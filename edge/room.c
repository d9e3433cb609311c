/* room.c — the worker's room table (FNV-1a chained hash), room lifetime and
 * membership. */
#include "room.h"
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "viewer.h"
#include "wctx.h"

static size_t hash_name(const char *s, size_t n)
{
    size_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static room **bucket(worker *w, const char *name, size_t len)
{
    return &w->rooms.buckets[hash_name(name, len) & (w->rooms.nbuckets - 1)];
}

void room_table_init(worker *w)
{
    w->rooms.nbuckets = 1024;
    w->rooms.buckets = xcalloc(w->rooms.nbuckets, sizeof(room *));
    w->rooms.n = 0;
}

room *room_find(worker *w, const char *name, size_t len)
{
    for (room *r = *bucket(w, name, len); r; r = r->hnext)
        if (r->nlen == len && !memcmp(r->name, name, len))
            return r;
    return NULL;
}

static void table_grow(worker *w)
{
    size_t nb = w->rooms.nbuckets * 2;
    room **b = xcalloc(nb, sizeof *b);
    for (size_t i = 0; i < w->rooms.nbuckets; i++)
        for (room *r = w->rooms.buckets[i], *nx; r; r = nx) {
            nx = r->hnext;
            size_t k = hash_name(r->name, r->nlen) & (nb - 1);
            r->hnext = b[k];
            b[k] = r;
        }
    free(w->rooms.buckets);
    w->rooms.buckets = b;
    w->rooms.nbuckets = nb;
}

room *room_new(worker *w, const char *name)
{
    if (w->rooms.n >= w->rooms.nbuckets * 2)
        table_grow(w);
    room *r = xcalloc(1, sizeof *r);
    r->w = w;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->nlen = strlen(r->name);
    assert(!room_find(w, r->name, r->nlen));
    room **b = bucket(w, r->name, r->nlen);
    r->hnext = *b;
    *b = r;
    w->rooms.n++;
    return r;
}

void room_stash_clear(room *r)
{
    for (size_t i = 0; i < r->nstash; i++)
        evt_unref(r->stash[i]);
    r->nstash = 0;
}

void room_destroy(room *r)
{
    worker *w = r->w;
    assert(!r->nviewers && !r->vhead);
    room **pp = bucket(w, r->name, r->nlen);
    while (*pp != r)
        pp = &(*pp)->hnext;
    *pp = r->hnext;
    w->rooms.n--;
    if (r->meta_req)
        r->meta_req->room = NULL;
    if (r->repair_req)
        r->repair_req->room = NULL;
    flush_cancel(&w->wheel, &r->due);
    room_clear_active(r);
    evring_free(&r->ring);
    room_stash_clear(r);
    free(r->stash);
    for (int i = 0; i < BATCH_NVARIANTS; i++)
        rbuf_unref(r->hcache[i].rb);
    free(r);
}

void room_table_free(worker *w)
{
    for (size_t i = 0; i < w->rooms.nbuckets; i++)
        while (w->rooms.buckets[i])
            room_destroy(w->rooms.buckets[i]);
    free(w->rooms.buckets);
    w->rooms.buckets = NULL;
}

void room_each(worker *w, void (*fn)(room *r, void *arg), void *arg)
{
    for (size_t i = 0; i < w->rooms.nbuckets; i++)
        for (room *r = w->rooms.buckets[i], *nx; r; r = nx) {
            nx = r->hnext;
            fn(r, arg);
        }
}

void room_add_viewer(room *r, viewer *v)
{
    v->room = r;
    v->rprev = NULL;
    v->rnext = r->vhead;
    if (r->vhead)
        r->vhead->rprev = v;
    r->vhead = v;
    r->nviewers++;
    r->nvar[viewer_variant(v)]++;
    v->mode = VM_WAIT;
    v->gap_from = v->gap_to = 0;
}

void room_leave(viewer *v)
{
    room *r = v->room;
    if (!r)
        return;
    assert(r->nviewers > 0 && r->nvar[viewer_variant(v)] > 0);
    if (v->rprev)
        v->rprev->rnext = v->rnext;
    else
        r->vhead = v->rnext;
    if (v->rnext)
        v->rnext->rprev = v->rprev;
    r->nviewers--;
    r->nvar[viewer_variant(v)]--;
    if (v->req) {
        v->req->v = NULL;
        v->req = NULL;
    }
    v->room = NULL;
    v->rprev = v->rnext = NULL;
    if (!r->nviewers) {
        r->w->reap_rooms = 1;
        wctx_schedule_reap(r->w);
    }
}

void room_set_active(room *r)
{
    if (r->aprev)
        return;
    worker *w = r->w;
    r->anext = w->active;
    if (w->active)
        w->active->aprev = &r->anext;
    r->aprev = &w->active;
    w->active = r;
    w->nactive++;
}

void room_clear_active(room *r)
{
    if (!r->aprev)
        return;
    *r->aprev = r->anext;
    if (r->anext)
        r->anext->aprev = r->aprev;
    r->anext = NULL;
    r->aprev = NULL;
    r->w->nactive--;
}

req *room_req_new(room *r, int type, viewer *v)
{
    req *q = xcalloc(1, sizeof *q);
    q->type = type;
    q->room = type == REQ_CATCHUP ? NULL : r;
    q->v = v;
    q->gen = r->epoch_gen;
    return q;
}

void room_reset_stream(room *r, uint64_t seq)
{
    evring_clear(&r->ring);
    room_stash_clear(r);
    r->known = r->delivered = seq;
}

int room_epoch_is(const room *r, const char *epoch, size_t elen)
{
    return strlen(r->epoch) == elen && !memcmp(r->epoch, epoch, elen);
}

void room_set_epoch(room *r, const char *epoch, size_t elen)
{
    snprintf(r->epoch, sizeof r->epoch, "%.*s", (int)elen, epoch);
}

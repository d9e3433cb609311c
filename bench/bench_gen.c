/* bench_gen.c — corpus replay into bev events. */
#include "bench_gen.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dbuf.h"

void bgen_gift(rng *r, const char **id, const char **name, uint64_t *unit_value)
{
    static const struct { const char *id, *name; uint64_t v; } cat[] = {
        { "1", "辣条", 100 }, { "30607", "小心心", 0 }, { "31036", "小花花", 100 },
        { "31039", "牛哇牛哇", 100 }, { "30758", "打call", 500 }, { "31216", "干杯", 1000 },
        { "30046", "告白气球", 52000 }, { "30064", "小电视飞船", 1245000 },
    };
    size_t i = rng_below(r, sizeof cat / sizeof cat[0]);
    *id = cat[i].id; *name = cat[i].name; *unit_value = cat[i].v;
}

void bgen_init(bgen *g, const corpus *c, int video, uint64_t seed,
               double gift_share, double like_share, double cmid_share)
{
    memset(g, 0, sizeof *g);
    g->c = c;
    rng_seed(&g->r, seed);
    g->pos = c->videos[video].first;
    g->end = g->pos + c->videos[video].count;
    g->seq = 1 + rng_below(&g->r, 200000);
    g->ts_ms = 1763600000000ll + (int64_t)rng_below(&g->r, 86400000);
    g->last_t = c->msgs[g->pos].t;
    g->gift_share = gift_share; g->like_share = like_share; g->cmid_share = cmid_share;
    snprintf(g->room, sizeof g->room, "r%u", (unsigned)(1 + rng_below(&g->r, 100000)));
    snprintf(g->epoch, sizeof g->epoch, "%016llx", (unsigned long long)rng_next(&g->r));
}

void bgen_free(bgen *g)
{
    free(g->ev); free(g->slot);
    memset(g, 0, sizeof *g);
}

size_t bgen_batch_size(rng *r, size_t max)
{
    double x = exp(rng_unit(r) * log((double)max + 1.0));
    size_t n = (size_t)x;
    return n < 1 ? 1 : n > max ? max : n;
}

static void fill_extra(bgen *g, bev *e, bgen_slot *s, uint32_t uhash)
{
    double u = rng_unit(&g->r);
    if (u < g->gift_share) {
        e->kind = BEV_GIFT;
        bgen_gift(&g->r, &e->gift_id, &e->gift_name, &e->unit_value);
        e->count = 1 + (uint32_t)(rng_below(&g->r, 4) ? 0 : rng_below(&g->r, 99));
    } else if (u < g->gift_share + g->like_share) {
        e->kind = BEV_LIKE;
        e->count = 1 + (uint32_t)rng_below(&g->r, 3);
        e->nick = NULL;
    }
    if (rng_unit(&g->r) < g->cmid_share) {
        snprintf(s->cmid, sizeof s->cmid, "%08x-%04x-%08x", (unsigned)rng_next(&g->r),
                 uhash & 0xffff, (unsigned)rng_next(&g->r));
        e->client_msg_id = s->cmid;
    }
}

size_t bgen_next(bgen *g, size_t want, const bev **out)
{
    if (want > g->cap) {
        g->ev = xrealloc(g->ev, want * sizeof *g->ev);
        g->slot = xrealloc(g->slot, want * sizeof *g->slot);
        g->cap = want;
    }
    size_t n = 0;
    for (; n < want && g->pos < g->end; n++, g->pos++) {
        const corpus_msg *m = &g->c->msgs[g->pos];
        bev *e = &g->ev[n]; bgen_slot *s = &g->slot[n];
        double dt = m->t - g->last_t;
        g->ts_ms += (int64_t)(dt > 0 ? dt * 1000 : 0) + (int64_t)rng_below(&g->r, 40);
        g->last_t = m->t;
        corpus_user_id(m->uhash, s->uid, sizeof s->uid);
        corpus_nick(m->uhash, s->nick, sizeof s->nick);
        *e = (bev){ .kind = BEV_COMMENT, .seq = g->seq++, .ts_ms = g->ts_ms,
                    .user_id = s->uid, .nick = s->nick, .text = m->text,
                    .text_len = m->text_len, .color = m->color, .size = m->size,
                    .mode = corpus_mode_pb(m->mode) };
        fill_extra(g, e, s, m->uhash);
    }
    *out = g->ev;
    return n;
}

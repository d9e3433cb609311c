/* bench_gen.h — turns corpus videos into realistic room events: consecutive
 * messages of one video (ordered by t) become comments with a derived user
 * id/nick, increasing seq and ts_ms, optional client_msg_id; a share of
 * gifts and likes is mixed in. Used for dictionaries and wire-size. */
#ifndef BENCH_GEN_H
#define BENCH_GEN_H
#include <stddef.h>
#include "bench_corpus.h"
#include "bench_enc.h"
#include "bench_rng.h"

typedef struct bgen_slot { char uid[24], nick[64], cmid[40]; } bgen_slot;

typedef struct bgen {
    const corpus *c;
    rng r;
    size_t pos, end;           /* message range of the current video */
    uint64_t seq;
    int64_t ts_ms;
    double last_t;
    double gift_share, like_share, cmid_share;
    char room[32], epoch[17];
    bev *ev; bgen_slot *slot; size_t cap;
} bgen;

/* Starts generating from video `video` of c. */
void bgen_init(bgen *g, const corpus *c, int video, uint64_t seed,
               double gift_share, double like_share, double cmid_share);
void bgen_free(bgen *g);
/* Produces up to `want` next events (valid until the next call). Returns the
 * count, 0 when the video is exhausted. */
size_t bgen_next(bgen *g, size_t want, const bev **out);
/* A random batch size in 1..max, log-uniform (small batches are common). */
size_t bgen_batch_size(rng *r, size_t max);
/* Picks a gift from the catalog: id, name, unit value. */
void bgen_gift(rng *r, const char **id, const char **name, uint64_t *unit_value);

#endif

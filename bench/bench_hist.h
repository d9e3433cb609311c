/* bench_hist.h — log-linear latency histogram (HdrHistogram-like): values
 * below 2^sub_bits are exact; above, each power of two is split into
 * 2^sub_bits linear buckets, so a bucket's width is at most 1/2^sub_bits of
 * its values (sub_bits 7: ≤ 0.79 %, and the reported midpoint is within
 * 0.4 %). Histograms with the same sub_bits merge by adding counts. */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct hist {
    int sub_bits;
    size_t nbuckets;
    uint64_t *counts;
    uint64_t total, min, max;
    double sum;
} hist;

/* sub_bits in 1..10. Allocates (aborts on OOM). */
void hist_init(hist *h, int sub_bits);
void hist_free(hist *h);
void hist_reset(hist *h);
/* Records value v (any uint64; values beyond 2^63 land in the top bucket). */
void hist_add(hist *h, uint64_t v);
void hist_add_n(hist *h, uint64_t v, uint64_t n);
/* Adds src's counts into dst (same sub_bits): 0, or -1 if they differ. */
int hist_merge(hist *dst, const hist *src);
/* Value at quantile q in [0,1] (the midpoint of the bucket that holds the
 * ceil(q*total)-th value, clamped to [min,max]); 0 if empty. q = 1 is max. */
uint64_t hist_quantile(const hist *h, double q);
double hist_mean(const hist *h);
/* Bucket index of v and the [lo, hi] range of values of bucket i. */
size_t hist_index(const hist *h, uint64_t v);
void hist_bucket_range(const hist *h, size_t i, uint64_t *lo, uint64_t *hi);
/* Binary (de)serialization, sparse: 0 / -1. Read into an uninitialized h. */
int hist_write(const hist *h, FILE *f);
int hist_read(hist *h, FILE *f);

#endif

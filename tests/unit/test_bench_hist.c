/* test_bench_hist.c — the bench's log-linear histogram: bounded relative
 * error against exact quantiles of known samples, merge, serialization. */
#include "t.h"
#include <math.h>
#include "../../bench/bench_hist.h"
#include "../../bench/bench_rng.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_exact_small_values(void)
{
    hist h; hist_init(&h, 7);
    for (uint64_t v = 0; v < 100; v++) hist_add(&h, v);
    T_EQ_U64(hist_quantile(&h, 0.5), 49);
    T_EQ_U64(hist_quantile(&h, 0.99), 98);
    T_EQ_U64(hist_quantile(&h, 1.0), 99);
    T_EQ_U64(h.min, 0);
    hist_free(&h);
}

static void test_bucket_width_bound(void)
{
    hist h; hist_init(&h, 7);
    for (size_t i = 128; i < h.nbuckets; i += 37) {
        uint64_t lo, hi;
        hist_bucket_range(&h, i, &lo, &hi);
        T_ASSERT(hist_index(&h, lo) == i && hist_index(&h, hi) == i);
        T_ASSERT((double)(hi - lo) / (double)lo <= 0.01);
        if (hi == UINT64_MAX) break;
    }
    T_EQ_U64(hist_index(&h, UINT64_MAX), h.nbuckets - 1);
    hist_free(&h);
}

static void test_quantiles_vs_exact(void)
{
    enum { N = 200000 };
    static uint64_t v[N];
    rng r; rng_seed(&r, 42);
    hist h; hist_init(&h, 7);
    for (int i = 0; i < N; i++) {     /* log-normal-ish latencies in us */
        v[i] = (uint64_t)(exp(8.0 + 1.5 * (rng_unit(&r) + rng_unit(&r) - 1.0)) + 1);
        hist_add(&h, v[i]);
    }
    qsort(v, N, sizeof v[0], cmp_u64);
    const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
    for (int k = 0; k < 4; k++) {
        uint64_t exact = v[(size_t)ceil(qs[k] * N) - 1];
        uint64_t got = hist_quantile(&h, qs[k]);
        double err = fabs((double)got - (double)exact) / (double)exact;
        if (err > 0.01) { T_FAIL_("q%.3f: got %llu exact %llu", qs[k], (unsigned long long)got, (unsigned long long)exact); return; }
    }
    T_EQ_U64(hist_quantile(&h, 1.0), v[N - 1]);
    T_EQ_U64(h.total, N);
    hist_free(&h);
}

static void test_merge_equals_single(void)
{
    hist a, b, all; hist_init(&a, 7); hist_init(&b, 7); hist_init(&all, 7);
    rng r; rng_seed(&r, 7);
    for (int i = 0; i < 50000; i++) {
        uint64_t x = rng_below(&r, 5000000);
        hist_add(i % 3 ? &a : &b, x); hist_add(&all, x);
    }
    T_EQ_INT(hist_merge(&a, &b), 0);
    T_EQ_U64(a.total, all.total);
    T_EQ_U64(a.max, all.max); T_EQ_U64(a.min, all.min);
    T_EQ_U64(hist_quantile(&a, 0.99), hist_quantile(&all, 0.99));
    T_EQ_MEM(a.counts, all.counts, a.nbuckets * sizeof a.counts[0]);
    hist c; hist_init(&c, 5);
    T_EQ_INT(hist_merge(&a, &c), -1);
    hist_free(&a); hist_free(&b); hist_free(&all); hist_free(&c);
}

static void test_serialize_roundtrip(void)
{
    hist h, g; hist_init(&h, 7);
    for (uint64_t i = 1; i < 100000; i += 7) hist_add(&h, i * i);
    FILE *f = tmpfile();
    T_ASSERT(f);
    T_EQ_INT(hist_write(&h, f), 0);
    rewind(f);
    T_EQ_INT(hist_read(&g, f), 0);
    fclose(f);
    T_EQ_U64(g.total, h.total); T_EQ_U64(g.max, h.max);
    T_EQ_MEM(g.counts, h.counts, h.nbuckets * sizeof h.counts[0]);
    T_EQ_U64(hist_quantile(&g, 0.999), hist_quantile(&h, 0.999));
    hist_free(&h); hist_free(&g);
}

static void test_empty(void)
{
    hist h; hist_init(&h, 7);
    T_EQ_U64(hist_quantile(&h, 0.5), 0);
    T_ASSERT(hist_mean(&h) == 0);
    hist_free(&h);
}

int main(void)
{
    T_RUN(test_exact_small_values);
    T_RUN(test_bucket_width_bound);
    T_RUN(test_quantiles_vs_exact);
    T_RUN(test_merge_equals_single);
    T_RUN(test_serialize_roundtrip);
    T_RUN(test_empty);
    return T_DONE();
}

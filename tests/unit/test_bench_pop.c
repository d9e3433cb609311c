/* test_bench_pop.c — popularity distributions: Zipf shape, hot room share,
 * uniform apportionment, sampling agrees with the weights. */
#include "t.h"
#include <math.h>
#include "../../bench/bench_pop.h"

static void test_zipf_shape(void)
{
    pop p;
    T_EQ_INT(pop_init(&p, "zipf:1.0", 100), 0);
    double h = 0;
    for (int k = 1; k <= 100; k++) h += 1.0 / k;
    T_ASSERT(fabs(pop_weight(&p, 0) - 1.0 / h) < 1e-9);
    T_ASSERT(fabs(pop_weight(&p, 0) / pop_weight(&p, 1) - 2.0) < 1e-9);
    T_ASSERT(fabs(pop_weight(&p, 9) / pop_weight(&p, 99) - 10.0) < 1e-9);
    /* sampling: empirical frequencies follow the weights */
    enum { N = 400000 };
    size_t cnt[100] = { 0 };
    rng r; rng_seed(&r, 1);
    for (int i = 0; i < N; i++) cnt[pop_sample(&p, &r)]++;
    T_ASSERT(fabs((double)cnt[0] / N - pop_weight(&p, 0)) < 0.005);
    double ratio = (double)cnt[0] / (double)cnt[3];   /* expect 4 */
    T_ASSERT(ratio > 3.7 && ratio < 4.3);
    /* log-log slope of counts ~ -s */
    double slope = (log((double)cnt[49]) - log((double)cnt[4])) / (log(50.0) - log(5.0));
    T_ASSERT(slope < -0.85 && slope > -1.15);
    pop_free(&p);
    T_EQ_INT(pop_init(&p, "zipf:2", 10), 0);
    T_ASSERT(fabs(pop_weight(&p, 0) / pop_weight(&p, 1) - 4.0) < 1e-9);
    pop_free(&p);
}

static void test_hot_room(void)
{
    pop p;
    T_EQ_INT(pop_init(&p, "hot:0.5", 11), 0);
    T_ASSERT(fabs(pop_weight(&p, 0) - 0.5) < 1e-12);
    T_ASSERT(fabs(pop_weight(&p, 5) - 0.05) < 1e-12);
    size_t c[11];
    pop_apportion(&p, 1000, c);
    T_EQ_U64(c[0], 500);
    for (int i = 1; i < 11; i++) T_EQ_U64(c[i], 50);
    pop_free(&p);
}

static void test_uniform_assign(void)
{
    pop p;
    T_EQ_INT(pop_init(&p, "uniform", 7), 0);
    uint32_t room[100];
    pop_assign(&p, 100, room);
    size_t c[7] = { 0 };
    for (int i = 0; i < 100; i++) { T_ASSERT(room[i] < 7); c[room[i]]++; }
    for (int i = 0; i < 7; i++) T_ASSERT(c[i] == 14 || c[i] == 15);
    T_EQ_U64(room[0], 0); T_EQ_U64(room[1], 1);   /* interleaved ramp */
    pop_free(&p);
}

static void test_apportion_sums(void)
{
    pop p;
    T_EQ_INT(pop_init(&p, "zipf:1.0", 2000), 0);
    size_t c[2000], tot = 0;
    pop_apportion(&p, 20000, c);
    for (int i = 0; i < 2000; i++) tot += c[i];
    T_EQ_U64(tot, 20000);
    T_ASSERT(c[0] > 2400 && c[0] < 2500);   /* 20000 / H(2000) ~ 2445 */
    T_ASSERT(c[0] >= c[1] && c[1] >= c[2]);
    pop_free(&p);
}

static void test_bad_specs(void)
{
    pop p;
    T_EQ_INT(pop_init(&p, "zipf:x", 5), -1);
    T_EQ_INT(pop_init(&p, "hot:1.5", 5), -1);
    T_EQ_INT(pop_init(&p, "pareto", 5), -1);
    T_EQ_INT(pop_init(&p, "uniform", 0), -1);
}

int main(void)
{
    T_RUN(test_zipf_shape);
    T_RUN(test_hot_room);
    T_RUN(test_uniform_assign);
    T_RUN(test_apportion_sums);
    T_RUN(test_bad_specs);
    return T_DONE();
}

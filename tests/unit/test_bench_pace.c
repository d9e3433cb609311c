/* test_bench_pace.c — open-loop pacing: the schedule is fixed in advance
 * (it does not depend on when the sender asks), a late sender catches up
 * with every overdue event, rates and Poisson statistics hold. */
#include "t.h"
#include <math.h>
#include "../../bench/bench_pace.h"

static void test_constant_schedule(void)
{
    pace p; int64_t t;
    pace_init(&p, 1000, PACE_CONSTANT, 1, 1000000, 2000000);
    T_EQ_INT(pace_take(&p, 999999, &t), 0);        /* nothing before start */
    T_EQ_INT(pace_take(&p, 1000000, &t), 1); T_EQ_U64(t, 1000000);
    T_EQ_INT(pace_take(&p, 1000000, &t), 0);
    T_EQ_INT(pace_take(&p, 1001000, &t), 1); T_EQ_U64(t, 1001000);
    int n = 0;
    while (pace_take(&p, 3000000, &t)) n++;        /* catch up to the end */
    T_EQ_INT(n, 998);
    T_EQ_U64(p.k, 1000);
}

static void test_schedule_independent_of_polling(void)
{
    /* two senders, one polls every 1 ms, the other stalls for 300 ms at a
     * time (a slow server): they get the same intended times */
    pace a, b; int64_t ta[3000], tb[3000]; int na = 0, nb = 0;
    pace_init(&a, 5000, PACE_POISSON, 99, 0, 500000);
    pace_init(&b, 5000, PACE_POISSON, 99, 0, 500000);
    for (int64_t now = 0; now <= 600000; now += 1000)
        while (na < 3000 && pace_take(&a, now, &ta[na])) na++;
    for (int64_t now = 0; now <= 600000; now += 300000)
        while (nb < 3000 && pace_take(&b, now, &tb[nb])) nb++;
    T_EQ_INT(na, nb);
    T_EQ_MEM(ta, tb, (size_t)na * sizeof ta[0]);
    T_ASSERT(na > 2300 && na < 2700);              /* ~2500 in 0.5 s */
}

static void test_poisson_stats(void)
{
    pace p; int64_t t, prev = 0;
    pace_init(&p, 10000, PACE_POISSON, 5, 0, 10000000);
    double sum = 0, sum2 = 0; int n = 0;
    while (pace_take(&p, 10000000, &t)) {
        double gap = (double)(t - prev); prev = t;
        sum += gap; sum2 += gap * gap; n++;
    }
    T_ASSERT(n > 99000 && n < 101000);
    double mean = sum / n, sd = sqrt(sum2 / n - mean * mean);
    T_ASSERT(fabs(mean - 100.0) < 2.0);
    T_ASSERT(fabs(sd / mean - 1.0) < 0.05);        /* exponential: cv = 1 */
}

static void test_bounded_by_end(void)
{
    pace p; int64_t t;
    pace_init(&p, 100, PACE_CONSTANT, 1, 0, 1000000);
    int n = 0;
    while (pace_take(&p, INT64_MAX - 1, &t)) n++;
    T_EQ_INT(n, 100);
    T_ASSERT(pace_peek(&p) == INT64_MAX);
    T_EQ_INT(pace_parse("poisson"), PACE_POISSON);
    T_EQ_INT(pace_parse("bursty"), -1);
}

int main(void)
{
    T_RUN(test_constant_schedule);
    T_RUN(test_schedule_independent_of_polling);
    T_RUN(test_poisson_stats);
    T_RUN(test_bounded_by_end);
    return T_DONE();
}

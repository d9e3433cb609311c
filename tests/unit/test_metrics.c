/* test_metrics.c — the shared-memory metric table: counters, gauges and
 * histograms per slot, written in forked children and read by the parent,
 * exact exposition text, and the output accepted by `promtool check metrics`
 * (Debian's prometheus package; scripts/deps.sh installs it). */
#include "t.h"
#include "metrics.h"
#include <sys/wait.h>
#include <unistd.h>

enum { M_EVENTS, M_CONNS, M_LAT, M_CLOSES, M_BUILD, M_N };
static const char *const kinds[] = { "comment", "gift", "like", NULL };
static const char *const codes[] = { "1000", "4429", NULL };
static const char *const build[] = { "0.9 (abc123)", NULL };
static const double lat[] = { 0.01, 0.1, 1 };
static const mx_def defs[M_N] = {
    [M_EVENTS] = { "dm_test_events_total", MX_COUNTER, "Events by kind.", "kind", kinds, NULL, 0 },
    [M_CONNS]  = { "dm_test_connections", MX_GAUGE, "Open connections.", NULL, NULL, NULL, 0 },
    [M_LAT]    = { "dm_test_latency_seconds", MX_HISTOGRAM, "Latency \\ of \"things\".", NULL, NULL, lat, 3 },
    [M_CLOSES] = { "dm_test_closes_total", MX_COUNTER, "Closes by code.", "code", codes, NULL, 0 },
    [M_BUILD]  = { "dm_test_build_info", MX_GAUGE, "Build.", "version", build, NULL, 0 },
};

static char *render(void)
{
    dbuf b;
    dbuf_init(&b);
    mx_render(&b);
    return dbuf_steal(&b, NULL);
}

static void test_bad_tables(void)
{
    static const double down[] = { 1, 0.5 };
    mx_def d = { "x", MX_HISTOGRAM, "h", NULL, NULL, NULL, 0 };
    T_EQ_INT(mx_setup(&d, 1, 1), -1);           /* no bounds */
    d.bounds = down;
    d.nbounds = 2;
    T_EQ_INT(mx_setup(&d, 1, 1), -1);           /* not ascending */
    d.type = 7;
    T_EQ_INT(mx_setup(&d, 1, 1), -1);
    T_EQ_INT(mx_setup(defs, M_N, 0), -1);
}

static void test_one_slot_exact(void)
{
    T_EQ_INT(mx_setup(defs, M_N, 1), 0);
    mx_add(M_EVENTS, mx_label(M_EVENTS, "gift"), 3);
    mx_add(M_EVENTS, 0, 1);
    mx_set(M_CONNS, 0, 42);
    mx_observe(M_LAT, 0, 0.005);
    mx_observe(M_LAT, 0, 0.5);
    mx_observe(M_LAT, 0, 7);
    mx_set(M_BUILD, 0, 1);
    mx_add(M_EVENTS, 9, 1);                     /* out of range: ignored */
    mx_set(M_EVENTS, 0, 5);                     /* wrong type: ignored */
    T_EQ_INT(mx_label(M_EVENTS, "nope"), -1);
    T_EQ_INT((int)mx_get(M_EVENTS, 1), 3);
    char *s = render();
    const char *want =
        "# HELP dm_test_events_total Events by kind.\n"
        "# TYPE dm_test_events_total counter\n"
        "dm_test_events_total{kind=\"comment\"} 1\n"
        "dm_test_events_total{kind=\"gift\"} 3\n"
        "dm_test_events_total{kind=\"like\"} 0\n"
        "# HELP dm_test_connections Open connections.\n"
        "# TYPE dm_test_connections gauge\n"
        "dm_test_connections 42\n"
        "# HELP dm_test_latency_seconds Latency \\\\ of \"things\".\n"
        "# TYPE dm_test_latency_seconds histogram\n"
        "dm_test_latency_seconds_bucket{le=\"0.01\"} 1\n"
        "dm_test_latency_seconds_bucket{le=\"0.1\"} 1\n"
        "dm_test_latency_seconds_bucket{le=\"1\"} 2\n"
        "dm_test_latency_seconds_bucket{le=\"+Inf\"} 3\n"
        "dm_test_latency_seconds_sum 7.505\n"
        "dm_test_latency_seconds_count 3\n"
        "# HELP dm_test_closes_total Closes by code.\n"
        "# TYPE dm_test_closes_total counter\n"
        "dm_test_closes_total{code=\"1000\"} 0\n"
        "dm_test_closes_total{code=\"4429\"} 0\n"
        "# HELP dm_test_build_info Build.\n"
        "# TYPE dm_test_build_info gauge\n"
        "dm_test_build_info{version=\"0.9 (abc123)\"} 1\n";
    if (strcmp(s, want))
        fprintf(stderr, "got:\n%s", s);
    T_EQ_STR(s, want);
    free(s);
}

/* Three children write their own slots; the parent sees all of them. */
static void test_slots_across_fork(void)
{
    T_EQ_INT(mx_setup(defs, M_N, 3), 0);
    for (int k = 0; k < 3; k++) {
        pid_t p = fork();
        if (p == 0) {
            mx_bind(k);
            for (int i = 0; i <= k; i++)
                mx_add(M_CLOSES, 1, 10);
            mx_set(M_CONNS, 0, 100 + k);
            mx_observe(M_LAT, 0, 0.05 * (k + 1));
            _exit(0);
        }
        int st;
        waitpid(p, &st, 0);
        T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    char *s = render();
    T_ASSERT(strstr(s, "dm_test_closes_total{worker=\"0\",code=\"4429\"} 10\n"));
    T_ASSERT(strstr(s, "dm_test_closes_total{worker=\"2\",code=\"4429\"} 30\n"));
    T_ASSERT(strstr(s, "dm_test_connections{worker=\"1\"} 101\n"));
    T_ASSERT(strstr(s, "dm_test_latency_seconds_bucket{worker=\"2\",le=\"1\"} 1\n"));
    T_ASSERT(strstr(s, "dm_test_latency_seconds_count{worker=\"0\"} 1\n"));
    free(s);
    mx_clear_slot(1);
    s = render();
    T_ASSERT(strstr(s, "dm_test_connections{worker=\"1\"} 0\n"));
    T_ASSERT(strstr(s, "dm_test_connections{worker=\"2\"} 102\n"));
    free(s);
    T_EQ_INT(mx_bind(3), -1);
}

/* The text must be what Prometheus accepts: promtool's own linter. */
static void test_promtool_accepts(void)
{
    T_EQ_INT(mx_setup(defs, M_N, 2), 0);
    mx_bind(1);
    mx_add(M_EVENTS, 0, 5);
    mx_observe(M_LAT, 0, 0.2);
    mx_set(M_BUILD, 0, 1);
    char *s = render();
    char path[] = "/tmp/dm-metrics-XXXXXX";
    int fd = mkstemp(path);
    T_ASSERT(fd >= 0);
    T_ASSERT(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
    close(fd);
    free(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    T_ASSERT(p);
    char out[4096];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    int rc = pclose(p);
    unlink(path);
    if (rc != 0 || n)
        fprintf(stderr, "promtool (rc %d): %s\n", rc, out);
    T_EQ_INT(rc, 0);
    T_EQ_INT(n, 0);
}

int main(void)
{
    T_RUN(test_bad_tables);
    T_RUN(test_one_slot_exact);
    T_RUN(test_slots_across_fork);
    T_RUN(test_promtool_accepts);
    return T_DONE();
}

/* edge_conf.c — the edge's option table: parsing of --name value /
 * --name=value, defaults, bounds and the generated --help text. */
#include "edge_conf.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "dbuf.h"

#ifndef DM_SHARE_DIR
#define DM_SHARE_DIR "proto/zdict"
#endif

enum { OPT_STR, OPT_INT };

typedef struct opt {
    const char *name;
    int type;
    size_t off;
    const char *def;
    long min, max;
    const char *help;
} opt;

#define S(f) OPT_STR, offsetof(edge_conf, f)
#define I(f) OPT_INT, offsetof(edge_conf, f)
static const opt opts[] = {
    {"listen", S(listen), "127.0.0.1:8081", 0, 0, "HOST:PORT to serve WebSocket viewers on"},
    {"redis", S(redis), "127.0.0.1:6379", 0, 0, "HOST:PORT of redis-server"},
    {"workers", I(workers), "1", 1, 64, "worker processes sharing the port (SO_REUSEPORT)"},
    {"tick-ms", I(tick_ms), "50", 1, 10000, "per-room batching window in ms (the shortest, for small rooms)"},
    {"tick-max-ms", I(tick_max_ms), "500", 1, 60000, "longest adaptive room tick (= --tick-ms: fixed tick)"},
    {"flush-grid-ms", I(flush_grid_ms), "5", 1, 1000, "room ticks end on this grid so one wake-up flushes every due room"},
    {"write-budget", I(write_budget), "70", 1, 100, "percent of a core a worker plans to spend writing frames"},
    {"max-viewers-per-worker", I(max_viewers), "19000", 1, 1000000, "viewers per worker; beyond: 503"},
    {"idle-timeout-s", I(idle_timeout_s), "60", 1, 86400, "close a viewer silent this long (4408)"},
    {"ping-interval-s", I(ping_interval_s), "20", 1, 86400, "server ping interval"},
    {"max-msg", I(max_msg), "4096", 125, 16777216, "max client message size (larger: 1009)"},
    {"zstd-level", I(zstd_level), "3", 1, 19, "zstd compression level"},
    {"zstd-dict-dir", S(zstd_dict_dir), DM_SHARE_DIR, 0, 0, "dir with danmaku-json.zdict / danmaku-pb.zdict"},
    {"history-default", I(history_default), "20", 0, 100000, "events sent on join without ?history"},
    {"history-max", I(history_max), "100", 0, 100000, "cap for ?history=N"},
    {"ring-events", I(ring_events), "32", 0, 100000, "delivered events kept in memory per room for joiners and resumes (older: XRANGE)"},
    {"max-batch", I(max_batch), "500", 1, 100000, "max events per frame"},
    {"slow-soft-bytes", I(slow_soft_bytes), "65536", 1024, 1L << 40, "pending output above this: skip comments"},
    {"slow-hard-bytes", I(slow_hard_bytes), "1048576", 1024, 1L << 40, "pending output above this: close 4429"},
    {"slow-soft-age-ms", I(slow_soft_age_ms), "2000", 10, 86400000, "output backlogged this long: skip comments"},
    {"slow-hard-age-ms", I(slow_hard_age_ms), "10000", 10, 86400000, "output backlogged this long: close 4429"},
    {"close-timeout-ms", I(close_timeout_ms), "5000", 100, 600000, "drop a closing connection that reads nothing this long"},
    {"sndbuf", I(sndbuf), "0", 0, 1L << 30, "SO_SNDBUF for viewer sockets (0: kernel default)"},
    {"stats-interval-s", I(stats_interval_s), "10", 1, 86400, "stats log line interval"},
    {"log-level", S(log_level), "info", 0, 0, "debug|info|warn|error"},
    {"auth-secret-file", S(auth_secret_file), "", 0, 0, "HS256 secret file: viewers need ?token=<JWT> (empty: no tokens)"},
};
#undef S
#undef I
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

void edge_conf_usage(FILE *f, const char *prog)
{
    fprintf(f, "usage: %s [options]\n\nWebSocket edge: fans room batches from Redis out to viewers.\n\n", prog);
    for (size_t i = 0; i < NOPTS; i++) {
        const opt *o = &opts[i];
        fprintf(f, "  --%-24s %s (default %s", o->name, o->help, o->def);
        if (o->type == OPT_INT)
            fprintf(f, "; %ld..%ld", o->min, o->max);
        fprintf(f, ")\n");
    }
    fprintf(f, "  --%-24s this text\n", "help");
}

static int set_opt(edge_conf *c, const opt *o, const char *val)
{
    char *p = (char *)c + o->off;
    if (o->type == OPT_STR) {
        char **s = (char **)p;
        free(*s);
        *s = xstrdup(val);
        return 0;
    }
    char *end;
    errno = 0;
    long v = strtol(val, &end, 10);
    if (errno || end == val || *end || v < o->min || v > o->max) {
        fprintf(stderr, "--%s: expected an integer in %ld..%ld, got '%s'\n", o->name, o->min, o->max, val);
        return -1;
    }
    *(long *)p = v;
    return 0;
}

static const opt *find_opt(const char *name, size_t n)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(opts[i].name) == n && !memcmp(opts[i].name, name, n))
            return &opts[i];
    return NULL;
}

static int split_hostport(const char *s, char *host, size_t hsz, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= hsz)
        return -1;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p <= 0 || p > 65535)
        return -1;
    memcpy(host, s, colon - s);
    host[colon - s] = 0;
    if (host[0] == '[') {   /* [::1]:80 */
        size_t n = strlen(host);
        if (n < 2 || host[n - 1] != ']')
            return -1;
        memmove(host, host + 1, n - 2);
        host[n - 2] = 0;
    }
    *port = (int)p;
    return 0;
}

static int finish(edge_conf *c)
{
    if (split_hostport(c->listen, c->listen_host, sizeof c->listen_host, &c->listen_port)) {
        fprintf(stderr, "--listen: expected HOST:PORT, got '%s'\n", c->listen);
        return -1;
    }
    if (split_hostport(c->redis, c->redis_host, sizeof c->redis_host, &c->redis_port)) {
        fprintf(stderr, "--redis: expected HOST:PORT, got '%s'\n", c->redis);
        return -1;
    }
    if (c->tick_max_ms < c->tick_ms)
        c->tick_max_ms = c->tick_ms;
    if (c->history_default > c->history_max)
        c->history_default = c->history_max;
    if (c->slow_hard_bytes < c->slow_soft_bytes)
        c->slow_hard_bytes = c->slow_soft_bytes;
    if (c->slow_hard_age_ms < c->slow_soft_age_ms)
        c->slow_hard_age_ms = c->slow_soft_age_ms;
    return 0;
}

int edge_conf_parse(edge_conf *c, int argc, char **argv)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < NOPTS; i++)
        if (set_opt(c, &opts[i], opts[i].def))
            return -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            edge_conf_usage(stdout, argv[0]);
            return 1;
        }
        if (strncmp(a, "--", 2)) {
            fprintf(stderr, "unexpected argument '%s' (see --help)\n", a);
            return -1;
        }
        const char *eq = strchr(a + 2, '=');
        size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        const opt *o = find_opt(a + 2, n);
        if (!o) {
            fprintf(stderr, "unknown option '%s' (see --help)\n", a);
            return -1;
        }
        const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!val) {
            fprintf(stderr, "--%s needs a value\n", o->name);
            return -1;
        }
        if (set_opt(c, o, val))
            return -1;
    }
    return finish(c);
}

void edge_conf_free(edge_conf *c)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (opts[i].type == OPT_STR) {
            char **s = (char **)((char *)c + opts[i].off);
            free(*s);
            *s = NULL;
        }
}

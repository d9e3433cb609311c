/* edge_conf.c — the edge's option table (one entry per option; the engine
 * in common/opt.c does parsing, --help and --print-config). */
#include "edge_conf.h"
#include <stddef.h>
#include <string.h>
#include "opt.h"

#ifndef DM_SHARE_DIR
#define DM_SHARE_DIR "proto/zdict"
#endif
#ifndef DM_WEB_DIR
#define DM_WEB_DIR "web/dist"
#endif

static const char *const level_names[] = { "debug", "info", "warn", "error", NULL };

#define F(f) OPT_FIELD(edge_conf, f)
#define INT(nm, field, dflt, lo, hi, what) \
    { .name = nm, .type = OPT_INT, F(field), .def = dflt, .min = lo, .max = hi, .arg = "N", .help = what }
#define SIZE(nm, field, dflt, lo, hi, what) \
    { .name = nm, .type = OPT_SIZE, F(field), .def = dflt, .min = lo, .max = hi, .arg = "BYTES", .help = what }
static const opt_def edge_table[] = {
    { .name = "listen", .type = OPT_HOSTPORT, F(listen), .def = "127.0.0.1:8081",
      .arg = "HOST:PORT", .help = "address to serve WebSocket viewers on" },
    { .name = "redis", .type = OPT_HOSTPORT, F(redis), .def = "127.0.0.1:6379",
      .arg = "HOST:PORT", .help = "redis-server the rooms are read from" },
    INT("workers", workers, "1", 1, 64, "worker processes sharing the port (SO_REUSEPORT)"),
    INT("tick-ms", tick_ms, "50", 1, 10000, "shortest room tick in ms (the tick while the worker's writes suffice)"),
    INT("tick-max-ms", tick_max_ms, "500", 1, 60000, "longest tick the worker stretches to when writes run short (= --tick-ms: fixed tick)"),
    INT("flush-grid-ms", flush_grid_ms, "5", 1, 1000, "room ticks end on this grid so one wake-up flushes every due room"),
    INT("write-budget", write_budget, "70", 1, 100, "percent of a core a worker plans to spend, at its measured all-in cost per frame"),
    INT("max-viewers-per-worker", max_viewers, "19000", 1, 1000000, "viewers per worker; beyond: 503"),
    INT("idle-timeout-s", idle_timeout_s, "60", 1, 86400, "close a viewer silent this long (4408)"),
    INT("ping-interval-s", ping_interval_s, "20", 1, 86400, "server ping interval"),
    SIZE("max-msg", max_msg, "4096", 125, 16777216, "max client message size (larger: 1009)"),
    INT("zstd-level", zstd_level, "3", 1, 19, "zstd compression level (6: smaller frames for ~3x the CPU per batch, docs/BENCHMARKS.md S6)"),
    { .name = "zstd-dict-dir", .type = OPT_STR, F(zstd_dict_dir), .def = "", .arg = "DIR",
      .help = "dir with danmaku-{json,pb,pb2}.zdict, previous ones in DIR/previous/ (empty: the build's proto/zdict)" },
    { .name = "web-dir", .type = OPT_STR, F(web_dir), .def = "", .arg = "DIR",
      .help = "viewer page served at / and /rooms/{room} (`make web`; empty: the build's web/dist; none: no page)" },
    INT("history-default", history_default, "20", 0, 100000, "events sent on join without ?history"),
    INT("history-max", history_max, "100", 0, 100000, "cap for ?history=N"),
    INT("ring-events", ring_events, "32", 0, 100000, "delivered events kept in memory per room for joiners and resumes (older: XRANGE)"),
    INT("max-batch", max_batch, "500", 1, 100000, "max events per frame"),
    SIZE("slow-soft-bytes", slow_soft_bytes, "65536", 1024, 1LL << 40, "pending output above this: skip comments"),
    SIZE("slow-hard-bytes", slow_hard_bytes, "1048576", 1024, 1LL << 40, "pending output above this: close 4429"),
    INT("slow-soft-age-ms", slow_soft_age_ms, "2000", 10, 86400000, "output backlogged this long: skip comments"),
    INT("slow-hard-age-ms", slow_hard_age_ms, "10000", 10, 86400000, "output backlogged this long: close 4429"),
    INT("close-timeout-ms", close_timeout_ms, "5000", 100, 600000, "drop a closing connection that reads nothing this long"),
    SIZE("sndbuf", sndbuf, "0", 0, 1LL << 30, "SO_SNDBUF for viewer sockets (0: kernel default)"),
    INT("stats-interval-s", stats_interval_s, "10", 1, 86400, "stats log line interval"),
    { .name = "log-level", .type = OPT_ENUM, F(log_level), .def = "info", .names = level_names,
      .arg = "LEVEL", .help = "least severe level logged" },
    { .name = "auth-secret-file", .type = OPT_STR, F(auth_secret_file), .def = "", .arg = "FILE",
      .help = "HS256 secret file: viewers need ?token=<JWT> (empty: no tokens)" },
    { .name = "auth-keys-file", .type = OPT_STR, F(auth_keys_file), .def = "", .arg = "FILE",
      .help = "token keys by kid for rotation (docs/SECURITY.md); reloaded on SIGHUP; "
              "instead of --auth-secret-file" },
    INT("auth-leeway-s", auth_leeway_s, "30", 0, 3600, "clock skew allowed on token exp and nbf, seconds"),
    { .name = "redis-user", .type = OPT_STR, F(redis_user), .def = "", .arg = "NAME",
      .help = "Redis ACL user (needs --redis-password-file)" },
    { .name = "redis-password-file", .type = OPT_STR, F(redis_password_file), .def = "", .arg = "FILE",
      .help = "file holding the Redis password: AUTH on every (re)connect" },
};
#undef SIZE
#undef INT
#undef F

static const opt_spec edge_spec = {
    .prog = "edge",
    .synopsis = "[options]",
    .about = "WebSocket edge: fans room batches from Redis out to viewers.",
    .env_prefix = "DM_EDGE_",
    .defs = edge_table,
    .ndefs = sizeof edge_table / sizeof edge_table[0],
};

static void finish(edge_conf *c)
{
    if (!c->zstd_dict_dir[0])
        snprintf(c->zstd_dict_dir, sizeof c->zstd_dict_dir, "%s", DM_SHARE_DIR);
    if (!c->web_dir[0])
        snprintf(c->web_dir, sizeof c->web_dir, "%s", DM_WEB_DIR);
    dm_hostport_str(&c->listen, c->listen_text, sizeof c->listen_text);
    dm_hostport_str(&c->redis, c->redis_text, sizeof c->redis_text);
    if (c->tick_max_ms < c->tick_ms)
        c->tick_max_ms = c->tick_ms;
    if (c->history_default > c->history_max)
        c->history_default = c->history_max;
    if (c->slow_hard_bytes < c->slow_soft_bytes)
        c->slow_hard_bytes = c->slow_soft_bytes;
    if (c->slow_hard_age_ms < c->slow_soft_age_ms)
        c->slow_hard_age_ms = c->slow_soft_age_ms;
}

int edge_conf_parse(edge_conf *c, int argc, char **argv)
{
    memset(c, 0, sizeof *c);
    int rc = opt_parse(&edge_spec, c, argc, argv, stdout, stderr);
    if (rc != OPT_RUN)
        return rc == OPT_EXIT ? 1 : -1;
    finish(c);
    return 0;
}

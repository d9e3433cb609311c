/* bench_cfg.c — danmaku-bench's option table (one entry per option; the
 * engine in common/opt.c does parsing, --help and --print-config) and the
 * parsers for its special forms (address lists, mix, popularity). */
#include "bench_cfg.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_pop.h"
#include "opt.h"

#define DEFAULT_CORPUS "../shared/data/danmaku/bilibili_video_danmaku.jsonl"

#ifndef DM_SHARE_DIR
#define DM_SHARE_DIR "proto/zdict"
#endif

/* An IPv4 HOST:PORT ("localhost" allowed). */
static int put_hp(const char *t, size_t i, void *arr, char *err, size_t errsz)
{
    hostport *hp = &((hostport *)arr)[i];
    struct in_addr a;
    if (dm_hostport_parse(t, hp, err, errsz) < 0)
        return -1;
    if (!strcmp(hp->host, "localhost"))
        snprintf(hp->host, sizeof hp->host, "127.0.0.1");
    if (inet_pton(AF_INET, hp->host, &a) != 1) {
        snprintf(err, errsz, "'%s': the bench needs an IPv4 address (or localhost)", t);
        return -1;
    }
    return 0;
}

static int put_addr(const char *t, size_t i, void *arr, char *err, size_t errsz)
{
    struct in_addr a;
    if (inet_pton(AF_INET, t, &a) != 1) {
        snprintf(err, errsz, "'%s' is not an IPv4 address", t);
        return -1;
    }
    snprintf(((char (*)[64])arr)[i], 64, "%s", t);
    return 0;
}

static int put_pid(const char *t, size_t i, void *arr, char *err, size_t errsz)
{
    char *end;
    long p = strtol(t, &end, 10);
    if (*end || end == t || p <= 0 || p > 4194304) {
        snprintf(err, errsz, "'%s' is not a pid", t);
        return -1;
    }
    ((int *)arr)[i] = (int)p;
    return 0;
}

/* Comma lists (replaced, "" for none) with their count fields. */
static int parse_list(const opt_def *d, void *cfg, const char *v, char *err, size_t errsz)
{
    bench_cfg *c = cfg;
    void *arr = (char *)cfg + d->off;
    size_t *n = arr == c->edges ? &c->nedges : arr == c->bcs ? &c->nbcs
              : arr == c->src_addrs ? &c->nsrc : &c->npids;
    int (*fn)(const char *, size_t, void *, char *, size_t) =
        arr == c->src_addrs ? put_addr : arr == c->server_pids ? put_pid : put_hp;
    int k = *v ? opt_split(v, BENCH_MAX_ADDRS, fn, arr, err, errsz) : 0;   /* "": none */
    if (k < 0)
        return -1;
    *n = (size_t)k;
    return 0;
}

/* "comments:0.98,gifts:0.02,likes:0" into mix[3] (normalized). */
static int parse_mix(const opt_def *d, void *cfg, const char *s, char *err, size_t errsz)
{
    static const char *const names[3] = { "comments", "gifts", "likes" };
    double *mix = ((bench_cfg *)cfg)->mix, m[3] = { 0, 0, 0 };
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':'), *end = NULL;
        int k = -1;
        if (colon) {
            *colon = 0;
            for (int i = 0; i < 3; i++)
                if (!strcmp(tok, names[i]))
                    k = i;
        }
        double v = colon ? strtod(colon + 1, &end) : -1;
        if (k < 0 || !end || *end || end == colon + 1 || v < 0)
            goto bad;
        m[k] = v;
    }
    double tot = m[0] + m[1] + m[2];
    if (tot <= 0)
        goto bad;
    for (int i = 0; i < 3; i++)
        mix[i] = m[i] / tot;
    return 0;
bad:
    snprintf(err, errsz, "'%s' is not KIND:WEIGHT[,..] (KIND comments|gifts|likes, weights >= 0, sum > 0)", s);
    return -1;
}

static int parse_popularity(const opt_def *d, void *cfg, const char *v, char *err, size_t errsz)
{
    bench_cfg *c = cfg;
    pop p;
    if (strlen(v) >= sizeof c->popularity || pop_init(&p, v, 2) < 0) {
        snprintf(err, errsz, "'%s' is not uniform, zipf:S or hot:F", v);
        return -1;
    }
    pop_free(&p);
    snprintf(c->popularity, sizeof c->popularity, "%s", v);
    return 0;
}

/* A number with an optional "/s" suffix, in d->dmin..d->dmax. */
static int parse_per_sec(const opt_def *d, void *cfg, const char *v, char *err, size_t errsz)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || (*end && strcmp(end, "/s")) || !(x >= d->dmin && x <= d->dmax)) {
        snprintf(err, errsz, "'%s' is not a rate in %g..%g (per second, \"/s\" optional)", v, d->dmin, d->dmax);
        return -1;
    }
    *(double *)((char *)cfg + d->off) = x;
    return 0;
}

static int parse_room_prefix(const opt_def *d, void *cfg, const char *v, char *err, size_t errsz)
{
    bench_cfg *c = cfg;
    size_t n = strlen(v);
    if (n >= 24 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != n) {
        snprintf(err, errsz, "'%s' is not at most 23 of [A-Za-z0-9_-]", v);
        return -1;
    }
    memcpy(c->room_prefix, v, n + 1);
    return 0;
}

static const char *const format_names[] = { "json", "pb", "pb2", NULL };   /* WIRE_* */
static const char *const compress_names[] = { "none", "zstd", NULL };
static const char *const arrival_names[] = { "constant", "poisson", NULL };   /* PACE_* */
static const char *const target_names[] = { "dm", "redis", "nchan", NULL };    /* TARGET_* */

const char *cfg_target_name(int target)
{
    return target >= 0 && target <= TARGET_NCHAN ? target_names[target] : "?";
}

#define F(f) OPT_FIELD(bench_cfg, f)
#define LIST(nm, field, argname, what) \
    { .name = nm, .type = OPT_CUSTOM, F(field), .parse = parse_list, .arg = argname, .help = what }
#define UINT(nm, field, dflt, lo, hi, what) \
    { .name = nm, .type = OPT_UINT, F(field), .def = dflt, .min = lo, .max = hi, .arg = "N", .help = what }
#define DBL(nm, field, dflt, lo, hi, what) \
    { .name = nm, .type = OPT_DOUBLE, F(field), .def = dflt, .dmin = lo, .dmax = hi, .arg = "SEC", .help = what }
#define STR(nm, field, dflt, argname, what) \
    { .name = nm, .type = OPT_STR, F(field), .def = dflt, .arg = argname, .help = what }
#define FLAG(nm, field, what) \
    { .name = nm, .type = OPT_BOOL, F(field), .def = "off", .flags = OPT_NOARG, .help = what }
static const opt_def bench_table[] = {
    LIST("edge", edges, "HOST:PORT[,..]", "edge HOST:PORT list the viewers connect to (IPv4; required for the load test)"),
    LIST("broadcaster", bcs, "HOST:PORT[,..]", "broadcaster HOST:PORT list events are published to (required unless --rate 0)"),
    UINT("viewers", viewers, "100", 0, 10000000, "WebSocket viewers"),
    UINT("rooms", rooms, "1", 1, 1000000, "rooms"),
    { .name = "popularity", .type = OPT_CUSTOM, F(popularity), .def = "uniform", .parse = parse_popularity,
      .arg = "uniform|zipf:S|hot:F", .help = "how viewers and events spread over rooms" },
    { .name = "format", .type = OPT_ENUM, F(format), .def = "json", .names = format_names,
      .arg = "F", .help = "frame format the viewers ask for (pb2: format=pb&v=2, no client_msg_id, "
                          "so delivery is checked but latency is not measured)" },
    { .name = "compress", .type = OPT_ENUM, F(compress), .def = "none", .names = compress_names,
      .arg = "C", .help = "frame compression the viewers ask for" },
    { .name = "ramp", .type = OPT_CUSTOM, F(ramp), .def = "5000", .dmin = 1, .dmax = 1e7,
      .parse = parse_per_sec, .arg = "N[/s]", .help = "connections per second (1..1e7)" },
    { .name = "rate", .type = OPT_CUSTOM, F(rate), .def = "100", .dmin = 0, .dmax = 1e7,
      .parse = parse_per_sec, .arg = "EV[/s]", .help = "total published events per second (0..1e7; 0: none)" },
    { .name = "mix", .type = OPT_CUSTOM, F(mix), .def = "comments:0.98,gifts:0.02,likes:0", .parse = parse_mix,
      .arg = "KIND:W,..", .help = "event kinds and their weights (comments, gifts, likes)" },
    { .name = "arrivals", .type = OPT_ENUM, F(arrivals), .def = "constant", .names = arrival_names,
      .arg = "A", .help = "publishing schedule" },
    DBL("duration", duration, "10", 0.1, 3600, "measured publishing time (--raw-baseline: writing time)"),
    DBL("warmup", warmup, "2", 0, 600, "publishing before measurement"),
    DBL("drain", drain, "3", 0, 600, "wait for deliveries after publishing"),
    STR("corpus", corpus, DEFAULT_CORPUS, "FILE", "comment texts (JSON lines)"),
    UINT("procs", procs, "0", 0, 256, "viewer processes (0: ceil(viewers/15000); --raw-baseline: readers, <= 64)"),
    UINT("pub-conns", pub_conns, "8", 1, 1024, "HTTP keep-alive connections per broadcaster"),
    LIST("src-addrs", src_addrs, "IPV4[,..]", "loopback source addresses for viewers [default: 127.0.0.1, "
                                 "plus 127.0.0.2.. when viewers > 25000]"),
    LIST("server-pids", server_pids, "PID[,..]", "sample CPU% and RSS of these pids and their children"),
    { .name = "history", .type = OPT_INT, F(history), .def = "0", .min = -1, .max = 1000000,
      .arg = "N", .help = "?history=N sent to the edge (-1: omitted)" },
    { .name = "room-prefix", .type = OPT_CUSTOM, F(room_prefix), .parse = parse_room_prefix,
      .arg = "S", .help = "rooms are named S<k> [default: b<pid>-]" },
    STR("dict-dir", dict_dir, "", "DIR", "zstd dictionaries (empty: the build's proto/zdict; none: no dictionary)"),
    UINT("seed", seed, "1", 0, 1000000000000000000LL, "schedule seed"),
    STR("label", label, "", "TEXT", "free text stored in the JSON result"),
    STR("json", json_out, "", "FILE", "write the full result as JSON"),
    STR("plot", plot_prefix, "", "PREFIX", "write gnuplot PNGs PREFIX-*.png"),
    FLAG("quiet", quiet, "no progress lines"),
    { .name = "target", .type = OPT_ENUM, F(target), .def = "dm", .names = target_names, .arg = "T",
      .help = "system under test: dm (--edge/--broadcaster), redis (pub/sub), nchan (nginx)" },
    { .name = "redis", .type = OPT_HOSTPORT, F(redis_addr), .arg = "HOST:PORT",
      .help = "--target redis: the redis-server viewers SUBSCRIBE to and publishers PUBLISH to" },
    { .name = "nchan", .type = OPT_HOSTPORT, F(nchan_addr), .arg = "HOST:PORT",
      .help = "--target nchan: nginx with nchan at /sub/<room> (websocket) and /pub/<room>" },
    FLAG("peer-start", peer_start, "--target redis|nchan: start the server in a temp dir on a free port, stop it at the end"),
    UINT("peer-workers", peer_workers, "2", 1, 64, "--peer-start --target nchan: nginx worker processes"),
    FLAG("train-dict", train_dict, "mode: train zstd dictionaries from --corpus into --out-dir"),
    STR("out-dir", out_dir, "proto/zdict", "DIR", "--train-dict output directory"),
    UINT("dict-size", dict_size, "65536", 1024, 1048576, "--train-dict dictionary size in bytes"),
    FLAG("wire-size", wire_size, "mode: bytes per comment and CPU per frame for every format, from every "
                                 "video of --corpus (or --heldout)"),
    FLAG("heldout", heldout, "--wire-size: only the corpus's held-out videos"),
    STR("frames", frames, "", "FILE", "mode: the edge's frame for each batch of events in FILE (JSON lines, "
                                      "- for stdin) with --format/--compress, one hex line each"),
    { .name = "zstd-level", .type = OPT_INT, F(zstd_level), .def = "3", .min = 1, .max = 22,
      .arg = "N", .help = "--wire-size / --frames zstd level" },
    FLAG("raw-baseline", raw_baseline, "mode: bare socket writes, the physical limit (--conns, --frame-bytes, --duration)"),
    UINT("conns", conns, "1000", 1, 200000, "--raw-baseline connections"),
    UINT("frame-bytes", frame_bytes, "200", 8, 60000, "--raw-baseline frame payload bytes"),
    { .name = "round-rate", .type = OPT_DOUBLE, F(round_rate), .def = "0", .dmin = 0, .dmax = 1e9,
      .arg = "N", .help = "--raw-baseline rounds per second (0: as fast as possible)" },
    UINT("writers", writers, "0", 0, 64, "--raw-baseline writer processes (0: ceil(conns/18000))"),
};
#undef FLAG
#undef STR
#undef DBL
#undef UINT
#undef LIST
#undef F

static const opt_spec bench_spec = {
    .prog = "danmaku-bench",
    .synopsis = "--edge HOST:PORT[,..] --broadcaster HOST:PORT[,..] [options]\n"
                "       danmaku-bench --train-dict | --wire-size | --frames FILE | --raw-baseline [options]",
    .about = "Load test: N WebSocket viewers on the edge, events published to the\n"
             "broadcaster, end-to-end latency and delivery measured (see docs/BENCHMARKS.md).",
    .env_prefix = "DM_BENCH_",
    .defs = bench_table,
    .ndefs = sizeof bench_table / sizeof bench_table[0],
};

/* --target redis|nchan: the peer's address into edges[0] and bcs[0]; NULL
 * or why not. */
static const char *check_peer(bench_cfg *c)
{
    hostport *hp = c->target == TARGET_REDIS ? &c->redis_addr : &c->nchan_addr;
    struct in_addr a;
    if (c->format != 0 || c->compress != 0)
        return "peer targets carry our JSON batch frames: --format json --compress none";
    if (!strcmp(hp->host, "localhost"))
        snprintf(hp->host, sizeof hp->host, "127.0.0.1");
    if (c->peer_start)
        return hp->host[0] ? "--peer-start excludes --redis/--nchan HOST:PORT" : NULL;
    if (!hp->host[0])
        return c->target == TARGET_REDIS ? "--target redis needs --redis HOST:PORT or --peer-start"
                                         : "--target nchan needs --nchan HOST:PORT or --peer-start";
    if (inet_pton(AF_INET, hp->host, &a) != 1)
        return "the peer address must be IPv4 (or localhost)";
    c->edges[0] = c->bcs[0] = *hp;
    c->nedges = c->nbcs = 1;
    return NULL;
}

/* Rules across options; 0 or -1 after the message. */
static int check(bench_cfg *c, FILE *err)
{
    const char *why = NULL;
    if (!strcmp(c->dict_dir, "none"))
        c->dict_dir[0] = 0;
    else if (!c->dict_dir[0])
        snprintf(c->dict_dir, sizeof c->dict_dir, "%s", DM_SHARE_DIR);
    int frames = c->frames[0] != 0;
    if (c->train_dict + c->wire_size + c->raw_baseline + frames > 1)
        why = "--train-dict, --wire-size, --frames and --raw-baseline exclude each other";
    else if (c->raw_baseline && c->procs > 64)
        why = "--procs: at most 64 reader processes with --raw-baseline";
    else if (c->train_dict || c->wire_size || c->raw_baseline || frames)
        return 0;
    else if (c->target != TARGET_DM)
        why = check_peer(c);
    else if (!c->nedges)
        why = "--edge HOST:PORT[,..] is required (try --help)";
    else if (!c->nbcs && c->rate > 0)
        why = "--broadcaster HOST:PORT[,..] is required (or --rate 0)";
    if (!why)
        return 0;
    fprintf(err, "%s: %s\n", bench_spec.prog, why);
    return -1;
}

int cfg_parse(bench_cfg *c, int argc, char **argv, FILE *out, FILE *err)
{
    memset(c, 0, sizeof *c);
    int rc = opt_parse(&bench_spec, c, argc, argv, out, err);
    if (rc != OPT_RUN)
        return rc == OPT_EXIT ? 1 : -1;
    return check(c, err);
}

const char *cfg_format_name(int format)
{
    return format == 2 ? "pb2" : format == 1 ? "pb" : "json";
}

size_t cfg_nprocs(const bench_cfg *c)
{
    size_t need = (c->viewers + 14999) / 15000;
    size_t n = c->procs > need ? c->procs : need;
    return n ? n : 1;
}

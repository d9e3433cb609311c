/* bench_cfg.c — command-line parsing for the load test. */
#include "bench_cfg.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_pace.h"
#include "bench_pop.h"

#define DEFAULT_CORPUS "../shared/data/danmaku/bilibili_video_danmaku.jsonl"

void cfg_defaults(bench_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->viewers = 100; c->rooms = 1;
    snprintf(c->popularity, sizeof c->popularity, "uniform");
    c->ramp = 5000; c->rate = 100;
    c->mix[0] = 0.98; c->mix[1] = 0.02; c->mix[2] = 0;
    c->arrivals = PACE_CONSTANT;
    c->duration = 10; c->warmup = 2; c->drain = 3;
    snprintf(c->corpus, sizeof c->corpus, "%s", DEFAULT_CORPUS);
    c->pub_conns = 8;
    snprintf(c->dict_dir, sizeof c->dict_dir, "%s", DM_SHARE_DIR);
    c->history = 0;
    c->seed = 1;
}

int cfg_hostport(const char *s, hostport *hp)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof hp->host) return -1;
    memcpy(hp->host, s, (size_t)(colon - s));
    hp->host[colon - s] = 0;
    if (!strcmp(hp->host, "localhost")) snprintf(hp->host, sizeof hp->host, "127.0.0.1");
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p <= 0 || p > 65535) return -1;
    hp->port = (int)p;
    return 0;
}

/* Splits a comma list, calling fn on each item; -1 if fn fails or > max. */
static int split(const char *s, size_t max, size_t *n, int (*fn)(const char *, void *, size_t), void *arr)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", s);
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n >= max || fn(tok, arr, *n) < 0) return -1;
        (*n)++;
    }
    return *n ? 0 : -1;
}

static int put_hp(const char *t, void *arr, size_t i) { return cfg_hostport(t, &((hostport *)arr)[i]); }
static int put_addr(const char *t, void *arr, size_t i)
{
    if (strlen(t) >= 64) return -1;
    snprintf(((char (*)[64])arr)[i], 64, "%s", t);
    return 0;
}
static int put_pid(const char *t, void *arr, size_t i)
{
    char *end; long p = strtol(t, &end, 10);
    if (*end || p <= 0) return -1;
    ((int *)arr)[i] = (int)p;
    return 0;
}

int cfg_mix(const char *s, double mix[3])
{
    static const char *const names[3] = { "comments", "gifts", "likes" };
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    double m[3] = { 0, 0, 0 };
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (!colon) return -1;
        *colon = 0;
        int k = -1;
        for (int i = 0; i < 3; i++) if (!strcmp(tok, names[i])) k = i;
        char *end; double v = strtod(colon + 1, &end);
        if (k < 0 || *end || v < 0) return -1;
        m[k] = v;
    }
    double tot = m[0] + m[1] + m[2];
    if (tot <= 0) return -1;
    for (int i = 0; i < 3; i++) mix[i] = m[i] / tot;
    return 0;
}

size_t cfg_nprocs(const bench_cfg *c)
{
    size_t need = (c->viewers + 14999) / 15000;
    size_t n = c->procs > need ? c->procs : need;
    return n ? n : 1;
}

void cfg_usage(FILE *f)
{
    fprintf(f,
"usage: danmaku-bench --edge HOST:PORT[,..] --broadcaster HOST:PORT[,..] [options]\n"
"  --viewers N           WebSocket viewers (default 100)\n"
"  --rooms R             rooms (default 1)\n"
"  --popularity P        uniform | zipf:S | hot:F (default uniform)\n"
"  --format F            json | pb | pb2 (default json); pb2 = format=pb&v=2, which\n"
"                        carries no client_msg_id: delivery is checked, latency not\n"
"  --compress C          none | zstd (default none)\n"
"  --ramp N/s            connections per second (default 5000)\n"
"  --rate EV/s           total published events per second (default 100; 0 = none)\n"
"  --mix M               comments:0.98,gifts:0.02,likes:0\n"
"  --arrivals A          constant | poisson (default constant)\n"
"  --duration S          measured publishing time (default 10)\n"
"  --warmup S            publishing before measurement (default 2)\n"
"  --drain S             wait for deliveries after publishing (default 3)\n"
"  --corpus FILE         comment texts (default " DEFAULT_CORPUS ")\n"
"  --procs P             viewer processes (default/minimum ceil(N/15000))\n"
"  --pub-conns K         HTTP keep-alive connections per broadcaster (default 8)\n"
"  --src-addrs A,B,..    loopback source addresses for viewers (default 127.0.0.1\n"
"                        plus 127.0.0.2.. when N > 25000)\n"
"  --server-pids P,..    sample CPU%% and RSS of these pids and their children\n"
"  --history N           ?history=N sent to the edge (default 0; -1: omit)\n"
"  --room-prefix S       room names S<k> (default b<pid>-)\n"
"  --dict-dir DIR        zstd dictionaries (default proto/zdict)\n"
"  --seed N              schedule seed; --label TEXT; --quiet\n"
"  --json FILE           full result as JSON;  --plot PREFIX  gnuplot PNGs\n"
"other modes: --train-dict --corpus F --out-dir D [--dict-size BYTES (65536)]\n"
"             --wire-size --corpus F [--heldout] [--dict-dir D] [--zstd-level L]\n"
"               (every video of F, or only its held-out ones)\n"
"             --frames FILE --format F --compress C [--dict-dir D] [--zstd-level L]\n"
"               (the edge's frames for batches of events given as JSON lines)\n"
"             --raw-baseline --conns N --frame-bytes B --duration S\n");
}

const char *cfg_format_name(int format)
{
    return format == 2 ? "pb2" : format == 1 ? "pb" : "json";
}

static int opt_num(const char *v, double lo, double hi, double *out)
{
    char *end; double d = strtod(v, &end);
    if (end == v || (*end && strcmp(end, "/s")) || d < lo || d > hi) return -1;
    *out = d;
    return 0;
}

static int parse_one(bench_cfg *c, const char *o, const char *v)
{
    double d;
    size_t n;
    if (!strcmp(o, "--edge")) return split(v, BENCH_MAX_ADDRS, &c->nedges, put_hp, c->edges);
    if (!strcmp(o, "--broadcaster")) return split(v, BENCH_MAX_ADDRS, &c->nbcs, put_hp, c->bcs);
    if (!strcmp(o, "--src-addrs")) return split(v, BENCH_MAX_ADDRS, &c->nsrc, put_addr, c->src_addrs);
    if (!strcmp(o, "--server-pids")) return split(v, BENCH_MAX_ADDRS, &c->npids, put_pid, c->server_pids);
    if (!strcmp(o, "--viewers")) { if (opt_num(v, 0, 1e7, &d)) return -1; c->viewers = (size_t)d; return 0; }
    if (!strcmp(o, "--rooms")) { if (opt_num(v, 1, 1e6, &d)) return -1; c->rooms = (size_t)d; return 0; }
    if (!strcmp(o, "--popularity")) { pop p; if (pop_init(&p, v, 2) < 0) return -1; pop_free(&p);
        snprintf(c->popularity, sizeof c->popularity, "%s", v); return 0; }
    if (!strcmp(o, "--format")) {
        c->format = !strcmp(v, "json") ? 0 : !strcmp(v, "pb") ? 1 : !strcmp(v, "pb2") ? 2 : -1;
        return c->format < 0 ? -1 : 0;
    }
    if (!strcmp(o, "--compress")) { if (strcmp(v, "none") && strcmp(v, "zstd")) return -1; c->compress = !strcmp(v, "zstd"); return 0; }
    if (!strcmp(o, "--ramp")) return opt_num(v, 1, 1e7, &c->ramp);
    if (!strcmp(o, "--rate")) return opt_num(v, 0, 1e7, &c->rate);
    if (!strcmp(o, "--mix")) return cfg_mix(v, c->mix);
    if (!strcmp(o, "--arrivals")) return (c->arrivals = pace_parse(v)) < 0 ? -1 : 0;
    if (!strcmp(o, "--duration")) return opt_num(v, 0.1, 3600, &c->duration);
    if (!strcmp(o, "--warmup")) return opt_num(v, 0, 600, &c->warmup);
    if (!strcmp(o, "--drain")) return opt_num(v, 0, 600, &c->drain);
    if (!strcmp(o, "--procs")) { if (opt_num(v, 1, 256, &d)) return -1; c->procs = (size_t)d; return 0; }
    if (!strcmp(o, "--pub-conns")) { if (opt_num(v, 1, 1024, &d)) return -1; c->pub_conns = (size_t)d; return 0; }
    if (!strcmp(o, "--history")) { if (opt_num(v, -1, 1e6, &d)) return -1; c->history = (int)d; return 0; }
    if (!strcmp(o, "--seed")) { if (opt_num(v, 0, 1e18, &d)) return -1; c->seed = (uint64_t)d; return 0; }
    n = strlen(v);
    if (!strcmp(o, "--corpus")) { if (n >= sizeof c->corpus) return -1; memcpy(c->corpus, v, n + 1); return 0; }
    if (!strcmp(o, "--json")) { if (n >= sizeof c->json_out) return -1; memcpy(c->json_out, v, n + 1); return 0; }
    if (!strcmp(o, "--plot")) { if (n >= sizeof c->plot_prefix) return -1; memcpy(c->plot_prefix, v, n + 1); return 0; }
    if (!strcmp(o, "--dict-dir")) { if (n >= sizeof c->dict_dir) return -1; memcpy(c->dict_dir, v, n + 1); return 0; }
    if (!strcmp(o, "--label")) { if (n >= sizeof c->label) return -1; memcpy(c->label, v, n + 1); return 0; }
    if (!strcmp(o, "--room-prefix")) {
        if (n >= 24) return -1;
        for (size_t i = 0; i < n; i++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", v[i])) return -1;
        memcpy(c->room_prefix, v, n + 1); return 0;
    }
    return -2;
}

int cfg_parse(bench_cfg *c, int argc, char **argv, char *err, size_t errsz)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quiet")) { c->quiet = 1; continue; }
        if (i + 1 >= argc) { snprintf(err, errsz, "option %s needs a value (or is unknown)", argv[i]); return -1; }
        int r = parse_one(c, argv[i], argv[i + 1]);
        if (r == -2) { snprintf(err, errsz, "unknown option %s", argv[i]); return -1; }
        if (r < 0) { snprintf(err, errsz, "bad value for %s: %s", argv[i], argv[i + 1]); return -1; }
        i++;
    }
    if (!c->nedges) { snprintf(err, errsz, "--edge is required"); return -1; }
    if (!c->nbcs && c->rate > 0) { snprintf(err, errsz, "--broadcaster is required (or --rate 0)"); return -1; }
    return 0;
}

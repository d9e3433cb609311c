/* bench_cfg.h — the load-test configuration (parsed from the command line in
 * bench_cfg.c) shared by the orchestrator, the viewer processes and the
 * publishers. */
#ifndef BENCH_CFG_H
#define BENCH_CFG_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_MAX_ADDRS 64

typedef struct hostport { char host[64]; int port; } hostport;

typedef struct bench_cfg {
    hostport edges[BENCH_MAX_ADDRS];  size_t nedges;
    hostport bcs[BENCH_MAX_ADDRS];    size_t nbcs;
    char src_addrs[BENCH_MAX_ADDRS][64]; size_t nsrc;
    int server_pids[BENCH_MAX_ADDRS]; size_t npids;
    size_t viewers, rooms;
    char popularity[64];
    int format;                 /* 0 json, 1 pb, 2 pb v2 (WIRE_*) */
    int compress;               /* 0 none, 1 zstd */
    double ramp;                /* connections per second (total) */
    double rate;                /* events per second (total) */
    double mix[3];              /* comments, gifts, likes (normalized) */
    int arrivals;               /* PACE_* */
    double duration, warmup, drain;
    char corpus[1024];
    size_t procs;               /* viewer processes; 0 = automatic */
    size_t pub_conns;           /* HTTP connections per broadcaster */
    char json_out[1024], plot_prefix[1024];
    char dict_dir[1024];
    char room_prefix[40];
    int history;                /* ?history= sent to the edge (-1: not sent) */
    uint64_t seed;
    int quiet;
    char label[128];            /* free text stored in the JSON result */
} bench_cfg;

/* Fills defaults. */
void cfg_defaults(bench_cfg *c);
/* Parses the load-test options argv[1..argc). Returns 0, or -1 with a
 * message in err. Unknown options are errors. */
int cfg_parse(bench_cfg *c, int argc, char **argv, char *err, size_t errsz);
/* Parses "host:port" (host an IPv4 literal or "localhost"): 0 / -1. */
int cfg_hostport(const char *s, hostport *hp);
/* Parses "comments:0.98,gifts:0.02,likes:0" into mix[3] (normalized). */
int cfg_mix(const char *s, double mix[3]);
/* Viewer processes for cfg: max(procs, ceil(viewers / 15000)), >= 1. */
size_t cfg_nprocs(const bench_cfg *c);
void cfg_usage(FILE *f);
/* "json" | "pb" | "pb2" for bench_cfg.format. */
const char *cfg_format_name(int format);

#endif

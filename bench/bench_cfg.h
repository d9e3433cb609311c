/* bench_cfg.h — the load-test configuration shared by the orchestrator, the
 * viewer processes and the publishers, parsed by one option table
 * (common/opt.h: command line, --config FILE, DM_BENCH_* variables, --help,
 * --print-config) in bench_cfg.c. */
#ifndef BENCH_CFG_H
#define BENCH_CFG_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "hostport.h"

#define BENCH_MAX_ADDRS 64

/* What the load test drives (--target): our stack, or a peer system with
 * the same payloads, schedule and accounting (issue 10). */
enum bench_target { TARGET_DM = 0, TARGET_REDIS = 1, TARGET_NCHAN = 2 };

typedef dm_hostport hostport;   /* host: an IPv4 literal ("localhost" -> 127.0.0.1) */

typedef struct bench_cfg {
    hostport edges[BENCH_MAX_ADDRS];  size_t nedges;
    hostport bcs[BENCH_MAX_ADDRS];    size_t nbcs;
    char src_addrs[BENCH_MAX_ADDRS][64]; size_t nsrc;
    int server_pids[BENCH_MAX_ADDRS]; size_t npids;
    size_t viewers, rooms;
    char popularity[64];
    int format;                 /* 0 json, 1 pb, 2 pb v2 (format=pb&v=2; WIRE_*) */
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
    char dict_dir[1024];        /* "": no dictionary */
    char room_prefix[40];
    int history;                /* ?history= sent to the edge (-1: not sent) */
    uint64_t seed;
    int quiet;
    char label[128];            /* free text stored in the JSON result */
    /* peers: the viewers subscribe to edges[0], publishes go to bcs[0] */
    int target;                 /* enum bench_target */
    hostport redis_addr, nchan_addr;   /* host "": not given */
    int peer_start;             /* start our own redis-server / nginx */
    size_t peer_workers;        /* nginx worker processes */
    /* other modes */
    int train_dict, wire_size, raw_baseline;
    int heldout;                /* --wire-size: only the held-out videos */
    char frames[1024];          /* --frames FILE ("": not this mode) */
    size_t dict_size;           /* --train-dict */
    char out_dir[1024];         /* --train-dict output */
    int zstd_level;             /* --wire-size */
    size_t conns, frame_bytes, writers;   /* --raw-baseline */
    double round_rate;
} bench_cfg;

/* Parses defaults, DM_BENCH_* variables, --config FILE and argv into c.
 * Returns 0 to run, 1 if --help / --print-config was printed to out, -1
 * after one error message on err (exit 2). The load test (no mode flag)
 * needs --edge, and --broadcaster unless --rate 0; --target redis|nchan
 * needs --redis/--nchan HOST:PORT (copied into edges[0] and bcs[0]) or
 * --peer-start (the caller fills them once the server runs). */
int cfg_parse(bench_cfg *c, int argc, char **argv, FILE *out, FILE *err);
/* "json" | "pb" | "pb2" for bench_cfg.format. */
const char *cfg_format_name(int format);
/* "dm" | "redis" | "nchan". */
const char *cfg_target_name(int target);
/* Viewer processes for cfg: max(procs, ceil(viewers / 15000)), >= 1. */
size_t cfg_nprocs(const bench_cfg *c);

#endif

/* bench_raw.h — the bare-write baseline ("physical limit"): a plain C
 * server accepts N loopback connections from forked reader processes and
 * writes one pre-built WebSocket frame (the send time stamped in its first
 * 8 payload bytes, re-stamped once per round, not per socket) to every
 * socket in a loop, as fast as it can or at a set round rate. Readers
 * measure per-frame latency. Reports socket writes/s and latency. */
#ifndef BENCH_RAW_H
#define BENCH_RAW_H
#include <stddef.h>

typedef struct raw_cfg {
    size_t conns;
    size_t frame_bytes;     /* payload bytes (>= 8) */
    double duration;        /* seconds of writing */
    double round_rate;      /* rounds per second; 0 = as fast as possible */
    size_t procs;           /* reader processes; 0 = ceil(conns / 15000) */
    size_t writers;         /* writer processes; 0 = ceil(conns / 18000) */
    char json_out[1024];
    char label[128];
} raw_cfg;

/* Runs the baseline, prints the summary; returns 0 / 1 (setup failure). */
int raw_run(const raw_cfg *c);

#endif

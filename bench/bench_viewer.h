/* bench_viewer.h — one viewer process: many non-blocking WebSocket client
 * connections on one libevent loop, ramped at a set rate, bound to one
 * loopback source address (--target nchan: /sub/<room>; --target redis: a
 * RESP connection that SUBSCRIBEs to the room, open once confirmed, each
 * pushed message one of our JSON frames). Each viewer decodes its frames
 * cheaply (bench_scan), feeds its completeness tracker and the latency
 * histograms.
 * Talks to the parent through two pipes: commands in (measure start,
 * stop), one stats record a second out; at the end it writes its whole
 * result to a file the parent merges. */
#ifndef BENCH_VIEWER_H
#define BENCH_VIEWER_H
#include <stdint.h>
#include <stdio.h>
#include "bench_cfg.h"
#include "bench_hist.h"
#include "frame_scan.h"
#include "bench_track.h"

#define VIEWER_SERIES_MAX 4000   /* seconds of latency-over-time */
#define VIEWER_SERIES_SUB 5      /* sub_bits of the per-second histograms */

/* Once a second, each process writes one of these to the stats pipe
 * (atomic: < PIPE_BUF). Counters are cumulative. */
typedef struct vstat_msg {
    uint32_t proc, connected, failed, closed;
    uint64_t events, frames, bytes, decode_err;
    uint64_t lat_p99_us, lat_n;   /* over the last second */
} vstat_msg;

/* Parent -> child commands on the control pipe. */
enum { VCMD_MEASURE = 'M', VCMD_STOP = 'S' };
typedef struct vcmd { char op; int64_t arg_us; } vcmd;

enum vout { VO_NEVER = 0, VO_OPEN = 1, VO_FAILED = 2, VO_CLOSED = 3 };
enum vfail { VF_NONE, VF_CONNECT, VF_HANDSHAKE, VF_TIMEOUT, VF_RESET, VF_SOCKET };

typedef struct viewer_result {
    uint32_t room;
    uint8_t outcome, fail;
    uint16_t close_code;
    uint64_t frames, events, bytes;
    track tr;
} viewer_result;

typedef struct viewer_job {
    const bench_cfg *cfg;
    uint32_t proc;
    size_t first, count;          /* global viewer indices */
    const uint32_t *room_of;      /* room of every global viewer */
    const char *src_addr;
    uint16_t port_lo, port_hi;    /* source ports this process binds explicitly */
    char prefix[48];              /* our client_msg_id prefix */
    char room_prefix[40];
    int ctl_fd, stat_fd;
    int64_t t0_us;                /* run start (series origin) */
    char result_path[512];
} viewer_job;

/* Runs the process's viewers until VCMD_STOP (or the control pipe closes,
 * or the hard deadline), writes the result file. Returns the exit code. */
int viewer_run(const viewer_job *job);

/* Merged process results, read back by the parent. */
typedef struct viewer_procres {
    uint64_t events[SK_NKINDS], frames, bytes, decode_err, cache_hits, cache_misses;
    hist lat[SK_NKINDS];          /* measured e2e latency, us */
    hist conn;                    /* connect+handshake time, us */
    hist fan;                     /* sequencer ts_ms -> receive, us (ms resolution) */
    size_t nseries;
    hist *series;                 /* latency per second since t0 (all kinds) */
    uint64_t fail_by[8];
    size_t nviewers;
    viewer_result *v;
} viewer_procres;

int viewer_result_read(const char *path, viewer_procres *r);
void viewer_result_free(viewer_procres *r);

int64_t now_us(void);             /* CLOCK_REALTIME in microseconds */
int64_t mono_us(void);            /* CLOCK_MONOTONIC in microseconds */

#endif

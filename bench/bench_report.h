/* bench_report.h — the merged outcome of a load-test run and its three
 * renderings: the summary table (stdout), the full JSON result (--json)
 * and the gnuplot plots (--plot PREFIX: PREFIX-latency.png over time and
 * PREFIX-cdf.png). */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H
#include <stdio.h>
#include "bench_cfg.h"
#include "bench_hist.h"
#include "bench_pub.h"
#include "frame_scan.h"
#include "bench_sys.h"

typedef struct worst_viewer { size_t viewer; uint32_t room; uint64_t missing; } worst_viewer;

typedef struct bench_agg {
    const bench_cfg *cfg;
    size_t nprocs;
    double ramp_s, publish_s, measure_s;   /* phase lengths */
    double pub_start_t;                    /* publishing start, s since t0 */
    /* connections */
    size_t connected, failed, closed;      /* at the end of the run */
    size_t connected_peak;
    uint64_t fail_by[8];
    uint16_t close_code[16]; uint64_t close_n[16]; size_t nclose;  /* server close codes */
    hist conn;                             /* us */
    /* delivery */
    uint64_t events[SK_NKINDS], frames, bytes, decode_err, cache_hits, cache_misses;
    hist lat[SK_NKINDS], lat_all;          /* us, events sent in the window */
    hist fan;                              /* sequencer -> viewer (fan-out part), us */
    hist *series; size_t nseries;          /* per second since t0 */
    uint64_t measured_events, window_frames, window_bytes;   /* window: the measured seconds */
    double events_per_s, frames_per_s;
    uint64_t expected;                     /* acked events x viewers of the room */
    /* completeness (viewers that got connected) */
    size_t checked, complete, closed_checked;
    uint64_t missing, missing_tail, missing_closed, dup, ooo, gap_events, gap_frames,
             reset_events, resets, epoch_resets, received;
    worst_viewer worst[10]; size_t nworst;
    /* publishing and servers */
    const pub_stats *pub;
    const sysmon *sys;
    const sysmon *self;                    /* the bench's own processes */
    uint64_t rss_idle, rss_connected;      /* server tree RSS before/after connect */
    int ok;
} bench_agg;

void report_summary(const bench_agg *a, FILE *f);
/* 0 / -1. */
int report_json(const bench_agg *a, const char *path);
/* Writes PREFIX-latency.dat/.png and PREFIX-cdf.dat/.png through gnuplot
 * (PNG; SVG if the PREFIX ends in ".svg" is not supported: always PNG). 0/-1. */
int report_plots(const bench_agg *a, const char *prefix);

#endif

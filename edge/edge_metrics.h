/* edge_metrics.h — the edge's Prometheus families (common/metrics.h): the
 * table, the setup the supervisor runs before forking, and the sync that
 * copies a worker's edge_stats counters and gauges into its metrics slot
 * (run once a second and before rendering /metrics). Hot files only call
 * edge_mx_* observe helpers. */
#ifndef DM_EDGE_METRICS_H
#define DM_EDGE_METRICS_H
#include "dbuf.h"
#include <stdint.h>

struct worker;

/* Lays out the shared region for `workers` slots (before fork): 0 or -1. */
int edge_mx_setup(int workers);
/* In a worker: binds slot `index` and sets build info. */
void edge_mx_bind(int index);
/* Copies w->st deltas (counters) and current gauges into this worker's slot. */
void edge_mx_sync(struct worker *w);
/* One frame of `events` events built by a flush. */
void edge_mx_batch(uint64_t events);
/* One room flush that took `us` microseconds. */
void edge_mx_flush_us(uint64_t us);
/* A close with WebSocket code `code` (unknown codes count as "other"). */
void edge_mx_close(int code);
/* Syncs w and appends the exposition text of all workers to out. */
void edge_mx_render(struct worker *w, dbuf *out);

#endif

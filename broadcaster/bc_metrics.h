/* bc_metrics.h — the broadcaster's Prometheus families (common/metrics.h):
 * setup before the workers fork, per-worker bind, and the few counting calls
 * the request path makes. GET /metrics renders every worker's slot. */
#ifndef DM_BC_METRICS_H
#define DM_BC_METRICS_H
#include "dbuf.h"
#include <stdint.h>

/* Lays out the shared region for `workers` slots (before fork): 0 or -1. */
int bc_mx_setup(int workers);
/* In a worker: binds slot `index` and sets build info. */
void bc_mx_bind(int index);
/* A request routed to the handler named `endpoint` (bc_handler name). */
void bc_mx_request(const char *endpoint);
/* An answer with HTTP status `status`. */
void bc_mx_status(int status);
/* Monotonic microseconds (start of a sequencer round trip). */
uint64_t bc_mx_now_us(void);
/* The sequencer answered a publish of kind index `kind` (0 comment, 1 gift,
 * 2 like) with `status` (< 0: unavailable; 0 stored; other bc_seq statuses
 * count as not stored), `t0_us` from bc_mx_now_us(): counts stored events by
 * kind and observes the round-trip (EVALSHA) latency. */
void bc_mx_sequenced(int kind, int status, uint64_t t0_us);
/* Appends the exposition text of all workers to out. */
void bc_mx_render(dbuf *out);

#endif

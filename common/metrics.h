/* metrics.h — Prometheus metrics for a program of one or more worker
 * processes: a fixed table of metric families, values in one shared memory
 * region (one slot per process, each written only by its owner), rendered in
 * the Prometheus text exposition format 0.0.4 by whichever process answers
 * GET /metrics. Nothing here allocates or locks on the update path.
 *
 * Use: the program declares a table of mx_def (ids are indexes into it),
 * calls mx_setup() once before forking, and each process calls mx_bind(slot)
 * with its own slot. Updates (mx_add, mx_set, mx_observe) go to the bound
 * slot; mx_render() reads every slot. With more than one slot each series
 * carries a `worker="<slot>"` label. Slots survive a process restart (a
 * restarted worker that binds the same slot keeps counting up). */
#ifndef DM_METRICS_H
#define DM_METRICS_H
#include <stddef.h>
#include <stdint.h>
#include "dbuf.h"

enum mx_type { MX_COUNTER = 0, MX_GAUGE, MX_HISTOGRAM };

typedef struct mx_def {
    const char *name;              /* e.g. "dm_edge_frames_total" */
    int type;                      /* enum mx_type */
    const char *help;              /* one line, no newline */
    const char *label;             /* label name, or NULL for one series */
    const char *const *values;     /* NULL-terminated label values (with label) */
    const double *bounds;          /* histogram: ascending upper bounds (+Inf implied) */
    size_t nbounds;
} mx_def;

/* Lays out the shared region for `n` families and `nslots` processes (mmap
 * MAP_SHARED|MAP_ANONYMOUS; call before fork). The table must outlive every
 * use. Returns 0, or -1 (bad table: unknown type, histogram without bounds,
 * bounds not ascending). Binds slot 0. Calling it again replaces the region. */
int mx_setup(const mx_def *defs, size_t n, int nslots);
/* Selects the slot this process writes to (0 .. nslots-1); 0 or -1. */
int mx_bind(int slot);
/* Zeroes one slot (e.g. the gauges of a worker that died and is not restarted). */
void mx_clear_slot(int slot);

/* Index of `value` among the family's label values, or -1. For the hot path
 * resolve it once, at start. */
int mx_label(int id, const char *value);

/* Counter: adds v to series `label` (0 without a label). */
void mx_add(int id, int label, uint64_t v);
/* Gauge: sets series `label` of this process to v. */
void mx_set(int id, int label, double v);
/* Histogram: records one observation v (in the family's unit). */
void mx_observe(int id, int label, double v);
/* Reads back this process's value of a counter/gauge series (tests, stats). */
double mx_get(int id, int label);

/* Appends the exposition text of every family (all slots) to out. Constant
 * information (build info) is a gauge family whose one label value carries
 * it, set to 1. */
void mx_render(dbuf *out);

/* Common bucket sets, in seconds. */
extern const double mx_latency_bounds[];   /* 0.0005 .. 10 s */
extern const size_t mx_latency_nbounds;
extern const double mx_size_bounds[];      /* 1 .. 4096 (events per batch etc.) */
extern const size_t mx_size_nbounds;

#endif

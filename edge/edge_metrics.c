/* edge_metrics.c — the edge's metric table and the edge_stats → slot sync. */
#include "edge_metrics.h"
#include "metrics.h"
#include "wctx.h"
#include <stdio.h>
#include <string.h>

#ifndef DM_VERSION
#define DM_VERSION "dev"
#endif

enum {
    M_BUILD, M_CONNS, M_VIEWERS, M_ROOMS, M_EVENTS_IN, M_FRAMES, M_BYTES,
    M_BATCH, M_FLUSH, M_SLOW, M_CLOSES, M_COUNT
};

static const char *const build_v[] = { DM_VERSION, NULL };
static const char *const kind_v[] = { "event", NULL };
static const char *const grade_v[] = { "degraded", "recovered", "closed", NULL };
static const char *const close_v[] = { "1000", "1001", "1002", "1008", "1009", "1011", "1013", "4400", "4401", "4403", "4408", "4429", "other", NULL };

static const mx_def defs[M_COUNT] = {
    [M_BUILD] = { "dm_edge_build_info", MX_GAUGE, "build of this edge (value 1)", "version", build_v, NULL, 0 },
    [M_CONNS] = { "dm_edge_connections", MX_GAUGE, "open TCP connections", NULL, NULL, NULL, 0 },
    [M_VIEWERS] = { "dm_edge_viewers", MX_GAUGE, "upgraded WebSocket viewers", NULL, NULL, NULL, 0 },
    [M_ROOMS] = { "dm_edge_rooms", MX_GAUGE, "rooms with a subscription", NULL, NULL, NULL, 0 },
    [M_EVENTS_IN] = { "dm_edge_events_in_total", MX_COUNTER, "events received from Redis", "kind", kind_v, NULL, 0 },
    [M_FRAMES] = { "dm_edge_frames_out_total", MX_COUNTER, "frames queued to viewers", NULL, NULL, NULL, 0 },
    [M_BYTES] = { "dm_edge_bytes_out_total", MX_COUNTER, "bytes queued to viewers", NULL, NULL, NULL, 0 },
    [M_BATCH] = { "dm_edge_batch_events", MX_HISTOGRAM, "events per built frame", NULL, NULL, NULL, 0 },
    [M_FLUSH] = { "dm_edge_flush_seconds", MX_HISTOGRAM, "duration of one room flush (fan-out)", NULL, NULL, NULL, 0 },
    [M_SLOW] = { "dm_edge_slow_transitions_total", MX_COUNTER, "slow-viewer grade transitions", "grade", grade_v, NULL, 0 },
    [M_CLOSES] = { "dm_edge_closes_total", MX_COUNTER, "WebSocket closes sent, by code", "code", close_v, NULL, 0 },
};

static mx_def table[M_COUNT];
static edge_stats last;          /* what this process already added */

int edge_mx_setup(int workers)
{
    memcpy(table, defs, sizeof table);
    table[M_BATCH].bounds = mx_size_bounds;
    table[M_BATCH].nbounds = mx_size_nbounds;
    table[M_FLUSH].bounds = mx_latency_bounds;
    table[M_FLUSH].nbounds = mx_latency_nbounds;
    return mx_setup(table, M_COUNT, workers < 1 ? 1 : workers);
}

void edge_mx_bind(int index)
{
    mx_bind(index);
    memset(&last, 0, sizeof last);
    mx_set(M_BUILD, 0, 1);
}

#define DELTA(id, lbl, f) do { mx_add(id, lbl, w->st.f - last.f); last.f = w->st.f; } while (0)

void edge_mx_sync(worker *w)
{
    DELTA(M_EVENTS_IN, 0, events_in);
    DELTA(M_FRAMES, 0, frames);
    DELTA(M_BYTES, 0, bytes);
    DELTA(M_SLOW, 0, slow_degraded);
    DELTA(M_SLOW, 1, slow_recovered);
    DELTA(M_SLOW, 2, slow_closed);
    mx_set(M_CONNS, 0, (double)w->nconns);
    mx_set(M_VIEWERS, 0, (double)w->nws);
    mx_set(M_ROOMS, 0, (double)w->rooms.n);
}

void edge_mx_batch(uint64_t events) { mx_observe(M_BATCH, 0, (double)events); }
void edge_mx_flush_us(uint64_t us) { mx_observe(M_FLUSH, 0, (double)us / 1e6); }

void edge_mx_close(int code)
{
    char s[12];
    snprintf(s, sizeof s, "%d", code);
    int l = mx_label(M_CLOSES, s);
    mx_add(M_CLOSES, l < 0 ? mx_label(M_CLOSES, "other") : l, 1);
}

void edge_mx_render(worker *w, dbuf *out)
{
    edge_mx_sync(w);
    mx_render(out);
}

/* bc_metrics.c — the broadcaster's metric table. */
#include "bc_metrics.h"
#include "metrics.h"
#include "bc_seq.h"
#include <stdio.h>
#include <time.h>

#ifndef DM_VERSION
#define DM_VERSION "dev"
#endif

enum { M_BUILD, M_REQ, M_STATUS, M_SEQ, M_SEQ_LAT, M_COUNT };

static const char *const build_v[] = { DM_VERSION, NULL };
static const char *const ep_v[] = { "healthz", "readyz", "metrics", "publish", "admin", "not_found", "other", NULL };
static const char *const st_v[] = { "200", "202", "400", "401", "403", "404", "405", "409", "413", "415",
                                    "422", "429", "431", "500", "503", "other", NULL };

static const char *const kind_v[] = { "comment", "gift", "like", NULL };

static mx_def defs[M_COUNT] = {
    [M_BUILD] = { "dm_bc_build_info", MX_GAUGE, "build of this broadcaster (value 1)", "version", build_v, NULL, 0 },
    [M_REQ] = { "dm_bc_requests_total", MX_COUNTER, "requests by endpoint", "endpoint", ep_v, NULL, 0 },
    [M_STATUS] = { "dm_bc_responses_total", MX_COUNTER, "answers by HTTP status", "status", st_v, NULL, 0 },
    [M_SEQ] = { "dm_bc_events_sequenced_total", MX_COUNTER, "events the sequencer answered as stored or duplicate", "kind", kind_v, NULL, 0 },
    [M_SEQ_LAT] = { "dm_bc_sequencer_seconds", MX_HISTOGRAM, "publish: submit to the sequencer (EVALSHA) until its answer", NULL, NULL, NULL, 0 },
};

int bc_mx_setup(int workers)
{
    defs[M_SEQ_LAT].bounds = mx_latency_bounds;
    defs[M_SEQ_LAT].nbounds = mx_latency_nbounds;
    return mx_setup(defs, M_COUNT, workers < 1 ? 1 : workers);
}

uint64_t bc_mx_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void bc_mx_sequenced(int kind, int status, uint64_t t0_us)
{
    mx_observe(M_SEQ_LAT, 0, (double)(bc_mx_now_us() - t0_us) / 1e6);
    if (status >= 0 && status < BC_SEQ_LIMITED && kind >= 0 && kind < 3)
        mx_add(M_SEQ, kind, 1);
}

void bc_mx_bind(int index)
{
    mx_bind(index);
    mx_set(M_BUILD, 0, 1);
}

static void count(int id, const char *v)
{
    int l = mx_label(id, v);
    mx_add(id, l < 0 ? mx_label(id, "other") : l, 1);
}

void bc_mx_request(const char *endpoint) { count(M_REQ, endpoint); }

void bc_mx_status(int status)
{
    char s[12];
    snprintf(s, sizeof s, "%d", status);
    count(M_STATUS, s);
}

void bc_mx_render(dbuf *out) { mx_render(out); }

/* bc_metrics.c — the broadcaster's metric table. */
#include "bc_metrics.h"
#include "metrics.h"
#include <stdio.h>

#ifndef DM_VERSION
#define DM_VERSION "dev"
#endif

enum { M_BUILD, M_REQ, M_STATUS, M_COUNT };

static const char *const build_v[] = { DM_VERSION, NULL };
static const char *const ep_v[] = { "healthz", "readyz", "metrics", "publish", "admin", "not_found", "other", NULL };
static const char *const st_v[] = { "200", "202", "400", "401", "403", "404", "405", "409", "413", "415",
                                    "422", "429", "431", "500", "503", "other", NULL };

static const mx_def defs[M_COUNT] = {
    [M_BUILD] = { "dm_bc_build_info", MX_GAUGE, "build of this broadcaster (value 1)", "version", build_v, NULL, 0 },
    [M_REQ] = { "dm_bc_requests_total", MX_COUNTER, "requests by endpoint", "endpoint", ep_v, NULL, 0 },
    [M_STATUS] = { "dm_bc_responses_total", MX_COUNTER, "answers by HTTP status", "status", st_v, NULL, 0 },
};

int bc_mx_setup(int workers) { return mx_setup(defs, M_COUNT, workers < 1 ? 1 : workers); }

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

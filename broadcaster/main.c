/* main.c — bin/broadcaster: HTTP ingest for danmaku rooms. Parses options,
 * wires the HTTP transport (bc_conn), the handler table (bc_route) and the
 * handlers' context (bc_ctx: the Redis sequencer bc_seq, tokens, filter) on
 * one libevent loop per process (--workers N: N processes under a
 * supervisor, common/supervise.h), logs a stats line every 10 s, and exits
 * cleanly (every allocation freed) on SIGTERM/SIGINT. */
#include "auth.h"
#include "bc_conn.h"
#include "bc_filter.h"
#include "bc_opt.h"
#include "bc_route.h"
#include "bc_seq.h"
#include "log.h"
#include "supervise.h"
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define STATS_SEC 10
/* Pipelined publishes one connection may have waiting for the sequencer at
 * once: enough to fill several BC_SEQ_BATCH calls per round trip, small
 * enough that a connection's parked answers stay a few hundred KiB. */
#define MAX_INFLIGHT 256

typedef struct app {
    struct event_base *base;
    bc_server srv;
    bc_ctx ctx;
    bc_server_stats last_srv;
    bc_seq_stats last_seq;
    bc_filter filter;
} app;

static void on_sighup(evutil_socket_t sig, short what, void *arg)
{
    app *a = arg;
    LOGI("main", "SIGHUP: reloading the lexicon");
    bc_filter_reload(&a->filter);
}

/* "<rcap> <rwin_ms> <gcap> <gwin_ms>" per kind for seq.lua (caps 0: off). */
static void rate_specs(bc_ctx *x, const bc_opts *o)
{
    for (int k = 0; k < 3; k++)
        snprintf(x->rate_spec[k], sizeof x->rate_spec[k], "%ld %ld %ld %ld",
                 o->rate[k].cap, o->rate[k].win_ms, o->rate_global[k].cap,
                 o->rate_global[k].win_ms);
}

/* Filter and token key; 0 or -1 (logged). */
static int load_protection(app *a, const bc_opts *o)
{
    if (bc_filter_init(&a->filter, o) < 0)
        return -1;
    a->ctx.lim.filter = bc_filter_cb;
    a->ctx.lim.filter_ctx = &a->filter;
    if (o->auth_secret_file[0]) {
        char err[256];
        a->ctx.auth = auth_key_load(o->auth_secret_file, 30, err, sizeof err);
        if (!a->ctx.auth) {
            LOGE("main", "--auth-secret-file: %s", err);
            return -1;
        }
    }
    rate_specs(&a->ctx, o);
    LOGI("main", "protection: lexicon %s, contact %s, tokens %s, rate c=%s g=%s l=%s",
         o->lexicon[0] ? "on" : "off",
         o->contact_action == BC_CONTACT_OFF ? "off" :
         o->contact_action == BC_CONTACT_FLAG ? "flag" : "reject",
         a->ctx.auth ? "required" : "off (admin API: loopback only)",
         a->ctx.rate_spec[0], a->ctx.rate_spec[1], a->ctx.rate_spec[2]);
    return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    app *a = arg;
    LOGI("main", "signal %d: shutting down", (int)sig);
    event_base_loopbreak(a->base);
}

#define D(f) (unsigned long long)(cur->f - last->f)
static void stats_cb(evutil_socket_t fd, short what, void *arg)
{
    app *a = arg;
    const bc_server_stats *cur = &a->srv.st, *last = &a->last_srv;
    const bc_seq_stats *sc = bc_seq_get_stats(a->ctx.seq), *sl = &a->last_seq;
    unsigned long long calls = sc->calls - sl->calls, evs = sc->events - sl->events;
    unsigned long long dups = sc->dups - sl->dups, refused = sc->refused - sl->refused;
    LOGI("stats", "%ds: requests=%llu events=%llu dups=%llu refused=%llu (%.0f/s) calls=%llu "
         "avg_batch=%.1f "
         "2xx=%llu 4xx=%llu 503=%llu 5xx=%llu conns=%zu new_conns=%llu conn_errors=%llu "
         "redis_errors=%llu reconnects=%llu redis=%s",
         STATS_SEC, D(http.requests), evs, dups, refused, (double)evs / STATS_SEC, calls,
         calls ? (double)(evs + dups + refused) / calls : 0.0, D(http.st2xx), D(http.st4xx),
         D(http.st503), D(http.st5xx),
         a->srv.nconns, D(conns), D(conn_errors),
         (unsigned long long)(sc->redis_errors - sl->redis_errors),
         (unsigned long long)(sc->reconnects - sl->reconnects),
         bc_seq_ready(a->ctx.seq) ? "up" : "down");
    a->last_srv = *cur;
    a->last_seq = *sc;
}
#undef D

static int run(app *a, const bc_opts *o)
{
    struct timeval stats_tv = { STATS_SEC, 0 };
    bc_seq_conf sc = { o->redis.host, o->redis.port, o->retention, o->dedupe_window };
    a->srv.base = a->base;
    a->srv.listen_host = o->listen.host;
    a->srv.listen_port = o->listen.port;
    a->srv.http.max_body = (size_t)o->max_body;
    a->srv.http.max_inflight = MAX_INFLIGHT;
    a->srv.http.route = bc_route;
    a->srv.http.ctx = &a->ctx;
    bc_ctx_init(&a->ctx);
    a->ctx.lim.max_text_cps = (size_t)o->max_text_cps;
    if (load_protection(a, o) < 0 || bc_server_listen(&a->srv) < 0)
        return 1;
    a->ctx.seq = bc_seq_new(a->base, &sc);
    struct event *sigterm = evsignal_new(a->base, SIGTERM, on_signal, a);
    struct event *sigint = evsignal_new(a->base, SIGINT, on_signal, a);
    struct event *sighup = evsignal_new(a->base, SIGHUP, on_sighup, a);
    struct event *stats = event_new(a->base, -1, EV_PERSIST, stats_cb, a);
    evsignal_add(sigterm, NULL);
    evsignal_add(sigint, NULL);
    evsignal_add(sighup, NULL);
    event_add(stats, &stats_tv);
    LOGI("main", "listening on %s:%d, redis %s:%d, retention %ld, max body %ld, "
         "max text %ld, dedupe window %lds", o->listen.host, o->listen.port, o->redis.host,
         o->redis.port, o->retention, o->max_body, o->max_text_cps, o->dedupe_window);
    event_base_dispatch(a->base);
    const bc_seq_stats *sc2 = bc_seq_get_stats(a->ctx.seq);
    LOGI("stats", "totals: requests=%llu events=%llu dups=%llu calls=%llu 2xx=%llu 4xx=%llu "
         "503=%llu 5xx=%llu conns=%llu", (unsigned long long)a->srv.st.http.requests,
         (unsigned long long)sc2->events, (unsigned long long)sc2->dups,
         (unsigned long long)sc2->calls,
         (unsigned long long)a->srv.st.http.st2xx, (unsigned long long)a->srv.st.http.st4xx,
         (unsigned long long)a->srv.st.http.st503, (unsigned long long)a->srv.st.http.st5xx,
         (unsigned long long)a->srv.st.conns);
    /* Requests still waiting get their 503 first, then connections close. */
    bc_seq_free(a->ctx.seq);
    a->ctx.seq = NULL;
    bc_server_close(&a->srv);
    event_free(sigterm);
    event_free(sigint);
    event_free(sighup);
    event_free(stats);
    return 0;
}

/* One serving process: its own loop, listener (listen_fd, or bound here
 * when -1), Redis link and filter. Returns the exit status. */
static int serve(const bc_opts *o, int listen_fd)
{
    app a;
    memset(&a, 0, sizeof a);
    a.srv.listen_fd = listen_fd;
    a.base = event_base_new();
    if (!a.base) {
        LOGE("main", "event_base_new failed");
        return 1;
    }
    int rc = run(&a, o);
    bc_filter_free(&a.filter);
    auth_key_free(a.ctx.auth);
    if (a.srv.lis || a.srv.conns)
        bc_server_close(&a.srv);
    bc_ctx_free(&a.ctx);
    event_base_free(a.base);
    libevent_global_shutdown();
    return rc;
}

/* --workers N: worker `index` of the supervisor (common/supervise.h). */
static int serve_worker(void *arg, int index, int listen_fd)
{
    char ctx[16];
    snprintf(ctx, sizeof ctx, "w%d", index);
    log_set_ctx(ctx);
    return serve(arg, listen_fd);
}

int main(int argc, char **argv)
{
    bc_opts o;
    int rc = bc_opts_parse(&o, argc, argv, stdout, stderr);
    if (rc)
        return rc > 0 ? 0 : 2;
    log_init("broadcaster", o.log_level);
    log_route_libevent();
    signal(SIGPIPE, SIG_IGN);
    if (o.workers <= 1)
        return serve(&o, -1);
    sup_conf sc = { "main", o.listen.host, o.listen.port, (int)o.workers, serve_worker, &o };
    return sup_run(&sc);
}

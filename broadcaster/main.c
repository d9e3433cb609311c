/* main.c — bin/broadcaster: HTTP ingest for danmaku rooms. Parses options,
 * wires the HTTP server (bc_conn/bc_route) to the Redis sequencer (bc_seq) on
 * one libevent loop, logs a stats line every 10 s, and exits cleanly (every
 * allocation freed) on SIGTERM/SIGINT. */
#include "auth.h"
#include "bc_conn.h"
#include "bc_filter.h"
#include "bc_opt.h"
#include "bc_seq.h"
#include "log.h"
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define STATS_SEC 10

typedef struct app {
    struct event_base *base;
    bc_server srv;
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
static void rate_specs(bc_server *srv, const bc_opts *o)
{
    for (int k = 0; k < 3; k++)
        snprintf(srv->rate_spec[k], sizeof srv->rate_spec[k], "%ld %ld %ld %ld",
                 o->rate[k].cap, o->rate[k].win_ms, o->rate_global[k].cap,
                 o->rate_global[k].win_ms);
}

/* Filter and token key; 0 or -1 (logged). */
static int load_protection(app *a, const bc_opts *o)
{
    if (bc_filter_init(&a->filter, o) < 0)
        return -1;
    a->srv.filter = &a->filter;
    a->srv.lim.filter = bc_filter_cb;
    a->srv.lim.filter_ctx = &a->filter;
    if (o->auth_secret_file[0]) {
        char err[256];
        a->srv.auth = auth_key_load(o->auth_secret_file, 30, err, sizeof err);
        if (!a->srv.auth) {
            LOGE("main", "--auth-secret-file: %s", err);
            return -1;
        }
    }
    rate_specs(&a->srv, o);
    LOGI("main", "protection: lexicon %s, contact %s, tokens %s, rate c=%s g=%s l=%s",
         o->lexicon[0] ? "on" : "off",
         o->contact_action == BC_CONTACT_OFF ? "off" :
         o->contact_action == BC_CONTACT_FLAG ? "flag" : "reject",
         a->srv.auth ? "required" : "off (admin API: loopback only)",
         a->srv.rate_spec[0], a->srv.rate_spec[1], a->srv.rate_spec[2]);
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
    const bc_seq_stats *sc = bc_seq_get_stats(a->srv.seq), *sl = &a->last_seq;
    unsigned long long calls = sc->calls - sl->calls, evs = sc->events - sl->events;
    unsigned long long dups = sc->dups - sl->dups, refused = sc->refused - sl->refused;
    LOGI("stats", "%ds: requests=%llu events=%llu dups=%llu refused=%llu (%.0f/s) calls=%llu "
         "avg_batch=%.1f "
         "2xx=%llu 4xx=%llu 503=%llu 5xx=%llu conns=%zu new_conns=%llu conn_errors=%llu "
         "redis_errors=%llu reconnects=%llu redis=%s",
         STATS_SEC, D(requests), evs, dups, refused, (double)evs / STATS_SEC, calls,
         calls ? (double)(evs + dups + refused) / calls : 0.0, D(st2xx), D(st4xx), D(st503), D(st5xx),
         a->srv.nconns, D(conns), D(conn_errors),
         (unsigned long long)(sc->redis_errors - sl->redis_errors),
         (unsigned long long)(sc->reconnects - sl->reconnects),
         bc_seq_ready(a->srv.seq) ? "up" : "down");
    a->last_srv = *cur;
    a->last_seq = *sc;
}
#undef D

static int run(app *a, const bc_opts *o)
{
    struct timeval stats_tv = { STATS_SEC, 0 };
    bc_seq_conf sc = { o->redis.host, o->redis.port, o->retention, o->dedupe_window };
    a->srv.base = a->base;
    a->srv.opts = o;
    a->srv.lim.max_text_cps = (size_t)o->max_text_cps;
    if (load_protection(a, o) < 0 || bc_server_listen(&a->srv) < 0)
        return 1;
    a->srv.seq = bc_seq_new(a->base, &sc);
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
    const bc_seq_stats *sc2 = bc_seq_get_stats(a->srv.seq);
    LOGI("stats", "totals: requests=%llu events=%llu dups=%llu calls=%llu 2xx=%llu 4xx=%llu "
         "503=%llu 5xx=%llu conns=%llu", (unsigned long long)a->srv.st.requests,
         (unsigned long long)sc2->events, (unsigned long long)sc2->dups,
         (unsigned long long)sc2->calls,
         (unsigned long long)a->srv.st.st2xx, (unsigned long long)a->srv.st.st4xx,
         (unsigned long long)a->srv.st.st503, (unsigned long long)a->srv.st.st5xx,
         (unsigned long long)a->srv.st.conns);
    /* Requests still waiting get their 503 first, then connections close. */
    bc_seq_free(a->srv.seq);
    a->srv.seq = NULL;
    bc_server_close(&a->srv);
    event_free(sigterm);
    event_free(sigint);
    event_free(sighup);
    event_free(stats);
    return 0;
}

int main(int argc, char **argv)
{
    bc_opts o;
    app a;
    int rc = bc_opts_parse(&o, argc, argv, stdout, stderr);
    if (rc)
        return rc > 0 ? 0 : 2;
    log_init("broadcaster", o.log_level);
    log_route_libevent();
    signal(SIGPIPE, SIG_IGN);
    memset(&a, 0, sizeof a);
    a.base = event_base_new();
    if (!a.base) {
        LOGE("main", "event_base_new failed");
        return 1;
    }
    rc = run(&a, &o);
    bc_filter_free(&a.filter);
    auth_key_free(a.srv.auth);
    if (a.srv.lis || a.srv.conns)
        bc_server_close(&a.srv);
    event_base_free(a.base);
    libevent_global_shutdown();
    return rc;
}

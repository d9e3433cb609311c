/* edge_worker.c — the process model: a supervisor forks N workers, restarts
 * one that dies and forwards SIGTERM; each worker owns an event loop, an
 * SO_REUSEPORT listener on the shared port, its Redis links, rooms and
 * viewers, a once-a-second sweep and a stats line. This is the only file
 * that knows every edge module: it wires the Redis links to intake.c, the
 * flush wheel to deliver.c and viewer upgrades to the room layer. */
#include "edge_worker.h"
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "deliver.h"
#include "edge_auth.h"
#include "edge_metrics.h"
#include "flush.h"
#include "intake.h"
#include "log.h"
#include "room.h"
#include "sub.h"
#include "tick.h"
#include "viewer.h"
#include "wctx.h"

/* ---- wiring: the lower modules' callbacks ------------------------------------ */

static void on_sub_message(void *w, const char *room, size_t rlen, const char *p, size_t plen)
{
    intake_on_message(w, room, rlen, p, plen);
}
static void on_sub_subscribed(void *w, const char *room, size_t rlen) { intake_on_subscribed(w, room, rlen); }
static void on_sub_unsubscribed(void *w, const char *room, size_t rlen) { intake_on_unsubscribed(w, room, rlen); }
static void on_sub_up(void *w) { intake_on_sub_up(w); }
static void on_sub_down(void *w) { intake_on_sub_down(w); }
static void on_cmd_up(void *w) { intake_on_cmd_up(w); }
static void on_sub_meta(void *w, void *tag, int ok, const char *epoch, size_t elen, uint64_t seq)
{
    intake_on_meta(tag, ok, epoch, elen, seq);
}
static void on_sub_xrange(void *w, void *tag, int ok, const xentry *e, size_t n)
{
    intake_on_xrange(tag, ok, e, n);
}

static const sub_callbacks sub_cb = {
    .message = on_sub_message,
    .subscribed = on_sub_subscribed,
    .unsubscribed = on_sub_unsubscribed,
    .pubsub_up = on_sub_up,
    .pubsub_down = on_sub_down,
    .cmd_up = on_cmd_up,
    .meta = on_sub_meta,
    .xrange = on_sub_xrange,
};

static uint64_t wheel_clock(void *w) { return wctx_now(w); }
static void on_room_due(flush_node *n, void *w) { deliver_on_due(room_of_due(n)); }

static void on_viewer_join(viewer *v, const char *name) { intake_join(v->w, name, v); }
static void on_viewer_leave(viewer *v) { room_leave(v); }
static void on_viewer_drained(viewer *v) { deliver_on_drained(v); }

/* ---- worker callbacks -------------------------------------------------------- */

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    worker *w = arg;
    if (w->stopping) {
        close(fd);
        return;
    }
    viewer_accept(w, fd, sa);
}

static void on_resume_listener(evutil_socket_t fd, short what, void *arg)
{
    worker *w = arg;
    if (w->lis && !w->stopping)
        evconnlistener_enable(w->lis);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
    worker *w = arg;
    int err = EVUTIL_SOCKET_ERROR();
    static uint64_t last_log;
    if (wctx_now(w) - last_log > 5000) {
        LOGW("edge", "accept: %s (pausing the listener 100 ms)", strerror(err));
        last_log = w->now_ms;
    }
    evconnlistener_disable(l);
    struct timeval tv = {0, 100000};
    event_base_once(w->base, -1, EV_TIMEOUT, on_resume_listener, w, &tv);
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
    worker *w = arg;
    viewer_reap(w);
    if (w->reap_rooms && !w->stopping) {
        w->reap_rooms = 0;
        intake_reap_empty(w);
    }
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    worker *w = arg;
    viewer_sweep(w);
    edge_mx_sync(w);
    intake_retry(w);
    tick_adapt(w);
}

static void on_stats(evutil_socket_t fd, short what, void *arg)
{
    worker *w = arg;
    const edge_stats *s = &w->st;
    LOGI("stats", "worker %d: viewers=%zu conns=%zu rooms=%zu frames=%llu bytes=%llu events_in=%llu "
         "encodes=%llu own_encodes=%llu room_flushes=%llu flush_passes=%llu "
         "slow_degraded=%llu slow_recovered=%llu slow_closed=%llu gaps=%llu resets=%llu repairs=%llu "
         "catchups=%llu rejected=%llu bad_frames=%llu write_us=%.2f frame_budget=%.0f active_rooms=%zu tick_ms=%u redis=%s",
         w->index, w->nws, w->nconns, w->rooms.n, (unsigned long long)s->frames,
         (unsigned long long)s->bytes, (unsigned long long)s->events_in,
         (unsigned long long)s->encodes, (unsigned long long)s->own_encodes,
         (unsigned long long)s->room_flushes, (unsigned long long)w->wheel.passes,
         (unsigned long long)s->slow_degraded, (unsigned long long)s->slow_recovered,
         (unsigned long long)s->slow_closed, (unsigned long long)s->gaps_sent,
         (unsigned long long)s->resets, (unsigned long long)s->repairs,
         (unsigned long long)s->catchups, (unsigned long long)s->rejected,
         (unsigned long long)s->closed_bad, w->write_cost_us, w->frame_budget, w->nactive, w->tick_ms ? w->tick_ms : (unsigned)w->conf->tick_ms,
         wctx_healthy(w) ? "up" : "down");
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
    worker *w = arg;
    if (w->stopping)
        return;
    w->stopping = 1;
    LOGI("edge", "worker %d: signal %d, closing %zu viewers", w->index, (int)sig, w->nws);
    if (w->lis)
        evconnlistener_disable(w->lis);
    viewer_shutdown_all(w);
    event_base_loopexit(w->base, NULL);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    edge_auth_reload();
}

/* ---- worker lifecycle --------------------------------------------------------- */

/* A listening socket for --listen with SO_REUSEPORT, created by the
 * supervisor (one per worker) so that every worker's accept queue exists from
 * the start and outlives a worker that dies: connections queued while it
 * restarts are served by its successor. Returns the fd or -1. */
static int make_listener(const edge_conf *c)
{
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port[16];
    snprintf(port, sizeof port, "%d", c->listen.port);
    int rc = getaddrinfo(c->listen.host, port, &hints, &ai);
    if (rc) {
        LOGE("edge", "--listen %s: %s", c->listen_text, gai_strerror(rc));
        return -1;
    }
    int one = 1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)
        || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one)
        || bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 4096)) {
        LOGE("edge", "listen on %s: %s", c->listen_text, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static struct evconnlistener *listen_on(worker *w, int fd)
{
    struct evconnlistener *l = evconnlistener_new(w->base, on_accept, w,
                                                  LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
    if (!l) {
        LOGE("edge", "worker %d: listener: %s", w->index, strerror(errno));
        close(fd);
        return NULL;
    }
    evconnlistener_set_error_cb(l, on_accept_error);
    return l;
}

static void worker_free(worker *w)
{
    viewer_reap(w);
    room_table_free(w);
    sub_free(w->sub);
    w->sub = NULL;
    if (w->lis)
        evconnlistener_free(w->lis);
    struct event *evs[] = {w->sig_term, w->sig_int, w->sig_hup, w->sweep_ev, w->stats_ev, w->reap_ev};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        if (evs[i])
            event_free(evs[i]);
    flush_free(&w->wheel);
    batch_ctx_free(&w->batch);
    static_free(&w->web);
    if (w->base)
        event_base_free(w->base);
    free(w);
}

int worker_main(const edge_conf *conf, const struct rcred *cred, int index, int listen_fd)
{
    signal(SIGPIPE, SIG_IGN);
    worker *w = xcalloc(1, sizeof *w);
    w->conf = conf;
    w->index = index;
    w->pid = (int)getpid();
    char ctx[16];
    snprintf(ctx, sizeof ctx, "w%d", index);
    log_set_ctx(ctx);
    edge_mx_bind(index);
    w->vh.join = on_viewer_join;
    w->vh.leave = on_viewer_leave;
    w->vh.drained = on_viewer_drained;
    wctx_now(w);
    w->base = event_base_new();
    if (!w->base || batch_ctx_init(&w->batch, conf->zstd_dict_dir, (int)conf->zstd_level)) {
        LOGE("edge", "worker %d: init failed", index);
        if (w->base)
            event_base_free(w->base);
        free(w);
        close(listen_fd);
        return 1;
    }
    if (strcmp(conf->web_dir, "none") && static_load(&w->web, conf->web_dir) < 0)
        LOGW("edge", "worker %d: no viewer page: %s: %s (make web)", index, conf->web_dir, strerror(errno));
    room_table_init(w);
    if (flush_init(&w->wheel, w->base, conf->flush_grid_ms, wheel_clock, on_room_due, w)) {
        LOGE("edge", "worker %d: init failed", index);
        worker_free(w);
        return 1;
    }
    w->lis = listen_on(w, listen_fd);
    if (!w->lis) {
        worker_free(w);
        return 1;
    }
    w->sub = sub_new(w->base, conf->redis.host, conf->redis.port, cred, &sub_cb, w);
    w->redis = &sub_link_ops;
    w->redis_ctx = w->sub;
    w->sig_term = evsignal_new(w->base, SIGTERM, on_stop, w);
    w->sig_int = evsignal_new(w->base, SIGINT, on_stop, w);
    w->sig_hup = evsignal_new(w->base, SIGHUP, on_hup, w);
    w->sweep_ev = event_new(w->base, -1, EV_PERSIST, on_sweep, w);
    w->stats_ev = event_new(w->base, -1, EV_PERSIST, on_stats, w);
    w->reap_ev = event_new(w->base, -1, 0, on_reap, w);
    struct timeval one = {1, 0}, st = {conf->stats_interval_s, 0};
    event_add(w->sig_term, NULL);
    event_add(w->sig_int, NULL);
    event_add(w->sig_hup, NULL);
    event_add(w->sweep_ev, &one);
    event_add(w->stats_ev, &st);
    LOGI("edge", "worker %d (pid %d) listening on %s, redis %s", index, w->pid, conf->listen_text, conf->redis_text);
    event_base_dispatch(w->base);
    on_stats(-1, 0, w);
    worker_free(w);
    LOGI("edge", "worker %d: stopped", index);
    return 0;
}

/* ---- supervisor ------------------------------------------------------------------- */

static volatile sig_atomic_t got_stop, got_chld, got_alarm, got_hup;

static void on_signal(int sig)
{
    if (sig == SIGCHLD)
        got_chld = 1;
    else if (sig == SIGALRM)
        got_alarm = 1;
    else if (sig == SIGHUP)
        got_hup = 1;
    else
        got_stop = sig;
}

typedef struct slot {
    pid_t pid;
    int fd;             /* this worker's listening socket (kept across restarts) */
    uint64_t started_ms;
    int restart_due;
} slot;

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static pid_t spawn(const edge_conf *conf, const struct rcred *cred, const slot *s, int n, int index,
                   const sigset_t *orig)
{
    pid_t pid = fork();
    if (pid < 0) {
        LOGE("edge", "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        signal(SIGCHLD, SIG_DFL);
        signal(SIGALRM, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGHUP, SIG_IGN);    /* until the worker's loop handles it */
        sigprocmask(SIG_SETMASK, orig, NULL);
        for (int i = 0; i < n; i++)
            if (i != index)
                close(s[i].fd);
        int rc = worker_main(conf, cred, index, s[index].fd);
        free((void *)s);
        exit(rc);
    }
    return pid;
}

/* Returns 1 if a worker failed to initialise (exit status 1): fatal. */
static int reap_children(slot *s, int n, int stopping)
{
    int status, fatal = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < n; i++) {
            if (s[i].pid != pid)
                continue;
            s[i].pid = 0;
            if (stopping)
                break;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
                LOGE("edge", "worker %d (pid %d) could not start: stopping", i, (int)pid);
                fatal = 1;
            } else if (WIFSIGNALED(status))
                LOGW("edge", "worker %d (pid %d) killed by signal %d: restarting", i, (int)pid, WTERMSIG(status));
            else
                LOGW("edge", "worker %d (pid %d) exited with %d: restarting", i, (int)pid, WEXITSTATUS(status));
            s[i].restart_due = !fatal;
        }
    }
    return fatal;
}

static void restart_due(const edge_conf *conf, const struct rcred *cred, slot *s, int n,
                        const sigset_t *orig)
{
    uint64_t now = mono_ms();
    int later = 0;
    for (int i = 0; i < n; i++) {
        if (!s[i].restart_due)
            continue;
        if (now - s[i].started_ms < 1000) {   /* crash loop guard */
            later = 1;
            continue;
        }
        s[i].restart_due = 0;
        s[i].started_ms = now;
        s[i].pid = spawn(conf, cred, s, n, i, orig);
        if (s[i].pid < 0) {
            s[i].pid = 0;
            s[i].restart_due = 1;
            later = 1;
        }
    }
    if (later)
        alarm(1);
}

static void stop_all(slot *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i].pid > 0)
            kill(s[i].pid, SIGTERM);
    uint64_t end = mono_ms() + 20000;
    for (;;) {
        int alive = 0;
        reap_children(s, n, 1);
        for (int i = 0; i < n; i++)
            alive += s[i].pid > 0;
        if (!alive)
            return;
        if (mono_ms() > end) {
            for (int i = 0; i < n; i++)
                if (s[i].pid > 0) {
                    LOGE("edge", "worker %d did not stop: SIGKILL", i);
                    kill(s[i].pid, SIGKILL);
                }
            end = mono_ms() + 5000;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* SIGHUP: the supervisor's own keys (inherited by workers it restarts),
 * then every running worker's. */
static void forward_hup(const slot *s, int n)
{
    LOGI("edge", "SIGHUP: reloading token keys in the supervisor and %d workers", n);
    edge_auth_reload();
    for (int i = 0; i < n; i++)
        if (s[i].pid > 0)
            kill(s[i].pid, SIGHUP);
}

int edge_supervise(const edge_conf *conf, const struct rcred *cred)
{
    int n = (int)conf->workers;
    slot *s = xcalloc((size_t)n, sizeof *s);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigset_t block, orig;
    sigemptyset(&block);
    int sigs[] = {SIGTERM, SIGINT, SIGCHLD, SIGALRM, SIGHUP};
    const size_t nsigs = sizeof sigs / sizeof sigs[0];
    for (size_t i = 0; i < nsigs; i++) {
        sigaction(sigs[i], &sa, NULL);
        sigaddset(&block, sigs[i]);
    }
    for (int i = 0; i < n; i++)
        if ((s[i].fd = make_listener(conf)) < 0) {
            while (i--)
                close(s[i].fd);
            free(s);
            return 1;
        }
    edge_mx_setup(n);
    sigprocmask(SIG_BLOCK, &block, &orig);
    for (int i = 0; i < n; i++) {
        s[i].started_ms = mono_ms();
        s[i].pid = spawn(conf, cred, s, n, i, &orig);
        if (s[i].pid < 0) {
            s[i].pid = 0;
            got_stop = SIGTERM;
        }
    }
    sigset_t wait_mask = orig;
    for (size_t i = 0; i < nsigs; i++)
        sigdelset(&wait_mask, sigs[i]);
    int rc = 0;
    while (!got_stop) {
        sigsuspend(&wait_mask);
        if (got_chld) {
            got_chld = 0;
            if (reap_children(s, n, 0)) {
                rc = 1;
                break;
            }
        }
        if (got_hup && !got_stop) {
            got_hup = 0;
            forward_hup(s, n);
        }
        got_alarm = 0;
        if (!got_stop)
            restart_due(conf, cred, s, n, &orig);
    }
    LOGI("edge", "supervisor: %s, stopping %d workers", rc ? "worker failure" : "signal", n);
    stop_all(s, n);
    for (int i = 0; i < n; i++)
        close(s[i].fd);
    free(s);
    sigprocmask(SIG_SETMASK, &orig, NULL);
    return rc;
}

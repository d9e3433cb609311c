/* bench_run.c — the load-test orchestrator (parent process). Phases: RAMP
 * (viewers connect) -> SETTLE (1 s, subscriptions) -> PUBLISH (warmup +
 * duration, open loop) -> DRAIN (deliveries and replies) -> STOP (children
 * write their results) -> merge and report. Every phase has a deadline. */
#define _GNU_SOURCE
#include "bench_run.h"
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench_corpus.h"
#include "bench_pop.h"
#include "bench_pub.h"
#include "bench_report.h"
#include "bench_sys.h"
#include "bench_viewer.h"
#include "dbuf.h"

enum phase { PH_RAMP, PH_SETTLE, PH_PUBLISH, PH_DRAIN, PH_DONE };

typedef struct child { pid_t pid; int ctl_fd; viewer_job job; vstat_msg last; int alive; } child;

typedef struct run {
    const bench_cfg *c;
    struct event_base *base;
    struct event *tick, *stat_ev, *sig_ev;
    child *ch; size_t nch;
    int stat_fd;
    int phase;
    int64_t t0_us, phase_us, pub_start_us, measure_us, pub_end_us;
    double ramp_s;
    publisher *pub;
    sysmon sys, self;
    sys_machine mach;
    uint64_t rss_idle, rss_connected;
    uint64_t frames_at_measure, frames_at_end, bytes_at_measure, bytes_at_end;
    size_t connected_peak;
    int interrupted, tty;
    char tmpdir[64];
    uint32_t *room_of;
    corpus co;
    pop pp;
} run;

static double since(const run *r) { return (double)(now_us() - r->t0_us) / 1e6; }

static void sum_stats(const run *r, vstat_msg *s)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < r->nch; i++) {
        const vstat_msg *m = &r->ch[i].last;
        s->connected += m->connected; s->failed += m->failed; s->closed += m->closed;
        s->events += m->events; s->frames += m->frames; s->bytes += m->bytes;
        s->decode_err += m->decode_err;
        if (m->lat_p99_us > s->lat_p99_us) s->lat_p99_us = m->lat_p99_us;
        s->lat_n += m->lat_n;
    }
}

static void send_cmd(run *r, char op, int64_t arg)
{
    vcmd c = { .op = op, .arg_us = arg };
    for (size_t i = 0; i < r->nch; i++)
        if (r->ch[i].ctl_fd >= 0 && write(r->ch[i].ctl_fd, &c, sizeof c) != (ssize_t)sizeof c) {}
}

/* ---- live status ------------------------------------------------------- */

static void status_line(run *r, const sys_sample *ss)
{
    static uint64_t last_ev, last_fr;
    vstat_msg s; sum_stats(r, &s);
    const pub_stats *ps = r->pub ? pub_get_stats(r->pub) : NULL;
    static const char *const names[] = { "ramp", "settle", "publish", "drain", "done" };
    uint64_t acked = ps ? ps->acked[0] + ps->acked[1] + ps->acked[2] : 0;
    static uint64_t last_acked;
    if (r->tty && !r->c->quiet)
        fprintf(stderr, "\r\033[K%5.0fs %-7s conn %zu/%zu fail %u | acked %llu/s | %.2fM ev/s %.1fk fr/s"
                " | p99 %.0f ms | srv cpu %.0f%% rss %.0f MB",
                since(r), names[r->phase], (size_t)s.connected, r->c->viewers, s.failed,
                (unsigned long long)(acked - last_acked), (double)(s.events - last_ev) / 1e6,
                (double)(s.frames - last_fr) / 1e3, (double)s.lat_p99_us / 1e3,
                ss ? ss->cpu_pct : 0.0, ss ? (double)ss->rss_bytes / 1048576.0 : 0.0);
    last_ev = s.events; last_fr = s.frames; last_acked = acked;
}

/* ---- phases ------------------------------------------------------------ */

static void enter(run *r, int ph)
{
    r->phase = ph;
    r->phase_us = now_us();
}

static void start_publishing(run *r)
{
    vstat_msg s; sum_stats(r, &s);
    r->ramp_s = since(r);
    if (r->sys.npids) r->rss_connected = sysmon_sample(&r->sys, since(r)).rss_bytes;
    r->pub_start_us = now_us();
    r->measure_us = r->pub_start_us + (int64_t)(r->c->warmup * 1e6);
    r->pub_end_us = r->measure_us + (int64_t)(r->c->duration * 1e6);
    send_cmd(r, VCMD_MEASURE, r->measure_us);
    if (r->pub) pub_start(r->pub, r->pub_start_us, r->pub_end_us);
    enter(r, PH_PUBLISH);
}

static void phase_step(run *r)
{
    vstat_msg s; sum_stats(r, &s);
    int64_t now = now_us();
    if (s.connected > r->connected_peak) r->connected_peak = s.connected;
    double in_phase = (double)(now - r->phase_us) / 1e6;
    switch (r->phase) {
    case PH_RAMP: {
        double limit = (double)r->c->viewers / r->c->ramp + 30.0;
        if (s.connected + s.failed + s.closed >= r->c->viewers || in_phase > limit) enter(r, PH_SETTLE);
        break;
    }
    case PH_SETTLE:
        if (in_phase >= 1.0) start_publishing(r);
        break;
    case PH_PUBLISH:
        if (!r->frames_at_measure && now >= r->measure_us) {
            r->frames_at_measure = s.frames ? s.frames : 1;
            r->bytes_at_measure = s.bytes;
        }
        if (now >= r->pub_end_us) { r->frames_at_end = s.frames; r->bytes_at_end = s.bytes; enter(r, PH_DRAIN); }
        break;
    case PH_DRAIN: {
        int replies_done = !r->pub || pub_outstanding(r->pub) == 0;
        if ((in_phase >= r->c->drain && replies_done) || in_phase >= 2 * r->c->drain + 5) {
            enter(r, PH_DONE);
            event_base_loopbreak(r->base);
        }
        break;
    }
    }
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    run *r = arg;
    (void)fd; (void)what;
    static int64_t last_sec;
    phase_step(r);
    int64_t now = now_us();
    if (now - last_sec >= 1000000) {
        last_sec = now;
        sys_sample ss = { 0 };
        if (r->sys.npids) ss = sysmon_sample(&r->sys, since(r));
        sys_sample me = sysmon_sample(&r->self, since(r));
        double load1, busy = sys_machine_busy(&r->mach, &load1);
        r->self.s[r->self.n - 1].machine_pct = busy;   /* machine figures ride on the self series */
        r->self.s[r->self.n - 1].load1 = load1;
        (void)me;
        status_line(r, r->sys.npids ? &ss : NULL);
    }
}

static void stat_cb(evutil_socket_t fd, short what, void *arg)
{
    run *r = arg;
    (void)what;
    vstat_msg m;
    for (int i = 0; i < 1000; i++) {
        ssize_t n = read(fd, &m, sizeof m);
        if (n != (ssize_t)sizeof m) break;
        if (m.proc < r->nch) r->ch[m.proc].last = m;
    }
}

static void sig_cb(evutil_socket_t fd, short what, void *arg)
{
    run *r = arg;
    (void)fd; (void)what;
    r->interrupted = 1;
    enter(r, PH_DONE);
    event_base_loopbreak(r->base);
}

/* ---- children ---------------------------------------------------------- */

static void default_src(const bench_cfg *c, char (*src)[64], size_t *n)
{
    if (c->nsrc) { memcpy(src, c->src_addrs, c->nsrc * 64); *n = c->nsrc; return; }
    size_t need = cfg_nprocs(c);              /* one loopback address per process */
    if (need > BENCH_MAX_ADDRS) need = BENCH_MAX_ADDRS;
    for (size_t i = 0; i < need; i++) snprintf(src[i], 64, "127.0.0.%zu", i + 1);
    *n = need;
}

static int fork_children(run *r, const char *room_prefix, const char *cmid_prefix)
{
    const bench_cfg *c = r->c;
    char src[BENCH_MAX_ADDRS][64]; size_t nsrc;
    default_src(c, src, &nsrc);
    int sp[2];
    if (pipe2(sp, O_CLOEXEC) < 0) return -1;
    r->stat_fd = sp[0];
    fcntl(sp[0], F_SETFL, O_NONBLOCK);
    r->nch = cfg_nprocs(c);
    r->ch = xcalloc(r->nch, sizeof *r->ch);
    size_t per = (c->viewers + r->nch - 1) / r->nch, first = 0;
    for (size_t i = 0; i < r->nch; i++) {
        child *ch = &r->ch[i];
        int cp[2];
        if (pipe2(cp, O_CLOEXEC) < 0) return -1;
        viewer_job *j = &ch->job;
        j->cfg = c; j->proc = (uint32_t)i;
        j->first = first;
        j->count = first + per > c->viewers ? c->viewers - first : per;
        first += j->count;
        j->room_of = r->room_of;
        j->src_addr = xstrdup(src[i % nsrc]);
        size_t shares = (r->nch + nsrc - 1) / nsrc, share = i / nsrc;   /* procs on one address */
        uint32_t slice = (65535 - 1024 + 1) / (uint32_t)shares;
        j->port_lo = (uint16_t)(1024 + share * slice);
        j->port_hi = (uint16_t)(1024 + (share + 1) * slice - 1);
        snprintf(j->prefix, sizeof j->prefix, "%s", cmid_prefix);
        snprintf(j->room_prefix, sizeof j->room_prefix, "%s", room_prefix);
        j->ctl_fd = cp[0]; j->stat_fd = sp[1];
        j->t0_us = r->t0_us;
        snprintf(j->result_path, sizeof j->result_path, "%s/viewers-%zu.bin", r->tmpdir, i);
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) { close(cp[0]); close(cp[1]); ch->ctl_fd = -1; return -1; }
        if (pid == 0) {
            close(sp[0]); close(cp[1]);
            for (size_t k = 0; k < i; k++) close(r->ch[k].ctl_fd);
            fcntl(cp[0], F_SETFL, O_NONBLOCK);
            _exit(viewer_run(j));
        }
        close(cp[0]);
        ch->pid = pid; ch->ctl_fd = cp[1]; ch->alive = 1;
        ch->last.proc = (uint32_t)i;
    }
    close(sp[1]);
    return 0;
}

static void reap_children(run *r)
{
    for (size_t i = 0; i < r->nch; i++) if (r->ch[i].ctl_fd >= 0) { close(r->ch[i].ctl_fd); r->ch[i].ctl_fd = -1; }
    int64_t deadline = mono_us() + 60000000;
    size_t left = 0;
    do {
        left = 0;
        for (size_t i = 0; i < r->nch; i++) {
            if (!r->ch[i].alive) continue;
            int st;
            pid_t p = waitpid(r->ch[i].pid, &st, WNOHANG);
            if (p == r->ch[i].pid) r->ch[i].alive = 0; else left++;
        }
        if (left) usleep(50000);
    } while (left && mono_us() < deadline);
    for (size_t i = 0; i < r->nch; i++)
        if (r->ch[i].alive) { kill(r->ch[i].pid, SIGKILL); waitpid(r->ch[i].pid, NULL, 0); r->ch[i].alive = 0; }
}

/* ---- merge ------------------------------------------------------------- */

static void add_worst(bench_agg *a, size_t viewer, uint32_t room, uint64_t missing)
{
    size_t i = a->nworst < 10 ? a->nworst++ : 9;
    if (a->nworst == 10 && i == 9 && a->worst[9].missing >= missing) return;
    a->worst[i] = (worst_viewer){ viewer, room, missing };
    for (; i > 0 && a->worst[i].missing > a->worst[i - 1].missing; i--) {
        worst_viewer t = a->worst[i]; a->worst[i] = a->worst[i - 1]; a->worst[i - 1] = t;
    }
}

static void merge_viewer(bench_agg *a, const viewer_result *v, size_t idx, const pub_stats *ps)
{
    if (v->outcome == VO_OPEN) a->connected++;
    else if (v->outcome == VO_CLOSED) a->closed++;
    if (v->outcome != VO_OPEN && v->outcome != VO_CLOSED) return;
    const room_acks *ra = ps && v->room < ps->nrooms ? &ps->rooms[v->room] : NULL;
    uint64_t miss = ra ? track_missing(&v->tr, ra->seq, ra->n) : 0;
    a->expected += ra ? ra->n : 0;
    a->dup += v->tr.dup; a->ooo += v->tr.ooo; a->received += v->tr.received;
    a->gap_events += v->tr.gap_events; a->gap_frames += v->tr.gap_frames;
    a->reset_events += v->tr.reset_events; a->resets += v->tr.resets; a->epoch_resets += v->tr.epoch_resets;
    if (v->outcome == VO_CLOSED) {
        size_t k = 0;
        while (k < a->nclose && a->close_code[k] != v->close_code) k++;
        if (k < 16) { if (k == a->nclose) { a->close_code[k] = v->close_code; a->nclose++; } a->close_n[k]++; }
        a->closed_checked++; a->missing_closed += miss; return; }
    a->checked++;
    uint64_t tail = ra ? track_missing_tail(&v->tr, ra->seq, ra->n) : 0;
    a->missing += miss - tail;
    a->missing_tail += tail;
    if (!miss && !v->tr.dup && !v->tr.ooo) a->complete++;
    if (miss) add_worst(a, idx, v->room, miss);
}

static int merge_proc(bench_agg *a, const viewer_procres *p, size_t first, const pub_stats *ps)
{
    for (int k = 0; k < SK_NKINDS; k++) { a->events[k] += p->events[k]; hist_merge(&a->lat[k], &p->lat[k]); }
    a->frames += p->frames; a->bytes += p->bytes; a->decode_err += p->decode_err;
    a->cache_hits += p->cache_hits; a->cache_misses += p->cache_misses;
    hist_merge(&a->conn, &p->conn);
    hist_merge(&a->fan, &p->fan);
    for (int k = 0; k < 8; k++) a->fail_by[k] += p->fail_by[k];
    if (p->nseries > a->nseries) {
        a->series = xrealloc(a->series, p->nseries * sizeof *a->series);
        for (size_t s = a->nseries; s < p->nseries; s++) hist_init(&a->series[s], VIEWER_SERIES_SUB);
        a->nseries = p->nseries;
    }
    for (size_t s = 0; s < p->nseries; s++) hist_merge(&a->series[s], &p->series[s]);
    for (size_t i = 0; i < p->nviewers; i++) {
        if (p->v[i].outcome == VO_FAILED || p->v[i].outcome == VO_NEVER) a->failed++;
        merge_viewer(a, &p->v[i], first + i, ps);
    }
    return 0;
}

static void agg_init(bench_agg *a, const run *r)
{
    memset(a, 0, sizeof *a);
    a->cfg = r->c; a->nprocs = r->nch;
    for (int k = 0; k < SK_NKINDS; k++) hist_init(&a->lat[k], 7);
    hist_init(&a->lat_all, 7); hist_init(&a->conn, 7); hist_init(&a->fan, 7);
}

static void agg_free(bench_agg *a)
{
    for (int k = 0; k < SK_NKINDS; k++) hist_free(&a->lat[k]);
    hist_free(&a->lat_all); hist_free(&a->conn); hist_free(&a->fan);
    for (size_t s = 0; s < a->nseries; s++) hist_free(&a->series[s]);
    free(a->series);
}

static int collect(run *r, bench_agg *a)
{
    const pub_stats *ps = r->pub ? pub_get_stats(r->pub) : NULL;
    int rc = 0;
    for (size_t i = 0; i < r->nch; i++) {
        viewer_procres p;
        if (viewer_result_read(r->ch[i].job.result_path, &p) < 0) {
            fprintf(stderr, "danmaku-bench: viewer process %zu left no result\n", i);
            a->failed += r->ch[i].job.count;
            rc = -1;
            continue;
        }
        merge_proc(a, &p, r->ch[i].job.first, ps);
        viewer_result_free(&p);
        unlink(r->ch[i].job.result_path);
    }
    for (int k = 0; k < SK_NKINDS; k++) hist_merge(&a->lat_all, &a->lat[k]);
    a->ramp_s = r->ramp_s;
    a->pub_start_t = (double)(r->pub_start_us - r->t0_us) / 1e6;
    a->publish_s = r->c->warmup + r->c->duration;
    a->measure_s = r->c->duration;
    a->measured_events = a->lat_all.total;
    a->events_per_s = (double)a->measured_events / r->c->duration;
    if (r->frames_at_end > r->frames_at_measure && r->frames_at_measure) {
        a->window_frames = r->frames_at_end - r->frames_at_measure;
        a->window_bytes = r->bytes_at_end - r->bytes_at_measure;
    }
    a->frames_per_s = (double)a->window_frames / r->c->duration;
    a->connected_peak = r->connected_peak;
    a->pub = ps; a->sys = &r->sys; a->self = &r->self;
    a->rss_idle = r->rss_idle; a->rss_connected = r->rss_connected;
    return rc;
}

static int verdict(const bench_agg *a)
{
    const pub_stats *ps = a->pub;
    uint64_t http_err = 0;
    if (ps) for (int s = 0; s < 600; s++) if (!pub_status_ok(s)) http_err += ps->by_status[s];
    return a->missing == 0 && a->missing_tail == 0 && a->failed == 0 && a->closed == 0 && a->dup == 0
        && a->decode_err == 0 && http_err == 0 && (!ps || ps->unanswered == 0);
}

/* ---- entry ------------------------------------------------------------- */

static int setup(run *r, const bench_cfg *c, char *room_prefix, char *cmid_prefix)
{
    memset(r, 0, sizeof *r);
    r->c = c;
    r->tty = isatty(2);
    snprintf(cmid_prefix, 48, "b%d-", (int)getpid());
    snprintf(room_prefix, 40, "%.30s", c->room_prefix[0] ? c->room_prefix : cmid_prefix);
    char err[256];
    if (c->rate > 0 && corpus_load(&r->co, c->corpus, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "danmaku-bench: %s\n", err);
        return -1;
    }
    if (pop_init(&r->pp, c->popularity, c->rooms) < 0) {
        fprintf(stderr, "danmaku-bench: bad --popularity %s\n", c->popularity);
        return -1;
    }
    r->room_of = xmalloc((c->viewers ? c->viewers : 1) * sizeof *r->room_of);
    pop_assign(&r->pp, c->viewers, r->room_of);
    snprintf(r->tmpdir, sizeof r->tmpdir, "/tmp/dm-bench-XXXXXX");
    if (!mkdtemp(r->tmpdir)) { perror("mkdtemp"); return -1; }
    sysmon_init(&r->sys, c->server_pids, c->npids);
    int me = (int)getpid();
    sysmon_init(&r->self, &me, 1);
    double l1;
    sys_machine_busy(&r->mach, &l1);
    return 0;
}

static void teardown(run *r)
{
    if (r->pub) pub_free(r->pub);
    for (size_t i = 0; i < r->nch; i++) free((char *)r->ch[i].job.src_addr);
    free(r->ch);
    if (r->stat_fd > 0) close(r->stat_fd);
    if (r->tick) event_free(r->tick);
    if (r->stat_ev) event_free(r->stat_ev);
    if (r->sig_ev) event_free(r->sig_ev);
    if (r->base) event_base_free(r->base);
    sysmon_free(&r->sys);
    sysmon_free(&r->self);
    free(r->room_of);
    pop_free(&r->pp);
    if (r->co.nmsgs) corpus_free(&r->co);
    if (r->tmpdir[0]) rmdir(r->tmpdir);
}

static void loop(run *r)
{
    r->base = event_base_new();
    r->tick = event_new(r->base, -1, EV_PERSIST, tick_cb, r);
    struct timeval tv = { 0, 100000 };
    event_add(r->tick, &tv);
    r->stat_ev = event_new(r->base, r->stat_fd, EV_READ | EV_PERSIST, stat_cb, r);
    event_add(r->stat_ev, NULL);
    r->sig_ev = evsignal_new(r->base, SIGINT, sig_cb, r);
    event_add(r->sig_ev, NULL);
    if (r->c->rate > 0) {
        r->pub = pub_new(r->base, r->c, &r->co, &r->pp, r->ch[0].job.room_prefix, r->ch[0].job.prefix);
        pub_connect(r->pub);
    }
    enter(r, PH_RAMP);
    event_base_dispatch(r->base);
    if (r->tty && !r->c->quiet) fputc('\n', stderr);
    if (r->pub) pub_stop(r->pub);
    send_cmd(r, VCMD_STOP, 0);
}

int bench_run(const bench_cfg *c)
{
    run r;
    char room_prefix[40], cmid_prefix[48];
    signal(SIGPIPE, SIG_IGN);
    if (setup(&r, c, room_prefix, cmid_prefix) < 0) { teardown(&r); return 2; }
    r.t0_us = now_us();
    if (r.sys.npids) r.rss_idle = sysmon_sample(&r.sys, 0).rss_bytes;
    if (fork_children(&r, room_prefix, cmid_prefix) < 0) {
        perror("danmaku-bench: fork");
        reap_children(&r);
        teardown(&r);
        return 2;
    }
    loop(&r);
    reap_children(&r);
    if (r.pub) pub_sort_acks(r.pub);
    bench_agg a;
    agg_init(&a, &r);
    int crc = collect(&r, &a);
    a.ok = crc == 0 && !r.interrupted && verdict(&a);
    report_summary(&a, stdout);
    if (c->json_out[0] && report_json(&a, c->json_out) < 0)
        fprintf(stderr, "danmaku-bench: cannot write %s\n", c->json_out);
    if (c->plot_prefix[0] && report_plots(&a, c->plot_prefix) < 0)
        fprintf(stderr, "danmaku-bench: plotting failed (is gnuplot installed?)\n");
    int ok = a.ok;
    agg_free(&a);
    teardown(&r);
    return ok ? 0 : 1;
}

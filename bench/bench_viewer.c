/* bench_viewer.c — the viewer process (see bench_viewer.h). Reads go into
 * one process-wide scratch buffer; a connection keeps only the bytes of an
 * incomplete frame, so 15,000 idle viewers cost little memory. */
#define _GNU_SOURCE
#include "bench_viewer.h"
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "dbuf.h"
#include "bench_peerwire.h"
#include "log.h"
#include "ws.h"


int64_t now_us(void)
{
    struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t mono_us(void)
{
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

enum vstate { VS_IDLE, VS_CONNECTING, VS_HANDSHAKE, VS_OPEN, VS_DONE };

typedef struct vproc vproc;

typedef struct viewer {
    vproc *p;
    int fd, state, evset, retries;
    struct event ev;
    int64_t t_start_us;
    dbuf pend;                 /* bytes of an incomplete frame/handshake */
    dbuf frag;                 /* a fragmented message being assembled */
    int frag_op;
    viewer_result r;
} viewer;

struct vproc {
    const viewer_job *job;
    const bench_cfg *cfg;
    struct event_base *base;
    struct event *tick, *ctl, *deadline;
    viewer *v;
    size_t started, open, failed, closed;
    int64_t ramp_start_us, measure_us;
    scan_ctx *scan;
    uint8_t *scratch; size_t scratch_cap;
    char key[25], accept[29];
    struct sockaddr_in src;
    uint32_t port_next;           /* next source port to try */
    int stop;
    /* results */
    uint64_t events[SK_NKINDS], frames, bytes;
    hist lat[SK_NKINDS], conn, sec, fan;
    hist *series; size_t nseries;
    uint64_t fail_by[8];
    uint64_t sec_n;
};

static void viewer_finish(viewer *v, int outcome, int fail);

/* ---- message handling --------------------------------------------------- */

static void series_add(vproc *p, int64_t now, uint64_t lat)
{
    int64_t s = (now - p->job->t0_us) / 1000000;
    if (s < 0 || s >= VIEWER_SERIES_MAX) return;
    if ((size_t)s >= p->nseries) {
        size_t n = (size_t)s + 1;
        p->series = xrealloc(p->series, n * sizeof *p->series);
        for (size_t i = p->nseries; i < n; i++) hist_init(&p->series[i], VIEWER_SERIES_SUB);
        p->nseries = n;
    }
    hist_add(&p->series[s], lat);
}

static void on_message(viewer *v, const uint8_t *msg, size_t len, int64_t now)
{
    vproc *p = v->p;
    const scan_frame *f = scan_decode(p->scan, msg, len);
    v->r.frames++; p->frames++;
    if (!f) return;
    if (f->type == SCAN_GAP) { track_gap(&v->r.tr, f->from, f->to); return; }
    if (f->type == SCAN_RESET) { track_reset(&v->r.tr, f->from); return; }
    if (f->type != SCAN_BATCH) return;
    int measuring = p->measure_us > 0;
    for (size_t i = 0; i < f->nev; i++) {
        const scan_ev *e = &f->ev[i];
        track_event(&v->r.tr, e->seq);
        p->events[e->kind]++;
        if (e->send_us < 0 || !measuring) continue;
        uint64_t lat = now > e->send_us ? (uint64_t)(now - e->send_us) : 0;
        series_add(p, now, lat);
        hist_add(&p->sec, lat);
        if (e->send_us >= p->measure_us) {
            hist_add(&p->lat[e->kind], lat);
            if (e->ts_ms > 0) {
                int64_t f = now - e->ts_ms * 1000;
                hist_add(&p->fan, f > 0 ? (uint64_t)f : 0);
            }
        }
    }
    v->r.events += f->nev;
}

static void send_ctl(viewer *v, int op, const uint8_t *payload, size_t n)
{
    uint8_t buf[14 + 125];
    uint8_t mask[4] = { 0x12, 0x34, 0x56, 0x78 };
    if (n > 125) n = 125;
    size_t h = ws_frame_header(buf, 1, op, n, mask);
    memcpy(buf + h, payload, n);
    ws_unmask(buf + h, n, mask, 0);
    ssize_t w = write(v->fd, buf, h + n);
    (void)w;   /* a control reply that does not fit is dropped */
}

/* Handles one parsed frame; returns -1 if the viewer is finished. */
static int on_frame(viewer *v, ws_frame *f, int64_t now)
{
    switch (f->opcode) {
    case WS_OP_PING: send_ctl(v, WS_OP_PONG, f->payload, (size_t)f->payload_len); return 0;
    case WS_OP_PONG: return 0;
    case WS_OP_CLOSE: {
        uint16_t code = 1005;
        ws_close_parse(f->payload, (size_t)f->payload_len, &code);
        v->r.close_code = code;
        uint8_t pl[2] = { code >> 8, code & 0xff };
        send_ctl(v, WS_OP_CLOSE, pl, 2);
        viewer_finish(v, VO_CLOSED, VF_NONE);
        return -1;
    }
    case WS_OP_CONT:
        dbuf_append(&v->frag, f->payload, (size_t)f->payload_len);
        if (f->fin) { on_message(v, (uint8_t *)v->frag.data, v->frag.len, now); dbuf_free(&v->frag); }
        return 0;
    default:
        if (!f->fin) { dbuf_reset(&v->frag); dbuf_append(&v->frag, f->payload, (size_t)f->payload_len); return 0; }
        on_message(v, f->payload, (size_t)f->payload_len, now);
        return 0;
    }
}

/* Parses the 101 response head at buf; returns its length, 0 if
 * incomplete, -1 if refused. */
static ssize_t parse_handshake(vproc *p, const uint8_t *buf, size_t n)
{
    const uint8_t *end = memmem(buf, n, "\r\n\r\n", 4);
    if (!end) return n > 8192 ? -1 : 0;
    size_t hl = (size_t)(end - buf) + 4;
    if (hl < 12 || memcmp(buf, "HTTP/1.1 101", 12)) return -1;
    if (!memmem(buf, hl, p->accept, 28)) return -1;
    return (ssize_t)hl;
}

static void mark_open(viewer *v)
{
    v->state = VS_OPEN;
    v->r.outcome = VO_OPEN;
    v->p->open++;
    hist_add(&v->p->conn, (uint64_t)(mono_us() - v->t_start_us));
}

/* --target redis: consumes complete RESP pushes (the SUBSCRIBE
 * confirmation opens the viewer; each "message" carries one of our JSON
 * frames). Returns bytes consumed or -1 if the viewer finished. */
static ssize_t consume_resp(viewer *v, uint8_t *buf, size_t n, int64_t now)
{
    size_t off = 0;
    while (off < n) {
        pw_push m;
        ssize_t r = pw_resp_push(buf + off, n - off, 64u << 20, &m);
        if (r == -2) break;
        if (r < 0) {             /* e.g. "-ERR max number of clients reached" */
            viewer_finish(v, v->state == VS_OPEN ? VO_CLOSED : VO_FAILED, VF_HANDSHAKE);
            return -1;
        }
        off += (size_t)r;
        if (m.kind == PW_SUBSCRIBE && v->state == VS_HANDSHAKE) mark_open(v);
        else if (m.kind == PW_MESSAGE && v->state == VS_OPEN) on_message(v, m.data, m.data_len, now);
    }
    return (ssize_t)off;
}

/* Consumes complete frames of buf[0..n); returns bytes consumed or -1 if
 * the viewer finished. */
static ssize_t consume(viewer *v, uint8_t *buf, size_t n, int64_t now)
{
    size_t off = 0;
    if (v->p->cfg->target == TARGET_REDIS) return consume_resp(v, buf, n, now);
    if (v->state == VS_HANDSHAKE) {
        ssize_t hl = parse_handshake(v->p, buf, n);
        if (hl < 0) { viewer_finish(v, VO_FAILED, VF_HANDSHAKE); return -1; }
        if (hl == 0) return 0;
        off = (size_t)hl;
        mark_open(v);
    }
    while (off < n) {
        ws_frame f; int cc = 0;
        int r = ws_parse_frame(buf + off, n - off, WS_ROLE_CLIENT, 64u << 20, &f, &cc);
        if (r == -2) break;
        if (r < 0) { v->r.close_code = (uint16_t)cc; viewer_finish(v, VO_CLOSED, VF_RESET); return -1; }
        if (on_frame(v, &f, now) < 0) return -1;
        off += (size_t)r;
    }
    return (ssize_t)off;
}

static void on_read(viewer *v)
{
    vproc *p = v->p;
    for (int iter = 0; iter < 8; iter++) {
        size_t have = v->pend.len;
        if (p->scratch_cap < have + 65536) {
            p->scratch_cap = have + 65536;
            p->scratch = xrealloc(p->scratch, p->scratch_cap);
        }
        if (have) memcpy(p->scratch, v->pend.data, have);
        ssize_t n = read(v->fd, p->scratch + have, p->scratch_cap - have);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) { viewer_finish(v, v->state == VS_OPEN ? VO_CLOSED : VO_FAILED, VF_RESET); return; }
        v->r.bytes += (uint64_t)n; p->bytes += (uint64_t)n;
        size_t tot = have + (size_t)n;
        ssize_t used = consume(v, p->scratch, tot, now_us());
        if (used < 0) return;
        dbuf_reset(&v->pend);
        if ((size_t)used < tot) dbuf_append(&v->pend, p->scratch + used, tot - (size_t)used);
        else if (v->pend.cap > 4096) dbuf_free(&v->pend);
        if ((size_t)n < p->scratch_cap - have) return;   /* drained the socket */
    }
}

/* ---- connection setup --------------------------------------------------- */

static void viewer_cb(evutil_socket_t fd, short what, void *arg);
static void viewer_start(vproc *p, viewer *v);

static void viewer_finish(viewer *v, int outcome, int fail)
{
    vproc *p = v->p;
    if (v->state == VS_DONE) return;
    if (outcome == VO_FAILED && !p->fail_by[fail])      /* once per reason and process */
        LOGW("viewer", "proc %u: first %s failure (errno: %s)", p->job->proc,
             fail == VF_CONNECT ? "connect" : fail == VF_HANDSHAKE ? "handshake" : fail == VF_TIMEOUT ? "timeout" : "socket",
             strerror(errno));
    if (v->state == VS_OPEN) p->open--;
    if (outcome == VO_FAILED) { p->failed++; p->fail_by[fail]++; }
    else p->closed++;
    v->r.outcome = (uint8_t)outcome;
    v->r.fail = (uint8_t)fail;
    if (v->evset) event_del(&v->ev);
    if (v->fd >= 0) close(v->fd);
    v->fd = -1;
    v->state = VS_DONE;
    dbuf_free(&v->pend); dbuf_free(&v->frag);
}

static int send_handshake(viewer *v)
{
    vproc *p = v->p;
    const bench_cfg *c = p->cfg;
    const hostport *e = &c->edges[(p->job->first + (size_t)(v - p->v)) % c->nedges];
    char req[768], path[160], hist[32] = "";
    if (c->target == TARGET_REDIS) {            /* SUBSCRIBE <room>; the confirmation opens it */
        char chan[64];
        dbuf b; dbuf_init(&b);
        snprintf(chan, sizeof chan, "%s%u", p->job->room_prefix, v->r.room);
        pw_resp_subscribe(&b, chan);
        int ok = write(v->fd, b.data, b.len) == (ssize_t)b.len;
        dbuf_free(&b);
        return ok ? 0 : -1;
    }
    if (c->history >= 0) snprintf(hist, sizeof hist, "&history=%d", c->history);
    if (c->target == TARGET_NCHAN)
        snprintf(path, sizeof path, "/sub/%s%u", p->job->room_prefix, v->r.room);
    else
        snprintf(path, sizeof path, "/v1/rooms/%s%u/ws?format=%s&compress=%s%s%s", p->job->room_prefix,
                 v->r.room, c->format ? "pb" : "json", c->compress ? "zstd" : "none",
                 c->format == 2 ? "&v=2" : "", hist);
    int n = snprintf(req, sizeof req,
        "GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n", path, e->host, e->port, p->key);
    return write(v->fd, req, (size_t)n) == n ? 0 : -1;
}

static void viewer_cb(evutil_socket_t fd, short what, void *arg)
{
    viewer *v = arg;
    (void)fd;
    if (v->state == VS_CONNECTING) {
        if (what & EV_TIMEOUT) { viewer_finish(v, VO_FAILED, VF_TIMEOUT); return; }
        int err = 0; socklen_t l = sizeof err;
        getsockopt(v->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err && v->retries < 3) {          /* e.g. refused by a server-side TIME_WAIT twin */
            v->retries++;
            event_del(&v->ev); v->evset = 0;
            close(v->fd); v->fd = -1;
            viewer_start(v->p, v);
            return;
        }
        if (err || send_handshake(v) < 0) { if (err) errno = err; viewer_finish(v, VO_FAILED, VF_CONNECT); return; }
        v->state = VS_HANDSHAKE;
        event_del(&v->ev);
        event_assign(&v->ev, v->p->base, v->fd, EV_READ | EV_PERSIST, viewer_cb, v);
        event_add(&v->ev, NULL);
        return;
    }
    if (what & EV_READ) on_read(v);
}

/* Binds fd to our source address with an explicit port from this process's
 * own range: the kernel's ephemeral-port search (__inet_hash_connect) costs
 * O(connections) per connect at tens of thousands of sockets, which made the
 * ramp itself CPU-bound. Ports in use (listeners) are skipped; SO_REUSEADDR
 * lets a port held only by TIME_WAIT connections of an earlier run be bound
 * again (a clash of the whole 4-tuple shows at connect: next port). */
static int bind_src(vproc *p, int fd)
{
    uint32_t lo = p->job->port_lo, span = (uint32_t)p->job->port_hi - lo + 1;
    int one = 1;   /* ports whose earlier connections sit in TIME_WAIT (back-to-back runs) stay usable */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    for (int tries = 0; tries < 256; tries++) {
        struct sockaddr_in s = p->src;
        s.sin_port = htons((uint16_t)(lo + p->port_next++ % span));
        if (bind(fd, (struct sockaddr *)&s, sizeof s) == 0) return 0;
        if (errno != EADDRINUSE) return -1;   /* a 4-tuple clash shows at connect: counted as a connect failure */
    }
    return -1;
}

static void viewer_start(vproc *p, viewer *v)
{
    const bench_cfg *c = p->cfg;
    const hostport *e = &c->edges[(p->job->first + (size_t)(v - p->v)) % c->nedges];
    v->p = p;
    v->t_start_us = mono_us();
    v->state = VS_CONNECTING;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)e->port) };
    inet_pton(AF_INET, e->host, &sa.sin_addr);
    for (int attempt = 0;; attempt++) {       /* a 4-tuple still in TIME_WAIT: next port */
        v->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (v->fd < 0) { viewer_finish(v, VO_FAILED, VF_SOCKET); return; }
        int one = 1;
        setsockopt(v->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (bind_src(p, v->fd) == 0 &&
            (connect(v->fd, (struct sockaddr *)&sa, sizeof sa) == 0 || errno == EINPROGRESS)) break;
        int e2 = errno;
        if (attempt >= 256 || (e2 != EADDRINUSE && e2 != EADDRNOTAVAIL)) { viewer_finish(v, VO_FAILED, VF_CONNECT); return; }
        close(v->fd);
    }
    event_assign(&v->ev, p->base, v->fd, EV_WRITE, viewer_cb, v);
    v->evset = 1;
    struct timeval to = { 10, 0 };
    event_add(&v->ev, &to);
}

/* ---- timers and control ------------------------------------------------- */

static void write_stats(vproc *p)
{
    vstat_msg m = { .proc = p->job->proc, .connected = (uint32_t)p->open,
                    .failed = (uint32_t)p->failed, .closed = (uint32_t)p->closed,
                    .events = p->events[0] + p->events[1] + p->events[2],
                    .frames = p->frames, .bytes = p->bytes,
                    .lat_p99_us = hist_quantile(&p->sec, 0.99), .lat_n = p->sec.total };
    uint64_t h, mi; scan_stats(p->scan, &h, &mi, &m.decode_err);
    ssize_t w = write(p->job->stat_fd, &m, sizeof m);
    (void)w;
    hist_reset(&p->sec);
}

static void check_timeouts(vproc *p, int64_t mono)
{
    /* connecting viewers time out through their event timeout; handshakes here */
    for (size_t i = 0; i < p->started; i++) {
        viewer *v = &p->v[i];
        if (v->state == VS_CONNECTING && mono - v->t_start_us > 10000000) viewer_finish(v, VO_FAILED, VF_TIMEOUT);
        if (v->state == VS_HANDSHAKE && mono - v->t_start_us > 10000000) viewer_finish(v, VO_FAILED, VF_TIMEOUT);
    }
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    vproc *p = arg;
    (void)fd; (void)what;
    static int64_t last_stat;
    int64_t m = mono_us();
    double per_proc = p->cfg->ramp / (double)cfg_nprocs(p->cfg);
    size_t want = (size_t)((double)(m - p->ramp_start_us) / 1e6 * per_proc) + 1;
    if (want > p->job->count) want = p->job->count;
    while (p->started < want && !p->stop) viewer_start(p, &p->v[p->started++]);
    if (m - last_stat >= 1000000) {
        last_stat = m;
        write_stats(p);
        check_timeouts(p, m);
    }
}

static void ctl_cb(evutil_socket_t fd, short what, void *arg)
{
    vproc *p = arg;
    (void)what;
    vcmd c;
    ssize_t n = read(fd, &c, sizeof c);
    if (n == (ssize_t)sizeof c && c.op == VCMD_MEASURE) { p->measure_us = c.arg_us; return; }
    if (n < 0 && errno == EAGAIN) return;
    p->stop = 1;               /* VCMD_STOP, or the parent went away */
    event_base_loopbreak(p->base);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    vproc *p = arg;
    (void)fd; (void)what;
    p->stop = 1;
    event_base_loopbreak(p->base);
}

/* ---- results ------------------------------------------------------------ */

#define VRES_MAGIC 0x44424e4356524553ull

static int write_results(vproc *p)
{
    FILE *f = fopen(p->job->result_path, "wb");
    if (!f) return -1;
    uint64_t hdr[8] = { VRES_MAGIC, p->job->count, p->nseries, p->frames, p->bytes, 0, 0, 0 };
    scan_stats(p->scan, &hdr[5], &hdr[6], &hdr[7]);
    int ok = fwrite(hdr, sizeof hdr, 1, f) == 1 && fwrite(p->events, sizeof p->events, 1, f) == 1
          && fwrite(p->fail_by, sizeof p->fail_by, 1, f) == 1;
    for (int k = 0; ok && k < SK_NKINDS; k++) ok = hist_write(&p->lat[k], f) == 0;
    ok = ok && hist_write(&p->conn, f) == 0 && hist_write(&p->fan, f) == 0;
    for (size_t s = 0; ok && s < p->nseries; s++) ok = hist_write(&p->series[s], f) == 0;
    for (size_t i = 0; ok && i < p->job->count; i++) ok = fwrite(&p->v[i].r, sizeof p->v[i].r, 1, f) == 1;
    if (fclose(f) != 0) ok = 0;
    return ok ? 0 : -1;
}

int viewer_result_read(const char *path, viewer_procres *r)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    uint64_t hdr[8];
    int ok = fread(hdr, sizeof hdr, 1, f) == 1 && hdr[0] == VRES_MAGIC && hdr[2] <= VIEWER_SERIES_MAX
          && fread(r->events, sizeof r->events, 1, f) == 1 && fread(r->fail_by, sizeof r->fail_by, 1, f) == 1;
    if (ok) {
        r->nviewers = hdr[1]; r->nseries = hdr[2]; r->frames = hdr[3]; r->bytes = hdr[4];
        r->cache_hits = hdr[5]; r->cache_misses = hdr[6]; r->decode_err = hdr[7];
        for (int k = 0; k < SK_NKINDS; k++) hist_init(&r->lat[k], 7);
        hist_init(&r->conn, 7);
        hist_init(&r->fan, 7);
        r->series = xcalloc(r->nseries ? r->nseries : 1, sizeof *r->series);
        for (size_t s = 0; s < r->nseries; s++) hist_init(&r->series[s], VIEWER_SERIES_SUB);
        r->v = xcalloc(r->nviewers ? r->nviewers : 1, sizeof *r->v);
    }
    for (int k = 0; ok && k < SK_NKINDS; k++) { hist_free(&r->lat[k]); ok = hist_read(&r->lat[k], f) == 0; if (!ok) hist_init(&r->lat[k], 7); }
    if (ok) { hist_free(&r->conn); ok = hist_read(&r->conn, f) == 0; if (!ok) hist_init(&r->conn, 7); }
    if (ok) { hist_free(&r->fan); ok = hist_read(&r->fan, f) == 0; if (!ok) hist_init(&r->fan, 7); }
    for (size_t s = 0; ok && s < r->nseries; s++) {
        hist_free(&r->series[s]); ok = hist_read(&r->series[s], f) == 0;
        if (!ok) hist_init(&r->series[s], VIEWER_SERIES_SUB);
    }
    if (ok) ok = fread(r->v, sizeof *r->v, r->nviewers, f) == r->nviewers;
    fclose(f);
    if (!ok) { viewer_result_free(r); return -1; }
    return 0;
}

void viewer_result_free(viewer_procres *r)
{
    if (r->series || r->v) {
        for (int k = 0; k < SK_NKINDS; k++) hist_free(&r->lat[k]);
        hist_free(&r->conn); hist_free(&r->fan);
        for (size_t s = 0; s < r->nseries; s++) hist_free(&r->series[s]);
    }
    free(r->series); free(r->v);
    memset(r, 0, sizeof *r);
}

/* ---- process ------------------------------------------------------------ */

static void vproc_init(vproc *p, const viewer_job *job)
{
    memset(p, 0, sizeof *p);
    p->job = job; p->cfg = job->cfg;
    p->base = event_base_new();
    p->v = xcalloc(job->count ? job->count : 1, sizeof *p->v);
    for (size_t i = 0; i < job->count; i++) {
        viewer *v = &p->v[i];
        v->p = p; v->fd = -1;
        v->r.room = job->room_of[job->first + i];
        dbuf_init(&v->pend); dbuf_init(&v->frag);
        track_init(&v->r.tr);
    }
    const char *dict = p->cfg->dict_dir[0] ? p->cfg->dict_dir : NULL;
    p->scan = scan_ctx_new(p->cfg->format, dict, job->prefix, 8192);
    for (int k = 0; k < SK_NKINDS; k++) hist_init(&p->lat[k], 7);
    hist_init(&p->conn, 7);
    hist_init(&p->sec, 7);
    hist_init(&p->fan, 7);
    ws_client_key(p->key);
    ws_accept_key(p->key, 24, p->accept);
    p->src.sin_family = AF_INET;
    inet_pton(AF_INET, job->src_addr, &p->src.sin_addr);
    p->port_next = (uint32_t)(now_us() % 65536);   /* TIME_WAIT of earlier runs: start elsewhere */
}

/* Closes a connection still open at the end of the run with a reset: an
 * orderly close would leave 20,000 explicitly bound ports in TIME_WAIT for
 * a minute, which the kernel's connect() port search then skips, so that
 * back-to-back runs exhausted the ephemeral range of every process on the
 * machine (EADDRNOTAVAIL). */
static void close_reset(int fd)
{
    struct linger lg = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static void vproc_free(vproc *p)
{
    for (size_t i = 0; i < p->job->count; i++) {
        viewer *v = &p->v[i];
        if (v->state != VS_DONE && v->state != VS_IDLE) { if (v->evset) event_del(&v->ev); if (v->fd >= 0) close_reset(v->fd); }
        dbuf_free(&v->pend); dbuf_free(&v->frag);
    }
    free(p->v);
    for (int k = 0; k < SK_NKINDS; k++) hist_free(&p->lat[k]);
    hist_free(&p->conn); hist_free(&p->sec); hist_free(&p->fan);
    for (size_t s = 0; s < p->nseries; s++) hist_free(&p->series[s]);
    free(p->series);
    free(p->scratch);
    scan_ctx_free(p->scan);
    if (p->tick) event_free(p->tick);
    if (p->ctl) event_free(p->ctl);
    if (p->deadline) event_free(p->deadline);
    event_base_free(p->base);
}

int viewer_run(const viewer_job *job)
{
    signal(SIGPIPE, SIG_IGN);
    vproc p;
    vproc_init(&p, job);
    p.ramp_start_us = mono_us();
    p.tick = event_new(p.base, -1, EV_PERSIST, tick_cb, &p);
    struct timeval ten_ms = { 0, 10000 };
    event_add(p.tick, &ten_ms);
    p.ctl = event_new(p.base, job->ctl_fd, EV_READ | EV_PERSIST, ctl_cb, &p);
    event_add(p.ctl, NULL);
    const bench_cfg *c = job->cfg;
    double hard = (double)job->count / (c->ramp / (double)cfg_nprocs(c)) + 60 + c->warmup + c->duration + c->drain;
    struct timeval dl = { (time_t)hard, 0 };
    p.deadline = event_new(p.base, -1, 0, deadline_cb, &p);
    event_add(p.deadline, &dl);
    event_base_dispatch(p.base);
    write_stats(&p);
    int rc = write_results(&p) == 0 ? 0 : 1;
    vproc_free(&p);
    return rc;
}

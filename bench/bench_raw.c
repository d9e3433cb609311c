/* bench_raw.c — the bare-write baseline (see bench_raw.h). The writer is one
 * process with a plain loop over non-blocking sockets; a socket whose buffer
 * is full (EAGAIN) is skipped for that round and counted. */
#define _GNU_SOURCE
#include "bench_raw.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench_hist.h"
#include "bench_viewer.h"   /* now_us, mono_us */
#include "dbuf.h"
#include "ws.h"


/* ---- readers ----------------------------------------------------------- */

/* Connects from src with an explicit source port (see bind_src in
 * bench_viewer.c: the kernel's port search is O(connections)). */
static int reader_connect(const struct sockaddr_in *dst, const char *src, uint32_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa = { .sin_family = AF_INET };
    inet_pton(AF_INET, src, &sa.sin_addr);
    int bound = -1;
    for (int tries = 0; tries < 256 && bound < 0; tries++) {
        sa.sin_port = htons((uint16_t)(1024 + (*port)++ % 64000));
        bound = bind(fd, (struct sockaddr *)&sa, sizeof sa);
        if (bound < 0 && errno != EADDRINUSE) break;
    }
    if (bound < 0 || connect(fd, (const struct sockaddr *)dst, sizeof *dst) < 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

typedef struct rconn { int fd; size_t have; uint8_t part[16]; size_t skip; } rconn;

/* Reader process: n connections, epoll loop until the writer closes them
 * all or the deadline; writes its histogram + frame count to out. */
static int reader_main(const struct sockaddr_in *dst, const char *src, size_t n, size_t flen,
                       double deadline_s, const char *out)
{
    rconn *c = xcalloc(n, sizeof *c);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    size_t open = 0;
    uint32_t port = (uint32_t)(now_us() % 64000);   /* TIME_WAIT of earlier runs: start elsewhere */
    for (size_t i = 0; i < n; i++) {
        c[i].fd = -1;
        for (int k = 0; k < 64 && c[i].fd < 0; k++) c[i].fd = reader_connect(dst, src, &port);
        if (c[i].fd < 0) { fprintf(stderr, "raw reader: connect from %s failed: %s\n", src, strerror(errno)); continue; }
        struct epoll_event e = { .events = EPOLLIN, .data.ptr = &c[i] };
        epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &e);
        open++;
    }
    hist h; hist_init(&h, 7);
    uint64_t frames = 0;
    size_t hdr = flen < 126 ? 2 : 4, whole = hdr + flen;
    uint8_t *buf = xmalloc(1 << 20);
    int64_t end = mono_us() + (int64_t)(deadline_s * 1e6);
    struct epoll_event evs[256];
    while (open && mono_us() < end) {
        int k = epoll_wait(ep, evs, 256, 200);
        int64_t now = now_us();
        for (int j = 0; j < k; j++) {
            rconn *rc = evs[j].data.ptr;
            ssize_t r = read(rc->fd, buf, 1 << 20);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN) continue;
                epoll_ctl(ep, EPOLL_CTL_DEL, rc->fd, NULL); close(rc->fd); rc->fd = -1; open--;
                continue;
            }
            /* frames are fixed-size: walk the stream by offset */
            size_t off = 0;
            while (off < (size_t)r) {
                size_t pos = rc->have;            /* position inside the current frame */
                size_t take = whole - pos < (size_t)r - off ? whole - pos : (size_t)r - off;
                for (size_t q = 0; q < take; q++) {
                    size_t at = pos + q;
                    if (at >= hdr && at < hdr + 8) rc->part[at - hdr] = buf[off + q];
                }
                rc->have += take; off += take;
                if (rc->have == whole) {
                    int64_t sent; memcpy(&sent, rc->part, 8);
                    hist_add(&h, now > sent ? (uint64_t)(now - sent) : 0);
                    frames++;
                    rc->have = 0;
                }
            }
        }
    }
    FILE *f = fopen(out, "wb");
    int ok = f && fwrite(&frames, sizeof frames, 1, f) == 1 && hist_write(&h, f) == 0;
    if (f) fclose(f);
    for (size_t i = 0; i < n; i++) if (c[i].fd >= 0) close(c[i].fd);
    close(ep);
    free(c); free(buf); hist_free(&h);
    return ok ? 0 : 1;
}

/* ---- writer ------------------------------------------------------------ */

static int listen_any(struct sockaddr_in *sa)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &sa->sin_addr);
    socklen_t l = sizeof *sa;
    if (bind(fd, (struct sockaddr *)sa, sizeof *sa) < 0 || listen(fd, 4096) < 0
        || getsockname(fd, (struct sockaddr *)sa, &l) < 0) { close(fd); return -1; }
    return fd;
}

static size_t accept_all(int lfd, int *fds, size_t n, double timeout_s)
{
    size_t got = 0;
    int64_t end = mono_us() + (int64_t)(timeout_s * 1e6), last = mono_us();
    while (got < n && mono_us() < end) {
        struct pollfd p = { .fd = lfd, .events = POLLIN };
        if (poll(&p, 1, 200) <= 0) {
            if (got && mono_us() - last > 3000000) break;   /* the rest is not coming */
            continue;
        }
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) { fds[got++] = fd; last = mono_us(); }
    }
    return got;
}

typedef struct wres { uint64_t writes, eagain, rounds; double secs; } wres;

static wres write_loop(int *fds, size_t n, size_t flen, const raw_cfg *c)
{
    wres w = { 0 };
    size_t hdr_len;
    uint8_t hdr[14];
    hdr_len = ws_frame_header(hdr, 1, WS_OP_BINARY, flen, NULL);
    uint8_t *frame = xcalloc(1, hdr_len + flen);
    memcpy(frame, hdr, hdr_len);
    memset(frame + hdr_len + 8, 'x', flen - 8);
    int64_t start = mono_us(), end = start + (int64_t)(c->duration * 1e6);
    for (uint64_t round = 0;; round++) {
        int64_t m = mono_us();
        if (m >= end) break;
        if (c->round_rate > 0) {
            int64_t due = start + (int64_t)((double)round * 1e6 / c->round_rate);
            if (due > m) { usleep((useconds_t)(due - m)); if (mono_us() >= end) break; }
        }
        int64_t stamp = now_us();        /* one pre-built frame per round */
        memcpy(frame + hdr_len, &stamp, 8);
        for (size_t i = 0; i < n; i++) {
            ssize_t r = write(fds[i], frame, hdr_len + flen);
            if (r == (ssize_t)(hdr_len + flen)) w.writes++;
            else if (r < 0 && errno == EAGAIN) w.eagain++;
            else if (r > 0) {          /* partial: finish it blocking-ish to keep framing */
                size_t off = (size_t)r;
                for (int k = 0; k < 1000 && off < hdr_len + flen; k++) {
                    ssize_t q = write(fds[i], frame + off, hdr_len + flen - off);
                    if (q > 0) off += (size_t)q; else usleep(100);
                }
                w.writes++;
            }
        }
        w.rounds++;
    }
    w.secs = (double)(mono_us() - start) / 1e6;
    free(frame);
    return w;
}

static void report(const raw_cfg *c, size_t conns, const wres *w, uint64_t frames, const hist *h, size_t procs, size_t writers)
{
    double wps = (double)w->writes / w->secs;
    printf("== raw baseline %s: %zu connections, %zu-byte frames, %.1f s, %zu writer / %zu reader procs\n",
           c->label, conns, c->frame_bytes, w->secs, writers, procs);
    printf("writes: %.0f/s (%llu in %llu rounds, %.1f rounds/s), EAGAIN skips %llu; readers got %llu frames (%.0f/s)\n",
           wps, (unsigned long long)w->writes, (unsigned long long)w->rounds, (double)w->rounds / w->secs,
           (unsigned long long)w->eagain, (unsigned long long)frames, (double)frames / w->secs);
    printf("latency ms: p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f\n",
           hist_quantile(h, 0.5) / 1e3, hist_quantile(h, 0.9) / 1e3, hist_quantile(h, 0.99) / 1e3,
           hist_quantile(h, 0.999) / 1e3, h->max / 1e3);
    if (!c->json_out[0]) return;
    json_t *o = json_pack("{s:s,s:I,s:I,s:f,s:f,s:f,s:I,s:I,s:I,s:f,s:{s:f,s:f,s:f,s:f,s:f},s:I}",
        "label", c->label, "conns", (json_int_t)conns, "frame_bytes", (json_int_t)c->frame_bytes,
        "duration_s", w->secs, "round_rate", c->round_rate, "writes_per_s", wps,
        "writes", (json_int_t)w->writes, "eagain", (json_int_t)w->eagain, "rounds", (json_int_t)w->rounds,
        "frames_read_per_s", (double)frames / w->secs,
        "latency_ms", "p50", hist_quantile(h, 0.5) / 1e3, "p90", hist_quantile(h, 0.9) / 1e3,
        "p99", hist_quantile(h, 0.99) / 1e3, "p999", hist_quantile(h, 0.999) / 1e3, "max", h->max / 1e3,
        "reader_procs", (json_int_t)procs);
    json_object_set_new(o, "writer_procs", json_integer((json_int_t)writers));
    if (json_dump_file(o, c->json_out, JSON_INDENT(1)) < 0) fprintf(stderr, "cannot write %s\n", c->json_out);
    json_decref(o);
}

/* Writer process: accepts n connections from the shared listener, writes
 * for the duration, stores its counters in out. */
static int writer_main(int lfd, size_t n, const raw_cfg *c, const char *out)
{
    int *fds = xcalloc(n ? n : 1, sizeof *fds);
    size_t got = accept_all(lfd, fds, n, 30 + (double)c->conns / 2000.0);
    close(lfd);
    wres w = write_loop(fds, got, c->frame_bytes, c);
    usleep(500000);                    /* let readers drain what is in flight */
    for (size_t i = 0; i < got; i++) close(fds[i]);
    free(fds);
    uint64_t g = got;
    FILE *f = fopen(out, "wb");
    int ok = f && fwrite(&w, sizeof w, 1, f) == 1 && fwrite(&g, sizeof g, 1, f) == 1;
    if (f) fclose(f);
    return ok ? 0 : 1;
}

static pid_t spawn_reader(const struct sockaddr_in *sa, const raw_cfg *c, size_t i, size_t n, const char *tmp, int lfd)
{
    char out[128], src[32];
    snprintf(out, sizeof out, "%s/r%zu", tmp, i);
    snprintf(src, sizeof src, "127.0.0.%zu", 1 + i);   /* one address per reader */
    fflush(NULL);
    pid_t p = fork();
    if (p == 0) { close(lfd); _exit(reader_main(sa, src, n, c->frame_bytes, c->duration + 60, out)); }
    return p;
}

int raw_run(const raw_cfg *c)
{
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_in sa;
    int lfd = listen_any(&sa);
    if (lfd < 0) { perror("raw: listen"); return 1; }
    size_t procs = c->procs ? c->procs : (c->conns + 14999) / 15000;
    size_t writers = c->writers ? c->writers : (c->conns + 17999) / 18000;
    char tmp[] = "/tmp/dm-raw-XXXXXX";
    if (!mkdtemp(tmp)) { close(lfd); return 1; }
    pid_t *wp = xcalloc(writers, sizeof *wp), *rp = xcalloc(procs, sizeof *rp);
    for (size_t i = 0; i < writers; i++) {
        size_t n = c->conns / writers + (i < c->conns % writers);
        char out[128]; snprintf(out, sizeof out, "%s/w%zu", tmp, i);
        fflush(NULL);
        wp[i] = fork();
        if (wp[i] == 0) _exit(writer_main(lfd, n, c, out));
    }
    size_t per = (c->conns + procs - 1) / procs, left = c->conns;
    for (size_t i = 0; i < procs; i++) {
        size_t n = per < left ? per : left;
        left -= n;
        rp[i] = spawn_reader(&sa, c, i, n, tmp, lfd);
    }
    close(lfd);
    wres w = { 0 };
    uint64_t got = 0, frames = 0;
    for (size_t i = 0; i < writers; i++) {
        waitpid(wp[i], NULL, 0);
        char out[128]; snprintf(out, sizeof out, "%s/w%zu", tmp, i);
        FILE *f = fopen(out, "rb");
        wres x; uint64_t g;
        if (f && fread(&x, sizeof x, 1, f) == 1 && fread(&g, sizeof g, 1, f) == 1) {
            w.writes += x.writes; w.eagain += x.eagain; w.rounds += x.rounds;
            if (x.secs > w.secs) w.secs = x.secs;
            got += g;
        }
        if (f) fclose(f);
        unlink(out);
    }
    hist h; hist_init(&h, 7);
    for (size_t i = 0; i < procs; i++) {
        waitpid(rp[i], NULL, 0);
        char out[128]; snprintf(out, sizeof out, "%s/r%zu", tmp, i);
        FILE *f = fopen(out, "rb");
        uint64_t fr; hist ph;
        if (f && fread(&fr, sizeof fr, 1, f) == 1 && hist_read(&ph, f) == 0) { frames += fr; hist_merge(&h, &ph); hist_free(&ph); }
        if (f) fclose(f);
        unlink(out);
    }
    rmdir(tmp);
    if (w.secs <= 0) w.secs = c->duration;
    report(c, (size_t)got, &w, frames, &h, procs, writers);
    hist_free(&h); free(wp); free(rp);
    return got == c->conns ? 0 : 1;
}

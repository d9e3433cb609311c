/* danmaku-watch — a small WebSocket viewer for the edge: connects to a
 * room (client handshake with Sec-WebSocket-Accept check, masked frames,
 * pings answered), fetches the zstd dictionary when compress=zstd, decodes
 * every message with frame_dec and prints one line per event (or, with
 * --raw, one JSON line per frame in the edge's JSON layout). Blocking
 * sockets and poll(); every wait is bounded by --timeout. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/rand.h>
#include <zstd.h>
#include "dbuf.h"
#include "frame_dec.h"
#include "http.h"
#include "jsonw.h"
#include "ws.h"

enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_TIMEOUT = 2, EXIT_CHECK = 3, EXIT_CLOSE = 4 };

typedef struct opts {
    const char *format, *compress, *history, *since, *epoch;
    long count;           /* 0: unlimited */
    double timeout;       /* seconds; 0: none */
    int raw, check;
    char host[256], port[16];
    dbuf path;            /* path + final query */
} opts;

typedef struct watch {
    opts o;
    int fd;
    int fmt, zstd;
    double deadline;      /* monotonic seconds, 0 = none */
    frame_dec dec;
    ws_reader rd;
    dbuf in;              /* received, not yet consumed bytes */
    long events;
    int have_last;
    uint64_t last_seq, gap_to;
} watch;

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("danmaku-watch: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stdout);
    exit(code);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fputs("usage: danmaku-watch [--format json|pb] [--compress none|zstd] [--history N]\n"
          "         [--since S --epoch E] [--count N] [--timeout SEC] [--raw] [--check]\n"
          "         ws://HOST:PORT/v1/rooms/ROOM/ws[?query]   (e.g. ?format=pb&v=2&zdict=ID)\n"
          "Prints 'seq kind user_id: text' per event, '# reset ...' / '# gap ...' lines;\n"
          "--raw prints each frame as one JSON line. Exit: 0 ok, 1 error, 2 timeout before\n"
          "--count events, 3 --check found non-consecutive seqs, 4 closed with a code != 1000.\n",
          stderr);
    exit(EXIT_ERR);
}

/* ---- URL and query ---- */

/* Appends key=value of query (minus the keys we override) to o->path. */
static void add_param(dbuf *q, const char *k, const char *v)
{
    if (!v)
        return;
    dbuf_putc(q, q->len ? '&' : '?');
    dbuf_printf(q, "%s=%s", k, v);
}

static int overridden(const opts *o, const char *kv, size_t klen)
{
    const char *keys[] = { "format", "compress", "history", "since", "epoch" };
    const char *vals[] = { o->format, o->compress, o->history, o->since, o->epoch };
    for (int i = 0; i < 5; i++)
        if (vals[i] && strlen(keys[i]) == klen && !memcmp(kv, keys[i], klen))
            return 1;
    return 0;
}

static void parse_url(opts *o, const char *url)
{
    if (strncmp(url, "ws://", 5))
        die(EXIT_ERR, "only ws:// URLs are supported: %s", url);
    const char *h = url + 5, *slash = strchr(h, '/');
    if (!slash)
        slash = h + strlen(h);
    const char *colon = memchr(h, ':', (size_t)(slash - h));
    size_t hl = (size_t)((colon ? colon : slash) - h);
    if (hl == 0 || hl >= sizeof o->host)
        die(EXIT_ERR, "bad host in %s", url);
    memcpy(o->host, h, hl);
    o->host[hl] = 0;
    snprintf(o->port, sizeof o->port, "%.*s", colon ? (int)(slash - colon - 1) : 2,
             colon ? colon + 1 : "80");
    const char *qm = strchr(slash, '?');
    size_t pl = qm ? (size_t)(qm - slash) : strlen(slash);
    dbuf q;
    dbuf_init(&q);
    for (const char *p = qm ? qm + 1 : NULL; p && *p;) {
        const char *amp = strchr(p, '&'), *e = amp ? amp : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (e > p && !overridden(o, p, (size_t)((eq ? eq : e) - p))) {
            dbuf_putc(&q, q.len ? '&' : '?');
            dbuf_append(&q, p, (size_t)(e - p));
        }
        p = amp ? amp + 1 : NULL;
    }
    add_param(&q, "format", o->format);
    add_param(&q, "compress", o->compress);
    add_param(&q, "history", o->history);
    add_param(&q, "since", o->since);
    add_param(&q, "epoch", o->epoch);
    dbuf_init(&o->path);
    dbuf_append(&o->path, pl ? slash : "/", pl ? pl : 1);
    dbuf_append(&o->path, q.data ? q.data : "", q.len);
    dbuf_free(&q);
}

/* The effective format/compress: from the final query (edge defaults). */
static void pick_mode(watch *w)
{
    const char *qm = strchr(w->o.path.data, '?');
    char v[32];
    w->fmt = DM_FMT_JSON;
    w->zstd = 0;
    if (!qm)
        return;
    size_t ql = strlen(qm + 1);
    if (http_query_param(qm + 1, ql, "format", v, sizeof v) >= 0 && !strcmp(v, "pb"))
        w->fmt = DM_FMT_PB;
    if (w->fmt == DM_FMT_PB && http_query_param(qm + 1, ql, "v", v, sizeof v) >= 0 && !strcmp(v, "2"))
        w->fmt = DM_FMT_PB2;
    if (http_query_param(qm + 1, ql, "compress", v, sizeof v) >= 0 && !strcmp(v, "zstd"))
        w->zstd = 1;
}

/* ---- sockets ---- */

static int dial(const opts *o)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    int rc = getaddrinfo(o->host, o->port, &hints, &res);
    if (rc)
        die(EXIT_ERR, "resolve %s:%s: %s", o->host, o->port, gai_strerror(rc));
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        die(EXIT_ERR, "connect %s:%s: %s", o->host, o->port, strerror(errno));
    return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die(EXIT_ERR, "send: %s", strerror(errno));
        c += k;
        n -= (size_t)k;
    }
}

/* Reads more bytes into b, waiting at most until the deadline. Returns the
 * byte count, 0 at EOF; exits on timeout. */
static ssize_t recv_some(watch *w, int fd, dbuf *b)
{
    for (;;) {
        int ms = -1;
        if (w->deadline > 0) {
            double left = w->deadline - now_s();
            if (left <= 0) {
                if (w->o.count)
                    die(EXIT_TIMEOUT, "timeout: %ld of %ld events", w->events, w->o.count);
                fflush(stdout);
                exit(EXIT_OK);
            }
            ms = (int)(left * 1000) + 1;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int rc = poll(&p, 1, ms);
        if (rc < 0 && errno != EINTR)
            die(EXIT_ERR, "poll: %s", strerror(errno));
        if (rc <= 0)
            continue;
        dbuf_reserve(b, 65536);
        ssize_t n = recv(fd, b->data + b->len, 65536, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die(EXIT_ERR, "recv: %s", strerror(errno));
        b->len += (size_t)n;
        b->data[b->len] = '\0';          /* heads are searched as strings */
        return n;
    }
}

/* ---- HTTP response heads (tiny: status, headers as text) ---- */

/* Reads until the end of the response head; returns its length in b. */
static size_t read_head(watch *w, int fd, dbuf *b)
{
    for (int i = 0; i < 1000; i++) {
        char *e = b->data ? strstr(b->data, "\r\n\r\n") : NULL;
        if (e)
            return (size_t)(e - b->data) + 4;
        if (b->len > 65536)
            die(EXIT_ERR, "response head too large");
        if (recv_some(w, fd, b) == 0)
            die(EXIT_ERR, "connection closed during the response head");
    }
    die(EXIT_ERR, "response head never ended");
}

static int head_status(const char *h)
{
    int st = 0;
    if (sscanf(h, "HTTP/1.%*d %d", &st) != 1)
        return -1;
    return st;
}

/* Value of header `name` in the head (NUL-terminated copy in out), or -1. */
static int head_value(const char *h, size_t hl, const char *name, char *out, size_t os)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(h, "\r\n"); p && (size_t)(p - h) + 2 < hl; p = strstr(p + 2, "\r\n")) {
        const char *l = p + 2;
        if (!strncasecmp(l, name, nl) && l[nl] == ':') {
            const char *v = l + nl + 1, *e = strstr(v, "\r\n");
            while (*v == ' ' || *v == '\t')
                v++;
            while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            snprintf(out, os, "%.*s", (int)(e - v), v);
            return 0;
        }
    }
    return -1;
}

/* GET /v1/zstd-dict?format=... (id 0: the current one of our format) or
 * ?id=ID: loads it into the decoder; 404 = none. */
static void fetch_dict(watch *w, unsigned id)
{
    int fd = dial(&w->o);
    dbuf b;
    dbuf_init(&b);
    if (id)
        dbuf_printf(&b, "GET /v1/zstd-dict?id=%u", id);
    else
        dbuf_printf(&b, "GET /v1/zstd-dict?format=%s", w->fmt == DM_FMT_JSON ? "json"
                    : w->fmt == DM_FMT_PB ? "pb" : "pb&v=2");
    dbuf_printf(&b, " HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n", w->o.host, w->o.port);
    send_all(fd, b.data, b.len);
    dbuf_reset(&b);
    size_t hl = read_head(w, fd, &b);
    int st = head_status(b.data);
    char cl[32];
    if (st == 404) {
        fprintf(stderr, "danmaku-watch: no zstd dictionary on the edge (404)\n");
    } else if (st != 200 || head_value(b.data, hl, "content-length", cl, sizeof cl) < 0) {
        die(EXIT_ERR, "GET /v1/zstd-dict: status %d", st);
    } else {
        size_t want = strtoul(cl, NULL, 10);
        for (int i = 0; i < 100000 && b.len - hl < want; i++)
            if (recv_some(w, fd, &b) == 0)
                die(EXIT_ERR, "GET /v1/zstd-dict: short body");
        if (b.len - hl < want || frame_dec_set_dict(&w->dec, w->fmt, b.data + hl, want) < 0)
            die(EXIT_ERR, "GET /v1/zstd-dict: bad dictionary (%zu bytes)", want);
    }
    dbuf_free(&b);
    close(fd);
}

/* ---- WebSocket ---- */

static void handshake(watch *w)
{
    char key[25], want[29], got[64];
    ws_client_key(key);
    ws_accept_key(key, 24, want);
    dbuf b;
    dbuf_init(&b);
    dbuf_printf(&b, "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n", w->o.path.data, w->o.host, w->o.port, key);
    send_all(w->fd, b.data, b.len);
    dbuf_reset(&b);
    size_t hl = read_head(w, w->fd, &b);
    int st = head_status(b.data);
    if (st != 101) {
        const char *body = b.data + hl;
        die(EXIT_ERR, "handshake refused: status %d %s", st, body);
    }
    if (head_value(b.data, hl, "sec-websocket-accept", got, sizeof got) < 0 || strcmp(got, want))
        die(EXIT_ERR, "handshake: bad Sec-WebSocket-Accept");
    dbuf_append(&w->in, b.data + hl, b.len - hl);   /* frames already received */
    dbuf_free(&b);
}

static void send_frame(watch *w, int op, const uint8_t *p, size_t n)
{
    uint8_t mask[4], h[14], buf[256];
    if (RAND_bytes(mask, 4) != 1)
        memset(mask, 0x5a, 4);
    size_t hl = ws_frame_header(h, 1, op, n, mask);
    if (n > sizeof buf - hl)
        n = sizeof buf - hl;              /* control frames only: <= 125 */
    memcpy(buf, h, hl);
    memcpy(buf + hl, p, n);
    ws_unmask(buf + hl, n, mask, 0);
    send_all(w->fd, buf, hl + n);
}

static void send_close(watch *w, uint16_t code)
{
    uint8_t p[125];
    size_t n = ws_close_payload(p, code, NULL);
    send_frame(w, WS_OP_CLOSE, p, n);
}

/* ---- output ---- */

static const char *mode_name(int m)
{
    return m == DANMAKU__MODE__MODE_TOP ? "top" : m == DANMAKU__MODE__MODE_BOTTOM ? "bottom" : "scroll";
}

static void put_u(dbuf *b, const char *k, uint64_t v)
{
    dbuf_putc(b, ',');
    jsonw_key(b, k);
    dbuf_put_u64(b, v);
}

static void put_s(dbuf *b, const char *k, const char *v)
{
    if (!v)
        return;
    dbuf_putc(b, ',');
    jsonw_key(b, k);
    jsonw_cstr(b, v);
}

static void raw_body(dbuf *b, const Danmaku__Event *e)
{
    if (e->body_case == DANMAKU__EVENT__BODY_COMMENT) {
        const Danmaku__Comment *c = e->comment;
        put_s(b, "text", c->text ? c->text : "");
        if (c->has_color) put_u(b, "color", c->color);
        put_s(b, "mode", mode_name(c->mode));
        if (c->has_size) put_u(b, "size", c->size);
    } else if (e->body_case == DANMAKU__EVENT__BODY_GIFT) {
        const Danmaku__Gift *g = e->gift;
        put_s(b, "gift_id", g->gift_id);
        put_s(b, "gift_name", g->gift_name);
        if (g->has_count) put_u(b, "count", g->count);
        if (g->has_unit_value) put_u(b, "unit_value", g->unit_value);
    } else if (e->body_case == DANMAKU__EVENT__BODY_LIKE) {
        if (e->like->has_count) put_u(b, "count", e->like->count);
    }
}

static const char *kind_name(const Danmaku__Event *e)
{
    switch (e->body_case) {
    case DANMAKU__EVENT__BODY_COMMENT: return "comment";
    case DANMAKU__EVENT__BODY_GIFT:    return "gift";
    case DANMAKU__EVENT__BODY_LIKE:    return "like";
    default:                           return "unknown";
    }
}

static void raw_event(dbuf *b, const Danmaku__Event *e)
{
    dbuf_putc(b, '{');
    jsonw_key(b, "seq");
    dbuf_put_u64(b, e->seq);
    put_s(b, "kind", kind_name(e));
    if (e->has_ts_ms) {
        dbuf_puts(b, ",\"ts_ms\":");
        dbuf_put_i64(b, e->ts_ms);
    }
    put_s(b, "user_id", e->user_id);
    put_s(b, "nick", e->nick);
    raw_body(b, e);
    put_s(b, "client_msg_id", e->client_msg_id);
    if (e->n_flags) {
        dbuf_puts(b, ",\"flags\":[");
        for (size_t i = 0; i < e->n_flags; i++) {
            if (i) dbuf_putc(b, ',');
            jsonw_cstr(b, e->flags[i]);
        }
        dbuf_putc(b, ']');
    }
    put_s(b, "risk", e->risk);
    dbuf_putc(b, '}');
}

static void print_raw(const Danmaku__Frame *f)
{
    dbuf b;
    dbuf_init(&b);
    if (f->msg_case == DANMAKU__FRAME__MSG_BATCH) {
        const Danmaku__Batch *x = f->batch;
        dbuf_puts(&b, "{\"type\":\"batch\"");
        put_s(&b, "room", x->room);
        put_s(&b, "epoch", x->epoch);
        put_u(&b, "from_seq", x->from_seq);
        put_u(&b, "to_seq", x->to_seq);
        dbuf_puts(&b, ",\"events\":[");
        for (size_t i = 0; i < x->n_events; i++) {
            if (i) dbuf_putc(&b, ',');
            raw_event(&b, x->events[i]);
        }
        dbuf_puts(&b, "]}");
    } else if (f->msg_case == DANMAKU__FRAME__MSG_RESET) {
        dbuf_puts(&b, "{\"type\":\"reset\"");
        put_s(&b, "room", f->reset->room);
        put_s(&b, "epoch", f->reset->epoch);
        put_u(&b, "from_seq", f->reset->from_seq);
        put_s(&b, "reason", f->reset->reason);
        dbuf_putc(&b, '}');
    } else {
        dbuf_puts(&b, "{\"type\":\"gap\"");
        put_s(&b, "room", f->gap->room);
        put_u(&b, "from_seq", f->gap->from_seq);
        put_u(&b, "to_seq", f->gap->to_seq);
        put_s(&b, "reason", f->gap->reason);
        dbuf_putc(&b, '}');
    }
    dbuf_putc(&b, '\n');
    fwrite(b.data, 1, b.len, stdout);
    dbuf_free(&b);
}

/* Replaces control characters so one event stays on one line. */
static void put_text(const char *s)
{
    for (; s && *s; s++)
        putchar((unsigned char)*s < 0x20 ? ' ' : *s);
}

static void print_event(const Danmaku__Event *e)
{
    printf("%" PRIu64 " %s %s: ", e->seq, kind_name(e), e->user_id ? e->user_id : "");
    if (e->body_case == DANMAKU__EVENT__BODY_COMMENT) {
        put_text(e->comment->text);
    } else if (e->body_case == DANMAKU__EVENT__BODY_GIFT) {
        put_text(e->gift->gift_name);
        printf(" x%u (%s, %" PRIu64 " each)", e->gift->count,
               e->gift->gift_id ? e->gift->gift_id : "", e->gift->unit_value);
    } else if (e->body_case == DANMAKU__EVENT__BODY_LIKE) {
        printf("x%u", e->like->count);
    }
    if (e->risk)
        printf(" [risk: %s]", e->risk);
    putchar('\n');
}

/* ---- checks and dispatch ---- */

static void check_seq(watch *w, uint64_t seq)
{
    if (w->o.check && w->have_last && seq != w->last_seq + 1 &&
        !(seq > w->last_seq && seq - 1 <= w->gap_to))
        die(EXIT_CHECK, "check: seq %" PRIu64 " after %" PRIu64, seq, w->last_seq);
    w->have_last = 1;
    w->last_seq = seq;
}

static void on_frame(watch *w, const Danmaku__Frame *f)
{
    if (w->o.raw)
        print_raw(f);
    if (f->msg_case == DANMAKU__FRAME__MSG_RESET) {
        if (!w->o.raw)
            printf("# reset epoch=%s from_seq=%" PRIu64 " reason=%s\n", f->reset->epoch ? f->reset->epoch : "",
                   f->reset->from_seq, f->reset->reason ? f->reset->reason : "");
        w->have_last = f->reset->from_seq > 0;      /* next event is from_seq */
        w->last_seq = f->reset->from_seq - 1;
        w->gap_to = 0;
        return;
    }
    if (f->msg_case == DANMAKU__FRAME__MSG_GAP) {
        if (!w->o.raw)
            printf("# gap %" PRIu64 "..%" PRIu64 " reason=%s\n", f->gap->from_seq, f->gap->to_seq,
                   f->gap->reason ? f->gap->reason : "");
        if (f->gap->to_seq > w->gap_to)
            w->gap_to = f->gap->to_seq;
        return;
    }
    for (size_t i = 0; i < f->batch->n_events; i++) {
        const Danmaku__Event *e = f->batch->events[i];
        if (!w->o.raw)
            print_event(e);
        check_seq(w, e->seq);
        if (w->o.count && ++w->events >= w->o.count) {
            fflush(stdout);
            send_close(w, WS_CLOSE_NORMAL);
            exit(EXIT_OK);
        }
    }
    fflush(stdout);
}

static void on_message(watch *w, const ws_msg *m)
{
    if (m->opcode == WS_OP_PING) {
        send_frame(w, WS_OP_PONG, m->data, m->len);
    } else if (m->opcode == WS_OP_CLOSE) {
        uint16_t code;
        ws_close_parse(m->data, m->len, &code);
        send_close(w, code == WS_CLOSE_NO_STATUS ? WS_CLOSE_NORMAL : code);   /* echo */
        fflush(stdout);
        if (code != WS_CLOSE_NORMAL)
            die(EXIT_CLOSE, "closed by the edge: code %u %.*s", code,
                m->len > 2 ? (int)m->len - 2 : 0, m->len > 2 ? (const char *)m->data + 2 : "");
        if (w->o.count)
            die(EXIT_TIMEOUT, "closed (1000) after %ld of %ld events", w->events, w->o.count);
        exit(EXIT_OK);
    } else if (m->opcode == WS_OP_TEXT || m->opcode == WS_OP_BINARY) {
        int z = m->opcode == WS_OP_BINARY && (w->fmt == DM_FMT_JSON || w->zstd);
        char err[256];
        Danmaku__Frame *f = frame_dec_decode(&w->dec, w->fmt, z, m->data, m->len, err, sizeof err);
        unsigned id = z && !f ? ZSTD_getDictID_fromFrame(m->data, m->len) : 0;
        if (id && !zdec_has(&w->dec.z, id)) {   /* a dictionary rolled out: fetch it by ID */
            fetch_dict(w, id);
            f = frame_dec_decode(&w->dec, w->fmt, z, m->data, m->len, err, sizeof err);
        }
        if (!f)
            die(EXIT_ERR, "cannot decode a %zu-byte message: %s", m->len, err);
        on_frame(w, f);
        frame_dec_release(f);
    }
}

static void run(watch *w)
{
    for (;;) {
        size_t pos = 0;
        for (;;) {
            ws_msg m;
            int n = ws_reader_feed(&w->rd, (uint8_t *)w->in.data + pos, w->in.len - pos, &m);
            if (n == -1) {
                send_close(w, (uint16_t)w->rd.close_code);
                die(EXIT_ERR, "protocol error from the edge (close %d)", w->rd.close_code);
            }
            if (n == -2)
                break;
            pos += (size_t)n;
            if (m.opcode)
                on_message(w, &m);
        }
        memmove(w->in.data, w->in.data + pos, w->in.len - pos);
        w->in.len -= pos;
        if (recv_some(w, w->fd, &w->in) == 0)
            die(EXIT_ERR, "connection closed without a close frame (after %ld events)", w->events);
    }
}

static void parse_args(opts *o, int argc, char **argv)
{
    static const struct option lo[] = {
        { "format", 1, 0, 'f' }, { "compress", 1, 0, 'z' }, { "history", 1, 0, 'H' },
        { "since", 1, 0, 's' }, { "epoch", 1, 0, 'e' }, { "count", 1, 0, 'n' },
        { "timeout", 1, 0, 't' }, { "raw", 0, 0, 'r' }, { "check", 0, 0, 'c' },
        { "help", 0, 0, 'h' }, { 0, 0, 0, 0 } };
    memset(o, 0, sizeof *o);
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'f': o->format = optarg; break;
        case 'z': o->compress = optarg; break;
        case 'H': o->history = optarg; break;
        case 's': o->since = optarg; break;
        case 'e': o->epoch = optarg; break;
        case 'n': o->count = strtol(optarg, NULL, 10); break;
        case 't': o->timeout = strtod(optarg, NULL); break;
        case 'r': o->raw = 1; break;
        case 'c': o->check = 1; break;
        default: usage();
        }
    }
    if (optind != argc - 1)
        usage();
    if (o->format && strcmp(o->format, "json") && strcmp(o->format, "pb"))
        die(EXIT_ERR, "--format must be json or pb");
    if (o->compress && strcmp(o->compress, "none") && strcmp(o->compress, "zstd"))
        die(EXIT_ERR, "--compress must be none or zstd");
    parse_url(o, argv[optind]);
}

int main(int argc, char **argv)
{
    static watch w;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    parse_args(&w.o, argc, argv);
    pick_mode(&w);
    w.deadline = w.o.timeout > 0 ? now_s() + w.o.timeout : 0;
    frame_dec_init(&w.dec);
    ws_reader_init(&w.rd, WS_ROLE_CLIENT, 64u << 20);
    dbuf_init(&w.in);
    if (w.zstd)
        fetch_dict(&w, 0);
    w.fd = dial(&w.o);
    handshake(&w);
    run(&w);
    return EXIT_OK;
}

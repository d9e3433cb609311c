/* viewer.c — one connection of a worker: the HTTP request (WebSocket
 * upgrade, /healthz, /v1/zstd-dict), then a WebSocket viewer: client frames
 * through ws_reader, control replies, shared room frames written straight to
 * the socket when its output is empty, the slow-viewer policy, and close. */
#include "edge_auth.h"
#include "viewer.h"
#include "edge_metrics.h"
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "batch.h"
#include "http.h"
#include "log.h"
#include "wctx.h"

#define HEAD_MAX 8192
#define HEAD_TIMEOUT_MS 10000
#define LINGER_MS 2000

static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);

static void format_peer(char *out, size_t n, const struct sockaddr *sa)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
    }
    snprintf(out, n, sa && sa->sa_family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, port);
}

void viewer_accept(worker *w, int fd, const struct sockaddr *peer)
{
    viewer *v = xcalloc(1, sizeof *v);
    v->w = w;
    v->fd = fd;
    format_peer(v->peer, sizeof v->peer, peer);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (w->conf->sndbuf) {
        int sb = (int)w->conf->sndbuf;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
    }
    event_assign(&v->rd, w->base, fd, EV_READ | EV_PERSIST, on_read, v);
    event_assign(&v->wr, w->base, fd, EV_WRITE | EV_PERSIST, on_write, v);
    v->out = evbuffer_new();
    dbuf_init(&v->in);
    ws_reader_init(&v->rdr, WS_ROLE_SERVER, (uint64_t)w->conf->max_msg);
    v->next = w->viewers;
    if (w->viewers)
        w->viewers->prev = v;
    w->viewers = v;
    w->nconns++;
    v->last_rx_ms = wctx_now(w);
    v->deadline_ms = v->last_rx_ms + HEAD_TIMEOUT_MS;
    event_add(&v->rd, NULL);
}

/* ---- output ----------------------------------------------------------------- */

static void viewer_kill(viewer *v)
{
    if (v->state == V_DEAD)
        return;
    if (v->state == V_WS) {
        v->w->vh.leave(v);
        v->w->nws--;
    }
    v->state = V_DEAD;
    event_del(&v->rd);
    event_del(&v->wr);
    v->reap_next = v->w->reap;
    v->w->reap = v;
    wctx_schedule_reap(v->w);
}

static int write_blocked(void) { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; }

/* Writes what the socket takes now when nothing is queued (never behind
 * queued bytes). Returns the bytes written (0..n), or -1 if the viewer was
 * killed on a socket error. */
static ssize_t send_now(viewer *v, const void *p, size_t n)
{
    if (evbuffer_get_length(v->out))
        return 0;
    ssize_t k = send(v->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (k >= 0 || write_blocked())
        return k < 0 ? 0 : k;
    viewer_kill(v);
    return -1;
}

/* A backlog just started: age it from now and wait for EV_WRITE. */
static void backlog_started(viewer *v)
{
    v->backlog_since_ms = v->w->now_ms;
    event_add(&v->wr, NULL);
}

/* Queues a copy of p[0..n), writing at once when nothing is pending. */
static void send_copy(viewer *v, const void *p, size_t n)
{
    int was_empty = !evbuffer_get_length(v->out);
    ssize_t k = send_now(v, p, n);
    if (k < 0 || (size_t)k == n)
        return;
    evbuffer_add(v->out, (const char *)p + k, n - (size_t)k);
    if (was_empty)
        backlog_started(v);
}

static void send_control(viewer *v, int opcode, const void *p, size_t n)
{
    uint8_t f[14 + 125];
    size_t hl = ws_frame_header(f, 1, opcode, n, NULL);
    if (n)
        memcpy(f + hl, p, n);
    send_copy(v, f, hl + n);
}

void viewer_push(viewer *v, rbuf *r)
{
    if (v->state != V_WS)
        return;
    worker *w = v->w;
    w->st.frames++;
    w->st.bytes += r->len;
    int was_empty = !evbuffer_get_length(v->out);
    ssize_t k = send_now(v, r->data, r->len);
    if (k < 0 || (size_t)k == r->len)
        return;
    rbuf_add_to_evbuffer(r, v->out);     /* by reference; drop what went out */
    if (k)
        evbuffer_drain(v->out, (size_t)k);
    if (was_empty)
        backlog_started(v);
}

static void start_linger(viewer *v)
{
    shutdown(v->fd, SHUT_WR);
    event_del(&v->wr);
    v->state = V_LINGER;
    v->deadline_ms = v->w->now_ms + LINGER_MS;
}

static void set_slow(viewer *v, int slow)
{
    if (v->slow == slow)
        return;
    v->slow = (uint8_t)slow;
    if (slow)
        v->w->st.slow_degraded++;
    else
        v->w->st.slow_recovered++;
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    viewer *v = arg;
    wctx_now(v->w);
    int n = evbuffer_write(v->out, fd);
    if (n < 0 && !write_blocked()) {
        viewer_kill(v);
        return;
    }
    if (n > 0 && v->state == V_CLOSING)   /* still reading: let it finish */
        v->deadline_ms = v->w->now_ms + (uint64_t)v->w->conf->close_timeout_ms;
    if (evbuffer_get_length(v->out))
        return;
    event_del(&v->wr);
    v->backlog_since_ms = 0;
    set_slow(v, 0);
    if (v->state == V_CLOSING)
        start_linger(v);
    else if (v->state == V_WS && v->w->vh.drained)
        v->w->vh.drained(v);
}

int viewer_slow_grade(const edge_conf *c, size_t pend, uint64_t age_ms, int slow)
{
    if (!pend)
        return VS_FULL;
    if (pend > (size_t)c->slow_hard_bytes || age_ms > (uint64_t)c->slow_hard_age_ms)
        return VS_CLOSE;
    if (slow || pend > (size_t)c->slow_soft_bytes || age_ms > (uint64_t)c->slow_soft_age_ms)
        return VS_DEGRADED;
    return VS_FULL;
}

int viewer_check_slow(viewer *v)
{
    size_t pend = evbuffer_get_length(v->out);
    uint64_t age = pend ? v->w->now_ms - v->backlog_since_ms : 0;
    switch (viewer_slow_grade(v->w->conf, pend, age, v->slow)) {
    case VS_CLOSE:
        LOGI("edge", "room=%s peer=%s too slow (%zu bytes pending for %llu ms): closing 4429",
             v->rname, v->peer, pend, (unsigned long long)age);
        v->w->st.slow_closed++;
        viewer_close(v, WS_CLOSE_SLOW, "too slow");
        return -1;
    case VS_DEGRADED:
        set_slow(v, 1);
        return 1;
    default:
        return 0;
    }
}

void viewer_close(viewer *v, int code, const char *reason)
{
    if (v->state != V_WS)
        return;
    edge_mx_close(code);
    v->w->vh.leave(v);
    v->slow = 0;
    v->w->nws--;
    v->state = V_CLOSING;
    uint8_t pay[125];
    size_t n = ws_close_payload(pay, (uint16_t)code, reason);
    send_control(v, WS_OP_CLOSE, pay, n);
    if (v->state == V_DEAD)
        return;
    v->deadline_ms = v->w->now_ms + (uint64_t)v->w->conf->close_timeout_ms;
    if (!evbuffer_get_length(v->out))
        start_linger(v);
}

/* ---- HTTP ------------------------------------------------------------------- */

static void finish_http(viewer *v)
{
    if (evbuffer_get_length(v->out) && evbuffer_write(v->out, v->fd) < 0 && !write_blocked()) {
        viewer_kill(v);
        return;
    }
    v->state = V_CLOSING;
    v->deadline_ms = v->w->now_ms + (uint64_t)v->w->conf->close_timeout_ms;
    if (evbuffer_get_length(v->out))
        event_add(&v->wr, NULL);
    else
        start_linger(v);
}

static void worker_header(viewer *v, char *buf, size_t n, const char *more)
{
    snprintf(buf, n, "X-Edge-Worker: %d\r\n%s", v->w->pid, more ? more : "");
}

static void reply_error(viewer *v, int status, const char *code, const char *msg, const char *hdr)
{
    char h[256];
    worker_header(v, h, sizeof h, hdr);
    /* http_write_error has no extra headers: build the same body here */
    char body[512];
    int n = snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, msg);
    http_write_response(v->out, status, "application/json", h, body, (size_t)n, 0);
    v->w->st.rejected++;
    finish_http(v);
}

static void reply(viewer *v, int status, const char *type, const void *body, size_t n)
{
    char h[64];
    worker_header(v, h, sizeof h, NULL);
    http_write_response(v->out, status, type, h, body, n, 0);
    finish_http(v);
}

/* A page file (static.h): revalidated on every load, never sniffed. */
static void reply_static(viewer *v, const static_file *f)
{
    char h[160];
    worker_header(v, h, sizeof h, "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n");
    http_write_response(v->out, 200, f->type, h, f->data, f->len, 0);
    finish_http(v);
}

static int valid_room(const char *s, size_t n)
{
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static void serve_dict(viewer *v, const http_request *rq)
{
    int bad;
    rbuf *d = batch_query_dict(&v->w->batch, rq->query, rq->query_len, &bad);
    if (bad) {
        reply_error(v, 400, "bad_param", "format=json|pb, v=1|2 or id=ID (decimal)", NULL);
        return;
    }
    if (!d) {
        reply_error(v, 404, "no_dictionary", "no such zstd dictionary", NULL);
        return;
    }
    reply(v, 200, "application/octet-stream", d->data, d->len);
}

/* Parses the viewer's query into v; 0 or -1 (error reply sent). */
static int parse_params(viewer *v, const http_request *rq)
{
    char b[64];
    const char *q = rq->query;
    size_t ql = rq->query_len;
    int fmt, zstd;
    if (batch_query_variant(&v->w->batch, q, ql, &fmt, &zstd) < 0)
        goto bad;
    v->fmt = (uint8_t)fmt;
    v->zstd = (uint8_t)zstd;
    ssize_t n;
    v->history = (uint32_t)v->w->conf->history_default;
    n = http_query_param(q, ql, "history", b, sizeof b);
    if (n == -2)
        goto bad;
    if (n >= 0) {
        char *end;
        unsigned long long h = strtoull(b, &end, 10);
        if (!n || *end || b[0] == '-')
            goto bad;
        v->history = h > (unsigned long long)v->w->conf->history_max ? (uint32_t)v->w->conf->history_max : (uint32_t)h;
    }
    n = http_query_param(q, ql, "since", b, sizeof b);
    if (n == -2)
        goto bad;
    if (n >= 0) {
        char *end;
        if (!n || b[0] == '-')
            goto bad;
        v->since = strtoull(b, &end, 10);
        if (*end)
            goto bad;
        n = http_query_param(q, ql, "epoch", v->since_epoch, sizeof v->since_epoch);
        if (n < 0)
            goto bad;
        v->has_since = 1;
    }
    return 0;
bad:
    reply_error(v, 400, "bad_param", "bad query parameter (format=json|pb, v=1|2, compress=none|zstd, "
                "zdict=ID, history=N, since=S&epoch=E)", NULL);
    return -1;
}

static void ws_input(viewer *v, const uint8_t *buf, size_t n);

static void upgrade(viewer *v, const http_request *rq, const char *room, size_t rlen)
{
    if (!valid_room(room, rlen)) {
        reply_error(v, 400, "bad_room", "room must match [A-Za-z0-9_-]{1,64}", NULL);
        return;
    }
    if (parse_params(v, rq))
        return;
    int ast;
    const char *acode, *amsg;
    if (edge_auth_check(rq, room, rlen, &ast, &acode, &amsg)) {
        reply_error(v, ast, acode, amsg, NULL);
        return;
    }
    if (!http_header_has_token(rq, "upgrade", "websocket")) {
        reply_error(v, 426, "upgrade_required", "WebSocket upgrade required", "Upgrade: websocket\r\n");
        return;
    }
    if (!http_header_has_token(rq, "connection", "upgrade") || rq->minor_version < 1) {
        reply_error(v, 400, "bad_handshake", "Connection: Upgrade required", NULL);
        return;
    }
    const http_header *ver = http_find_header(rq, "sec-websocket-version");
    if (!ver || ver->value_len != 2 || memcmp(ver->value, "13", 2)) {
        reply_error(v, 400, "bad_version", "Sec-WebSocket-Version must be 13", "Sec-WebSocket-Version: 13\r\n");
        return;
    }
    const http_header *key = http_find_header(rq, "sec-websocket-key");
    char accept[29];
    if (!key || ws_accept_key(key->value, key->value_len, accept)) {
        reply_error(v, 400, "bad_handshake", "missing or malformed Sec-WebSocket-Key", NULL);
        return;
    }
    if (v->w->nws >= (size_t)v->w->conf->max_viewers || v->w->stopping) {
        reply_error(v, 503, "over_capacity", "this edge worker is full", "Retry-After: 1\r\n");
        return;
    }
    char resp[256];
    int k = snprintf(resp, sizeof resp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nX-Edge-Worker: %d\r\n\r\n",
                     accept, v->w->pid);
    send_copy(v, resp, (size_t)k);
    if (v->state == V_DEAD)
        return;
    memcpy(v->rname, room, rlen);
    v->rname[rlen] = 0;
    v->state = V_WS;
    v->w->nws++;
    v->w->st.accepted++;
    v->last_ping_ms = v->w->now_ms;
    v->w->vh.join(v, v->rname);
}

static void handle_request(viewer *v, const http_request *rq)
{
    static const char prefix[] = "/v1/rooms/", suffix[] = "/ws";
    const size_t pl = sizeof prefix - 1, sl = sizeof suffix - 1;
    const char *p = rq->path;
    size_t n = rq->path_len;
    const static_file *sf;
    if (rq->method_len != 3 || memcmp(rq->method, "GET", 3)) {
        reply_error(v, 405, "method_not_allowed", "only GET is served here", "Allow: GET\r\n");
    } else if (n == 8 && !memcmp(p, "/healthz", 8)) {
        if (wctx_healthy(v->w))
            reply(v, 200, "application/json", "{\"status\":\"ok\"}", 15);
        else
            reply_error(v, 503, "redis_unavailable", "not connected to Redis", NULL);
    } else if (n == 7 && !memcmp(p, "/readyz", 7)) {
        if (v->w->stopping)
            reply_error(v, 503, "draining", "this edge worker is shutting down", NULL);
        else if (!wctx_healthy(v->w))
            reply_error(v, 503, "redis_unavailable", "not connected to Redis", NULL);
        else
            reply(v, 200, "application/json", "{\"status\":\"ready\"}", 18);
    } else if (n == 8 && !memcmp(p, "/metrics", 8)) {
        dbuf b;
        dbuf_init(&b);
        edge_mx_render(v->w, &b);
        reply(v, 200, "text/plain; version=0.0.4", b.data, b.len);
        dbuf_free(&b);
    } else if (n == 13 && !memcmp(p, "/v1/zstd-dict", 13)) {
        serve_dict(v, rq);
    } else if (n > pl + sl && !memcmp(p, prefix, pl) && !memcmp(p + n - sl, suffix, sl)) {
        upgrade(v, rq, p + pl, n - pl - sl);
    } else if ((sf = static_route(&v->w->web, p, n))) {
        reply_static(v, sf);
    } else {
        reply_error(v, 404, "not_found", "unknown path", NULL);
    }
}

static void http_input(viewer *v, const uint8_t *buf, size_t n)
{
    dbuf_append(&v->in, buf, n);
    http_request rq;
    int hl = http_parse_request(v->in.data, v->in.len, &rq);
    if (hl == -2) {
        if (v->in.len > HEAD_MAX)
            reply_error(v, 431, "head_too_large", "request head too large", NULL);
        return;
    }
    if (hl < 0) {
        reply_error(v, 400, "bad_request", "malformed HTTP request", NULL);
        return;
    }
    handle_request(v, &rq);
    if (v->state != V_WS) {
        dbuf_free(&v->in);
        return;
    }
    /* bytes after the head are the first WebSocket frames */
    size_t rest = v->in.len - (size_t)hl;
    memmove(v->in.data, v->in.data + hl, rest);
    v->in.len = rest;
    if (rest)
        ws_input(v, NULL, 0);
    else
        dbuf_free(&v->in);
}

/* ---- WebSocket input -------------------------------------------------------- */

static void on_message(viewer *v, const ws_msg *m)
{
    switch (m->opcode) {
    case WS_OP_PING:
        send_control(v, WS_OP_PONG, m->data, m->len);
        break;
    case WS_OP_CLOSE: {
        uint16_t code;
        if (ws_close_parse(m->data, m->len, &code) < 0) {
            LOGD("edge", "room=%s peer=%s bad close frame: closing %d", v->rname, v->peer, code);
            v->w->st.closed_bad++;
            viewer_close(v, code, "bad close frame");
        } else {
            viewer_close(v, code == WS_CLOSE_NO_STATUS ? WS_CLOSE_NORMAL : code, "");
        }
        break;
    }
    default:   /* text/binary from viewers and pongs are ignored */
        break;
    }
}

static void ws_input(viewer *v, const uint8_t *buf, size_t n)
{
    uint8_t *p;
    size_t len;
    if (v->in.len) {
        if (n)
            dbuf_append(&v->in, buf, n);
        p = (uint8_t *)v->in.data;
        len = v->in.len;
    } else {
        p = (uint8_t *)buf;
        len = n;
    }
    size_t off = 0;
    while (off < len && v->state == V_WS) {
        ws_msg m;
        int c = ws_reader_feed(&v->rdr, p + off, len - off, &m);
        if (c == -2)
            break;
        if (c < 0) {
            LOGD("edge", "room=%s peer=%s WebSocket protocol error: closing %d", v->rname, v->peer,
                 v->rdr.close_code);
            v->w->st.closed_bad++;
            viewer_close(v, v->rdr.close_code, "protocol error");
            break;
        }
        off += (size_t)c;
        if (m.opcode)
            on_message(v, &m);
    }
    if (v->state != V_WS) {
        dbuf_free(&v->in);
        return;
    }
    if (p == (uint8_t *)v->in.data) {
        memmove(v->in.data, v->in.data + off, len - off);
        v->in.len = len - off;
        if (!v->in.len)
            dbuf_free(&v->in);
    } else if (off < len) {
        dbuf_append(&v->in, p + off, len - off);
    }
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    viewer *v = arg;
    worker *w = v->w;
    wctx_now(w);
    for (int round = 0; round < 4 && v->state != V_DEAD; round++) {
        ssize_t n = read(fd, w->scratch, sizeof w->scratch);
        if (n == 0 || (n < 0 && !write_blocked())) {
            viewer_kill(v);
            return;
        }
        if (n < 0)
            return;
        v->last_rx_ms = w->now_ms;
        if (v->state == V_HTTP)
            http_input(v, w->scratch, (size_t)n);
        else if (v->state == V_WS)
            ws_input(v, w->scratch, (size_t)n);
        /* V_CLOSING / V_LINGER: input is discarded */
        if ((size_t)n < sizeof w->scratch)
            return;
    }
}

/* ---- timers and teardown ----------------------------------------------------- */

static void sweep_one(viewer *v, uint64_t now)
{
    const edge_conf *c = v->w->conf;
    switch (v->state) {
    case V_HTTP:
    case V_CLOSING:
    case V_LINGER:
        if (now >= v->deadline_ms)
            viewer_kill(v);
        break;
    case V_WS:
        if (now - v->last_rx_ms >= (uint64_t)c->idle_timeout_s * 1000) {
            viewer_close(v, WS_CLOSE_IDLE, "idle timeout");
        } else if (now - v->last_ping_ms >= (uint64_t)c->ping_interval_s * 1000) {
            v->last_ping_ms = now;
            send_control(v, WS_OP_PING, NULL, 0);
        }
        if (v->state == V_WS && evbuffer_get_length(v->out))
            viewer_check_slow(v);
        break;
    default:
        break;
    }
}

void viewer_sweep(worker *w)
{
    uint64_t now = wctx_now(w);
    for (viewer *v = w->viewers; v; v = v->next)
        sweep_one(v, now);
}

void viewer_reap(worker *w)
{
    while (w->reap) {
        viewer *v = w->reap;
        w->reap = v->reap_next;
        if (v->prev)
            v->prev->next = v->next;
        else
            w->viewers = v->next;
        if (v->next)
            v->next->prev = v->prev;
        w->nconns--;
        evbuffer_free(v->out);
        ws_reader_free(&v->rdr);
        dbuf_free(&v->in);
        close(v->fd);
        free(v);
    }
}

void viewer_shutdown_all(worker *w)
{
    wctx_now(w);
    for (viewer *v = w->viewers; v; v = v->next) {
        viewer_close(v, WS_CLOSE_GOING_AWAY, "server shutting down");
        if (v->state != V_DEAD && evbuffer_get_length(v->out))
            evbuffer_write(v->out, v->fd);   /* best effort, no waiting */
        viewer_kill(v);
    }
    viewer_reap(w);
}

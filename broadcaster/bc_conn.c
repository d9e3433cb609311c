/* bc_conn.c — HTTP/1.1 connections on raw libevent events: a small state
 * machine per socket (IDLE -> BODY/CHUNKED -> WAIT for the answer -> IDLE),
 * parsing straight from a contiguous input buffer; Content-Length or chunked
 * framing (decoded in place) with a body limit; Expect: 100-continue;
 * keep-alive; pipelining (one request in flight, answered in order). Output
 * is written at the end of each callback and EV_WRITE is armed only when the
 * socket is full; idle connections are reaped by a sweep timer instead of a
 * timer per read. A connection is only marked dead inside its work and freed
 * at the end of the top-level callback, when nothing above uses it. */
#include "bc_conn.h"
#include "bc_route.h"
#include "http.h"
#include "log.h"
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX 8192            /* request line + headers */
#define DRAIN_MAX (1u << 20)     /* bodies over --max-body up to this are read and dropped */
#define OUT_MAX (1u << 20)       /* stop handling requests while this much output is unsent */
#define READ_CHUNK 16384
#define IDLE_SEC 60              /* keep-alive idle limit */
#define WRITE_SEC 30             /* output not drained for this long: close */
#define LINGER_SEC 2             /* after our FIN, read and drop for at most this long */
#define SWEEP_SEC 1

enum conn_state { C_IDLE, C_BODY, C_CHUNKED, C_DRAIN, C_WAIT, C_CLOSING, C_LINGER };

struct bc_conn {
    bc_conn *prev, *next;
    bc_server *srv;
    evutil_socket_t fd;
    struct event *rev, *wev;
    int rev_on, wev_on;
    dbuf in;                     /* received bytes; unconsumed from in_off */
    size_t in_off;
    struct evbuffer *out;
    int state;
    int keep_alive;              /* of the current request */
    int eof;                     /* peer finished sending */
    int in_process;              /* process() is on the stack */
    int dead;                    /* free at the end of the current callback */
    int sent_continue;
    size_t need;                 /* C_BODY: head + body bytes; C_DRAIN: bytes to drop */
    size_t head_len, body_len;   /* C_CHUNKED: the decoded body follows the head */
    http_chunked chunked;
    time_t last_read, last_write_ok, linger_since;
    int loopback;                /* peer on 127/8 or ::1 */
    bc_pending pending;
};

static void process(bc_conn *c);

bc_server *bc_conn_server(bc_conn *c) { return c->srv; }
bc_pending *bc_conn_pending(bc_conn *c) { return &c->pending; }
int bc_conn_loopback(const bc_conn *c) { return c->loopback; }

static int sa_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) ||
               (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return 0;
}

static time_t now_sec(bc_server *srv)
{
    struct timeval tv;
    event_base_gettimeofday_cached(srv->base, &tv);
    return tv.tv_sec;
}

static void conn_free(bc_conn *c)
{
    bc_server *srv = c->srv;
    if (c->pending.req || c->pending.cmd)
        bc_route_abort(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    event_free(c->rev);
    event_free(c->wev);
    evbuffer_free(c->out);
    dbuf_free(&c->in);
    evutil_closesocket(c->fd);
    free(c);
}

static void set_read(bc_conn *c, int on)
{
    if (on == c->rev_on)
        return;
    c->rev_on = on;
    if (on)
        event_add(c->rev, NULL);
    else
        event_del(c->rev);
}

static void set_write(bc_conn *c, int on)
{
    if (on == c->wev_on)
        return;
    c->wev_on = on;
    if (on)
        event_add(c->wev, NULL);
    else
        event_del(c->wev);
}

/* Sends what the output holds; arms EV_WRITE if the socket is full. When a
 * closing connection has sent everything: half-close and linger. */
static void flush(bc_conn *c)
{
    while (evbuffer_get_length(c->out) > 0) {
        int n = evbuffer_write(c->out, c->fd);
        if (n > 0) {
            c->last_write_ok = now_sec(c->srv);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            break;
        c->srv->st.conn_errors++;
        LOGD("conn", "write failed: %s", strerror(errno));
        c->dead = 1;
        return;
    }
    int pending = evbuffer_get_length(c->out) > 0;
    set_write(c, pending);
    if (!pending && c->state == C_CLOSING) {
        shutdown(c->fd, SHUT_WR);
        c->state = C_LINGER;
        c->linger_since = now_sec(c->srv);
        set_read(c, 1);
        if (c->eof)
            c->dead = 1;
    }
}

/* End of a top-level callback: send output, free the connection if marked,
 * and read only while the peer is not pipelining far ahead of us. */
static void finish(bc_conn *c)
{
    if (!c->dead)
        flush(c);
    if (c->dead) {
        conn_free(c);
        return;
    }
    size_t backlog = c->in.len - c->in_off;
    if (backlog == 0 && c->state != C_CHUNKED) {   /* idle connections hold no buffer */
        dbuf_free(&c->in);
        c->in_off = 0;
    }
    set_read(c, !c->eof && backlog <= (size_t)c->srv->opts->max_body + HEAD_MAX + READ_CHUNK);
}

static void count_status(bc_server *srv, int status)
{
    if (status < 300)
        srv->st.st2xx++;
    else if (status < 500)
        srv->st.st4xx++;
    else if (status == 503)
        srv->st.st503++;
    else
        srv->st.st5xx++;
}

/* After an answer: next request, or close when the request asked for it. */
static void after_answer(bc_conn *c)
{
    if (c->state == C_CLOSING || c->state == C_LINGER)
        return;
    c->state = c->keep_alive ? C_IDLE : C_CLOSING;
    if (!c->in_process) {
        process(c);
        finish(c);
    }
}

void bc_conn_respond(bc_conn *c, int status, const char *ctype, const char *extra,
                     const void *body, size_t len)
{
    count_status(c->srv, status);
    http_write_response(c->out, status, ctype, extra, body, len, c->keep_alive);
    after_answer(c);
}

void bc_conn_error(bc_conn *c, int status, const char *code, const char *msg,
                   const char *extra)
{
    if (!extra) {
        count_status(c->srv, status);
        http_write_error(c->out, status, code, msg, c->keep_alive);
        after_answer(c);
        return;
    }
    char body[512];
    int n = snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
                     code, msg);   /* callers pass trusted ASCII with extra headers */
    bc_conn_respond(c, status, "application/json", extra, body,
                    n < (int)sizeof body ? (size_t)n : sizeof body - 1);
}

/* A protocol-level failure: answer and close (the framing is lost). */
static void fatal(bc_conn *c, int status, const char *code, const char *msg)
{
    c->keep_alive = 0;
    bc_conn_error(c, status, code, msg, NULL);
}

static int wants_keep_alive(const http_request *h)
{
    if (h->minor_version >= 1)
        return !http_header_has_token(h, "connection", "close");
    return http_header_has_token(h, "connection", "keep-alive");
}

static void send_continue(bc_conn *c, const http_request *h)
{
    const http_header *e = http_find_header(h, "expect");
    if (c->sent_continue || !e || e->value_len != 12 || strncasecmp(e->value, "100-continue", 12))
        return;
    c->sent_continue = 1;
    evbuffer_add(c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
}

static size_t avail(const bc_conn *c) { return c->in.len - c->in_off; }
static const char *unread(const bc_conn *c) { return c->in.data ? c->in.data + c->in_off : ""; }
static void consume(bc_conn *c, size_t n) { c->in_off += n; }

/* Hands the request at unread()[0..total) (head h of head_len bytes, then
 * the body) to bc_route; it stays readable until bc_route returns. */
static void dispatch_parsed(bc_conn *c, const http_request *h, size_t head_len, size_t total)
{
    c->state = C_WAIT;
    c->srv->st.requests++;
    bc_route_request(c, h, unread(c) + head_len, total - head_len);
    consume(c, total);
}

/* A request head is complete: decide its framing, and dispatch at once if
 * the body is already here (the common case). Returns 1 to go on. */
static int start_request(bc_conn *c, const http_request *h, size_t head_len)
{
    int64_t clen;
    c->keep_alive = wants_keep_alive(h);
    c->sent_continue = 0;
    if (http_body_framing(h, &clen) < 0) {
        fatal(c, 400, "bad_request", "invalid Content-Length or Transfer-Encoding");
        return 0;
    }
    if (clen < 0) {
        memset(&c->chunked, 0, sizeof c->chunked);
        c->state = C_CHUNKED;
        c->head_len = head_len;
        c->body_len = 0;
        send_continue(c, h);
        return 1;
    }
    if (clen > c->srv->opts->max_body) {
        if ((uint64_t)clen > DRAIN_MAX) {
            fatal(c, 413, "body_too_large", "request body exceeds the limit");
            return 0;
        }
        consume(c, head_len);
        send_continue(c, h);
        c->state = C_DRAIN;
        c->need = (size_t)clen;
        return 1;
    }
    c->state = C_BODY;
    c->need = head_len + (size_t)clen;
    if (avail(c) >= c->need)
        dispatch_parsed(c, h, head_len, c->need);
    else
        send_continue(c, h);
    return 1;
}

/* C_IDLE: parse a request head if one is complete. */
static int step_idle(bc_conn *c)
{
    size_t n = avail(c) < HEAD_MAX ? avail(c) : HEAD_MAX;
    http_request h;
    if (n == 0)
        return 0;
    int rc = http_parse_request(unread(c), n, &h);
    if (rc == -2 && n < HEAD_MAX)
        return 0;
    if (rc == -2) {
        fatal(c, 431, "headers_too_large", "request head exceeds 8 KiB");
        return 0;
    }
    if (rc < 0) {
        fatal(c, 400, "bad_request", "malformed HTTP request");
        return 0;
    }
    return start_request(c, &h, (size_t)rc);
}

/* Dispatches the request at unread()[0..total): head, then body. */
static void dispatch(bc_conn *c, size_t total)
{
    http_request h;
    int head = http_parse_request(unread(c), total, &h);
    if (head <= 0) {                      /* cannot happen: parsed before */
        fatal(c, 400, "bad_request", "malformed HTTP request");
        return;
    }
    dispatch_parsed(c, &h, (size_t)head, total);
}

/* C_BODY: once the whole request is buffered, dispatch it (the head is
 * parsed again: cheap, and the buffer may have moved since). */
static int step_body(bc_conn *c)
{
    if (avail(c) < c->need)
        return 0;
    dispatch(c, c->need);
    return 1;
}

/* C_CHUNKED: decodes new chunked bytes in place so that the buffer holds
 * head | decoded body | (once complete) the next request's bytes. */
static int step_chunked(bc_conn *c)
{
    char *region = c->in.data + c->in_off + c->head_len + c->body_len;
    size_t raw = avail(c) - c->head_len - c->body_len, n = raw;
    if (raw == 0)
        return 0;
    ssize_t rest = http_decode_chunked(&c->chunked, region, &n);
    if (rest == -1) {
        fatal(c, 400, "bad_request", "malformed chunked body");
        return 0;
    }
    c->body_len += n;
    if (c->body_len > (size_t)c->srv->opts->max_body) {
        fatal(c, 413, "body_too_large", "request body exceeds the limit");
        return 0;
    }
    if (rest == -2) {                     /* everything decoded, more to come */
        c->in.len = c->in_off + c->head_len + c->body_len;
        return 0;
    }
    c->in.len = c->in_off + c->head_len + c->body_len + (size_t)rest;
    dispatch(c, c->head_len + c->body_len);
    return 1;
}

/* C_DRAIN: drop an oversized body, then answer 413 and go on. */
static int step_drain(bc_conn *c)
{
    size_t n = avail(c) < c->need ? avail(c) : c->need;
    consume(c, n);
    c->need -= n;
    if (c->need)
        return 0;
    c->state = C_WAIT;
    c->srv->st.requests++;
    bc_conn_error(c, 413, "body_too_large", "request body exceeds the limit", NULL);
    return 1;
}

/* Handles buffered requests until one must wait, input runs out, or too much
 * output is queued (resumed when it drains). */
static void process(bc_conn *c)
{
    int go = 1;
    c->in_process = 1;
    while (go && evbuffer_get_length(c->out) <= OUT_MAX) {
        if (c->state == C_IDLE)
            go = step_idle(c);
        else if (c->state == C_BODY)
            go = step_body(c);
        else if (c->state == C_CHUNKED)
            go = step_chunked(c);
        else if (c->state == C_DRAIN)
            go = step_drain(c);
        else
            break;
    }
    c->in_process = 0;
    /* the peer is done sending: whatever is not a complete request never will be */
    if (c->eof && (c->state == C_IDLE || c->state == C_BODY || c->state == C_CHUNKED ||
                   c->state == C_DRAIN))
        c->state = C_CLOSING;
}

/* Keeps the unread bytes at the front and room for one more read. */
static void make_room(bc_conn *c)
{
    if (c->in_off == c->in.len) {
        c->in_off = 0;
        c->in.len = 0;
    } else if (c->in_off > c->in.len / 2 || c->in.cap - c->in.len < READ_CHUNK / 2) {
        memmove(c->in.data, unread(c), avail(c));
        c->in.len = avail(c);
        c->in_off = 0;
    }
    dbuf_reserve(&c->in, READ_CHUNK);
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    bc_conn *c = arg;
    make_room(c);
    ssize_t n = read(fd, c->in.data + c->in.len, c->in.cap - c->in.len - 1);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n < 0) {
        c->srv->st.conn_errors++;
        LOGD("conn", "read failed: %s", strerror(errno));
        c->dead = 1;
        finish(c);
        return;
    }
    c->last_read = now_sec(c->srv);
    if (n == 0) {
        c->eof = 1;
        set_read(c, 0);
    } else {
        c->in.len += (size_t)n;
    }
    if (c->state == C_LINGER) {             /* dropping whatever still comes */
        c->in_off = c->in.len;
        if (c->eof)
            c->dead = 1;
        finish(c);
        return;
    }
    process(c);
    finish(c);
}

static void write_cb(evutil_socket_t fd, short what, void *arg)
{
    bc_conn *c = arg;
    flush(c);
    if (!c->dead && c->state != C_WAIT && c->state != C_CLOSING && c->state != C_LINGER &&
        evbuffer_get_length(c->out) == 0)
        process(c);
    finish(c);
}

/* Called from the sweep timer: idle, stuck or lingering connections go. */
static void sweep_conn(bc_conn *c, time_t now)
{
    if (c->state == C_LINGER && now - c->linger_since >= LINGER_SEC)
        c->dead = 1;
    else if ((c->state == C_IDLE || c->state == C_BODY || c->state == C_CHUNKED ||
              c->state == C_DRAIN) &&
             now - c->last_read >= IDLE_SEC)
        c->dead = 1;                         /* idle, or a request that never completes */
    else if (c->wev_on && now - c->last_write_ok >= WRITE_SEC)
        c->dead = 1;
    if (c->dead)
        conn_free(c);
}

static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    bc_server *srv = arg;
    time_t now = now_sec(srv);
    for (bc_conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        sweep_conn(c, now);
    }
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    bc_server *srv = arg;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    evutil_make_socket_nonblocking(fd);
    bc_conn *c = xcalloc(1, sizeof *c);
    c->srv = srv;
    c->fd = fd;
    c->loopback = sa_loopback(sa);
    c->rev = event_new(srv->base, fd, EV_READ | EV_PERSIST, read_cb, c);
    c->wev = event_new(srv->base, fd, EV_WRITE | EV_PERSIST, write_cb, c);
    c->out = evbuffer_new();
    dbuf_init(&c->in);
    c->last_read = c->last_write_ok = now_sec(srv);
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    srv->st.conns++;
    set_read(c, 1);
}

static void accept_error_cb(struct evconnlistener *lis, void *arg)
{
    bc_server *srv = arg;
    int err = EVUTIL_SOCKET_ERROR();
    if (!srv->st.conn_errors++)
        LOGW("conn", "accept failed: %s", evutil_socket_error_to_string(err));
}

int bc_server_listen(bc_server *srv)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;
    char port[16];
    struct timeval sweep = { SWEEP_SEC, 0 };
    snprintf(port, sizeof port, "%d", srv->opts->listen.port);
    int rc = getaddrinfo(srv->opts->listen.host, port, &hints, &ai);
    if (rc || !ai) {
        LOGE("conn", "cannot resolve %s: %s", srv->opts->listen.host, gai_strerror(rc));
        return -1;
    }
    srv->lis = evconnlistener_new_bind(srv->base, accept_cb, srv,
                                       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
                                       ai->ai_addr, (int)ai->ai_addrlen);
    freeaddrinfo(ai);
    if (!srv->lis) {
        LOGE("conn", "cannot listen on %s:%d: %s", srv->opts->listen.host,
             srv->opts->listen.port, strerror(errno));
        return -1;
    }
    evconnlistener_set_error_cb(srv->lis, accept_error_cb);
    bc_event_init(&srv->ev);
    dbuf_init(&srv->scratch);
    srv->sweep = event_new(srv->base, -1, EV_PERSIST, sweep_cb, srv);
    event_add(srv->sweep, &sweep);
    return 0;
}

void bc_server_close(bc_server *srv)
{
    if (srv->lis)
        evconnlistener_free(srv->lis);
    srv->lis = NULL;
    if (srv->sweep)
        event_free(srv->sweep);
    srv->sweep = NULL;
    while (srv->conns)
        conn_free(srv->conns);
    bc_event_free(&srv->ev);
    dbuf_free(&srv->scratch);
}

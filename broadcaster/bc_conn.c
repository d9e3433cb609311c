/* bc_conn.c — HTTP/1.1 connections: a small state machine per socket
 * (IDLE -> reading a request -> WAIT for its answer -> IDLE), Content-Length
 * framing with a body limit, Expect: 100-continue, keep-alive, idle timeouts
 * and output back-pressure. Requests are parsed straight from the bufferevent's
 * input (pulled up), so a request costs no copy until bc_route needs one. */
#include "bc_conn.h"
#include "bc_route.h"
#include "http.h"
#include "log.h"
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#define HEAD_MAX 8192            /* request line + headers */
#define DRAIN_MAX (1u << 20)     /* bodies over --max-body up to this are read and dropped */
#define OUT_MAX (1u << 20)       /* stop reading while this much output is unsent */
#define IDLE_SEC 60
#define WRITE_SEC 30

enum conn_state { C_IDLE, C_BODY, C_DRAIN, C_WAIT, C_CLOSING };

struct bc_conn {
    bc_conn *prev, *next;
    bc_server *srv;
    struct bufferevent *bev;
    int state;
    int keep_alive;              /* of the current request */
    int eof;                     /* peer finished sending */
    int in_process;              /* process() is on the stack */
    int sent_continue;
    size_t need;                 /* C_BODY: head + body bytes; C_DRAIN: bytes to drop */
    bc_pending pending;
};

static void process(bc_conn *c);

bc_server *bc_conn_server(bc_conn *c) { return c->srv; }
bc_pending *bc_conn_pending(bc_conn *c) { return &c->pending; }

static void conn_free(bc_conn *c)
{
    bc_server *srv = c->srv;
    if (c->pending.req)
        bc_route_abort(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    bufferevent_free(c->bev);
    free(c);
}

/* Closes once everything written has been sent. */
static void close_after_write(bc_conn *c)
{
    c->state = C_CLOSING;
    bufferevent_disable(c->bev, EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
        conn_free(c);
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

void bc_conn_respond(bc_conn *c, int status, const char *ctype, const char *extra,
                     const void *body, size_t len)
{
    count_status(c->srv, status);
    http_write_response(bufferevent_get_output(c->bev), status, ctype, extra, body, len,
                        c->keep_alive);
    if (c->state == C_CLOSING)
        return;
    if (!c->keep_alive) {
        close_after_write(c);
        return;
    }
    c->state = C_IDLE;
    if (!c->in_process)
        process(c);
}

void bc_conn_error(bc_conn *c, int status, const char *code, const char *msg,
                   const char *extra)
{
    if (!extra) {
        count_status(c->srv, status);
        http_write_error(bufferevent_get_output(c->bev), status, code, msg, c->keep_alive);
        if (c->state == C_CLOSING)
            return;
        if (!c->keep_alive) {
            close_after_write(c);
            return;
        }
        c->state = C_IDLE;
        if (!c->in_process)
            process(c);
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
    evbuffer_add(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n", 25);
}

/* Starts a request whose head is complete: decide its framing. Returns 1 to
 * go on (state set), 0 to stop processing this connection for now. */
static int start_request(bc_conn *c, const http_request *h, size_t head_len)
{
    int64_t clen;
    c->keep_alive = wants_keep_alive(h);
    if (http_body_framing(h, &clen) < 0) {
        fatal(c, 400, "bad_request", "invalid Content-Length or Transfer-Encoding");
        return 0;
    }
    if (clen < 0) {
        fatal(c, 411, "length_required", "chunked bodies are not supported; send Content-Length");
        return 0;
    }
    if (clen > c->srv->opts->max_body) {
        if ((uint64_t)clen > DRAIN_MAX) {
            fatal(c, 413, "body_too_large", "request body exceeds the limit");
            return 0;
        }
        evbuffer_drain(bufferevent_get_input(c->bev), head_len);
        send_continue(c, h);
        c->state = C_DRAIN;
        c->need = (size_t)clen;
        return 1;
    }
    c->state = C_BODY;
    c->need = head_len + (size_t)clen;
    if (evbuffer_get_length(bufferevent_get_input(c->bev)) < c->need)
        send_continue(c, h);
    return 1;
}

/* C_IDLE: parse a request head if one is complete. */
static int step_idle(bc_conn *c, struct evbuffer *in)
{
    size_t avail = evbuffer_get_length(in);
    if (avail == 0)
        return 0;
    size_t n = avail < HEAD_MAX ? avail : HEAD_MAX;
    const char *p = (const char *)evbuffer_pullup(in, n);
    http_request h;
    int rc = http_parse_request(p, n, &h);
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
    c->sent_continue = 0;
    return start_request(c, &h, (size_t)rc);
}

/* C_BODY: the whole request is in the buffer: parse again (the pullup may
 * have moved it) and dispatch. */
static int step_body(bc_conn *c, struct evbuffer *in)
{
    if (evbuffer_get_length(in) < c->need)
        return 0;
    size_t total = c->need;
    const char *p = (const char *)evbuffer_pullup(in, total);
    http_request h;
    int head = http_parse_request(p, total, &h);
    if (head <= 0) {                      /* cannot happen: parsed before */
        fatal(c, 400, "bad_request", "malformed HTTP request");
        return 0;
    }
    c->state = C_WAIT;
    c->srv->st.requests++;
    bc_route_request(c, &h, p + head, total - (size_t)head);
    if (c->state == C_CLOSING)
        return 0;
    evbuffer_drain(in, total);
    return 1;
}

/* C_DRAIN: drop an oversized body, then answer 413 and go on. */
static int step_drain(bc_conn *c, struct evbuffer *in)
{
    size_t avail = evbuffer_get_length(in);
    size_t n = avail < c->need ? avail : c->need;
    evbuffer_drain(in, n);
    c->need -= n;
    if (c->need)
        return 0;
    c->state = C_WAIT;
    c->srv->st.requests++;
    bc_conn_error(c, 413, "body_too_large", "request body exceeds the limit", NULL);
    return c->state != C_CLOSING;
}

/* Runs requests from the input buffer until one must wait. */
static void process(bc_conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    struct evbuffer *out = bufferevent_get_output(c->bev);
    int go = 1;
    c->in_process = 1;
    while (go && c->state != C_WAIT && c->state != C_CLOSING) {
        if (evbuffer_get_length(out) > OUT_MAX)
            break;                          /* resumed by write_cb */
        if (c->state == C_IDLE)
            go = step_idle(c, in);
        else if (c->state == C_BODY)
            go = step_body(c, in);
        else
            go = step_drain(c, in);
    }
    c->in_process = 0;
    if (c->state == C_CLOSING)
        return;
    if (c->state == C_WAIT || evbuffer_get_length(out) > OUT_MAX) {
        bufferevent_disable(c->bev, EV_READ);
        return;
    }
    if (c->eof) {                           /* nothing more will come */
        close_after_write(c);
        return;
    }
    bufferevent_enable(c->bev, EV_READ);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    process(arg);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
    bc_conn *c = arg;
    if (c->state == C_CLOSING)
        conn_free(c);
    else if (c->state != C_WAIT)
        process(c);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    bc_conn *c = arg;
    if (what & BEV_EVENT_EOF) {
        c->eof = 1;
        if (c->state == C_WAIT || c->state == C_CLOSING)
            return;                         /* answer first, then close */
        process(c);
        return;
    }
    if (what & BEV_EVENT_ERROR) {
        c->srv->st.conn_errors++;
        LOGD("conn", "connection error: %s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    }
    conn_free(c);                           /* error or timeout */
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    bc_server *srv = arg;
    struct timeval rt = { IDLE_SEC, 0 }, wt = { WRITE_SEC, 0 };
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bc_conn *c = xcalloc(1, sizeof *c);
    c->srv = srv;
    c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        evutil_closesocket(fd);
        free(c);
        return;
    }
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    srv->st.conns++;
    bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
    bufferevent_set_timeouts(c->bev, &rt, &wt);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
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
    snprintf(port, sizeof port, "%d", srv->opts->listen_port);
    int rc = getaddrinfo(srv->opts->listen_host, port, &hints, &ai);
    if (rc || !ai) {
        LOGE("conn", "cannot resolve %s: %s", srv->opts->listen_host, gai_strerror(rc));
        return -1;
    }
    srv->lis = evconnlistener_new_bind(srv->base, accept_cb, srv,
                                       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
                                       ai->ai_addr, (int)ai->ai_addrlen);
    freeaddrinfo(ai);
    if (!srv->lis) {
        LOGE("conn", "cannot listen on %s:%d: %s", srv->opts->listen_host,
             srv->opts->listen_port, strerror(errno));
        return -1;
    }
    evconnlistener_set_error_cb(srv->lis, accept_error_cb);
    return 0;
}

void bc_server_close(bc_server *srv)
{
    if (srv->lis)
        evconnlistener_free(srv->lis);
    srv->lis = NULL;
    while (srv->conns)
        conn_free(srv->conns);
}

/* bc_conn.c — HTTP connections on raw libevent events: reads go straight
 * into the connection's bc_http input buffer, output is written at the end
 * of each callback and EV_WRITE is armed only when the socket is full; idle
 * connections are reaped by a sweep timer instead of a timer per read. A
 * connection is only marked dead inside its work and freed at the end of the
 * top-level callback, when nothing above uses it. */
#include "bc_conn.h"
#include "log.h"
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK 16384
#define IDLE_SEC 60              /* keep-alive idle limit */
#define WRITE_SEC 30             /* output not drained for this long: close */
#define LINGER_SEC 2             /* after our FIN, read and drop for at most this long */
#define SWEEP_SEC 1

enum conn_state { C_OPEN, C_LINGER };

struct bc_conn {
    bc_conn *prev, *next;
    bc_server *srv;
    evutil_socket_t fd;
    struct event *rev, *wev;
    struct event *later;         /* answers arrived from elsewhere: handle them once */
    int rev_on, wev_on;
    int state;
    int in_cb;                   /* a top-level callback of this connection is running */
    int dead;                    /* free at the end of the current callback */
    time_t last_read, last_write_ok, linger_since;
    char peer[BC_PEER_MAX];
    bc_http http;
};

static void finish(bc_conn *c);

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

/* "1.2.3.4:5" or "[::1]:5" for log lines. */
static void sa_format(const struct sockaddr *sa, char *out, size_t n)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
        port = ntohs(s4->sin_port);
        snprintf(out, n, "%s:%d", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        port = ntohs(s6->sin6_port);
        snprintf(out, n, "[%s]:%d", host, port);
    } else {
        snprintf(out, n, "?");
    }
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
    bc_http_free(&c->http);      /* unanswered requests are aborted first */
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    event_free(c->rev);
    event_free(c->wev);
    event_free(c->later);
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

/* Sends what the output holds; arms EV_WRITE if the socket is full. When
 * every answer is sent and no more will come: half-close and linger. */
static void flush(bc_conn *c)
{
    struct evbuffer *out = bc_http_output(&c->http);
    while (evbuffer_get_length(out) > 0) {
        int n = evbuffer_write(out, c->fd);
        if (n > 0) {
            c->last_write_ok = now_sec(c->srv);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            break;
        c->srv->st.conn_errors++;
        LOGD("conn", "peer=%s write failed: %s", c->peer, strerror(errno));
        c->dead = 1;
        return;
    }
    int pending = evbuffer_get_length(out) > 0;
    set_write(c, pending);
    if (!pending && c->state == C_OPEN && bc_http_finished(&c->http)) {
        shutdown(c->fd, SHUT_WR);
        c->state = C_LINGER;
        c->linger_since = now_sec(c->srv);
        set_read(c, 1);
        if (c->http.eof)
            c->dead = 1;
    }
}

/* End of a top-level callback: send output, free the connection if marked,
 * and read only while the peer is not pipelining far ahead of us. */
static void finish(bc_conn *c)
{
    c->in_cb = 0;
    if (!c->dead)
        flush(c);
    if (c->dead) {
        conn_free(c);
        return;
    }
    if (c->state == C_OPEN)
        set_read(c, bc_http_wants_input(&c->http));
}

/* bc_http: an answer came from a handler's callback (a sequencer reply).
 * The connection is handled once after every answer of that reply is in
 * (one process, one write for a whole batch), from its own callback. */
static void wake(void *owner)
{
    bc_conn *c = owner;
    if (!c->in_cb && !event_pending(c->later, EV_TIMEOUT, NULL))
        event_active(c->later, EV_TIMEOUT, 0);
}

static void later_cb(evutil_socket_t fd, short what, void *arg)
{
    bc_conn *c = arg;
    c->in_cb = 1;
    if (c->state == C_OPEN)
        bc_http_process(&c->http);
    finish(c);
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    bc_conn *c = arg;
    size_t room;
    char *at = bc_http_input(&c->http, READ_CHUNK, &room);
    ssize_t n = read(fd, at, room);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    c->in_cb = 1;
    if (n < 0) {
        c->srv->st.conn_errors++;
        LOGD("conn", "peer=%s read failed: %s", c->peer, strerror(errno));
        c->dead = 1;
        finish(c);
        return;
    }
    c->last_read = now_sec(c->srv);
    bc_http_received(&c->http, (size_t)n);
    if (n == 0)
        set_read(c, 0);
    if (c->state == C_LINGER) {             /* dropping whatever still comes */
        bc_http_drop_input(&c->http);
        if (c->http.eof)
            c->dead = 1;
        finish(c);
        return;
    }
    bc_http_process(&c->http);
    finish(c);
}

static void write_cb(evutil_socket_t fd, short what, void *arg)
{
    bc_conn *c = arg;
    c->in_cb = 1;
    flush(c);
    if (!c->dead && c->state == C_OPEN &&
        evbuffer_get_length(bc_http_output(&c->http)) == 0)
        bc_http_process(&c->http);        /* resumes after BC_HTTP_OUT_MAX */
    finish(c);
}

/* Called from the sweep timer: idle, stuck or lingering connections go. */
static void sweep_conn(bc_conn *c, time_t now)
{
    if (c->state == C_LINGER && now - c->linger_since >= LINGER_SEC)
        c->dead = 1;
    else if (c->state == C_OPEN && bc_http_waiting(&c->http) == 0 && !c->wev_on &&
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
    sa_format(sa, c->peer, sizeof c->peer);
    bc_http_init(&c->http, &srv->http, &srv->st.http, wake, c, c->peer, sa_loopback(sa));
    c->rev = event_new(srv->base, fd, EV_READ | EV_PERSIST, read_cb, c);
    c->wev = event_new(srv->base, fd, EV_WRITE | EV_PERSIST, write_cb, c);
    c->later = event_new(srv->base, -1, 0, later_cb, c);
    c->last_read = c->last_write_ok = now_sec(srv);
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    srv->st.conns++;
    set_read(c, 1);
    LOGD("conn", "peer=%s accepted", c->peer);
}

static void accept_error_cb(struct evconnlistener *lis, void *arg)
{
    bc_server *srv = arg;
    int err = EVUTIL_SOCKET_ERROR();
    if (!srv->st.conn_errors++)
        LOGW("conn", "accept failed: %s", evutil_socket_error_to_string(err));
}

/* A listener bound to listen_host:port (SO_REUSEADDR), or NULL (logged). */
static struct evconnlistener *bind_listener(bc_server *srv)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", srv->listen_port);
    int rc = getaddrinfo(srv->listen_host, port, &hints, &ai);
    if (rc || !ai) {
        LOGE("conn", "cannot resolve %s: %s", srv->listen_host, gai_strerror(rc));
        return NULL;
    }
    struct evconnlistener *lis = evconnlistener_new_bind(
        srv->base, accept_cb, srv, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024, ai->ai_addr,
        (int)ai->ai_addrlen);
    freeaddrinfo(ai);
    if (!lis)
        LOGE("conn", "cannot listen on %s:%d: %s", srv->listen_host, srv->listen_port,
             strerror(errno));
    return lis;
}

int bc_server_listen(bc_server *srv)
{
    struct timeval sweep = { SWEEP_SEC, 0 };
    if (srv->listen_fd >= 0) {
        srv->lis = evconnlistener_new(srv->base, accept_cb, srv, LEV_OPT_CLOSE_ON_FREE, -1,
                                      srv->listen_fd);
        if (!srv->lis) {
            LOGE("conn", "cannot accept on fd %d: %s", srv->listen_fd, strerror(errno));
            close(srv->listen_fd);
        }
    } else {
        srv->lis = bind_listener(srv);
    }
    if (!srv->lis)
        return -1;
    evconnlistener_set_error_cb(srv->lis, accept_error_cb);
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
    for (bc_conn *c = srv->conns; c; c = c->next)
        if (!c->dead)
            flush(c);            /* answers given at shutdown (503s) are sent if they fit */
    while (srv->conns)
        conn_free(srv->conns);
}

/* bc_conn.h — the broadcaster's HTTP/1.1 transport on libevent: listener,
 * sockets, reads and writes, half-close and linger, and a sweep timer for
 * idle or stuck connections. Each connection's protocol (framing, pipelining,
 * answers in order) is a bc_http; what a request means is the router's
 * business (bc_http_conf.route). */
#ifndef BC_CONN_H
#define BC_CONN_H
#include <stddef.h>
#include <stdint.h>
#include "bc_http.h"
struct event_base;
struct evconnlistener;
struct event;

typedef struct bc_conn bc_conn;

typedef struct bc_server_stats {
    uint64_t conns, conn_errors;
    bc_http_stats http;         /* requests and answers by class */
} bc_server_stats;

typedef struct bc_server {
    /* set by the caller before bc_server_listen */
    struct event_base *base;
    const char *listen_host;
    int listen_port;
    int listen_fd;              /* >= 0: accept on this listening socket (taken over)
                                 * instead of binding listen_host:port */
    bc_http_conf http;          /* limits and the router */
    /* state */
    struct evconnlistener *lis;
    struct event *sweep;        /* idle/stuck connection reaper */
    bc_conn *conns;             /* all open connections (doubly linked) */
    size_t nconns;
    bc_server_stats st;
} bc_server;

/* Binds and listens, or adopts listen_fd (srv: the caller's fields set, the
 * rest zeroed). 0, or -1 (logged). */
int bc_server_listen(bc_server *srv);
/* Stops accepting, sends what each connection's output holds (as far as the
 * socket takes it without blocking) and frees every connection (unanswered
 * requests aborted). */
void bc_server_close(bc_server *srv);

#endif

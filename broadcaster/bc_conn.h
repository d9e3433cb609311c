/* bc_conn.h — the broadcaster's HTTP/1.1 server on libevent: listener,
 * keep-alive connections, request framing (Content-Length bodies up to
 * --max-body), one request in flight per connection, pipelined requests
 * answered in order. What a request means is bc_route's business. */
#ifndef BC_CONN_H
#define BC_CONN_H
#include <stddef.h>
#include <stdint.h>
#include "bc_decode.h"
#include "bc_opt.h"
#include "bc_seq.h"
#include "auth.h"
struct event_base;
struct evconnlistener;
struct event;

typedef struct bc_conn bc_conn;

typedef struct bc_server_stats {
    uint64_t conns, conn_errors, requests, st2xx, st4xx, st503, st5xx;
} bc_server_stats;

struct bc_filter;
struct auth_key;

typedef struct bc_server {
    struct event_base *base;
    struct evconnlistener *lis;
    struct event *sweep;        /* idle/stuck connection reaper */
    bc_seq *seq;
    const bc_opts *opts;
    bc_limits lim;
    bc_conn *conns;             /* all open connections (doubly linked) */
    size_t nconns;
    bc_server_stats st;
    struct bc_filter *filter;   /* also in lim.filter; NULL: none */
    struct auth_key *auth;      /* NULL: no tokens required */
    auth_claims claims;         /* scratch: the current request's token */
    char rate_spec[3][64];      /* per bc_kind: "<rcap> <rwin_ms> <gcap> <gwin_ms>" */
    bc_event ev;                /* scratch for decoding one request */
    dbuf scratch;               /* scratch for building one reply */
} bc_server;

/* Per-connection state of a request waiting for the sequencer (bc_route). */
typedef struct bc_pending {
    char room[BC_ROOM_MAX + 1];
    size_t room_len;
    int accept_pb;
    bc_seq_req *req;            /* non-NULL while waiting */
    struct bc_seq_cmd *cmd;     /* admin command in flight (bc_admin) */
    int admin_op;               /* what cmd does (bc_admin) */
    long admin_arg[2];
    char admin_user[BC_USER_MAX + 1];
} bc_pending;

/* Binds and listens on opts->listen_host:port (srv: base, opts, lim, seq set,
 * the rest zeroed). 0, or -1 (logged). */
int bc_server_listen(bc_server *srv);
/* Stops accepting and frees every connection (pending requests cancelled). */
void bc_server_close(bc_server *srv);

bc_server *bc_conn_server(bc_conn *c);
bc_pending *bc_conn_pending(bc_conn *c);
/* 1 if the peer's address is a loopback address (127/8, ::1). */
int bc_conn_loopback(const bc_conn *c);
/* Answers the connection's current request (now, or later from a callback);
 * then the connection goes on with the next pipelined request. extra is NULL
 * or "Name: value\r\n" lines. */
void bc_conn_respond(bc_conn *c, int status, const char *ctype, const char *extra,
                     const void *body, size_t len);
/* The same with {"error":{"code":code,"message":msg}}. */
void bc_conn_error(bc_conn *c, int status, const char *code, const char *msg,
                   const char *extra);

#endif

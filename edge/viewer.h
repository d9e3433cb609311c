/* viewer.h — one client connection: HTTP request head, then (for the room
 * URL) a WebSocket viewer that receives its room's shared frames. Raw fd,
 * two struct events and an output evbuffer: a frame for an idle socket is
 * written at once with no event-loop round trip; EV_WRITE is enabled only
 * while bytes remain queued. */
#ifndef DM_VIEWER_H
#define DM_VIEWER_H
#include <stddef.h>
#include <stdint.h>
#include <event2/event_struct.h>
#include "batch.h"
#include "dbuf.h"
#include "rbuf.h"
#include "ws.h"

struct worker;
struct room;
struct req;
struct evbuffer;
struct sockaddr;
struct edge_conf;

enum viewer_state {
    V_HTTP = 0,    /* reading the request head */
    V_WS,          /* upgraded: a room viewer */
    V_CLOSING,     /* final bytes (close frame / HTTP reply) queued */
    V_LINGER,      /* write side shut; draining input until EOF */
    V_DEAD         /* on the reap list */
};

enum viewer_mode {
    VM_WAIT = 0,   /* room state not known yet */
    VM_CATCHUP,    /* history / resume being sent */
    VM_LIVE        /* receives the room's batches */
};

/* Slow-viewer grades (docs/PROTOCOL.md §7). */
enum viewer_slow { VS_CLOSE = -1, VS_FULL = 0, VS_DEGRADED = 1 };

typedef struct viewer {
    struct worker *w;
    int fd;
    char peer[56];               /* "ip:port" for log lines */
    char rname[65];              /* the room asked for (V_WS) */
    int state, mode;
    uint8_t fmt, zstd, slow, has_since;
    const char *pending_reset;   /* reset reason to send before the next events */
    struct event rd, wr;
    struct evbuffer *out;
    dbuf in;                     /* unparsed input (usually empty) */
    ws_reader rdr;
    /* room layer state (room.c, catchup.c, deliver.c; viewer.c never
     * touches these beyond the request parameters) */
    struct room *room;
    struct viewer *rprev, *rnext;    /* room list */
    struct viewer *prev, *next;      /* worker list */
    struct viewer *reap_next;
    struct req *req;                 /* in-flight catch-up read */
    int catchup_stalled;             /* retry the catch-up read later */
    uint64_t next_seq;               /* next seq this viewer must get */
    uint64_t gap_from, gap_to;       /* owed "slow" gap not sent yet (deliver.c; 0: none) */
    uint64_t start_seq;              /* where its history / resume began */
    uint64_t since;
    uint32_t history;
    char since_epoch[40];
    uint64_t last_rx_ms, last_ping_ms, backlog_since_ms, deadline_ms;
} viewer;

/* Takes ownership of an accepted non-blocking socket (peer: its address,
 * for log lines; may be NULL). */
void viewer_accept(struct worker *w, int fd, const struct sockaddr *peer);
/* Attaches a whole frame to v's output by reference (written now if the
 * output is empty). Counts it in the worker's stats. */
void viewer_push(viewer *v, rbuf *r);
/* The slow-viewer policy (pure): `pend` bytes queued for `age_ms` by a
 * viewer that is (slow = 1) or is not degraded yet. VS_CLOSE past either
 * hard cap (--slow-hard-bytes / --slow-hard-age-ms); VS_DEGRADED past a
 * soft cap or while still degraded with bytes queued (a viewer recovers
 * only when its output drains); VS_FULL otherwise (nothing queued). */
int viewer_slow_grade(const struct edge_conf *c, size_t pend, uint64_t age_ms, int slow);
/* Applies the slow-viewer policy before a frame is pushed: returns 0 full
 * delivery, 1 degraded (skip comments), -1 closed with 4429. */
int viewer_check_slow(viewer *v);
/* Queues a close frame (code, reason) after pending output and closes the
 * connection once it is written (bounded by a deadline). Leaves the room. */
void viewer_close(viewer *v, int code, const char *reason);
/* Once a second: server pings, idle timeout, closing deadlines, slow ages. */
void viewer_sweep(struct worker *w);
/* Frees dead viewers (outside any of their callbacks). */
void viewer_reap(struct worker *w);
/* SIGTERM: closes every viewer with 1001 and frees all connections. */
void viewer_shutdown_all(struct worker *w);
/* The variant index of v's frames (BATCH_VARIANT(fmt, zstd)). */
static inline int viewer_variant(const viewer *v) { return BATCH_VARIANT(v->fmt, v->zstd); }

#endif

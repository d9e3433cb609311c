/* bench_peer.h — the peer server the bench starts itself (--peer-start).
 * redis-server, or nginx (master + workers, daemon off) with nchan, each in
 * a fresh temp dir on a free loopback port, with its config, pid and logs
 * there. Stopped by its pid only; the dir is removed at the end. */
#ifndef BENCH_PEER_H
#define BENCH_PEER_H
#include <stdio.h>
#include <sys/types.h>
#include "bench_cfg.h"

typedef struct peer {
    int target;              /* TARGET_REDIS | TARGET_NCHAN */
    pid_t pid;               /* redis-server / nginx master; 0: none */
    int exited;              /* 1 once reaped (it died) */
    hostport addr;           /* 127.0.0.1:port */
    char dir[64];            /* /tmp/dm-peer-XXXXXX */
    char log[128];           /* the server's log file */
} peer;

/* Starts the server for c->target sized for c (viewers, workers) and waits
 * until it answers (15 s). The server gets SIGTERM if the bench dies.
 * Returns 0, or -1 with the reason in err (nothing left running). */
int peer_start(peer *p, const bench_cfg *c, char *err, size_t errsz);
/* 1 while the server runs, 0 once it has exited (reaped here). */
int peer_alive(peer *p);
/* Serious lines in the server's logs (redis: errors, not "# WARNING";
 * nginx: [alert]/[crit]/[emerg], nchan shared-memory exhaustion): returns
 * their count, the first copied to first (may be NULL). */
int peer_log_problems(const peer *p, char *first, size_t firstsz);
/* SIGTERM to the pid, SIGKILL after 5 s, SIGKILL to what is left of its
 * own process group (nginx workers of a killed master), then removes the
 * dir (kept if DM_BENCH_KEEP_PEER_DIR is set). */
void peer_stop(peer *p);
/* "redis-server" | "nginx". */
const char *peer_name(const peer *p);

#endif

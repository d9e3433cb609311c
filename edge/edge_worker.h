/* edge_worker.h — the edge's process model: the supervisor that forks N
 * workers, restarts one that dies and forwards SIGTERM, and one worker's
 * main (its event loop, listener, Redis links, and the wiring of the room
 * and viewer modules). The worker's shared state is wctx.h. */
#ifndef DM_EDGE_WORKER_H
#define DM_EDGE_WORKER_H
#include "edge_conf.h"

/* Runs the supervisor: forks conf->workers workers and supervises them until
 * SIGTERM/SIGINT, then forwards it and waits. Returns the exit status. */
int edge_supervise(const edge_conf *conf);
/* Runs one worker in this process until SIGTERM, accepting on listen_fd (a
 * listening socket it takes over). Returns the exit status (1: could not
 * start). */
int worker_main(const edge_conf *conf, int index, int listen_fd);

#endif

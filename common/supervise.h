/* supervise.h — the multi-process model of a server: a supervisor creates
 * one SO_REUSEPORT listening socket per worker (before any fork, kept across
 * restarts, so connections queued while a worker restarts are served by its
 * successor), forks the workers, restarts one that dies (at most once a
 * second each), forwards SIGHUP, and on SIGTERM/SIGINT stops them all
 * (SIGKILL after 20 s). A worker exiting with status 1 means "could not
 * start": the supervisor then stops everything and returns 1. */
#ifndef DM_SUPERVISE_H
#define DM_SUPERVISE_H

/* Runs one worker in the child: takes over listen_fd (non-blocking,
 * close-on-exec) and returns the process's exit status. */
typedef int sup_worker_fn(void *arg, int index, int listen_fd);

typedef struct sup_conf {
    const char *name;           /* for log lines: "broadcaster" */
    const char *host;           /* listen address ("" or NULL: any) */
    int port;
    int workers;                /* >= 1 */
    sup_worker_fn *run;
    void *arg;
} sup_conf;

/* A listening TCP socket on host:port with SO_REUSEADDR and SO_REUSEPORT
 * (non-blocking, close-on-exec): the fd, or -1 (logged). */
int sup_listen(const char *name, const char *host, int port);

/* Supervises c->workers workers until SIGTERM/SIGINT. Returns the exit
 * status: 0 after a signal, 1 if a worker could not start. */
int sup_run(const sup_conf *c);

#endif

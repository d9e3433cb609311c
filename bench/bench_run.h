/* bench_run.h — runs one load test: forks the viewer processes, ramps
 * them up, publishes open-loop, drains, collects and reports. */
#ifndef BENCH_RUN_H
#define BENCH_RUN_H
#include "bench_cfg.h"

/* Returns 0 if every connected viewer received every acknowledged event of
 * its room and every viewer connected, 1 if the run completed with errors
 * (silent losses, connect failures, HTTP errors), 2 if it could not run. */
int bench_run(const bench_cfg *c);

#endif

/* bench_sys.h — samples CPU% and RSS of the server pids given with
 * --server-pids and of all their descendants (edge workers are children of
 * the edge supervisor), from /proc/<pid>/stat, once per call. */
#ifndef BENCH_SYS_H
#define BENCH_SYS_H
#include <stddef.h>
#include <stdint.h>

typedef struct sys_sample {
    double t;            /* seconds since the run start */
    double cpu_pct;      /* 100 = one core, summed over the process tree */
    double machine_pct;  /* whole machine busy, 100 = one core (set by the caller) */
    double load1;
    uint64_t rss_bytes;  /* summed over the process tree */
    int nprocs;
} sys_sample;

/* Machine-wide CPU busy % (100 = one core) since the previous call, from
 * /proc/stat; *load1 gets the 1-minute load average. First call: 0. */
typedef struct sys_machine { uint64_t busy, total; } sys_machine;
double sys_machine_busy(sys_machine *m, double *load1);

typedef struct sysmon {
    int pids[64]; size_t npids;
    uint64_t last_ticks;
    double last_t;
    sys_sample *s; size_t n, cap;
} sysmon;

void sysmon_init(sysmon *m, const int *pids, size_t n);
void sysmon_free(sysmon *m);
/* Takes one sample at time t (seconds). The first call only sets the CPU
 * baseline (cpu_pct 0). Returns the sample. */
sys_sample sysmon_sample(sysmon *m, double t);
/* Reads one process's utime+stime (ticks), rss (bytes), ppid: 0 / -1. */
int sys_read_stat(int pid, uint64_t *ticks, uint64_t *rss, int *ppid);

#endif

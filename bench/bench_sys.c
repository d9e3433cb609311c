/* bench_sys.c — /proc sampling of the server process trees. */
#include "bench_sys.h"
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dbuf.h"

int sys_read_stat(int pid, uint64_t *ticks, uint64_t *rss, int *ppid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    /* after ") ": state(3) ppid(4) ... utime(14) stime(15) ... rss(24) */
    int field = 2;
    unsigned long long v[26] = { 0 };
    for (char *tok = strtok(p + 1, " "); tok && field < 25; tok = strtok(NULL, " ")) {
        field++;
        v[field] = strtoull(tok, NULL, 10);
    }
    if (field < 24) return -1;
    *ticks = v[14] + v[15];
    *rss = v[24] * (uint64_t)sysconf(_SC_PAGESIZE);
    *ppid = (int)v[4];
    return 0;
}

double sys_machine_busy(sys_machine *m, double *load1)
{
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long v[10] = { 0 };
    int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
                       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) : 0;
    if (f) fclose(f);
    *load1 = 0;
    if ((f = fopen("/proc/loadavg", "r"))) { if (fscanf(f, "%lf", load1) != 1) *load1 = 0; fclose(f); }
    if (n < 8) return 0;
    uint64_t total = 0;
    for (int i = 0; i < 8; i++) total += v[i];          /* guest time is inside user */
    uint64_t busy = total - v[3] - v[4];                /* minus idle and iowait */
    double pct = 0;
    if (m->total && total > m->total)
        pct = (double)(busy - m->busy) / (double)(total - m->total) * 100.0 * (double)sysconf(_SC_NPROCESSORS_ONLN);
    m->busy = busy; m->total = total;
    return pct;
}

void sysmon_init(sysmon *m, const int *pids, size_t n)
{
    memset(m, 0, sizeof *m);
    if (n > 64) n = 64;
    memcpy(m->pids, pids, n * sizeof *pids);
    m->npids = n;
}

void sysmon_free(sysmon *m) { free(m->s); memset(m, 0, sizeof *m); }

typedef struct pinfo { int pid, ppid; uint64_t ticks, rss; } pinfo;

/* Every process on the machine (pid, ppid, ticks, rss). */
static size_t scan_all(pinfo **out)
{
    DIR *d = opendir("/proc");
    size_t n = 0, cap = 0;
    *out = NULL;
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0])) continue;
        pinfo pi = { .pid = atoi(e->d_name) };
        if (sys_read_stat(pi.pid, &pi.ticks, &pi.rss, &pi.ppid) < 0) continue;
        if (n == cap) { cap = cap ? cap * 2 : 256; *out = xrealloc(*out, cap * sizeof **out); }
        (*out)[n++] = pi;
    }
    closedir(d);
    return n;
}

sys_sample sysmon_sample(sysmon *m, double t)
{
    sys_sample s = { .t = t };
    if (!m->npids) return s;
    pinfo *all;
    size_t n = scan_all(&all);
    char *in = xcalloc(n ? n : 1, 1);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < m->npids; k++) if (all[i].pid == m->pids[k]) in[i] = 1;
    for (int changed = 1, round = 0; changed && round < 8; round++) {   /* descendants */
        changed = 0;
        for (size_t i = 0; i < n; i++) {
            if (in[i]) continue;
            for (size_t j = 0; j < n; j++)
                if (in[j] && all[j].pid == all[i].ppid) { in[i] = 1; changed = 1; break; }
        }
    }
    uint64_t ticks = 0;
    for (size_t i = 0; i < n; i++)
        if (in[i]) { ticks += all[i].ticks; s.rss_bytes += all[i].rss; s.nprocs++; }
    free(in); free(all);
    if (m->n && t > m->last_t && ticks >= m->last_ticks)
        s.cpu_pct = (double)(ticks - m->last_ticks) / (double)sysconf(_SC_CLK_TCK) / (t - m->last_t) * 100.0;
    m->last_ticks = ticks; m->last_t = t;
    if (m->n == m->cap) { m->cap = m->cap ? m->cap * 2 : 256; m->s = xrealloc(m->s, m->cap * sizeof *m->s); }
    m->s[m->n++] = s;
    return s;
}

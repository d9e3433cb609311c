/* edge_conf.h — the edge's configuration: one option table (name, type,
 * default, bounds, help) that parses argv and prints --help. */
#ifndef DM_EDGE_CONF_H
#define DM_EDGE_CONF_H
#include <stdio.h>

typedef struct edge_conf {
    char *listen;            /* HOST:PORT */
    char *redis;             /* HOST:PORT */
    char *zstd_dict_dir;
    char *log_level;
    char *auth_secret_file;  /* "": viewers need no token */
    long workers;
    long tick_ms;            /* shortest (and default) room tick */
    long tick_max_ms;        /* longest adaptive tick */
    long flush_grid_ms;      /* width of a flush wheel slot */
    long write_budget;       /* percent of a core for frame writes */
    long max_viewers;        /* per worker */
    long idle_timeout_s;
    long ping_interval_s;
    long max_msg;
    long zstd_level;
    long history_default;
    long history_max;
    long ring_events;        /* delivered events kept per room */
    long max_batch;          /* events per frame */
    long slow_soft_bytes, slow_hard_bytes;
    long slow_soft_age_ms, slow_hard_age_ms;
    long close_timeout_ms;   /* drop a closing connection that reads nothing this long */
    long sndbuf;             /* SO_SNDBUF for viewer sockets, 0 = kernel default */
    long stats_interval_s;
    /* derived */
    char listen_host[256]; int listen_port;
    char redis_host[256];  int redis_port;
} edge_conf;

/* Fills defaults then parses argv. Returns 0 ok, 1 if --help was printed,
 * -1 on a bad option (message on stderr). Strings are heap-allocated. */
int edge_conf_parse(edge_conf *c, int argc, char **argv);
/* Prints the usage text generated from the option table. */
void edge_conf_usage(FILE *f, const char *prog);
void edge_conf_free(edge_conf *c);

#endif

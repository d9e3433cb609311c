/* edge_conf.h — the edge's configuration: one option table (common/opt.h)
 * gives the command line, --config FILE, the DM_EDGE_* environment
 * variables, --help and --print-config. */
#ifndef DM_EDGE_CONF_H
#define DM_EDGE_CONF_H
#include <stdio.h>
#include "hostport.h"

typedef struct edge_conf {
    dm_hostport listen;      /* WebSocket address */
    dm_hostport redis;
    char zstd_dict_dir[1024];  /* "" in the table: the built-in DM_SHARE_DIR */
    char web_dir[1024];      /* viewer page files; "" in the table: DM_WEB_DIR; "none": no page */
    int log_level;           /* LOG_* */
    char auth_secret_file[1024];  /* "": viewers need no token */
    char auth_keys_file[1024];    /* key file with kids (common/keyfile.h); "": none */
    long auth_leeway_s;           /* clock skew allowed on exp and nbf */
    char redis_user[129];         /* ACL user; "": the default user */
    char redis_password_file[1024];  /* "": no AUTH */
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
    char listen_text[DM_HOST_MAX + 8], redis_text[DM_HOST_MAX + 8];  /* "host:port" for logs */
} edge_conf;

/* Parses defaults, DM_EDGE_* variables, --config FILE and argv into c (which
 * owns no memory). Returns 0 ok, 1 if --help or --print-config was printed
 * (stdout), -1 after one error message on stderr (exit 2). Cross-option
 * rules: tick-max-ms >= tick-ms, history-default <= history-max, each hard
 * slow-viewer limit >= its soft one (raised/lowered silently). */
int edge_conf_parse(edge_conf *c, int argc, char **argv);

#endif

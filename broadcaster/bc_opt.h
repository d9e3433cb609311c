/* bc_opt.h — the broadcaster's options: one table (common/opt.h) gives the
 * command line, --config FILE, the DM_BC_* environment variables, --help and
 * --print-config. */
#ifndef BC_OPT_H
#define BC_OPT_H
#include <stdio.h>
#include "hostport.h"

/* A token bucket: cap events per win_ms (cap 0: off). */
typedef struct bc_rate { long cap, win_ms; } bc_rate;

enum bc_contact_action { BC_CONTACT_OFF = 0, BC_CONTACT_FLAG, BC_CONTACT_REJECT };

typedef struct bc_opts {
    dm_hostport listen;    /* --listen HOST:PORT (required) */
    dm_hostport redis;     /* --redis HOST:PORT (required) */
    long retention;        /* stream MAXLEN per room */
    long max_body;         /* request body limit, bytes */
    long max_text_cps;     /* comment text limit, code points */
    long dedupe_window;    /* seconds a client_msg_id is remembered */
    int log_level;         /* LOG_* */
    char lexicon[4096];    /* ':'-joined lexicon paths ("" = filter off) */
    char allow_list[1024];
    char kw_actions[1024]; /* "cat=action,..." */
    char kw_separators[256]; int kw_separators_set;
    int contact_action;    /* enum bc_contact_action */
    char auth_secret_file[1024];   /* "" = no tokens required */
    int rate_limits;       /* 0: every default bucket off (--rate-limits off) */
    bc_rate rate[3], rate_global[3];   /* per kind (bc_kind): per room, global */
    long workers;          /* worker processes (1: no supervisor) */
} bc_opts;

/* Parses defaults, DM_BC_* variables, --config FILE and argv into o.
 * Returns 0 to run, 1 if --help or --print-config was printed to out, -1
 * after one error message on err (exit 2). */
int bc_opts_parse(bc_opts *o, int argc, char **argv, FILE *out, FILE *err);

#endif

/* bc_opt.h — the broadcaster's command-line options, defined once in a table
 * (name, type, default, bounds, help) that parses argv and prints --help. */
#ifndef BC_OPT_H
#define BC_OPT_H
#include <stdio.h>

typedef struct bc_opts {
    char listen_host[256]; int listen_port;   /* --listen HOST:PORT (required) */
    char redis_host[256];  int redis_port;    /* --redis HOST:PORT (required) */
    long retention;        /* stream MAXLEN per room */
    long max_body;         /* request body limit, bytes */
    long max_text_cps;     /* comment text limit, code points */
    long dedupe_window;    /* seconds a client_msg_id is remembered */
    int log_level;         /* LOG_* */
} bc_opts;

/* Parses argv into o (defaults first). Returns 0 to run, 1 if --help was
 * printed to out, -1 after printing a usage error to err. */
int bc_opts_parse(bc_opts *o, int argc, char **argv, FILE *out, FILE *err);
/* Prints the option table (generated from the same table as the parser). */
void bc_opts_usage(FILE *out, const char *prog);

#endif

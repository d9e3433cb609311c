/* bc_opt.c — one option table drives parsing, defaults, bounds checks and
 * --help, so the three can never disagree. */
#include "bc_opt.h"
#include "log.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum opt_type { OPT_HOSTPORT, OPT_LONG, OPT_LEVEL };

typedef struct opt_def {
    const char *name, *arg, *def;
    int type;
    long min, max;
    size_t off, off2;          /* field offsets (host, port for HOSTPORT) */
    const char *help;
} opt_def;

#define OFF(f) offsetof(bc_opts, f)
static const opt_def opt_table[] = {
    { "listen", "HOST:PORT", NULL, OPT_HOSTPORT, 1, 65535, OFF(listen_host), OFF(listen_port),
      "address to serve HTTP on (required)" },
    { "redis", "HOST:PORT", NULL, OPT_HOSTPORT, 1, 65535, OFF(redis_host), OFF(redis_port),
      "redis-server that sequences and stores events (required)" },
    { "retention", "N", "10000", OPT_LONG, 1, 100000000, OFF(retention), 0,
      "events kept per room stream (exact XADD MAXLEN)" },
    { "max-body", "BYTES", "16384", OPT_LONG, 64, 16777216, OFF(max_body), 0,
      "request body limit; larger bodies get 413" },
    { "max-text-cps", "N", "1000", OPT_LONG, 1, 100000, OFF(max_text_cps), 0,
      "comment text limit in Unicode code points" },
    { "dedupe-window", "SEC", "300", OPT_LONG, 1, 86400, OFF(dedupe_window), 0,
      "seconds a (room, user_id, client_msg_id) is remembered for idempotent retries" },
    { "log-level", "LEVEL", "info", OPT_LEVEL, 0, 3, OFF(log_level), 0,
      "debug|info|warn|error" },
};
#define NOPTS (sizeof opt_table / sizeof opt_table[0])

void bc_opts_usage(FILE *out, const char *prog)
{
    fprintf(out, "usage: %s --listen HOST:PORT --redis HOST:PORT [options]\n\n"
                 "HTTP ingest for danmaku rooms: validates comments, gifts and likes\n"
                 "and sequences them through Redis (see docs/API.md).\n\noptions:\n", prog);
    for (size_t i = 0; i < NOPTS; i++) {
        const opt_def *d = &opt_table[i];
        char left[64];
        snprintf(left, sizeof left, "--%s %s", d->name, d->arg);
        fprintf(out, "  %-26s %s", left, d->help);
        if (d->def)
            fprintf(out, " [default %s]", d->def);
        if (d->type == OPT_LONG)
            fprintf(out, " (%ld..%ld)", d->min, d->max);
        fputc('\n', out);
    }
    fprintf(out, "  %-26s %s\n", "-h, --help", "print this help");
}

static int set_hostport(bc_opts *o, const opt_def *d, const char *v)
{
    const char *colon = strrchr(v, ':');
    char *end;
    if (!colon || colon == v || (size_t)(colon - v) >= sizeof o->listen_host)
        return -1;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < d->min || port > d->max)
        return -1;
    char *host = (char *)o + d->off;
    size_t n = (size_t)(colon - v);
    if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {   /* [::1]:8080 */
        v++;
        n -= 2;
    }
    memcpy(host, v, n);
    host[n] = 0;
    *(int *)((char *)o + d->off2) = (int)port;
    return 0;
}

static int set_value(bc_opts *o, const opt_def *d, const char *v)
{
    char *end;
    long n;
    switch (d->type) {
    case OPT_HOSTPORT:
        return set_hostport(o, d, v);
    case OPT_LEVEL:
        n = log_level_parse(v);
        if (n < 0)
            return -1;
        *(int *)((char *)o + d->off) = (int)n;
        return 0;
    default:
        errno = 0;
        n = strtol(v, &end, 10);
        if (errno || *end || end == v || n < d->min || n > d->max)
            return -1;
        *(long *)((char *)o + d->off) = n;
        return 0;
    }
}

static const opt_def *find_opt(const char *arg, const char **inline_val)
{
    *inline_val = NULL;
    if (strncmp(arg, "--", 2))
        return NULL;
    arg += 2;
    for (size_t i = 0; i < NOPTS; i++) {
        size_t n = strlen(opt_table[i].name);
        if (!strncmp(arg, opt_table[i].name, n) && (arg[n] == 0 || arg[n] == '=')) {
            if (arg[n] == '=')
                *inline_val = arg + n + 1;
            return &opt_table[i];
        }
    }
    return NULL;
}

int bc_opts_parse(bc_opts *o, int argc, char **argv, FILE *out, FILE *err)
{
    int seen[NOPTS] = { 0 };
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < NOPTS; i++)
        if (opt_table[i].def)
            set_value(o, &opt_table[i], opt_table[i].def);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            bc_opts_usage(out, argv[0]);
            return 1;
        }
        const char *v;
        const opt_def *d = find_opt(argv[i], &v);
        if (!d) {
            fprintf(err, "%s: unknown option '%s' (try --help)\n", argv[0], argv[i]);
            return -1;
        }
        if (!v && i + 1 >= argc) {
            fprintf(err, "%s: --%s needs a value %s\n", argv[0], d->name, d->arg);
            return -1;
        }
        if (!v)
            v = argv[++i];
        if (set_value(o, d, v) < 0) {
            fprintf(err, "%s: bad value '%s' for --%s %s\n", argv[0], v, d->name, d->arg);
            return -1;
        }
        seen[d - opt_table] = 1;
    }
    for (size_t i = 0; i < NOPTS; i++)
        if (!opt_table[i].def && !seen[i]) {
            fprintf(err, "%s: --%s %s is required (try --help)\n", argv[0],
                    opt_table[i].name, opt_table[i].arg);
            return -1;
        }
    return 0;
}

/* bc_opt.c — one option table drives parsing, defaults, bounds checks and
 * --help, so the three can never disagree. */
#include "bc_opt.h"
#include "log.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum opt_type { OPT_HOSTPORT, OPT_LONG, OPT_LEVEL, OPT_STR, OPT_LIST, OPT_RATE, OPT_ONOFF,
                OPT_CONTACT };

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
    { "lexicon", "FILE[,FILE]", NULL, OPT_LIST, ':', sizeof ((bc_opts *)0)->lexicon,
      OFF(lexicon), 0, "keyword lexicon (line: word[TAB category]); repeatable; "
      "reloaded on SIGHUP [default: none, filter off]" },
    { "allow-list", "FILE", NULL, OPT_STR, 0, sizeof ((bc_opts *)0)->allow_list,
      OFF(allow_list), 0, "entries whose matches the filter suppresses (reloaded on SIGHUP)" },
    { "kw-action", "CAT=ACTION", NULL, OPT_LIST, ',', sizeof ((bc_opts *)0)->kw_actions,
      OFF(kw_actions), 0, "replace|reject|flag for a lexicon category (\"default\": "
      "entries without one); repeatable [default: replace]" },
    { "kw-separators", "CHARS", NULL, OPT_STR, 0, sizeof ((bc_opts *)0)->kw_separators,
      OFF(kw_separators), OFF(kw_separators_set), "characters ignored inside matches "
      "(\"\": none) [default: spaces, dots, common punctuation, zero-width]" },
    { "contact-action", "ACTION", "flag", OPT_CONTACT, 0, 0, OFF(contact_action), 0,
      "contact info in comments: flag (risk \"contact\")|reject (422)|off" },
    { "auth-secret-file", "FILE", NULL, OPT_STR, 0, sizeof ((bc_opts *)0)->auth_secret_file,
      OFF(auth_secret_file), 0, "HS256 secret: publishing and admin need a Bearer token "
      "[default: none; admin API only from loopback]" },
    { "rate-limits", "on|off", "on", OPT_ONOFF, 0, 0, OFF(rate_limits), 0,
      "off: no default rate limit at all (slow mode, mutes and bans still apply)" },
    { "rate-comments", "N/SEC|off", "20/30", OPT_RATE, 0, 0, OFF(rate[0]), 0,
      "comments per user per room" },
    { "rate-gifts", "N/SEC|off", "60/60", OPT_RATE, 0, 0, OFF(rate[1]), 0,
      "gift requests per user per room" },
    { "rate-likes", "N/SEC|off", "60/10", OPT_RATE, 0, 0, OFF(rate[2]), 0,
      "like requests per user per room" },
    { "rate-global-comments", "N/SEC|off", "60/30", OPT_RATE, 0, 0, OFF(rate_global[0]), 0,
      "comments per user over all rooms" },
    { "rate-global-gifts", "N/SEC|off", "200/60", OPT_RATE, 0, 0, OFF(rate_global[1]), 0,
      "gift requests per user over all rooms" },
    { "rate-global-likes", "N/SEC|off", "200/10", OPT_RATE, 0, 0, OFF(rate_global[2]), 0,
      "like requests per user over all rooms" },
    { "workers", "N", "1", OPT_LONG, 1, 64, OFF(workers), 0,
      "worker processes, each with its own SO_REUSEPORT listener, event loop and Redis link "
      "(a supervisor restarts one that dies)" },
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

/* "N/SEC" (1..1000000 per 1..86400 s) or "off" into a bc_rate. */
static int set_rate(bc_rate *r, const char *v)
{
    char *end;
    if (!strcmp(v, "off")) {
        r->cap = r->win_ms = 0;
        return 0;
    }
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end != '/' || n < 1 || n > 1000000)
        return -1;
    const char *w = end + 1;
    long sec = strtol(w, &end, 10);
    if (errno || end == w || *end || sec < 1 || sec > 86400)
        return -1;
    r->cap = n;
    r->win_ms = sec * 1000;
    return 0;
}

/* OPT_STR (replace) or OPT_LIST (append; commas also split) into a buffer
 * of d->max bytes; d->min is the list separator. */
static int set_str(bc_opts *o, const opt_def *d, const char *v)
{
    char *buf = (char *)o + d->off;
    size_t have = d->type == OPT_LIST ? strlen(buf) : 0, n = strlen(v);
    if (have + 1 + n >= (size_t)d->max || (d->type == OPT_LIST && !n))
        return -1;
    if (have)
        buf[have++] = (char)d->min;
    for (size_t i = 0; i <= n; i++)
        buf[have + i] = d->type == OPT_LIST && v[i] == ',' ? (char)d->min : v[i];
    if (d->off2)
        *(int *)((char *)o + d->off2) = 1;
    return 0;
}

static int set_word(int *out, const char *v, const char *const *words, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, words[i])) {
            *out = i;
            return 0;
        }
    return -1;
}

static int set_value(bc_opts *o, const opt_def *d, const char *v)
{
    static const char *const onoff[] = { "off", "on" };
    static const char *const contact[] = { "off", "flag", "reject" };
    char *end;
    long n;
    switch (d->type) {
    case OPT_STR:
    case OPT_LIST:
        return set_str(o, d, v);
    case OPT_RATE:
        return set_rate((bc_rate *)((char *)o + d->off), v);
    case OPT_ONOFF:
        return set_word((int *)((char *)o + d->off), v, onoff, 2);
    case OPT_CONTACT:
        return set_word((int *)((char *)o + d->off), v, contact, 3);
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
    if (!o->rate_limits)
        for (int k = 0; k < 3; k++)
            o->rate[k].cap = o->rate_global[k].cap = 0;
    for (size_t i = 0; i < NOPTS; i++)
        if (!opt_table[i].def && opt_table[i].type == OPT_HOSTPORT && !seen[i]) {
            fprintf(err, "%s: --%s %s is required (try --help)\n", argv[0],
                    opt_table[i].name, opt_table[i].arg);
            return -1;
        }
    return 0;
}

/* bc_opt.c — the broadcaster's option table (one entry per option; the
 * engine in common/opt.c does parsing, --help and --print-config). */
#include "bc_opt.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "opt.h"

/* "N/SEC" (1..1000000 per 1..86400 s) or "off" into a bc_rate. */
static int parse_rate(const opt_def *d, void *cfg, const char *v, char *err, size_t errsz)
{
    bc_rate *r = (bc_rate *)((char *)cfg + d->off);
    char *end;
    if (!strcmp(v, "off")) {
        r->cap = r->win_ms = 0;
        return 0;
    }
    errno = 0;
    long n = strtol(v, &end, 10), sec = 0;
    const char *w = end + 1;
    if (!errno && end != v && *end == '/' && n >= 1 && n <= 1000000)
        sec = strtol(w, &end, 10);
    if (errno || end == w || *end || sec < 1 || sec > 86400) {
        snprintf(err, errsz, "'%s' is not N/SEC (N 1..1000000, SEC 1..86400) or off", v);
        return -1;
    }
    r->cap = n;
    r->win_ms = sec * 1000;
    return 0;
}

/* Any string, even "" (no separators); remembers that it was set. */
static int parse_separators(const opt_def *d, void *cfg, const char *v, char *err, size_t errsz)
{
    bc_opts *o = cfg;
    if (strlen(v) >= sizeof o->kw_separators) {
        snprintf(err, errsz, "longer than %zu bytes", sizeof o->kw_separators - 1);
        return -1;
    }
    memcpy(o->kw_separators, v, strlen(v) + 1);
    o->kw_separators_set = 1;
    return 0;
}

static const char *const level_names[] = { "debug", "info", "warn", "error", NULL };
static const char *const contact_names[] = { "off", "flag", "reject", NULL };

#define F(f) OPT_FIELD(bc_opts, f)
#define RATE(nm, field, dflt, what) \
    { .name = nm, .type = OPT_CUSTOM, F(field), .def = dflt, .parse = parse_rate, \
      .arg = "N/SEC|off", .help = what }
static const opt_def bc_table[] = {
    { .name = "listen", .type = OPT_HOSTPORT, F(listen), .flags = OPT_REQUIRED,
      .arg = "HOST:PORT", .help = "address to serve HTTP on" },
    { .name = "redis", .type = OPT_HOSTPORT, F(redis), .flags = OPT_REQUIRED,
      .arg = "HOST:PORT", .help = "redis-server that sequences and stores events" },
    { .name = "retention", .type = OPT_INT, F(retention), .def = "10000", .min = 1, .max = 100000000,
      .arg = "N", .help = "events kept per room stream (exact XADD MAXLEN)" },
    { .name = "max-body", .type = OPT_SIZE, F(max_body), .def = "16384", .min = 64, .max = 16777216,
      .arg = "BYTES", .help = "request body limit; larger bodies get 413" },
    { .name = "max-text-cps", .type = OPT_INT, F(max_text_cps), .def = "1000", .min = 1, .max = 100000,
      .arg = "N", .help = "comment text limit in Unicode code points" },
    { .name = "dedupe-window", .type = OPT_INT, F(dedupe_window), .def = "300", .min = 1, .max = 86400,
      .arg = "SEC", .help = "seconds a (room, user_id, client_msg_id) is remembered for idempotent retries" },
    { .name = "log-level", .type = OPT_ENUM, F(log_level), .def = "info", .names = level_names,
      .arg = "LEVEL", .help = "least severe level logged" },
    { .name = "lexicon", .type = OPT_LIST, F(lexicon), .sep = ':', .arg = "FILE[,FILE]",
      .help = "keyword lexicon (line: word[TAB category]); repeatable; reloaded on SIGHUP "
              "[default: none, filter off]" },
    { .name = "allow-list", .type = OPT_STR, F(allow_list), .arg = "FILE",
      .help = "entries whose matches the filter suppresses (reloaded on SIGHUP)" },
    { .name = "kw-action", .type = OPT_LIST, F(kw_actions), .arg = "CAT=ACTION",
      .help = "replace|reject|flag for a lexicon category (\"default\": entries without one); "
              "repeatable [default: replace]" },
    { .name = "kw-separators", .type = OPT_CUSTOM, F(kw_separators), .parse = parse_separators,
      .arg = "CHARS", .help = "characters ignored inside matches (\"\": none) "
                              "[default: spaces, dots, common punctuation, zero-width]" },
    { .name = "contact-action", .type = OPT_ENUM, F(contact_action), .def = "flag", .names = contact_names,
      .arg = "ACTION", .help = "contact info in comments: flag (risk \"contact\"), reject (422) or off" },
    { .name = "auth-secret-file", .type = OPT_STR, F(auth_secret_file), .arg = "FILE",
      .help = "HS256 secret: publishing and admin need a Bearer token "
              "[default: none; admin API only from loopback]" },
    { .name = "rate-limits", .type = OPT_BOOL, F(rate_limits), .def = "on", .arg = "on|off",
      .help = "off: no default rate limit at all (slow mode, mutes and bans still apply)" },
    RATE("rate-comments", rate[0], "20/30", "comments per user per room"),
    RATE("rate-gifts", rate[1], "60/60", "gift requests per user per room"),
    RATE("rate-likes", rate[2], "60/10", "like requests per user per room"),
    RATE("rate-global-comments", rate_global[0], "60/30", "comments per user over all rooms"),
    RATE("rate-global-gifts", rate_global[1], "200/60", "gift requests per user over all rooms"),
    RATE("rate-global-likes", rate_global[2], "200/10", "like requests per user over all rooms"),
    { .name = "workers", .type = OPT_INT, F(workers), .def = "1", .min = 1, .max = 64,
      .arg = "N", .help = "worker processes, each with its own SO_REUSEPORT listener, event loop "
                          "and Redis link (a supervisor restarts one that dies)" },
};
#undef RATE
#undef F

static const opt_spec bc_spec = {
    .prog = "broadcaster",
    .synopsis = "--listen HOST:PORT --redis HOST:PORT [options]",
    .about = "HTTP ingest for danmaku rooms: validates comments, gifts and likes\n"
             "and sequences them through Redis (see docs/API.md).",
    .env_prefix = "DM_BC_",
    .defs = bc_table,
    .ndefs = sizeof bc_table / sizeof bc_table[0],
};

int bc_opts_parse(bc_opts *o, int argc, char **argv, FILE *out, FILE *err)
{
    memset(o, 0, sizeof *o);
    int rc = opt_parse(&bc_spec, o, argc, argv, out, err);
    if (rc != OPT_RUN)
        return rc == OPT_EXIT ? 1 : -1;
    if (!o->rate_limits)
        for (int k = 0; k < 3; k++)
            o->rate[k].cap = o->rate_global[k].cap = 0;
    return 0;
}

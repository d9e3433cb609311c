/* opt.c — the option engine (see opt.h): one table gives parsing from four
 * sources, --help, the sample config file and the error messages. */
#include "opt.h"
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "dbuf.h"
#include "hostport.h"

enum src { SRC_NONE, SRC_DEFAULT, SRC_ENV, SRC_FILE, SRC_ARGV };

/* Where a value came from, for messages: "" (argv), " (env X)", " (F:12)". */
typedef struct origin { enum src src; char where[300]; } origin;

typedef struct parser {
    const opt_spec *s;
    void *cfg;
    unsigned char *src;   /* per def: the source that set it last */
    FILE *err;
} parser;

/* ---- values ------------------------------------------------------------ */

static int why(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -1;
}

/* The accepted values of d as text ("1..100", "json|pb"). */
static void range_text(const opt_def *d, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    switch (d->type) {
    case OPT_INT:
    case OPT_UINT:
        snprintf(buf, n, "%lld..%lld", d->min, d->max);
        break;
    case OPT_SIZE:
        snprintf(buf, n, "%lld..%lld bytes; suffix KiB, MiB or GiB", d->min, d->max);
        break;
    case OPT_DOUBLE:
        snprintf(buf, n, "%g..%g", d->dmin, d->dmax);
        break;
    case OPT_BOOL:
        snprintf(buf, n, "on|off");
        break;
    case OPT_ENUM:
        for (const char *const *p = d->names; *p && k + 1 < n; p++)
            k += (size_t)snprintf(buf + k, n - k, "%s%s", p == d->names ? "" : "|", *p);
        break;
    case OPT_HOSTPORT:
        snprintf(buf, n, "HOST:PORT, [IPV6]:PORT, port 1..65535");
        break;
    case OPT_STR:
    case OPT_LIST:
        snprintf(buf, n, "at most %zu bytes", d->size - 1);
        break;
    case OPT_CUSTOM:
        snprintf(buf, n, "%s", d->arg ? d->arg : "");
        break;
    }
}

static void put_int(const opt_def *d, void *field, long long v)
{
    if (d->size == sizeof(int32_t))
        *(int32_t *)field = (int32_t)v;
    else
        *(int64_t *)field = (int64_t)v;
}

/* "64KiB" -> 65536; 0 or -1. */
static int parse_size(const char *v, unsigned long long *out)
{
    static const struct { const char *sfx; unsigned shift; } units[] = {
        { "", 0 }, { "B", 0 }, { "K", 10 }, { "KiB", 10 }, { "M", 20 }, { "MiB", 20 },
        { "G", 30 }, { "GiB", 30 },
    };
    char *end;
    if (!isdigit((unsigned char)*v))
        return -1;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(end, units[i].sfx)) {
            if (n > (ULLONG_MAX >> units[i].shift))
                return -1;
            *out = n << units[i].shift;
            return 0;
        }
    return -1;
}

static int set_integer(const opt_def *d, void *field, const char *v, char *err, size_t errsz)
{
    char range[128], *end;
    long long n;
    range_text(d, range, sizeof range);
    errno = 0;
    if (d->type == OPT_SIZE) {
        unsigned long long u;
        if (parse_size(v, &u) < 0)
            return why(err, errsz, "'%s' is not a size (%s)", v, range);
        n = u > (unsigned long long)LLONG_MAX ? LLONG_MAX : (long long)u;
    } else {
        n = strtoll(v, &end, 10);
        if (errno == ERANGE)
            return why(err, errsz, "'%s' is out of range %s", v, range);
        if (end == v || *end || (d->type == OPT_UINT && strchr(v, '-')))
            return why(err, errsz, "'%s' is not an integer (%s)", v, range);
    }
    if (n < d->min || n > d->max)
        return why(err, errsz, "'%s' is out of range %s", v, range);
    put_int(d, field, n);
    return 0;
}

static int set_double(const opt_def *d, double *field, const char *v, char *err, size_t errsz)
{
    char range[64], *end;
    range_text(d, range, sizeof range);
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno == ERANGE || !isfinite(x))
        return why(err, errsz, "'%s' is not a number (%s)", v, range);
    if (x < d->dmin || x > d->dmax)
        return why(err, errsz, "'%s' is out of range %s", v, range);
    *field = x;
    return 0;
}

static int set_bool(int *field, const char *v, char *err, size_t errsz)
{
    static const char *const yes[] = { "on", "true", "yes", "1" }, *const no[] = { "off", "false", "no", "0" };
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(v, yes[i]))
            return *field = 1, 0;
        if (!strcasecmp(v, no[i]))
            return *field = 0, 0;
    }
    return why(err, errsz, "'%s' is not on|off", v);
}

static int set_enum(const opt_def *d, int *field, const char *v, char *err, size_t errsz)
{
    char range[256];
    for (int i = 0; d->names[i]; i++)
        if (!strcmp(v, d->names[i]))
            return *field = i, 0;
    range_text(d, range, sizeof range);
    return why(err, errsz, "'%s' is not one of %s", v, range);
}

/* Appends the comma-separated items of v to the list buffer. */
static int set_list(const opt_def *d, char *buf, const char *v, char *err, size_t errsz)
{
    size_t have = strlen(buf), n = strlen(v);
    char sep = d->sep ? d->sep : ',';
    if (!n)
        return 0;   /* "": no items */
    if (have + (have > 0) + n >= d->size)
        return why(err, errsz, "the list is longer than %zu bytes", d->size - 1);
    if (have)
        buf[have++] = sep;
    for (size_t i = 0; i <= n; i++)
        buf[have + i] = v[i] == ',' ? sep : v[i];
    return 0;
}

/* Sets d from v. Returns 0 or -1 with the reason in err. */
static int set_value(const opt_def *d, void *cfg, const char *v, char *err, size_t errsz)
{
    void *field = (char *)cfg + d->off;
    switch (d->type) {
    case OPT_INT:
    case OPT_UINT:
    case OPT_SIZE:
        return set_integer(d, field, v, err, errsz);
    case OPT_DOUBLE:
        return set_double(d, field, v, err, errsz);
    case OPT_BOOL:
        return set_bool(field, v, err, errsz);
    case OPT_ENUM:
        return set_enum(d, field, v, err, errsz);
    case OPT_STR:
        if (strlen(v) >= d->size)
            return why(err, errsz, "'%s' is longer than %zu bytes", v, d->size - 1);
        memcpy(field, v, strlen(v) + 1);
        return 0;
    case OPT_LIST:
        return set_list(d, field, v, err, errsz);
    case OPT_HOSTPORT:
        return dm_hostport_parse(v, field, err, errsz);
    case OPT_CUSTOM:
        return d->parse(d, cfg, v, err, errsz);
    }
    return why(err, errsz, "bad option type");
}

/* Table invariants (programmer errors abort). */
static void check_def(const opt_def *d)
{
    assert(d->name && d->help);
    if (d->type == OPT_INT || d->type == OPT_UINT || d->type == OPT_SIZE) {
        assert(d->size == 4 || d->size == 8);
        assert(d->min <= d->max);
        assert(d->size == 8 || (d->type == OPT_INT ? d->min >= INT32_MIN && d->max <= INT32_MAX
                                                   : d->min >= 0 && d->max <= UINT32_MAX));
    }
    if (d->type == OPT_UINT || d->type == OPT_SIZE)
        assert(d->min >= 0);
    if (d->type == OPT_BOOL || d->type == OPT_ENUM)
        assert(d->size == sizeof(int));
    if (d->type == OPT_ENUM)
        assert(d->names && d->names[0]);
    if (d->type == OPT_HOSTPORT)
        assert(d->size == sizeof(dm_hostport));
    if (d->type == OPT_CUSTOM)
        assert(d->parse);
    (void)d;
}

/* ---- sources ----------------------------------------------------------- */

char *opt_env_name(const opt_spec *s, const opt_def *d, char *buf, size_t bufsz)
{
    const char *name = d ? d->name : "config";
    size_t k = (size_t)snprintf(buf, bufsz, "%s", s->env_prefix);
    for (; *name && k + 1 < bufsz; name++)
        buf[k++] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
    if (k < bufsz)
        buf[k] = 0;
    return buf;
}

static const opt_def *find_def(const opt_spec *s, const char *name, size_t n)
{
    for (size_t i = 0; i < s->ndefs; i++)
        if (strlen(s->defs[i].name) == n && !memcmp(s->defs[i].name, name, n))
            return &s->defs[i];
    return NULL;
}

/* Applies v from origin o; a list set from a higher source than before
 * starts empty. 0, or -1 after the message. */
static int apply(parser *p, const opt_def *d, const char *v, const origin *o)
{
    size_t i = (size_t)(d - p->s->defs);
    char why_[512];
    if (d->type == OPT_LIST && o->src > p->src[i])
        memset((char *)p->cfg + d->off, 0, d->size);
    if (set_value(d, p->cfg, v, why_, sizeof why_) < 0) {
        fprintf(p->err, "%s: --%s: %s%s\n", p->s->prog, d->name, why_, o->where);
        return -1;
    }
    p->src[i] = (unsigned char)o->src;
    return 0;
}

static int apply_defaults(parser *p)
{
    origin o = { SRC_DEFAULT, " (built-in default)" };
    for (size_t i = 0; i < p->s->ndefs; i++) {
        check_def(&p->s->defs[i]);
        if (p->s->defs[i].def && apply(p, &p->s->defs[i], p->s->defs[i].def, &o) < 0)
            return -1;
    }
    return 0;
}

static int apply_env(parser *p)
{
    origin o = { SRC_ENV, "" };
    for (size_t i = 0; i < p->s->ndefs; i++) {
        char name[128];
        const char *v = getenv(opt_env_name(p->s, &p->s->defs[i], name, sizeof name));
        snprintf(o.where, sizeof o.where, " (from environment variable %s)", name);
        if (v && apply(p, &p->s->defs[i], v, &o) < 0)
            return -1;
    }
    return 0;
}

static char *trim(char *a, char *b)   /* [a, b) without surrounding blanks */
{
    while (a < b && isspace((unsigned char)*a))
        a++;
    while (b > a && isspace((unsigned char)b[-1]))
        b--;
    *b = 0;
    return a;
}

/* One "name = value" line; 0 or -1 after the message. */
static int file_line(parser *p, char *line, const origin *o)
{
    char *eq = strchr(line, '=');
    char *key = trim(line, eq ? eq : line + strlen(line));
    if (!*key || *key == '#')
        return 0;
    if (!eq) {
        fprintf(p->err, "%s: expected \"name = value\", got '%s'%s\n", p->s->prog, key, o->where);
        return -1;
    }
    char *val = trim(eq + 1, eq + 1 + strlen(eq + 1));
    size_t n = strlen(val);
    if (n >= 2 && val[0] == '"' && val[n - 1] == '"') {
        val[n - 1] = 0;
        val++;
    }
    const opt_def *d = find_def(p->s, key, strlen(key));
    if (!d) {
        fprintf(p->err, "%s: unknown option '%s'%s (see --print-config)\n", p->s->prog, key, o->where);
        return -1;
    }
    return apply(p, d, val, o);
}

static int apply_file(parser *p, const char *path)
{
    dbuf b;
    origin o = { SRC_FILE, "" };
    int rc = 0, lineno = 0;
    dbuf_init(&b);
    if (dbuf_append_file(&b, path) < 0) {
        fprintf(p->err, "%s: --config %s: %s\n", p->s->prog, path, strerror(errno));
        dbuf_free(&b);
        return -1;
    }
    for (char *line = b.data, *next; line && rc == 0; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        snprintf(o.where, sizeof o.where, " (%s:%d)", path, ++lineno);
        rc = file_line(p, line, &o);
    }
    dbuf_free(&b);
    return rc;
}

static int is_builtin(const char *a, const char *name)
{
    size_t n = strlen(name);
    return !strncmp(a, name, n) && (a[n] == 0 || a[n] == '=');
}

/* The --config value in argv (last one), else the PREFIX_CONFIG variable. */
static const char *config_path(const opt_spec *s, int argc, char **argv)
{
    const char *path = NULL;
    char name[128];
    for (int i = 1; i < argc; i++)
        if (is_builtin(argv[i], "--config"))
            path = argv[i][8] == '=' ? argv[i] + 9 : (i + 1 < argc ? argv[++i] : "");
    return path ? path : getenv(opt_env_name(s, NULL, name, sizeof name));
}

static int apply_argv(parser *p, int argc, char **argv)
{
    origin o = { SRC_ARGV, "" };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (is_builtin(a, "--config")) {
            i += a[8] != '=';
            continue;
        }
        const char *eq = strncmp(a, "--", 2) ? NULL : strchr(a + 2, '=');
        const opt_def *d = strncmp(a, "--", 2) ? NULL
                           : find_def(p->s, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
        if (!d) {
            fprintf(p->err, "%s: unknown option '%s' (try --help)\n", p->s->prog, a);
            return -1;
        }
        const char *v = eq ? eq + 1 : (d->flags & OPT_NOARG) ? "on" : i + 1 < argc ? argv[++i] : NULL;
        if (!v) {
            char range[256];
            range_text(d, range, sizeof range);
            fprintf(p->err, "%s: --%s needs a value (%s)\n", p->s->prog, d->name, range);
            return -1;
        }
        if (apply(p, d, v, &o) < 0)
            return -1;
    }
    return 0;
}

static int check_required(parser *p)
{
    for (size_t i = 0; i < p->s->ndefs; i++) {
        const opt_def *d = &p->s->defs[i];
        char env[128];
        if ((d->flags & OPT_REQUIRED) && p->src[i] == SRC_NONE) {
            fprintf(p->err, "%s: --%s %s is required (flag, config file or %s; try --help)\n",
                    p->s->prog, d->name, d->arg ? d->arg : "VALUE", opt_env_name(p->s, d, env, sizeof env));
            return -1;
        }
    }
    return 0;
}

int opt_parse(const opt_spec *s, void *cfg, int argc, char **argv, FILE *out, FILE *err)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            opt_usage(s, out);
            return OPT_EXIT;
        }
        if (!strcmp(argv[i], "--print-config")) {
            opt_print_config(s, out);
            return OPT_EXIT;
        }
    }
    parser p = { s, cfg, xcalloc(s->ndefs ? s->ndefs : 1, 1), err };
    const char *path = config_path(s, argc, argv);
    int rc = -1;
    if (path && !*path)
        fprintf(err, "%s: --config needs a FILE\n", s->prog);
    else if (apply_defaults(&p) == 0 && apply_env(&p) == 0 && (!path || apply_file(&p, path) == 0)
             && apply_argv(&p, argc, argv) == 0)
        rc = check_required(&p);
    free(p.src);
    return rc < 0 ? OPT_ERROR : OPT_RUN;
}

/* ---- output ------------------------------------------------------------ */

static const char precedence[] =
    "built-in default < environment variable < config file (--config FILE) < command line";

void opt_usage(const opt_spec *s, FILE *out)
{
    char env[128], cfgenv[128];
    fprintf(out, "usage: %s %s\n\n%s\n\noptions (precedence: %s):\n", s->prog, s->synopsis,
            s->about, precedence);
    for (size_t i = 0; i < s->ndefs; i++) {
        const opt_def *d = &s->defs[i];
        char left[80], range[256];
        snprintf(left, sizeof left, "--%s%s%s", d->name, d->flags & OPT_NOARG ? "" : " ",
                 d->flags & OPT_NOARG ? "" : d->arg ? d->arg : "VALUE");
        range_text(d, range, sizeof range);
        if (strlen(left) > 28)   /* too wide: the help goes on the next line */
            fprintf(out, "  %s\n  %-28s %s", left, "", d->help);
        else
            fprintf(out, "  %-28s %s", left, d->help);
        if (d->flags & OPT_REQUIRED)
            fprintf(out, " (required)");
        if (d->def && *d->def)
            fprintf(out, " [default %s]", d->def);
        if (d->type != OPT_STR && d->type != OPT_CUSTOM && d->type != OPT_LIST && d->type != OPT_HOSTPORT)
            fprintf(out, " (%s)", range);
        fputc('\n', out);
    }
    fprintf(out, "  %-28s read \"name = value\" lines (the format of --print-config) [env %s]\n"
                 "  %-28s print a commented sample config file with every option, then exit\n"
                 "  %-28s print this help\n\n"
                 "Every option can also be set through the environment: %s followed by the\n"
                 "option name upper-cased with '-' as '_' (--%s: %s).\n",
            "--config FILE", opt_env_name(s, NULL, cfgenv, sizeof cfgenv), "--print-config",
            "-h, --help", s->env_prefix, s->ndefs ? s->defs[0].name : "x",
            s->ndefs ? opt_env_name(s, &s->defs[0], env, sizeof env) : "");
}

/* The value as the file must spell it: quoted when blanks would be lost. */
static void put_value(FILE *out, const char *v)
{
    size_t n = strlen(v);
    if (n && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1]) || v[0] == '"'))
        fprintf(out, "\"%s\"", v);
    else
        fputs(v, out);
}

void opt_print_config(const opt_spec *s, FILE *out)
{
    char cfgenv[128];
    fprintf(out, "# %s configuration file, generated by `%s --print-config`.\n"
                 "# Use: %s --config FILE (or %s=FILE).\n"
                 "# One \"name = value\" per line; '#' starts a comment line. Every option below\n"
                 "# is commented out and shows its built-in default.\n"
                 "# Precedence: %s.\n"
                 "# Environment variable of an option: %s + NAME (upper case, '-' as '_').\n",
            s->prog, s->prog, s->prog, opt_env_name(s, NULL, cfgenv, sizeof cfgenv), precedence,
            s->env_prefix);
    for (size_t i = 0; i < s->ndefs; i++) {
        const opt_def *d = &s->defs[i];
        char env[128], range[256];
        if (d->type == OPT_STR || d->type == OPT_LIST)
            snprintf(range, sizeof range, "%s%s", d->arg ? d->arg : "TEXT",
                     d->type == OPT_LIST ? " (comma-separated; repeated lines add items)" : "");
        else
            range_text(d, range, sizeof range);
        fprintf(out, "\n# %s%s\n# %s; env %s\n#%s =%s", d->help,
                d->flags & OPT_REQUIRED ? " (required)" : "", range,
                opt_env_name(s, d, env, sizeof env), d->name, d->def && *d->def ? " " : "");
        put_value(out, d->def ? d->def : "");
        fputc('\n', out);
    }
}

int opt_split(const char *val, size_t max, int (*fn)(const char *item, size_t i, void *arg,
              char *err, size_t errsz), void *arg, char *err, size_t errsz)
{
    char *buf = xstrdup(val), *save = NULL;
    int n = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++) {
        if ((size_t)n >= max) {
            why(err, errsz, "more than %zu items", max);
            n = -1;
            break;
        }
        if (fn(tok, (size_t)n, arg, err, errsz) < 0) {
            n = -1;
            break;
        }
    }
    free(buf);
    if (n == 0)
        why(err, errsz, "empty list");
    return n > 0 ? n : -1;
}

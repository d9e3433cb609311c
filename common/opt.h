/* opt.h — the one option engine: a binary declares ONE table of options
 * (name, type, field, default, range, help); from it come --help,
 * --print-config (a commented sample config file), --config FILE, the
 * environment variables and every error message.
 *
 * Precedence, lowest first: built-in default < environment variable <
 * config file (--config FILE, or the PREFIX_CONFIG variable) < command line.
 * Environment variable of option "max-body" with prefix "DM_BC_":
 * DM_BC_MAX_BODY (the prefix, then the name upper-cased with '-' -> '_').
 * Config file: one "name = value" per line (the option name without "--"),
 * '#' starts a comment line, blank lines are ignored, a value may be written
 * in double quotes to keep leading/trailing spaces. Bad input (unknown
 * option, malformed or out-of-range value) gives one message naming the
 * option, the allowed range and where the value came from. */
#ifndef DM_OPT_H
#define DM_OPT_H
#include <stddef.h>
#include <stdio.h>

typedef enum opt_type {
    OPT_INT,       /* signed int or long field (size 4 or 8), min..max */
    OPT_UINT,      /* unsigned / size_t / uint64_t field (size 4 or 8), min..max */
    OPT_SIZE,      /* like OPT_UINT, value in bytes with an optional KiB/MiB/GiB suffix */
    OPT_DOUBLE,    /* double field, dmin..dmax */
    OPT_BOOL,      /* int field: on|off|true|false|yes|no|1|0 -> 1 / 0 */
    OPT_ENUM,      /* int field: index of the value in names[] */
    OPT_STR,       /* char[size] field, replaced */
    OPT_LIST,      /* char[size] field: comma-separated items, repeatable (items
                      appended, stored joined by sep; "" adds none); a value from
                      a higher source replaces the list */
    OPT_HOSTPORT,  /* dm_hostport field (hostport.h) */
    OPT_CUSTOM,    /* parse(d, cfg, value) sets whatever it wants */
} opt_type;

enum opt_flags {
    OPT_REQUIRED = 1,   /* an error unless some source sets it */
    OPT_NOARG = 2,      /* OPT_BOOL flag: "--quiet" alone means on */
};

typedef struct opt_def opt_def;
/* Custom parser: sets the option from val in cfg (the whole config struct;
 * the field is at d->off). Returns 0, or -1 with the reason in err, which
 * should state the accepted form ("N/SEC or off"). */
typedef int (*opt_parse_fn)(const opt_def *d, void *cfg, const char *val, char *err, size_t errsz);

struct opt_def {
    const char *name;          /* "max-body": --max-body, file key, env DM_X_MAX_BODY */
    opt_type type;
    size_t off, size;          /* field offset and size in the config struct (OPT_FIELD) */
    const char *def;           /* default, as text parsed like any value; NULL: none */
    long long min, max;        /* OPT_INT / OPT_UINT / OPT_SIZE bounds */
    double dmin, dmax;         /* OPT_DOUBLE bounds */
    const char *const *names;  /* OPT_ENUM: NULL-terminated value names */
    char sep;                  /* OPT_LIST: stored separator (',' when 0) */
    unsigned flags;            /* enum opt_flags */
    opt_parse_fn parse;        /* OPT_CUSTOM */
    const char *arg;           /* placeholder in --help: "N", "HOST:PORT" */
    const char *help;          /* one line */
};

/* .off and .size of field f of struct type T, for a table entry. */
#define OPT_FIELD(T, f) .off = offsetof(T, f), .size = sizeof(((T *)0)->f)

typedef struct opt_spec {
    const char *prog;          /* name in messages, --help and the sample file */
    const char *synopsis;      /* after "usage: prog ", e.g. "--listen HOST:PORT [options]" */
    const char *about;         /* a paragraph for --help (may hold '\n') */
    const char *env_prefix;    /* "DM_BC_" */
    const opt_def *defs;
    size_t ndefs;
} opt_spec;

enum { OPT_RUN = 0, OPT_EXIT = 1, OPT_ERROR = -1 };

/* Fills cfg (zeroed by the caller) from defaults, environment, config file
 * and argv[1..argc) in that order. -h/--help prints the usage and
 * --print-config the sample file to out: returns OPT_EXIT. Returns OPT_RUN
 * when cfg is complete, OPT_ERROR after one message on err (the caller
 * exits 2). Nothing stays allocated. */
int opt_parse(const opt_spec *s, void *cfg, int argc, char **argv, FILE *out, FILE *err);
/* Prints --help (generated from the table). */
void opt_usage(const opt_spec *s, FILE *out);
/* Prints the commented sample config file: every option with its help,
 * range, variable and default (commented out). */
void opt_print_config(const opt_spec *s, FILE *out);
/* Writes the environment variable of d (NULL: the config file variable)
 * into buf; returns buf. */
char *opt_env_name(const opt_spec *s, const opt_def *d, char *buf, size_t bufsz);
/* Splits a comma list and calls fn on each item (index i); for custom list
 * parsers. Returns the number of items, or -1 when there are none, more than
 * max, or fn fails (fn fills err). */
int opt_split(const char *val, size_t max, int (*fn)(const char *item, size_t i, void *arg,
              char *err, size_t errsz), void *arg, char *err, size_t errsz);

#endif

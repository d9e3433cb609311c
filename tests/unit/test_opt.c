/* test_opt.c — the option engine (common/opt.c) on a table with every type:
 * defaults, both value forms, bounds, malformed values, precedence
 * (default < env < file < argv), lists, required options, --help and
 * --print-config; and the HOST:PORT parser with good and bad forms. */
#include "t.h"
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include "hostport.h"
#include "opt.h"

typedef struct tcfg {
    int i; long l; size_t u; uint64_t u64; long sz;
    double d; int b, quiet, e;
    char s[16], list[32];
    dm_hostport hp, need;
    int custom;
} tcfg;

static int parse_even(const opt_def *d, void *cfg, const char *v, char *err, size_t errsz)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n % 2) {
        snprintf(err, errsz, "'%s' is not an even number", v);
        return -1;
    }
    *(int *)((char *)cfg + d->off) = (int)n;
    return 0;
}

static const char *const colors[] = { "red", "green", "blue", NULL };
#define F(f) OPT_FIELD(tcfg, f)
static const opt_def tdefs[] = {
    { .name = "int", .type = OPT_INT, F(i), .def = "5", .min = -10, .max = 10, .arg = "N", .help = "an int" },
    { .name = "long", .type = OPT_INT, F(l), .def = "0", .min = -5000000000LL, .max = 5000000000LL, .arg = "N", .help = "a long" },
    { .name = "uint", .type = OPT_UINT, F(u), .def = "7", .min = 1, .max = 100, .arg = "N", .help = "a size_t" },
    { .name = "u64", .type = OPT_UINT, F(u64), .def = "1", .min = 0, .max = 1000000000000000000LL, .arg = "N", .help = "a u64" },
    { .name = "size", .type = OPT_SIZE, F(sz), .def = "64KiB", .min = 1024, .max = 1LL << 30, .arg = "BYTES", .help = "a size" },
    { .name = "dbl", .type = OPT_DOUBLE, F(d), .def = "0.5", .dmin = 0, .dmax = 2, .arg = "X", .help = "a double" },
    { .name = "bool", .type = OPT_BOOL, F(b), .def = "on", .arg = "on|off", .help = "a bool" },
    { .name = "quiet", .type = OPT_BOOL, F(quiet), .def = "off", .flags = OPT_NOARG, .help = "a flag" },
    { .name = "color", .type = OPT_ENUM, F(e), .def = "green", .names = colors, .arg = "C", .help = "an enum" },
    { .name = "str", .type = OPT_STR, F(s), .def = "abc", .arg = "TEXT", .help = "a string" },
    { .name = "list", .type = OPT_LIST, F(list), .sep = ':', .arg = "A[,B]", .help = "a list" },
    { .name = "addr", .type = OPT_HOSTPORT, F(hp), .def = "127.0.0.1:80", .arg = "HOST:PORT", .help = "an address" },
    { .name = "need", .type = OPT_HOSTPORT, F(need), .flags = OPT_REQUIRED, .arg = "HOST:PORT", .help = "required" },
    { .name = "even", .type = OPT_CUSTOM, F(custom), .def = "2", .parse = parse_even, .arg = "EVEN", .help = "custom" },
};
static const opt_spec tspec = { .prog = "t", .synopsis = "[options]", .about = "test table",
                                .env_prefix = "DM_T_", .defs = tdefs,
                                .ndefs = sizeof tdefs / sizeof tdefs[0] };

static char out[16384], err[4096];

/* Parses "t" + args (NULL-terminated) with "--need h:1" prepended unless
 * args start with "-": returns opt_parse's code; output in out / err. */
static int run(tcfg *c, const char *const *args)
{
    char *argv[40];
    int n = 0;
    argv[n++] = "t";
    for (; *args && n < 39; args++)
        argv[n++] = (char *)*args;
    FILE *o = fmemopen(out, sizeof out, "w"), *e = fmemopen(err, sizeof err, "w");
    memset(c, 0, sizeof *c);
    int rc = opt_parse(&tspec, c, n, argv, o, e);
    fclose(o);
    fclose(e);
    return rc;
}
#define RUN(c, ...) run((c), (const char *const[]){ __VA_ARGS__, NULL })

static void test_defaults(void)
{
    tcfg c;
    T_EQ_INT(RUN(&c, "--need", "h:1"), OPT_RUN);
    T_EQ_INT(c.i, 5);
    T_EQ_INT(c.l, 0);
    T_EQ_INT(c.u, 7);
    T_EQ_U64(c.u64, 1);
    T_EQ_INT(c.sz, 65536);
    T_ASSERT(c.d == 0.5);
    T_EQ_INT(c.b, 1);
    T_EQ_INT(c.quiet, 0);
    T_EQ_INT(c.e, 1);
    T_EQ_STR(c.s, "abc");
    T_EQ_STR(c.list, "");
    T_EQ_STR(c.hp.host, "127.0.0.1");
    T_EQ_INT(c.hp.port, 80);
    T_EQ_STR(c.need.host, "h");
    T_EQ_INT(c.custom, 2);
}

static void test_every_type_both_forms(void)
{
    tcfg c;
    T_EQ_INT(RUN(&c, "--need=[::1]:9", "--int", "-10", "--long=-5000000000", "--uint", "100",
                 "--u64=1000000000000000000", "--size", "1MiB", "--dbl=2", "--bool", "off", "--quiet",
                 "--color=blue", "--str", "", "--list", "a,b", "--list=c", "--addr", "x.y-z_1:65535",
                 "--even", "-4"), OPT_RUN);
    T_EQ_STR(c.need.host, "::1");
    T_EQ_INT(c.need.port, 9);
    T_EQ_INT(c.i, -10);
    T_EQ_INT(c.l, -5000000000LL);
    T_EQ_INT(c.u, 100);
    T_EQ_U64(c.u64, 1000000000000000000ULL);
    T_EQ_INT(c.sz, 1048576);
    T_ASSERT(c.d == 2);
    T_EQ_INT(c.b, 0);
    T_EQ_INT(c.quiet, 1);
    T_EQ_INT(c.e, 2);
    T_EQ_STR(c.s, "");
    T_EQ_STR(c.list, "a:b:c");
    T_EQ_STR(c.hp.host, "x.y-z_1");
    T_EQ_INT(c.hp.port, 65535);
    T_EQ_INT(c.custom, -4);
    T_EQ_INT(RUN(&c, "--need", "h:1", "--size=2048", "--bool", "YES", "--quiet=false", "--size", "3K"), OPT_RUN);
    T_EQ_INT(c.sz, 3072);
    T_EQ_INT(c.b, 1);
    T_EQ_INT(c.quiet, 0);
}

/* Each case must fail with exactly one line that names the option (and the
 * allowed range where there is one). */
static void test_bad_values(void)
{
    static const char *const cases[][3] = {
        { "--int", "11", "--int: '11' is out of range -10..10" },
        { "--int", "-11", "out of range -10..10" },
        { "--int", "3x", "--int: '3x' is not an integer (-10..10)" },
        { "--int", "", "not an integer" },
        { "--long", "99999999999999999999", "out of range" },
        { "--uint", "0", "--uint: '0' is out of range 1..100" },
        { "--uint", "-1", "not an integer" },
        { "--u64", "1000000000000000001", "out of range" },
        { "--size", "1023", "--size: '1023' is out of range 1024..1073741824 bytes" },
        { "--size", "2GiB", "out of range" },
        { "--size", "1TiB", "not a size" },
        { "--size", "-5", "not a size" },
        { "--size", "99999999999999999999GiB", "not a size" },
        { "--dbl", "2.01", "--dbl: '2.01' is out of range 0..2" },
        { "--dbl", "nan", "not a number" },
        { "--dbl", "1e999", "not a number" },
        { "--bool", "maybe", "--bool: 'maybe' is not on|off" },
        { "--color", "pink", "--color: 'pink' is not one of red|green|blue" },
        { "--str", "0123456789abcdef", "longer than 15 bytes" },
        { "--list", "0123456789012345678901234567890123", "longer than 31 bytes" },
        { "--addr", "h:0", "--addr: 'h:0': the port must be a number in 1..65535" },
        { "--even", "3", "--even: '3' is not an even number" },
        { "--nope", "1", "unknown option '--nope'" },
        { "stray", "1", "unknown option 'stray'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tcfg c;
        int rc = RUN(&c, "--need", "h:1", cases[i][0], cases[i][1]);
        if (rc != OPT_ERROR || !strstr(err, cases[i][2]) || strchr(err, '\n') != err + strlen(err) - 1) {
            T_FAIL_("%s %s: rc %d, err '%s', expected '%s'", cases[i][0], cases[i][1], rc, err, cases[i][2]);
            return;
        }
    }
    tcfg c;
    T_EQ_INT(RUN(&c, "--need", "h:1", "--int"), OPT_ERROR);
    T_ASSERT(strstr(err, "--int needs a value (-10..10)"));
    T_EQ_INT(RUN(&c, "--int", "1"), OPT_ERROR);
    T_ASSERT(strstr(err, "--need HOST:PORT is required") && strstr(err, "DM_T_NEED"));
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_precedence(void)
{
    char path[] = "/tmp/test_opt_XXXXXX";
    int fd = mkstemp(path);
    T_ASSERT(fd >= 0);
    close(fd);
    write_file(path, "# comment\n\n  int = 3  \nstr = \" two words \"\nlist = f1\nlist = f2,f3\n"
                     "need = [2001:db8::1]:6379\n");
    tcfg c;
    setenv("DM_T_INT", "1", 1);
    setenv("DM_T_UINT", "9", 1);
    setenv("DM_T_LIST", "e1", 1);
    int rc = RUN(&c, "--config", path);
    T_EQ_INT(rc, OPT_RUN);
    T_EQ_INT(c.u, 9);            /* env over default */
    T_EQ_INT(c.i, 3);            /* file over env */
    T_EQ_STR(c.s, " two words ");
    T_EQ_STR(c.list, "f1:f2:f3"); /* the file replaces the env list, then adds to it */
    T_EQ_STR(c.need.host, "2001:db8::1");
    T_EQ_INT(RUN(&c, "--int=-2", "--config", path, "--list", "a"), OPT_RUN);
    T_EQ_INT(c.i, -2);           /* argv over file, wherever --config is */
    T_EQ_STR(c.list, "a");
    setenv("DM_T_CONFIG", path, 1);
    T_EQ_INT(RUN(&c, "--uint", "4"), OPT_RUN);
    T_EQ_INT(c.i, 3);            /* the file named by DM_T_CONFIG */
    T_EQ_INT(c.u, 4);
    unsetenv("DM_T_CONFIG");
    setenv("DM_T_INT", "99", 1);
    T_EQ_INT(RUN(&c, "--need", "h:1"), OPT_ERROR);
    T_ASSERT(strstr(err, "--int: '99' is out of range -10..10 (from environment variable DM_T_INT)"));
    unsetenv("DM_T_INT");
    unsetenv("DM_T_UINT");
    unsetenv("DM_T_LIST");
    write_file(path, "int = 2\nbogus = 1\n");
    T_EQ_INT(RUN(&c, "--config", path, "--need", "h:1"), OPT_ERROR);
    T_ASSERT(strstr(err, "unknown option 'bogus'") && strstr(err, ":2)"));
    write_file(path, "int = 12\n");
    T_EQ_INT(RUN(&c, "--config", path, "--need", "h:1"), OPT_ERROR);
    T_ASSERT(strstr(err, "--int: '12' is out of range -10..10") && strstr(err, ":1)"));
    write_file(path, "int 2\n");
    T_EQ_INT(RUN(&c, "--config", path, "--need", "h:1"), OPT_ERROR);
    T_ASSERT(strstr(err, "expected \"name = value\""));
    unlink(path);
    T_EQ_INT(RUN(&c, "--config", path, "--need", "h:1"), OPT_ERROR);
    T_ASSERT(strstr(err, "No such file"));
    T_EQ_INT(RUN(&c, "--need", "h:1", "--config"), OPT_ERROR);
}

static void test_help_and_sample(void)
{
    tcfg c;
    T_EQ_INT(RUN(&c, "--int", "bad", "--help"), OPT_EXIT);
    static const char *const in_help[] = {
        "usage: t [options]", "--int N", "[default 5] (-10..10)", "--need HOST:PORT", "(required)",
        "(red|green|blue)", "--quiet ", "--config FILE", "DM_T_CONFIG", "--print-config",
        "environment variable < config file (--config FILE) < command line", "DM_T_INT" };
    for (size_t i = 0; i < sizeof in_help / sizeof in_help[0]; i++)
        if (!strstr(out, in_help[i])) {
            T_FAIL_("--help lacks '%s':\n%s", in_help[i], out);
            return;
        }
    T_EQ_INT(RUN(&c, "--print-config"), OPT_EXIT);
    static const char *const in_sample[] = {
        "#int = 5\n", "# -10..10; env DM_T_INT\n", "#size = 64KiB\n", "#need =\n", "# required (required)\n",
        "#list =\n", "#color = green\n", "#str = abc\n", "default < environment variable" };
    for (size_t i = 0; i < sizeof in_sample / sizeof in_sample[0]; i++)
        if (!strstr(out, in_sample[i])) {
            T_FAIL_("--print-config lacks '%s':\n%s", in_sample[i], out);
            return;
        }
    /* The sample, uncommented, parses back to the defaults. */
    char path[] = "/tmp/test_opt_XXXXXX", text[16384];
    int fd = mkstemp(path);
    T_ASSERT(fd >= 0);
    close(fd);
    size_t k = 0;
    for (const char *p = out; *p; p++)
        if (!(*p == '#' && (p == out || p[-1] == '\n') && p[1] != ' ' && p[1] != '\n'))
            text[k++] = *p;
    text[k] = 0;
    write_file(path, text);
    T_EQ_INT(RUN(&c, "--config", path), OPT_ERROR);   /* need = (empty) */
    T_ASSERT(strstr(err, "--need: '': expected HOST:PORT"));
    char fixed[16500], *need = strstr(text, "need =\n");
    T_ASSERT(need);
    snprintf(fixed, sizeof fixed, "%.*sneed = h:2%s", (int)(need - text), text, need + 6);
    write_file(path, fixed);
    if (RUN(&c, "--config", path) != OPT_RUN) {
        T_FAIL_("sample rejected: %s", err);
        return;
    }
    unlink(path);
    T_EQ_INT(c.sz, 65536);
    T_EQ_INT(c.e, 1);
    T_EQ_STR(c.s, "abc");
    T_EQ_STR(c.list, "");
}

static void test_hostport(void)
{
    static const struct { const char *in, *host; int port; } good[] = {
        { "127.0.0.1:8080", "127.0.0.1", 8080 }, { "[::1]:1", "::1", 1 },
        { "[fe80::1%eth0]:65535", "fe80::1%eth0", 65535 }, { "redis.local:6379", "redis.local", 6379 },
        { "localhost:80", "localhost", 80 }, { "[::ffff:1.2.3.4]:9", "::ffff:1.2.3.4", 9 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        dm_hostport hp;
        char e[128] = "", buf[300];
        if (dm_hostport_parse(good[i].in, &hp, e, sizeof e) < 0 || strcmp(hp.host, good[i].host)
            || hp.port != good[i].port) {
            T_FAIL_("'%s' rejected or misparsed: %s", good[i].in, e);
            return;
        }
        if (!strchr(good[i].in, '%'))
            T_EQ_STR(dm_hostport_str(&hp, buf, sizeof buf), good[i].in);
    }
    static const char *const bad[][2] = {
        { "", "expected HOST:PORT" }, { "host", "expected HOST:PORT" }, { ":80", "host is empty" },
        { "h:", "1..65535" }, { "h:0", "1..65535" }, { "h:65536", "1..65535" }, { "h:-1", "1..65535" },
        { "h:+1", "1..65535" }, { "h:1x", "1..65535" }, { "h: 1", "1..65535" },
        { "h:99999999999999999999", "1..65535" }, { "::1:80", "brackets" }, { "[::1]", "[IPV6]:PORT" },
        { "[::1]80", "[IPV6]:PORT" }, { "[::1:80", "[IPV6]:PORT" }, { "[]:80", "bad IPv6" },
        { "[1.2.3.4]:80", "not an IPv6" }, { "[zz::1]:80", "not an IPv6" },
        { "[fe80::1%a/b]:80", "not an IPv6" }, { "a b:1", "bad host" },
        { "h/x:1", "bad host" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dm_hostport hp = { "keep", 7 };
        char e[128] = "";
        if (dm_hostport_parse(bad[i][0], &hp, e, sizeof e) != -1 || !strstr(e, bad[i][1])
            || strcmp(hp.host, "keep") || hp.port != 7) {
            T_FAIL_("'%s' accepted or wrong reason '%s' (expected '%s')", bad[i][0], e, bad[i][1]);
            return;
        }
    }
    char longhost[300];
    memset(longhost, 'a', 290);
    strcpy(longhost + 290, ":1");
    dm_hostport hp;
    T_EQ_INT(dm_hostport_parse(longhost, &hp, NULL, 0), -1);
}

static int count_item(const char *item, size_t i, void *arg, char *err, size_t errsz)
{
    if (!strcmp(item, "bad")) {
        snprintf(err, errsz, "bad item");
        return -1;
    }
    ((size_t *)arg)[0] += strlen(item) * (i + 1);
    return 0;
}

static void test_split(void)
{
    size_t acc = 0;
    char e[64];
    T_EQ_INT(opt_split("a,bb,ccc", 3, count_item, &acc, e, sizeof e), 3);
    T_EQ_INT(acc, 1 + 4 + 9);
    T_EQ_INT(opt_split("a,b,c,d", 3, count_item, &acc, e, sizeof e), -1);
    T_ASSERT(strstr(e, "more than 3"));
    T_EQ_INT(opt_split("a,bad", 3, count_item, &acc, e, sizeof e), -1);
    T_EQ_STR(e, "bad item");
    T_EQ_INT(opt_split(",,", 3, count_item, &acc, e, sizeof e), -1);
    T_EQ_STR(e, "empty list");
}

int main(void)
{
    unsetenv("DM_T_CONFIG");
    T_RUN(test_defaults);
    T_RUN(test_every_type_both_forms);
    T_RUN(test_bad_values);
    T_RUN(test_precedence);
    T_RUN(test_help_and_sample);
    T_RUN(test_hostport);
    T_RUN(test_split);
    return T_DONE();
}

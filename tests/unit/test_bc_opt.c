/* test_bc_opt.c — the broadcaster's option table: defaults, both value
 * forms, bounds, required options, DM_BC_* variables, and --help generated
 * from the table (the engine itself: test_opt.c). */
#include "t.h"
#include "../../broadcaster/bc_opt.h"
#include "log.h"

static int parse(bc_opts *o, const char *const *args, int n, char *out, size_t outsz)
{
    char *argv[32];
    argv[0] = "broadcaster";
    for (int i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    FILE *f = fmemopen(out, outsz, "w");
    int rc = bc_opts_parse(o, n + 1, argv, f, f);
    fclose(f);
    return rc;
}

static void test_defaults(void)
{
    static const char *const a[] = { "--listen", "127.0.0.1:8080", "--redis", "localhost:6379" };
    bc_opts o;
    char out[4096] = "";
    T_EQ_INT(parse(&o, a, 4, out, sizeof out), 0);
    T_EQ_STR(o.listen.host, "127.0.0.1");
    T_EQ_INT(o.listen.port, 8080);
    T_EQ_STR(o.redis.host, "localhost");
    T_EQ_INT(o.redis.port, 6379);
    T_EQ_INT(o.retention, 10000);
    T_EQ_INT(o.max_body, 16384);
    T_EQ_INT(o.max_text_cps, 1000);
    T_EQ_INT(o.dedupe_window, 300);
    T_EQ_INT(o.log_level, LOG_INFO);
}

static void test_values_and_forms(void)
{
    static const char *const a[] = { "--listen=[::1]:9", "--redis", "r:1", "--retention=5",
                                     "--max-body", "200", "--max-text-cps=7", "--dedupe-window",
                                     "2", "--log-level=warn" };
    bc_opts o;
    char out[4096] = "";
    T_EQ_INT(parse(&o, a, 10, out, sizeof out), 0);
    T_EQ_STR(o.listen.host, "::1");
    T_EQ_INT(o.listen.port, 9);
    T_EQ_INT(o.retention, 5);
    T_EQ_INT(o.max_body, 200);
    T_EQ_INT(o.max_text_cps, 7);
    T_EQ_INT(o.dedupe_window, 2);
    T_EQ_INT(o.log_level, LOG_WARN);
}

static void test_rejects(void)
{
    static const char *const cases[][6] = {
        { "--listen", "h:1" },                                   /* --redis missing */
        { "--listen", "h:1", "--redis", "h:0" },                 /* port out of range */
        { "--listen", "h", "--redis", "h:1" },                   /* no port */
        { "--listen", "h:1", "--redis", "h:1", "--retention", "0" },
        { "--listen", "h:1", "--redis", "h:1", "--max-body", "12x" },
        { "--listen", "h:1", "--redis", "h:1", "--log-level", "loud" },
        { "--listen", "h:1", "--redis", "h:1", "--bogus", "1" },
        { "--listen", "h:1", "--redis", "h:1", "--retention" },  /* value missing */
    };
    static const int n[] = { 2, 4, 4, 6, 6, 6, 6, 5 };
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
        bc_opts o;
        char out[4096] = "";
        if (parse(&o, cases[i], n[i], out, sizeof out) != -1) {
            T_FAIL_("case %zu accepted", i);
            return;
        }
        T_ASSERT(strlen(out) > 0);
    }
}

static void test_help_lists_every_option(void)
{
    static const char *const a[] = { "--help" };
    static const char *const names[] = { "--listen", "--redis", "--retention", "--max-body",
                                         "--max-text-cps", "--dedupe-window", "--log-level",
                                         "default 10000", "(1..100000000)", "default 16384" };
    bc_opts o;
    char out[8192] = "";
    T_EQ_INT(parse(&o, a, 1, out, sizeof out), 1);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strstr(out, names[i])) {
            T_FAIL_("--help lacks %s", names[i]);
            return;
        }
}

static void test_protection_options(void)
{
    static const char *const d[] = { "--listen", "h:1", "--redis", "h:2" };
    bc_opts o;
    char out[4096] = "";
    T_EQ_INT(parse(&o, d, 4, out, sizeof out), 0);
    T_EQ_STR(o.lexicon, "");
    T_EQ_INT(o.contact_action, BC_CONTACT_FLAG);
    T_EQ_INT(o.rate[0].cap, 20);
    T_EQ_INT(o.rate[0].win_ms, 30000);
    T_EQ_INT(o.rate_global[0].cap, 60);
    T_ASSERT(o.rate[1].cap > 0 && o.rate[2].cap > 0 && o.rate_global[2].cap > 0);
    static const char *const a[] = { "--listen", "h:1", "--redis", "h:2", "--lexicon", "a.txt,b.txt",
                                     "--lexicon=c.txt", "--kw-action", "x=reject",
                                     "--kw-action", "y=flag,default=replace", "--kw-separators=",
                                     "--rate-comments", "3/2", "--rate-global-likes", "off",
                                     "--contact-action", "reject", "--auth-secret-file", "/s" };
    T_EQ_INT(parse(&o, a, (int)(sizeof a / sizeof a[0]), out, sizeof out), 0);
    T_EQ_STR(o.lexicon, "a.txt:b.txt:c.txt");
    T_EQ_STR(o.kw_actions, "x=reject,y=flag,default=replace");
    T_EQ_STR(o.kw_separators, "");
    T_EQ_INT(o.kw_separators_set, 1);
    T_EQ_INT(o.rate[0].cap, 3);
    T_EQ_INT(o.rate[0].win_ms, 2000);
    T_EQ_INT(o.rate_global[2].cap, 0);
    T_EQ_INT(o.contact_action, BC_CONTACT_REJECT);
    T_EQ_STR(o.auth_secret_file, "/s");
    static const char *const off[] = { "--listen", "h:1", "--redis", "h:2", "--rate-limits", "off" };
    T_EQ_INT(parse(&o, off, 6, out, sizeof out), 0);
    for (int k = 0; k < 3; k++)
        T_ASSERT(o.rate[k].cap == 0 && o.rate_global[k].cap == 0);
    static const char *const bad[][2] = { { "--rate-comments", "20" }, { "--rate-comments", "0/5" },
                                          { "--rate-comments", "5/0" }, { "--rate-likes", "x/1" },
                                          { "--contact-action", "replace" },
                                          { "--rate-limits", "maybe" }, { "--max-body", "16MiB1" } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *args[] = { "--listen", "h:1", "--redis", "h:2", bad[i][0], bad[i][1] };
        if (parse(&o, args, 6, out, sizeof out) != -1) {
            T_FAIL_("%s %s accepted", bad[i][0], bad[i][1]);
            return;
        }
    }
}

static void test_env_and_size(void)
{
    static const char *const a[] = { "--redis", "r:2", "--max-body", "1KiB" };
    bc_opts o;
    char out[4096] = "";
    setenv("DM_BC_LISTEN", "[::]:8080", 1);
    setenv("DM_BC_RATE_GIFTS", "5/1", 1);
    setenv("DM_BC_MAX_BODY", "999", 1);
    int rc = parse(&o, a, 4, out, sizeof out);
    unsetenv("DM_BC_LISTEN");
    unsetenv("DM_BC_RATE_GIFTS");
    unsetenv("DM_BC_MAX_BODY");
    T_EQ_INT(rc, 0);
    T_EQ_STR(o.listen.host, "::");
    T_EQ_INT(o.listen.port, 8080);
    T_EQ_INT(o.rate[1].cap, 5);
    T_EQ_INT(o.rate[1].win_ms, 1000);
    T_EQ_INT(o.max_body, 1024);   /* the flag over the variable */
    setenv("DM_BC_RATE_LIKES", "5", 1);
    rc = parse(&o, a, 4, out, sizeof out);
    unsetenv("DM_BC_RATE_LIKES");
    T_EQ_INT(rc, -1);
    T_ASSERT(strstr(out, "--rate-likes: '5' is not N/SEC") && strstr(out, "DM_BC_RATE_LIKES"));
}

int main(void)
{
    T_RUN(test_defaults);
    T_RUN(test_values_and_forms);
    T_RUN(test_rejects);
    T_RUN(test_help_lists_every_option);
    T_RUN(test_protection_options);
    T_RUN(test_env_and_size);
    return T_DONE();
}

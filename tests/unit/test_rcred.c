/* test_rcred.c — Redis credentials (common/rcred.h): the password file
 * (trailing newline stripped, empty or missing refused), the user name
 * rules, a user without a password refused, and no error message that
 * contains the password. AUTH itself runs against a real redis-server in
 * tests/integration/test_redis_auth.py. */
#include "t.h"
#include "rcred.h"
#include <hiredis/hiredis.h>
#include <unistd.h>

static char dir[64], path[128];

static void put(const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_load(void)
{
    rcred c;
    char err[256] = "";
    put("pa ss\tword\r\n");
    T_EQ_INT(rcred_load(&c, "dm", path, err, sizeof err), 0);
    T_ASSERT(rcred_enabled(&c));
    T_EQ_STR(c.user, "dm");
    T_EQ_INT(c.pass_len, 10);
    T_EQ_MEM(c.pass, "pa ss\tword", 10);      /* inner blanks kept */
    const char *argv[3];
    size_t argvlen[3];
    T_EQ_INT(rcred_auth_argv(&c, argv, argvlen), 3);
    T_EQ_STR(argv[0], "AUTH"); T_EQ_STR(argv[1], "dm");
    T_EQ_INT(argvlen[2], 10); T_EQ_MEM(argv[2], "pa ss\tword", 10);
    rcred_free(&c);
    T_ASSERT(!rcred_enabled(&c));
    T_EQ_INT(c.pass_len, 0);
    /* the default user: AUTH <password> */
    T_EQ_INT(rcred_load(&c, NULL, path, err, sizeof err), 0);
    T_EQ_STR(c.user, "");
    T_ASSERT(rcred_enabled(&c));
    T_EQ_INT(rcred_auth_argv(&c, argv, argvlen), 2);
    T_EQ_INT(argvlen[1], 10);
    rcred_free(&c);
    /* no credentials at all: no AUTH */
    T_EQ_INT(rcred_load(&c, "", "", err, sizeof err), 0);
    T_ASSERT(!rcred_enabled(&c));
    T_EQ_INT(rcred_auth_argv(&c, argv, argvlen), 0);
    rcred_free(&c);
    T_EQ_INT(rcred_load(&c, NULL, NULL, err, sizeof err), 0);
    T_ASSERT(!rcred_enabled(&c));
    rcred_free(&c);
}

static void test_errors(void)
{
    rcred c;
    char err[256];
    T_EQ_INT(rcred_load(&c, "dm", NULL, err, sizeof err), -1);
    T_ASSERT(strstr(err, "--redis-user dm needs --redis-password-file"));
    rcred_free(&c);
    T_EQ_INT(rcred_load(&c, "d m", NULL, err, sizeof err), -1);
    T_ASSERT(strstr(err, "--redis-user"));
    rcred_free(&c);
    char longu[RCRED_MAX_USER + 2];
    memset(longu, 'u', sizeof longu - 1); longu[sizeof longu - 1] = 0;
    T_EQ_INT(rcred_load(&c, longu, path, err, sizeof err), -1);
    rcred_free(&c);
    put("\n\n");
    T_EQ_INT(rcred_load(&c, "dm", path, err, sizeof err), -1);
    T_ASSERT(strstr(err, "the password must be"));
    rcred_free(&c);
    char *big = malloc(RCRED_MAX_PASS + 2);
    memset(big, 'p', RCRED_MAX_PASS + 1); big[RCRED_MAX_PASS + 1] = 0;
    put(big);
    free(big);
    T_EQ_INT(rcred_load(&c, "dm", path, err, sizeof err), -1);
    T_ASSERT(!strstr(err, "pppp"));
    rcred_free(&c);
    unlink(path);
    T_EQ_INT(rcred_load(&c, "dm", path, err, sizeof err), -1);
    T_ASSERT(strstr(err, "No such file"));
    rcred_free(&c);
}

static void test_reply_ok(void)
{
    redisReply ok = { .type = REDIS_REPLY_STATUS, .str = "OK", .len = 2 };
    redisReply no = { .type = REDIS_REPLY_ERROR, .str = "WRONGPASS x", .len = 11 };
    redisReply okk = { .type = REDIS_REPLY_STATUS, .str = "OKK", .len = 3 };
    T_ASSERT(rcred_reply_ok(&ok));
    T_ASSERT(!rcred_reply_ok(&no));
    T_ASSERT(!rcred_reply_ok(&okk));
    T_ASSERT(!rcred_reply_ok(NULL));
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/rcredXXXXXX");
    if (!mkdtemp(dir)) return 1;
    snprintf(path, sizeof path, "%s/pass", dir);
    T_RUN(test_load);
    T_RUN(test_errors);
    T_RUN(test_reply_ok);
    unlink(path);
    rmdir(dir);
    return T_DONE();
}

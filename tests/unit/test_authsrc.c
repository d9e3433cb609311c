/* test_authsrc.c — the token key source (common/authsrc.h): tokens off,
 * the two options exclusive, a secret file and a key file, a reload that
 * swaps in the new set, a failed reload that keeps the old set, and log
 * lines (stderr captured to a file) that name kids but never a secret. */
#include "t.h"
#include "authsrc.h"
#include "log.h"
#include <fcntl.h>
#include <unistd.h>

#define NOW 1700000000LL
#define OLD "old-secret-0123456789abcdef"
#define NEW "new-secret-0123456789abcdef"

static char dir[64], logpath[128];

static const char *put(const char *name, const char *text)
{
    static char p[8][128];
    static int i;
    char *q = p[i++ % 8];
    snprintf(q, 128, "%s/%s", dir, name);
    FILE *f = fopen(q, "w");
    fputs(text, f);
    fclose(f);
    return q;
}

static int check(const authsrc *a, const char *secret, const char *kid)
{
    auth_key *k = auth_key_new(secret, strlen(secret), 0);
    dbuf t; dbuf_init(&t);
    auth_mint(k, kid, "u1", NULL, 0, NOW + 600, 0, &t);
    auth_claims c;
    int rc = auth_keyset_verify(authsrc_keys(a), t.data, t.len, NOW, &c);
    dbuf_free(&t); auth_key_free(k);
    return rc;
}

static void test_off_and_exclusive(void)
{
    authsrc a;
    T_EQ_INT(authsrc_init(&a, NULL, "", 30), 0);
    T_ASSERT(authsrc_keys(&a) == NULL);
    T_EQ_INT(authsrc_reload(&a), 0);
    authsrc_free(&a);
    const char *s = put("s", OLD "\n"), *k = put("k", "old file:s\n");
    T_EQ_INT(authsrc_init(&a, s, k, 30), -1);
    T_ASSERT(authsrc_keys(&a) == NULL);
    authsrc_free(&a);
    T_EQ_INT(authsrc_init(&a, put("short", "tooshort"), NULL, 30), -1);
    authsrc_free(&a);
}

static void test_secret_file(void)
{
    authsrc a;
    T_EQ_INT(authsrc_init(&a, put("s", OLD "\n"), NULL, 30), 0);
    T_EQ_INT(check(&a, OLD, NULL), AUTH_OK);
    T_EQ_INT(check(&a, OLD, "k1"), AUTH_UNKNOWN_KID);
    put("s", NEW "\n");                              /* a secret file rotates as a hard cut */
    T_EQ_INT(authsrc_reload(&a), 0);
    T_EQ_INT(check(&a, NEW, NULL), AUTH_OK);
    T_EQ_INT(check(&a, OLD, NULL), AUTH_BAD_SIGNATURE);
    authsrc_free(&a);
}

static void test_keys_file_reload(void)
{
    authsrc a;
    put("old.secret", OLD);
    put("new.secret", NEW);
    const char *k = put("keys", "old file:old.secret\n");
    T_EQ_INT(authsrc_init(&a, NULL, k, 30), 0);
    T_EQ_INT(check(&a, OLD, "old"), AUTH_OK);
    T_EQ_INT(check(&a, NEW, "new"), AUTH_UNKNOWN_KID);
    put("keys", "new file:new.secret\nold file:old.secret\ndefault old\n");
    T_EQ_INT(authsrc_reload(&a), 0);
    T_EQ_INT(check(&a, OLD, "old"), AUTH_OK);
    T_EQ_INT(check(&a, NEW, "new"), AUTH_OK);
    T_EQ_INT(check(&a, OLD, NULL), AUTH_OK);
    put("keys", "new hex:zz\n");                    /* broken: the old set stays */
    T_EQ_INT(authsrc_reload(&a), -1);
    T_EQ_INT(check(&a, OLD, "old"), AUTH_OK);
    T_EQ_INT(check(&a, NEW, "new"), AUTH_OK);
    unlink(k);                                      /* gone: the same */
    T_EQ_INT(authsrc_reload(&a), -1);
    T_EQ_INT(check(&a, NEW, "new"), AUTH_OK);
    put("keys", "new file:new.secret\n");
    T_EQ_INT(authsrc_reload(&a), 0);
    T_EQ_INT(check(&a, OLD, "old"), AUTH_UNKNOWN_KID);
    T_EQ_INT(check(&a, NEW, "new"), AUTH_OK);
    authsrc_free(&a);
}

static void test_log_lines(void)
{
    dbuf l; dbuf_init(&l);
    T_EQ_INT(dbuf_append_file(&l, logpath), 0);
    T_ASSERT(strstr(l.data, "INFO auth: token keys reloaded from ") &&
             strstr(l.data, "kids=new,old default=old leeway_s=30"));
    T_ASSERT(strstr(l.data, "ERROR auth: token key reload failed, keeping kids=new,old default=old: "));
    T_ASSERT(strstr(l.data, "ERROR auth: --auth-secret-file and --auth-keys-file are exclusive"));
    T_ASSERT(!strstr(l.data, "secret-0123"));
    dbuf_free(&l);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/authsrcXXXXXX");
    if (!mkdtemp(dir)) return 1;
    snprintf(logpath, sizeof logpath, "%s/log", dir);
    int saved = dup(2), fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    log_init("test_authsrc", LOG_INFO);
    T_RUN(test_off_and_exclusive);
    T_RUN(test_secret_file);
    T_RUN(test_keys_file_reload);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    T_RUN(test_log_lines);
    const char *names[] = { "s", "k", "short", "old.secret", "new.secret", "keys", "log" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
    return T_DONE();
}

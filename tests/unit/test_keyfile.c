/* test_keyfile.c — the auth key file (common/keyfile.h): hex and file:
 * secrets, the default line, comments and CRLF, every error with its line
 * and never the secret, and rotation as a running server does it (rewrite
 * the file, load it again): a token of a kept kid is still accepted, a
 * removed kid is refused with unknown_kid, kid-less tokens follow the
 * default key. */
#include "t.h"
#include "keyfile.h"
#include <sys/stat.h>
#include <unistd.h>

#define NOW 1700000000LL
#define OLD "old-secret-0123456789abcdef"
#define NEW "new-secret-0123456789abcdef"
/* hex of NEW */
#define NEW_HEX "6e65772d7365637265742d30313233343536373839616263646566"

static char dir[64];

static void put(const char *name, const char *text)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

static auth_keyset *load(const char *name, char *err, size_t n)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return keyfile_load(p, 0, err, n);
}

/* A token for user u1 signed with secret under kid (NULL: no kid). */
static void tok(const char *secret, const char *kid, dbuf *out)
{
    auth_key *k = auth_key_new(secret, strlen(secret), 0);
    dbuf_reset(out);
    auth_mint(k, kid, "u1", NULL, 0, NOW + 600, 0, out);
    auth_key_free(k);
}

static int check(const auth_keyset *s, const char *secret, const char *kid)
{
    dbuf t; dbuf_init(&t);
    tok(secret, kid, &t);
    auth_claims c;
    int rc = auth_keyset_verify(s, t.data, t.len, NOW, &c);
    dbuf_free(&t);
    return rc;
}

static void test_formats(void)
{
    put("old.secret", OLD "\n");
    put("keys", "# rotation 2026-12\r\n"
                "\n"
                "  new\thex:" NEW_HEX "  \r\n"
                "old file:old.secret\n"
                "   # indented comment\n"
                "default old");                      /* no final newline */
    char err[256] = "";
    auth_keyset *s = load("keys", err, sizeof err);
    if (!s) { T_FAIL_("%s", err); return; }
    T_EQ_INT(auth_keyset_count(s), 2);
    T_EQ_STR(auth_keyset_kid(s, 0), "new");
    T_EQ_STR(auth_keyset_default_kid(s), "old");
    T_EQ_INT(check(s, NEW, "new"), AUTH_OK);
    T_EQ_INT(check(s, OLD, "old"), AUTH_OK);
    T_EQ_INT(check(s, OLD, NULL), AUTH_OK);
    T_EQ_INT(check(s, NEW, NULL), AUTH_BAD_SIGNATURE);
    auth_keyset_free(s);
    /* without a default line the first key is the default; absolute file: path */
    char p[256];
    snprintf(p, sizeof p, "a file:%s/old.secret\nb hex:" NEW_HEX "\n", dir);
    put("keys2", p);
    s = load("keys2", err, sizeof err);
    if (!s) { T_FAIL_("%s", err); return; }
    T_EQ_STR(auth_keyset_default_kid(s), "a");
    T_EQ_INT(check(s, OLD, NULL), AUTH_OK);
    auth_keyset_free(s);
    /* parse from memory: relative paths against the current directory */
    s = keyfile_parse("x hex:" NEW_HEX, strlen("x hex:" NEW_HEX), NULL, 0, err, sizeof err);
    T_ASSERT(s);
    T_EQ_INT(check(s, NEW, "x"), AUTH_OK);
    auth_keyset_free(s);
}

static void test_leeway(void)
{
    const char *text = "k hex:" NEW_HEX "\n";
    char err[128];
    auth_keyset *s = keyfile_parse(text, strlen(text), "mem", 30, err, sizeof err);
    T_ASSERT(s);
    auth_key *k = auth_key_new(NEW, strlen(NEW), 0);
    dbuf t; dbuf_init(&t);
    auth_mint(k, "k", "u1", NULL, 0, NOW, 0, &t);
    auth_claims c;
    T_EQ_INT(auth_keyset_verify(s, t.data, t.len, NOW + 29, &c), AUTH_OK);
    T_EQ_INT(auth_keyset_verify(s, t.data, t.len, NOW + 30, &c), AUTH_EXPIRED);
    dbuf_free(&t); auth_key_free(k); auth_keyset_free(s);
}

/* Each bad file fails with "name:line:" and a reason, never the secret. */
static void test_errors(void)
{
    static const struct { const char *text, *want; } cases[] = {
        { "k hex:6e6577\n", "keys:1: key k: hex secret must be" },               /* 3 bytes */
        { "\nk hex:" NEW_HEX "0\n", "keys:2: key k: hex secret" },             /* odd */
        { "k hex:" NEW_HEX "zz\n", "keys:1: key k: hex secret" },              /* non-hex */
        { "k " NEW_HEX "\n", "keys:1: key k: the secret must be hex:HEX or file:PATH" },
        { "k hex:\n", "keys:1: key k: the secret must be" },
        { "k\n", "keys:1: expected" },
        { "k hex:" NEW_HEX " extra\n", "keys:1: expected" },
        { "a/b hex:" NEW_HEX "\n", "keys:1: invalid kid" },
        { "default hex:" NEW_HEX "\n", "keys:1: default: invalid kid" },
        { "k hex:" NEW_HEX "\nk hex:" NEW_HEX "\n", "keys:2: duplicate kid k" },
        { "k hex:" NEW_HEX "\ndefault j\n", "keys:2: default j names no key" },
        { "default k\nk hex:" NEW_HEX "\ndefault k\n", "keys:3: second default line (first on line 1)" },
        { "# nothing\n\n", "keys: no key" },
        { "", "keys: no key" },
        { "k file:does-not-exist\n", "keys:1: key k: does-not-exist: No such file" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        auth_keyset *s = keyfile_parse(cases[i].text, strlen(cases[i].text), "keys", 0, err, sizeof err);
        if (s || strncmp(err, cases[i].want, strlen(cases[i].want)) || strstr(err, "6e6577")) {
            T_FAIL_("case %zu: got '%s', want '%s...'", i, err, cases[i].want);
            auth_keyset_free(s);
            return;
        }
    }
    char err[256];
    T_ASSERT(!keyfile_parse("k hex:" NEW_HEX "\0", strlen("k hex:" NEW_HEX) + 1, "keys", 0, err, sizeof err));
    T_ASSERT(strstr(err, "keys:1: NUL byte"));
    /* more than AUTH_MAX_KEYS keys */
    dbuf b; dbuf_init(&b);
    for (int i = 0; i <= AUTH_MAX_KEYS; i++)
        dbuf_printf(&b, "k%d hex:%s\n", i, NEW_HEX);
    T_ASSERT(!keyfile_parse(b.data, b.len, "keys", 0, err, sizeof err));
    T_ASSERT(strstr(err, "keys:17: more than 16 keys"));
    dbuf_free(&b);
    /* a short secret in a file: the file is named, the content is not */
    put("short.secret", "tooshort\n");
    put("keys3", "k file:short.secret\n");
    T_ASSERT(!load("keys3", err, sizeof err));
    T_ASSERT(strstr(err, "keys3:1: key k:") && strstr(err, "short.secret: secret must be"));
    T_ASSERT(!strstr(err, "tooshort"));
    /* the key file itself missing */
    T_ASSERT(!load("missing", err, sizeof err));
    T_ASSERT(strstr(err, "missing: No such file"));
}

/* What a server does on SIGHUP, step by step: every token valid before a
 * step that keeps its key is valid after it. */
static void test_rotation(void)
{
    char err[256];
    put("old.secret", OLD "\n");
    put("new.secret", NEW "\n");
    /* 0: one key; tokens with kid "old" and kid-less ones (minted before kids) */
    put("rot", "old file:old.secret\n");
    auth_keyset *s0 = load("rot", err, sizeof err);
    T_ASSERT(s0);
    T_EQ_INT(check(s0, OLD, "old"), AUTH_OK);
    T_EQ_INT(check(s0, OLD, NULL), AUTH_OK);
    T_EQ_INT(check(s0, NEW, "new"), AUTH_UNKNOWN_KID);
    /* 1: add the new key, old stays the default: nothing is refused */
    put("rot", "new file:new.secret\nold file:old.secret\ndefault old\n");
    auth_keyset *s1 = load("rot", err, sizeof err);
    T_ASSERT(s1);
    auth_keyset_free(s0);
    T_EQ_INT(check(s1, OLD, "old"), AUTH_OK);
    T_EQ_INT(check(s1, OLD, NULL), AUTH_OK);
    T_EQ_INT(check(s1, NEW, "new"), AUTH_OK);
    /* a broken rewrite fails to load: the server keeps s1 */
    put("rot", "new file:new.secret\nold file:old.secret\ndefault gone\n");
    T_ASSERT(!load("rot", err, sizeof err));
    T_EQ_INT(check(s1, OLD, "old"), AUTH_OK);
    /* 2: remove the old key: its tokens are refused with unknown_kid, kid-less
     * tokens are now checked against the new default */
    put("rot", "new file:new.secret\n");
    auth_keyset *s2 = load("rot", err, sizeof err);
    T_ASSERT(s2);
    auth_keyset_free(s1);
    T_EQ_INT(check(s2, OLD, "old"), AUTH_UNKNOWN_KID);
    T_EQ_INT(check(s2, NEW, "new"), AUTH_OK);
    T_EQ_INT(check(s2, OLD, NULL), AUTH_BAD_SIGNATURE);
    T_EQ_INT(check(s2, NEW, NULL), AUTH_OK);
    auth_keyset_free(s2);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/keyfileXXXXXX");
    if (!mkdtemp(dir)) return 1;
    T_RUN(test_formats);
    T_RUN(test_leeway);
    T_RUN(test_errors);
    T_RUN(test_rotation);
    const char *names[] = { "old.secret", "new.secret", "short.secret", "keys", "keys2", "keys3", "rot" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
    return T_DONE();
}

/* keyfile.c — parses the auth key file into an auth_keyset; secrets are
 * decoded into stack buffers that are wiped, and never put in messages. */
#include "keyfile.h"
#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct kf {
    const char *name;              /* for messages */
    const char *dir;               /* for relative file: paths */
    size_t dir_len;
    int line;
    char *err;
    size_t err_size;
    auth_keyset *s;
    char def[AUTH_MAX_KID + 1];
    int def_line;                  /* 0: no default line */
} kf;

static int fail(kf *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(kf *k, const char *fmt, ...)
{
    int n = snprintf(k->err, k->err_size, "%s:%d: ", k->name, k->line);
    if (n >= 0 && (size_t)n < k->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(k->err + n, k->err_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes hex into out (cap bytes); the length, or -1 if odd, non-hex or too long. */
static long hex_decode(const char *p, size_t n, unsigned char *out, size_t cap)
{
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hexval((unsigned char)p[i]), lo = hexval((unsigned char)p[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    return (long)(n / 2);
}

static int add_hex(kf *k, const char *kid, const char *hex, size_t n)
{
    unsigned char buf[AUTH_MAX_SECRET];
    long l = hex_decode(hex, n, buf, sizeof buf);
    int rc = l >= AUTH_MIN_SECRET ? auth_keyset_add(k->s, kid, buf, (size_t)l) : -1;
    OPENSSL_cleanse(buf, sizeof buf);
    if (rc < 0)
        return fail(k, "key %s: hex secret must be %d..%d bytes of hex digit pairs", kid,
                    AUTH_MIN_SECRET, AUTH_MAX_SECRET);
    return 0;
}

static int add_file(kf *k, const char *kid, const char *path, size_t n)
{
    char full[4096], e[512];
    int l = path[0] == '/' || !k->dir_len
        ? snprintf(full, sizeof full, "%.*s", (int)n, path)
        : snprintf(full, sizeof full, "%.*s/%.*s", (int)k->dir_len, k->dir, (int)n, path);
    if (n == 0 || l < 0 || (size_t)l >= sizeof full)
        return fail(k, "key %s: bad file: path", kid);
    auth_key *key = auth_key_load(full, 0, e, sizeof e);
    if (!key)
        return fail(k, "key %s: %s", kid, e);
    auth_keyset_add_key(k->s, kid, key);   /* checked by entry(): cannot fail */
    return 0;
}

/* One "KID VALUE" or "default KID" line, fields already split. */
static int entry(kf *k, const char *a, size_t al, const char *b, size_t bl)
{
    if (al == 7 && !memcmp(a, "default", 7)) {
        if (k->def_line)
            return fail(k, "second default line (first on line %d)", k->def_line);
        if (!auth_kid_valid(b, bl))
            return fail(k, "default: invalid kid (1..%d of A-Z a-z 0-9 . _ -)", AUTH_MAX_KID);
        memcpy(k->def, b, bl);
        k->def[bl] = 0;
        k->def_line = k->line;
        return 0;
    }
    if (!auth_kid_valid(a, al))
        return fail(k, "invalid kid (1..%d of A-Z a-z 0-9 . _ -)", AUTH_MAX_KID);
    char kid[AUTH_MAX_KID + 1];
    memcpy(kid, a, al);
    kid[al] = 0;
    if (auth_keyset_get(k->s, kid))
        return fail(k, "duplicate kid %s", kid);
    if (auth_keyset_count(k->s) == AUTH_MAX_KEYS)
        return fail(k, "more than %d keys", AUTH_MAX_KEYS);
    if (bl > 4 && !memcmp(b, "hex:", 4))
        return add_hex(k, kid, b + 4, bl - 4);
    if (bl > 5 && !memcmp(b, "file:", 5))
        return add_file(k, kid, b + 5, bl - 5);
    return fail(k, "key %s: the secret must be hex:HEX or file:PATH", kid);
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Splits one line into at most two fields and hands them to entry(). */
static int line(kf *k, const char *p, size_t n)
{
    const char *f[3];
    size_t fl[3];
    int nf = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && is_blank(p[i])) i++;
        if (i == n) break;
        if (nf == 0 && p[i] == '#') return 0;
        if (nf == 3) break;
        f[nf] = p + i;
        while (i < n && !is_blank(p[i])) i++;
        fl[nf] = (size_t)(p + i - f[nf]);
        nf++;
    }
    if (nf == 0)
        return 0;
    if (nf != 2)
        return fail(k, "expected 'KID hex:SECRET', 'KID file:PATH' or 'default KID'");
    return entry(k, f[0], fl[0], f[1], fl[1]);
}

auth_keyset *keyfile_parse(const char *text, size_t len, const char *path, int64_t leeway_s,
                           char *err, size_t err_size)
{
    kf k = { .name = path ? path : "keys", .dir = path, .err = err, .err_size = err_size };
    const char *slash = path ? strrchr(path, '/') : NULL;
    k.dir_len = slash ? (size_t)(slash - path) + (slash == path) : 0;
    k.s = auth_keyset_new(leeway_s);
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        k.line++;
        if (memchr(p, 0, (size_t)(e - p)) ? fail(&k, "NUL byte") : line(&k, p, (size_t)(e - p)))
            goto err;
        p = e + 1;
    }
    if (auth_keyset_count(k.s) == 0) {
        snprintf(err, err_size, "%s: no key", k.name);
        goto err;
    }
    k.line = k.def_line;
    if (k.def_line && auth_keyset_set_default(k.s, k.def) < 0) {
        fail(&k, "default %s names no key of the file", k.def);
        goto err;
    }
    return k.s;
err:
    auth_keyset_free(k.s);
    return NULL;
}

auth_keyset *keyfile_load(const char *path, int64_t leeway_s, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = xmalloc(KEYFILE_MAX_SIZE + 1);
    size_t n = fread(buf, 1, KEYFILE_MAX_SIZE + 1, f);
    int bad = ferror(f);
    fclose(f);
    auth_keyset *s = NULL;
    if (bad)
        snprintf(err, err_size, "%s: read error", path);
    else if (n > KEYFILE_MAX_SIZE)
        snprintf(err, err_size, "%s: larger than %d bytes", path, KEYFILE_MAX_SIZE);
    else
        s = keyfile_parse(buf, n, path, leeway_s, err, err_size);
    OPENSSL_cleanse(buf, KEYFILE_MAX_SIZE + 1);
    free(buf);
    return s;
}

/* rcred.c — Redis credentials: the password file, and AUTH as the first
 * step of every (re)connect of an async hiredis link. */
#include "rcred.h"
#include "dbuf.h"
#include "log.h"
#include <errno.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int user_ok(const char *u, size_t n)
{
    if (n > RCRED_MAX_USER)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
            return 0;
    return 1;
}

static int read_pass(rcred *c, const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = xmalloc(RCRED_MAX_PASS + 1);
    size_t n = fread(buf, 1, RCRED_MAX_PASS + 1, f);
    fclose(f);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    if (n == 0 || n > RCRED_MAX_PASS) {
        OPENSSL_cleanse(buf, RCRED_MAX_PASS + 1);
        free(buf);
        snprintf(err, err_size, "%s: the password must be 1..%d bytes", path, RCRED_MAX_PASS);
        return -1;
    }
    c->pass = buf;
    c->pass_len = n;
    return 0;
}

int rcred_load(rcred *c, const char *user, const char *pass_file, char *err, size_t err_size)
{
    memset(c, 0, sizeof *c);
    size_t ul = user ? strlen(user) : 0;
    if (!user_ok(user, ul)) {
        snprintf(err, err_size, "--redis-user: 1..%d bytes without spaces or control characters",
                 RCRED_MAX_USER);
        return -1;
    }
    memcpy(c->user, user ? user : "", ul + 1);
    if (!pass_file || !pass_file[0]) {
        if (ul) {
            snprintf(err, err_size, "--redis-user %s needs --redis-password-file", c->user);
            return -1;
        }
        return 0;
    }
    return read_pass(c, pass_file, err, err_size);
}

void rcred_free(rcred *c)
{
    if (c->pass) {
        OPENSSL_cleanse(c->pass, c->pass_len);
        free(c->pass);
    }
    memset(c, 0, sizeof *c);
}

int rcred_enabled(const rcred *c)
{
    return c->pass != NULL;
}

int rcred_auth_argv(const rcred *c, const char *argv[3], size_t argvlen[3])
{
    if (!rcred_enabled(c))
        return 0;
    int n = 0;
    argv[n] = "AUTH"; argvlen[n++] = 4;
    if (c->user[0]) {
        argv[n] = c->user;
        argvlen[n++] = strlen(c->user);
    }
    argv[n] = c->pass; argvlen[n++] = c->pass_len;
    return n;
}

int rcred_reply_ok(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_STATUS && r->len == 2 && !memcmp(r->str, "OK", 2);
}

typedef struct pending {
    const rcred *c;
    const char *tag, *what;
    rcred_then_fn *then;
    void *priv;
} pending;

static void on_auth(redisAsyncContext *ac, void *r, void *priv)
{
    pending p = *(pending *)priv;
    free(priv);
    redisReply *reply = r;
    if (!reply)
        return;                          /* link gone: its disconnect callback runs */
    if (rcred_reply_ok(reply)) {
        p.then(ac, p.priv);
        return;
    }
    LOGE(p.tag, "%s: redis AUTH refused user=%s: %.200s", p.what,
         p.c->user[0] ? p.c->user : "default",
         reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    redisAsyncDisconnect(ac);
}

int rcred_auth(redisAsyncContext *ac, const rcred *c, const char *tag, const char *what,
               rcred_then_fn *then, void *priv)
{
    if (!rcred_enabled(c)) {
        then(ac, priv);
        return 0;
    }
    pending *p = xmalloc(sizeof *p);
    *p = (pending){ c, tag, what, then, priv };
    const char *argv[3];
    size_t argvlen[3];
    int argc = rcred_auth_argv(c, argv, argvlen);
    if (redisAsyncCommandArgv(ac, on_auth, p, argc, argv, argvlen) != REDIS_OK) {
        free(p);
        return -1;
    }
    return 0;
}

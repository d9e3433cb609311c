/* authsrc.c — token key source: load, reload on SIGHUP, keep the old set
 * on failure. */
#include "authsrc.h"
#include "keyfile.h"
#include "log.h"
#include <stdlib.h>
#include <string.h>

static auth_keyset *load(const authsrc *a, char *err, size_t n)
{
    return a->is_keys_file ? keyfile_load(a->path, a->leeway, err, n)
                           : auth_keyset_from_secret_file(a->path, a->leeway, err, n);
}

static void log_loaded(const authsrc *a, const char *what)
{
    dbuf d;
    dbuf_init(&d);
    auth_keyset_describe(a->set, &d);
    LOGI("auth", "token keys %s from %s: %s leeway_s=%lld", what, a->path, d.data,
         (long long)a->leeway);
    dbuf_free(&d);
}

int authsrc_check(const char *secret_file, const char *keys_file)
{
    if (secret_file && secret_file[0] && keys_file && keys_file[0]) {
        LOGE("auth", "--auth-secret-file and --auth-keys-file are exclusive (a key file can "
             "name the secret file: KID file:PATH)");
        return -1;
    }
    return 0;
}

int authsrc_init(authsrc *a, const char *secret_file, const char *keys_file, int64_t leeway_s)
{
    memset(a, 0, sizeof *a);
    int has_s = secret_file && secret_file[0], has_k = keys_file && keys_file[0];
    if (authsrc_check(secret_file, keys_file))
        return -1;
    if (!has_s && !has_k)
        return 0;
    a->path = xstrdup(has_k ? keys_file : secret_file);
    a->is_keys_file = has_k;
    a->leeway = leeway_s < 0 ? 0 : leeway_s;
    char err[512];
    a->set = load(a, err, sizeof err);
    if (!a->set) {
        LOGE("auth", "%s: %s", has_k ? "--auth-keys-file" : "--auth-secret-file", err);
        authsrc_free(a);
        return -1;
    }
    log_loaded(a, "loaded");
    return 0;
}

int authsrc_reload(authsrc *a)
{
    if (!a->path)
        return 0;
    char err[512];
    auth_keyset *s = load(a, err, sizeof err);
    if (!s) {
        dbuf d;
        dbuf_init(&d);
        auth_keyset_describe(a->set, &d);
        LOGE("auth", "token key reload failed, keeping %s: %s", d.data, err);
        dbuf_free(&d);
        return -1;
    }
    auth_keyset_free(a->set);
    a->set = s;
    log_loaded(a, "reloaded");
    return 0;
}

const auth_keyset *authsrc_keys(const authsrc *a)
{
    return a->set;
}

void authsrc_free(authsrc *a)
{
    auth_keyset_free(a->set);
    free(a->path);
    memset(a, 0, sizeof *a);
}

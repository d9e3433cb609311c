/* edge_auth.c — viewer token check for the edge handshake, on the shared
 * HS256 verifier of common/auth.h and the key source of common/authsrc.h
 * (the same code the broadcaster uses). */
#include "edge_auth.h"
#include "auth.h"
#include "authsrc.h"
#include "log.h"
#include <time.h>

static authsrc keys;       /* keys.set NULL: tokens off */

int edge_auth_init(const char *secret_file, const char *keys_file, long leeway_s)
{
    if (authsrc_init(&keys, secret_file, keys_file, leeway_s))
        return -1;
    if (authsrc_keys(&keys))
        LOGI("edge", "viewer tokens required (?token=)");
    return 0;
}

int edge_auth_reload(void)
{
    return authsrc_reload(&keys);
}

void edge_auth_free(void)
{
    authsrc_free(&keys);
}

int edge_auth_check(const http_request *rq, const char *room, size_t rlen, int *status,
                    const char **code, const char **msg)
{
    char tok[AUTH_MAX_TOKEN + 1];
    auth_claims c;
    int rc;
    const auth_keyset *set = authsrc_keys(&keys);
    if (!set)
        return 0;
    ssize_t n = http_query_param(rq->query, rq->query_len, "token", tok, sizeof tok);
    if (n == -1 || n == 0)
        rc = AUTH_MISSING;
    else if (n < 0)
        rc = AUTH_MALFORMED;
    else if ((rc = auth_keyset_verify(set, tok, (size_t)n, (int64_t)time(NULL), &c)) == AUTH_OK)
        rc = auth_check(&c, room, rlen, NULL, 0, 0);
    if (rc == AUTH_OK)
        return 0;
    *status = auth_err_status(rc);
    *code = auth_err_code(rc);
    *msg = auth_err_message(rc);
    return -1;
}

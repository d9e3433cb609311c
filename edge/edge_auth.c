/* edge_auth.c — viewer token check for the edge handshake, on the shared
 * HS256 verifier of common/auth.h (the same code the broadcaster uses). */
#include "edge_auth.h"
#include "auth.h"
#include "log.h"
#include <time.h>

static auth_key *edge_key;       /* NULL: tokens off */

int edge_auth_init(const char *path)
{
    char err[256];
    if (!path || !path[0])
        return 0;
    edge_key = auth_key_load(path, 30, err, sizeof err);
    if (!edge_key) {
        LOGE("edge", "--auth-secret-file: %s", err);
        return -1;
    }
    LOGI("edge", "viewer tokens required (?token=)");
    return 0;
}

void edge_auth_free(void)
{
    auth_key_free(edge_key);
    edge_key = NULL;
}

int edge_auth_check(const http_request *rq, const char *room, size_t rlen, int *status,
                    const char **code, const char **msg)
{
    char tok[AUTH_MAX_TOKEN + 1];
    auth_claims c;
    int rc;
    if (!edge_key)
        return 0;
    ssize_t n = http_query_param(rq->query, rq->query_len, "token", tok, sizeof tok);
    if (n == -1 || n == 0)
        rc = AUTH_MISSING;
    else if (n < 0)
        rc = AUTH_MALFORMED;
    else if ((rc = auth_verify(edge_key, tok, (size_t)n, (int64_t)time(NULL), &c)) == AUTH_OK)
        rc = auth_check(&c, room, rlen, NULL, 0, 0);
    if (rc == AUTH_OK)
        return 0;
    *status = auth_err_status(rc);
    *code = auth_err_code(rc);
    *msg = auth_err_message(rc);
    return -1;
}

/* bc_req.c — the reply functions handlers call; the transport behind
 * r->answer decides where the bytes go and when. */
#include "bc_req.h"
#include "dbuf.h"
#include <string.h>

void bc_req_reply(bc_req *r, int status, const char *ctype, const char *extra,
                  const void *body, size_t len)
{
    r->answer(r, status, ctype, extra, body, len);
}

void bc_req_error(bc_req *r, int status, const char *code, const char *msg, const char *extra)
{
    dbuf b;
    dbuf_init(&b);
    http_error_body(&b, code, msg);
    r->answer(r, status, "application/json", extra, b.data, b.len);
    dbuf_free(&b);
}

int bc_req_method_is(const bc_req *r, const char *m)
{
    size_t n = strlen(m);
    return r->h->method_len == n && !memcmp(r->h->method, m, n);
}

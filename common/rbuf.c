/* rbuf.c — ref-counted immutable byte blocks handed to libevent by
 * reference (evbuffer_add_reference); libevent's cleanup drops the ref. */
#include "rbuf.h"
#include "dbuf.h"
#include <assert.h>
#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

rbuf *rbuf_new(size_t len)
{
    rbuf *r = xmalloc(sizeof *r + len);
    r->refs = 1;
    r->len = len;
    return r;
}

rbuf *rbuf_from(const void *p, size_t len)
{
    rbuf *r = rbuf_new(len);
    if (len)
        memcpy(r->data, p, len);
    return r;
}

void rbuf_unref(rbuf *r)
{
    if (!r)
        return;
    assert(r->refs > 0);
    if (--r->refs == 0)
        free(r);
}

static void rbuf_cleanup(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    rbuf_unref(arg);
}

int rbuf_add_to_evbuffer(rbuf *r, struct evbuffer *out)
{
    if (r->len == 0)
        return 0;
    rbuf_ref(r);
    if (evbuffer_add_reference(out, r->data, r->len, rbuf_cleanup, r) != 0) {
        rbuf_unref(r);
        return -1;
    }
    return 0;
}

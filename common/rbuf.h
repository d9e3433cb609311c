/* rbuf.h — a ref-counted immutable byte block, built once and shared by
 * reference into many evbuffers (encode once, send to every viewer). Single
 * threaded: one event loop per process, so the count is a plain integer. */
#ifndef DM_RBUF_H
#define DM_RBUF_H
#include <assert.h>
#include <stddef.h>
struct evbuffer;

typedef struct rbuf {
    int refs;
    size_t len;
    unsigned char data[];   /* len bytes */
} rbuf;

/* Allocates a block of len bytes with refs = 1 (aborts on OOM). */
rbuf *rbuf_new(size_t len);
/* Allocates and copies p[0..len). refs = 1. */
rbuf *rbuf_from(const void *p, size_t len);
/* Takes one more reference (r must be live: refs > 0, asserted). */
static inline rbuf *rbuf_ref(rbuf *r)
{
    assert(r->refs > 0);
    r->refs++;
    return r;
}
/* Drops one reference; frees the block at zero. NULL is a no-op; dropping
 * a reference that is not held (refs <= 0) is asserted. */
void rbuf_unref(rbuf *r);
/* Appends the whole block to out by reference (no copy): takes one more
 * reference, released by libevent when the bytes have been drained.
 * Returns 0, or -1 if libevent refused (the reference is released). */
int rbuf_add_to_evbuffer(rbuf *r, struct evbuffer *out);

#endif

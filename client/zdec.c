/* zdec.c — one whole zstd frame at a time; frames without a content size
 * are streamed (bounded by ZDEC_MAX_OUT). */
#include "zdec.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clerr.h"
#include <zstd.h>

void zdec_init(zdec *z)
{
    memset(z, 0, sizeof *z);
    z->dctx = ZSTD_createDCtx();
    if (!z->dctx)
        abort();
}

void zdec_free(zdec *z)
{
    for (size_t i = 0; i < z->n; i++)
        ZSTD_freeDDict(z->d[i].dd);
    ZSTD_freeDCtx(z->dctx);
    memset(z, 0, sizeof *z);
}

static ZSTD_DDict *find(const zdec *z, unsigned id)
{
    for (size_t i = 0; i < z->n; i++)
        if (z->d[i].id == id)
            return z->d[i].dd;
    return NULL;
}

int zdec_has(const zdec *z, unsigned id) { return find(z, id) != NULL; }

long zdec_add(zdec *z, const void *dict, size_t len)
{
    ZSTD_DDict *dd = len ? ZSTD_createDDict(dict, len) : NULL;
    if (!dd)
        return -1;
    unsigned id = ZSTD_getDictID_fromDDict(dd);
    size_t i = 0;
    while (i < z->n && z->d[i].id != id)
        i++;
    if (i == ZDEC_MAX_DICTS) {          /* full: drop the oldest */
        ZSTD_freeDDict(z->d[0].dd);
        memmove(&z->d[0], &z->d[1], (ZDEC_MAX_DICTS - 1) * sizeof z->d[0]);
        i = ZDEC_MAX_DICTS - 1;
    } else if (i < z->n) {
        ZSTD_freeDDict(z->d[i].dd);
    } else {
        z->n++;
    }
    z->d[i].id = id;
    z->d[i].dd = dd;
    return (long)id;
}

int zdec_add_file(zdec *z, const char *path)
{
    dbuf b;
    dbuf_init(&b);
    int rc;
    if (dbuf_append_file(&b, path) < 0)
        rc = errno == ENOENT ? 0 : -1;
    else
        rc = zdec_add(z, b.data, b.len) < 0 ? -1 : 1;
    dbuf_free(&b);
    return rc;
}

static int stream(zdec *z, ZSTD_DDict *dd, const uint8_t *msg, size_t len, dbuf *out,
                  char *err, size_t es)
{
    ZSTD_DCtx_reset(z->dctx, ZSTD_reset_session_and_parameters);
    ZSTD_DCtx_refDDict(z->dctx, dd);
    ZSTD_inBuffer in = { msg, len, 0 };
    for (int iter = 0; iter < 100000; iter++) {
        dbuf_reserve(out, 64 * 1024);
        ZSTD_outBuffer ob = { out->data + out->len, out->cap - out->len - 1, 0 };
        size_t r = ZSTD_decompressStream(z->dctx, &ob, &in);
        if (ZSTD_isError(r)) {
            clerr(err, es, "zstd: %s", ZSTD_getErrorName(r));
            return -1;
        }
        out->len += ob.pos;
        if (out->len > ZDEC_MAX_OUT) {
            clerr(err, es, "zstd: decompressed message too large");
            return -1;
        }
        if (r == 0)
            return 0;
        if (in.pos == in.size && ob.pos < ob.size) {
            clerr(err, es, "zstd: truncated frame");
            return -1;
        }
    }
    clerr(err, es, "zstd: too many iterations");
    return -1;
}

int zdec_decompress(zdec *z, const uint8_t *msg, size_t len, dbuf *out, char *err, size_t es)
{
    dbuf_reset(out);
    size_t fsize = ZSTD_findFrameCompressedSize(msg, len);
    if (ZSTD_isError(fsize)) {
        clerr(err, es, "zstd: %s", ZSTD_getErrorName(fsize));
        return -1;
    }
    if (fsize != len) {
        clerr(err, es, "zstd: %zu trailing bytes after the frame", len - fsize);
        return -1;
    }
    unsigned id = ZSTD_getDictID_fromFrame(msg, len);
    ZSTD_DDict *dd = find(z, id);     /* id 0: a raw-content dictionary, if any */
    if (id && !dd) {
        clerr(err, es, "zstd: unknown dictionary id %u", id);
        return -1;
    }
    unsigned long long csize = ZSTD_getFrameContentSize(msg, len);
    if (csize == ZSTD_CONTENTSIZE_ERROR) {
        clerr(err, es, "zstd: bad frame header");
        return -1;
    }
    if (csize == ZSTD_CONTENTSIZE_UNKNOWN)
        return stream(z, dd, msg, len, out, err, es);
    if (csize > ZDEC_MAX_OUT) {
        clerr(err, es, "zstd: decompressed message too large (%llu)", csize);
        return -1;
    }
    dbuf_reserve(out, (size_t)csize);
    size_t r = dd ? ZSTD_decompress_usingDDict(z->dctx, out->data, (size_t)csize, msg, len, dd)
                  : ZSTD_decompressDCtx(z->dctx, out->data, (size_t)csize, msg, len);
    if (ZSTD_isError(r)) {
        clerr(err, es, "zstd: %s", ZSTD_getErrorName(r));
        return -1;
    }
    out->len = r;
    return 0;
}

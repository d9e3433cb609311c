/* batch.c — the edge's frames as rbufs: the payload and the frame come from
 * common/wire.c, copied once into a shared block. */
#include "batch.h"
#include <stdlib.h>
#include <string.h>
#include "http.h"

int batch_ctx_init(batch_ctx *c, const char *dict_dir, int level)
{
    memset(c, 0, sizeof *c);
    dbuf_init(&c->pay);
    dbuf_init(&c->out);
    if (wire_enc_init(&c->enc, dict_dir, level))
        return -1;
    for (int f = 0; f < WIRE_NFMT; f++) {
        c->dict_id[f] = c->enc.dict_id[f][0];
        for (int k = 0; k < WIRE_NDICT; k++)
            if (c->enc.dict[f][k].len)
                c->dict_slot[f][k] = rbuf_from(c->enc.dict[f][k].data, c->enc.dict[f][k].len);
        c->dict_bytes[f] = c->dict_slot[f][0];
    }
    return 0;
}

int batch_zstd_for(const batch_ctx *c, int fmt, unsigned want)
{
    int k = wire_dict_slot(&c->enc, fmt, want);
    return 1 + (k < 0 ? 0 : k);
}

rbuf *batch_dict_by_id(const batch_ctx *c, unsigned id)
{
    for (int f = 0; f < WIRE_NFMT; f++) {
        int k = wire_dict_slot(&c->enc, f, id);
        if (k >= 0)
            return c->dict_slot[f][k];
    }
    return NULL;
}

void batch_ctx_free(batch_ctx *c)
{
    for (int f = 0; f < WIRE_NFMT; f++) {
        for (int k = 0; k < WIRE_NDICT; k++) {
            rbuf_unref(c->dict_slot[f][k]);
            c->dict_slot[f][k] = NULL;
        }
        c->dict_bytes[f] = NULL;
    }
    wire_enc_free(&c->enc);
    dbuf_free(&c->pay);
    dbuf_free(&c->out);
}

/* Query parameter name as one of opts (index), def when absent; -1 if
 * present with another value. */
static int query_word(const char *q, size_t ql, const char *name, const char *const *opts, int def)
{
    char b[16];
    ssize_t n = http_query_param(q, ql, name, b, sizeof b);
    if (n == -1)
        return def;
    for (int i = 0; n >= 0 && opts[i]; i++)
        if (!strcmp(b, opts[i]))
            return i;
    return -1;
}

/* format (+ v) as a wire format, or -1. */
static int query_format(const char *q, size_t ql)
{
    static const char *const fmts[] = { "json", "pb", NULL }, *const vers[] = { "1", "2", NULL };
    int f = query_word(q, ql, "format", fmts, 0), v = query_word(q, ql, "v", vers, 0) + 1;
    if (f < 0 || v < 1)
        return -1;
    return f == WIRE_PB && v == 2 ? WIRE_PB2 : f;
}

/* A decimal dictionary ID parameter: 0 when absent, -1 if malformed. */
static long long query_id(const char *q, size_t ql, const char *name)
{
    char b[16], *end;
    ssize_t n = http_query_param(q, ql, name, b, sizeof b);
    if (n == -1)
        return 0;
    if (n <= 0 || b[0] < '0' || b[0] > '9')
        return -1;
    unsigned long long id = strtoull(b, &end, 10);
    return *end || id > 0xffffffffull ? -1 : (long long)id;
}

int batch_query_variant(const batch_ctx *c, const char *q, size_t ql, int *fmt, int *zstd)
{
    static const char *const comp[] = { "none", "zstd", NULL };
    int f = query_format(q, ql), z = query_word(q, ql, "compress", comp, 0);
    long long id = query_id(q, ql, "zdict");
    if (f < 0 || z < 0 || id < 0)
        return -1;
    *fmt = f;
    *zstd = z ? batch_zstd_for(c, f, (unsigned)id) : 0;
    return 0;
}

rbuf *batch_query_dict(const batch_ctx *c, const char *q, size_t ql, int *bad)
{
    long long id = query_id(q, ql, "id");
    int f = query_format(q, ql);
    *bad = id < 0 || f < 0;
    if (*bad)
        return NULL;
    return id ? batch_dict_by_id(c, (unsigned)id) : c->dict_bytes[f];
}

/* Frames c->pay (after compression) into a fresh rbuf. */
static rbuf *frame_pay(batch_ctx *c, int fmt, int zstd)
{
    uint8_t hdr[WIRE_HDR_MAX];
    const void *body;
    size_t n;
    size_t hl = wire_seal(&c->enc, fmt, zstd, c->pay.data, c->pay.len, hdr, &body, &n);
    rbuf *r = rbuf_new(hl + n);
    memcpy(r->data, hdr, hl);
    memcpy(r->data + hl, body, n);
    return r;
}

rbuf *batch_frame(batch_ctx *c, int fmt, int zstd, const char *room, const char *epoch,
                  evt *const *evs, size_t n)
{
    dbuf_reset(&c->pay);
    wire_batch_payload(&c->pay, fmt, room, epoch, evs, n);
    return frame_pay(c, fmt, zstd);
}

rbuf *batch_reset_frame(batch_ctx *c, int fmt, int zstd, const char *room, const char *epoch,
                        uint64_t from_seq, const char *reason)
{
    dbuf_reset(&c->pay);
    wire_reset_payload(&c->pay, fmt, room, epoch, from_seq, reason);
    return frame_pay(c, fmt, zstd);
}

rbuf *batch_gap_frame(batch_ctx *c, int fmt, int zstd, const char *room,
                      uint64_t from_seq, uint64_t to_seq, const char *reason)
{
    dbuf_reset(&c->pay);
    wire_gap_payload(&c->pay, fmt, room, from_seq, to_seq, reason);
    return frame_pay(c, fmt, zstd);
}

rbuf *batch_degraded(batch_ctx *c, int fmt, int zstd, const char *room, const char *epoch,
                     evt *const *evs, size_t n, unsigned *ngaps)
{
    dbuf_reset(&c->out);
    *ngaps = 0;
    size_t i = 0;
    while (i < n) {
        int comment = evs[i]->kind == EVT_COMMENT;
        size_t j = i + 1;
        while (j < n && (evs[j]->kind == EVT_COMMENT) == comment)
            j++;
        dbuf_reset(&c->pay);
        if (comment) {
            wire_gap_payload(&c->pay, fmt, room, evs[i]->seq, evs[j - 1]->seq, "slow");
            (*ngaps)++;
        } else {
            wire_batch_payload(&c->pay, fmt, room, epoch, evs + i, j - i);
        }
        wire_frame_append(&c->enc, &c->out, fmt, zstd, c->pay.data, c->pay.len);
        i = j;
    }
    return rbuf_from(c->out.data, c->out.len);
}

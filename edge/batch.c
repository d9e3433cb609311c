/* batch.c — encode once, compress once, frame once. JSON batches join the
 * events' pre-rendered objects; protobuf batches concatenate the stored
 * Event bytes as Batch.events (field 5) and wrap the Batch as Frame field 1,
 * with no decode/re-encode. zstd uses one ZSTD_CCtx and a CDict per format. */
#include "batch.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "jsonw.h"
#include "log.h"
#include "ws.h"

#define TAG_LEN(f) ((uint8_t)(((f) << 3) | 2))
#define TAG_VARINT(f) ((uint8_t)((f) << 3))

static int load_dict(batch_ctx *c, int fmt, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/danmaku-%s.zdict", dir, fmt == BATCH_JSON ? "json" : "pb");
    dbuf d;
    dbuf_init(&d);
    if (dbuf_append_file(&d, path) < 0 && errno == ENOENT) {
        dbuf_free(&d);
        return 0;
    }
    c->cdict[fmt] = d.len ? ZSTD_createCDict(d.data, d.len, c->level) : NULL;
    if (!c->cdict[fmt]) {
        LOGE("batch", "cannot load zstd dictionary %s", path);
        dbuf_free(&d);
        return -1;
    }
    c->dict_id[fmt] = ZSTD_getDictID_fromCDict(c->cdict[fmt]);
    c->dict_bytes[fmt] = rbuf_from(d.data, d.len);
    LOGI("batch", "zstd dictionary %s: %zu bytes, id %u", path, d.len, c->dict_id[fmt]);
    dbuf_free(&d);
    return 0;
}

int batch_ctx_init(batch_ctx *c, const char *dict_dir, int level)
{
    memset(c, 0, sizeof *c);
    c->level = level;
    c->cctx = ZSTD_createCCtx();
    if (!c->cctx)
        abort();
    dbuf_init(&c->pay);
    dbuf_init(&c->z);
    dbuf_init(&c->out);
    if (dict_dir && (load_dict(c, BATCH_JSON, dict_dir) || load_dict(c, BATCH_PB, dict_dir))) {
        batch_ctx_free(c);
        return -1;
    }
    return 0;
}

void batch_ctx_free(batch_ctx *c)
{
    for (int i = 0; i < 2; i++) {
        ZSTD_freeCDict(c->cdict[i]);
        rbuf_unref(c->dict_bytes[i]);
        c->cdict[i] = NULL;
        c->dict_bytes[i] = NULL;
    }
    ZSTD_freeCCtx(c->cctx);
    c->cctx = NULL;
    dbuf_free(&c->pay);
    dbuf_free(&c->z);
    dbuf_free(&c->out);
}

/* ---- payloads --------------------------------------------------------- */

static void json_head(dbuf *b, const char *type, const char *room)
{
    dbuf_puts(b, "{\"type\":\"");
    dbuf_puts(b, type);
    dbuf_puts(b, "\",\"room\":");
    jsonw_cstr(b, room);
}

static void json_batch(dbuf *b, const char *room, const char *epoch, evt *const *evs, size_t n)
{
    size_t need = 128 + strlen(room) + strlen(epoch);
    for (size_t i = 0; i < n; i++)
        need += evs[i]->json_len + 1;
    dbuf_reserve(b, need);
    json_head(b, "batch", room);
    jsonw_field_str(b, "epoch", epoch);
    jsonw_field_u64(b, "from_seq", evs[0]->seq);
    jsonw_field_u64(b, "to_seq", evs[n - 1]->seq);
    dbuf_puts(b, ",\"events\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            dbuf_putc(b, ',');
        dbuf_append(b, evs[i]->json, evs[i]->json_len);
    }
    dbuf_puts(b, "]}");
}

static void pb_bytes(dbuf *b, uint8_t tag, const void *p, size_t n)
{
    dbuf_putc(b, (char)tag);
    dbuf_put_varint(b, n);
    dbuf_append(b, p, n);
}

static size_t pb_bytes_len(size_t n) { return 1 + varint_len(n) + n; }

static void pb_batch(dbuf *b, const char *room, const char *epoch, evt *const *evs, size_t n)
{
    size_t rl = strlen(room), el = strlen(epoch);
    uint64_t from = evs[0]->seq, to = evs[n - 1]->seq;
    size_t inner = pb_bytes_len(rl) + pb_bytes_len(el) + 1 + varint_len(from) + 1 + varint_len(to);
    for (size_t i = 0; i < n; i++)
        inner += pb_bytes_len(evs[i]->pb_len);
    dbuf_reserve(b, inner + 16);
    dbuf_putc(b, (char)TAG_LEN(1));            /* Frame.batch */
    dbuf_put_varint(b, inner);
    pb_bytes(b, TAG_LEN(1), room, rl);         /* Batch.room */
    pb_bytes(b, TAG_LEN(2), epoch, el);        /* Batch.epoch */
    dbuf_putc(b, (char)TAG_VARINT(3));         /* Batch.from_seq */
    dbuf_put_varint(b, from);
    dbuf_putc(b, (char)TAG_VARINT(4));         /* Batch.to_seq */
    dbuf_put_varint(b, to);
    for (size_t i = 0; i < n; i++)             /* Batch.events: stored bytes */
        pb_bytes(b, TAG_LEN(5), evs[i]->data, evs[i]->pb_len);
}

void batch_payload(dbuf *out, int fmt, const char *room, const char *epoch,
                   evt *const *evs, size_t n)
{
    if (fmt == BATCH_JSON)
        json_batch(out, room, epoch, evs, n);
    else
        pb_batch(out, room, epoch, evs, n);
}

/* Reset (Frame field 2) and Gap (Frame field 3) share a shape: a string,
 * two varints, strings. Encoded by hand like the batch. */
static void pb_reset(dbuf *b, const char *room, const char *epoch, uint64_t from, const char *reason)
{
    size_t el = strlen(epoch), rl = strlen(reason), ml = strlen(room);
    size_t inner = pb_bytes_len(el) + 1 + varint_len(from) + pb_bytes_len(rl) + pb_bytes_len(ml);
    dbuf_putc(b, (char)TAG_LEN(2));
    dbuf_put_varint(b, inner);
    pb_bytes(b, TAG_LEN(1), epoch, el);
    dbuf_putc(b, (char)TAG_VARINT(2));
    dbuf_put_varint(b, from);
    pb_bytes(b, TAG_LEN(3), reason, rl);
    pb_bytes(b, TAG_LEN(4), room, ml);
}

static void pb_gap(dbuf *b, const char *room, uint64_t from, uint64_t to, const char *reason)
{
    size_t rl = strlen(reason), ml = strlen(room);
    size_t inner = 1 + varint_len(from) + 1 + varint_len(to) + pb_bytes_len(rl) + pb_bytes_len(ml);
    dbuf_putc(b, (char)TAG_LEN(3));
    dbuf_put_varint(b, inner);
    dbuf_putc(b, (char)TAG_VARINT(1));
    dbuf_put_varint(b, from);
    dbuf_putc(b, (char)TAG_VARINT(2));
    dbuf_put_varint(b, to);
    pb_bytes(b, TAG_LEN(3), reason, rl);
    pb_bytes(b, TAG_LEN(4), room, ml);
}

/* ---- framing ------------------------------------------------------------ */

/* Compresses c->pay when asked; returns the bytes to frame. */
static const void *finish_payload(batch_ctx *c, int fmt, int zstd, size_t *len)
{
    if (!zstd) {
        *len = c->pay.len;
        return c->pay.data;
    }
    size_t cap = ZSTD_compressBound(c->pay.len);
    dbuf_reset(&c->z);
    dbuf_reserve(&c->z, cap);
    size_t r = c->cdict[fmt]
        ? ZSTD_compress_usingCDict(c->cctx, c->z.data, cap, c->pay.data, c->pay.len, c->cdict[fmt])
        : ZSTD_compressCCtx(c->cctx, c->z.data, cap, c->pay.data, c->pay.len, c->level);
    if (ZSTD_isError(r)) {   /* cannot happen with a compressBound buffer */
        LOGE("batch", "zstd: %s", ZSTD_getErrorName(r));
        abort();
    }
    *len = r;
    return c->z.data;
}

static int opcode_of(int fmt, int zstd) { return fmt == BATCH_JSON && !zstd ? WS_OP_TEXT : WS_OP_BINARY; }

/* Frames c->pay (after compression) into a fresh rbuf. */
static rbuf *frame_pay(batch_ctx *c, int fmt, int zstd)
{
    size_t n;
    const void *p = finish_payload(c, fmt, zstd, &n);
    uint8_t hdr[14];
    size_t hl = ws_frame_header(hdr, 1, opcode_of(fmt, zstd), n, NULL);
    rbuf *r = rbuf_new(hl + n);
    memcpy(r->data, hdr, hl);
    memcpy(r->data + hl, p, n);
    return r;
}

/* Appends the framed c->pay to c->out. */
static void frame_pay_append(batch_ctx *c, int fmt, int zstd)
{
    size_t n;
    const void *p = finish_payload(c, fmt, zstd, &n);
    uint8_t hdr[14];
    size_t hl = ws_frame_header(hdr, 1, opcode_of(fmt, zstd), n, NULL);
    dbuf_append(&c->out, hdr, hl);
    dbuf_append(&c->out, p, n);
}

rbuf *batch_frame(batch_ctx *c, int fmt, int zstd, const char *room, const char *epoch,
                  evt *const *evs, size_t n)
{
    dbuf_reset(&c->pay);
    batch_payload(&c->pay, fmt, room, epoch, evs, n);
    return frame_pay(c, fmt, zstd);
}

static void reset_payload(dbuf *b, int fmt, const char *room, const char *epoch,
                          uint64_t from, const char *reason)
{
    if (fmt == BATCH_PB) {
        pb_reset(b, room, epoch, from, reason);
        return;
    }
    json_head(b, "reset", room);
    jsonw_field_str(b, "epoch", epoch);
    jsonw_field_u64(b, "from_seq", from);
    jsonw_field_str(b, "reason", reason);
    dbuf_putc(b, '}');
}

static void gap_payload(dbuf *b, int fmt, const char *room, uint64_t from, uint64_t to,
                        const char *reason)
{
    if (fmt == BATCH_PB) {
        pb_gap(b, room, from, to, reason);
        return;
    }
    json_head(b, "gap", room);
    jsonw_field_u64(b, "from_seq", from);
    jsonw_field_u64(b, "to_seq", to);
    jsonw_field_str(b, "reason", reason);
    dbuf_putc(b, '}');
}

rbuf *batch_reset_frame(batch_ctx *c, int fmt, int zstd, const char *room, const char *epoch,
                        uint64_t from_seq, const char *reason)
{
    dbuf_reset(&c->pay);
    reset_payload(&c->pay, fmt, room, epoch, from_seq, reason);
    return frame_pay(c, fmt, zstd);
}

rbuf *batch_gap_frame(batch_ctx *c, int fmt, int zstd, const char *room,
                      uint64_t from_seq, uint64_t to_seq, const char *reason)
{
    dbuf_reset(&c->pay);
    gap_payload(&c->pay, fmt, room, from_seq, to_seq, reason);
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
            gap_payload(&c->pay, fmt, room, evs[i]->seq, evs[j - 1]->seq, "slow");
            (*ngaps)++;
        } else {
            batch_payload(&c->pay, fmt, room, epoch, evs + i, j - i);
        }
        frame_pay_append(c, fmt, zstd);
        i = j;
    }
    return rbuf_from(c->out.data, c->out.len);
}

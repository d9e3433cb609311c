/* wire.c — encode once, compress once, frame once. JSON batches join the
 * events' pre-rendered objects; protobuf batches concatenate the stored
 * Event bytes as Batch.events (field 5) and wrap the Batch as Frame field 1,
 * with no decode/re-encode; v2 batches join the events' pre-rendered compact
 * bodies with per-event deltas. zstd uses one ZSTD_CCtx and a CDict per
 * format. */
#include "wire.h"
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

const char *wire_dict_name(int fmt)
{
    return fmt == WIRE_JSON ? "danmaku-json.zdict" : fmt == WIRE_PB ? "danmaku-pb.zdict"
                            : "danmaku-pb2.zdict";
}

/* Loads dir/name into slot k of format fmt: 0 (also when the file does not
 * exist: the slot stays empty) or -1 (logged). */
static int load_dict(wire_enc *w, int fmt, int k, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s%s/%s", dir, k ? "/" WIRE_PREV_DIR : "", wire_dict_name(fmt));
    dbuf *d = &w->dict[fmt][k];
    if (dbuf_append_file(d, path) < 0 && errno == ENOENT) {
        dbuf_reset(d);
        return 0;
    }
    w->cdict[fmt][k] = d->len ? ZSTD_createCDict(d->data, d->len, w->level) : NULL;
    if (!w->cdict[fmt][k]) {
        LOGE("wire", "cannot load zstd dictionary %s", path);
        return -1;
    }
    w->dict_id[fmt][k] = ZSTD_getDictID_fromCDict(w->cdict[fmt][k]);
    LOGI("wire", "zstd dictionary %s: %zu bytes, id %u%s", path, d->len, w->dict_id[fmt][k],
         k ? " (previous)" : "");
    return 0;
}

int wire_enc_init(wire_enc *w, const char *dict_dir, int level)
{
    memset(w, 0, sizeof *w);
    w->level = level;
    w->cctx = ZSTD_createCCtx();
    if (!w->cctx)
        abort();
    for (int f = 0; f < WIRE_NFMT; f++)
        for (int k = 0; k < WIRE_NDICT; k++)
            dbuf_init(&w->dict[f][k]);
    dbuf_init(&w->z);
    for (int f = 0; dict_dir && f < WIRE_NFMT; f++)
        for (int k = 0; k < WIRE_NDICT; k++)
            if (load_dict(w, f, k, dict_dir)) {
                wire_enc_free(w);
                return -1;
            }
    return 0;
}

void wire_enc_free(wire_enc *w)
{
    for (int f = 0; f < WIRE_NFMT; f++)
        for (int k = 0; k < WIRE_NDICT; k++) {
            ZSTD_freeCDict(w->cdict[f][k]);
            w->cdict[f][k] = NULL;
            dbuf_free(&w->dict[f][k]);
        }
    ZSTD_freeCCtx(w->cctx);
    w->cctx = NULL;
    dbuf_free(&w->z);
}

int wire_dict_slot(const wire_enc *w, int fmt, unsigned id)
{
    for (int k = 0; id && k < WIRE_NDICT; k++)
        if (w->cdict[fmt][k] && w->dict_id[fmt][k] == id)
            return k;
    return -1;
}

/* ---- JSON --------------------------------------------------------------- */

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

/* ---- protobuf ----------------------------------------------------------- */

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

/* v2: Frame.batch2 (field 4) = Batch2{room, epoch, from_seq, ts_ms,
 * events: CompactEvent{[seq_skip] [dts_ms] compact body}}. */
static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

/* The CompactEvent of evs[i]: its length into *len, delta fields into d. */
typedef struct cdelta { uint64_t skip, dts; } cdelta;

static size_t cev_len(evt *const *evs, size_t i, uint64_t prev_seq, int64_t prev_ts, cdelta *d)
{
    d->skip = evs[i]->seq - prev_seq - 1;
    d->dts = zigzag(evs[i]->ts_ms - prev_ts);
    return (d->skip ? 1 + varint_len(d->skip) : 0) + (d->dts ? 1 + varint_len(d->dts) : 0)
           + evs[i]->cpb_len;
}

static size_t pb2_inner_len(const char *room, const char *epoch, evt *const *evs, size_t n)
{
    uint64_t from = evs[0]->seq;
    size_t inner = pb_bytes_len(strlen(room)) + pb_bytes_len(strlen(epoch)) + 1 + varint_len(from)
                   + 1 + varint_len((uint64_t)evs[0]->ts_ms);
    uint64_t ps = from - 1;
    int64_t pt = evs[0]->ts_ms;
    for (size_t i = 0; i < n; i++) {
        cdelta d;
        inner += pb_bytes_len(cev_len(evs, i, ps, pt, &d));
        ps = evs[i]->seq;
        pt = evs[i]->ts_ms;
    }
    return inner;
}

static void pb2_batch(dbuf *b, const char *room, const char *epoch, evt *const *evs, size_t n)
{
    size_t inner = pb2_inner_len(room, epoch, evs, n);
    dbuf_reserve(b, inner + 16);
    dbuf_putc(b, (char)TAG_LEN(4));            /* Frame.batch2 */
    dbuf_put_varint(b, inner);
    pb_bytes(b, TAG_LEN(1), room, strlen(room));
    pb_bytes(b, TAG_LEN(2), epoch, strlen(epoch));
    dbuf_putc(b, (char)TAG_VARINT(3));         /* Batch2.from_seq */
    dbuf_put_varint(b, evs[0]->seq);
    dbuf_putc(b, (char)TAG_VARINT(4));         /* Batch2.ts_ms (int64) */
    dbuf_put_varint(b, (uint64_t)evs[0]->ts_ms);
    uint64_t ps = evs[0]->seq - 1;
    int64_t pt = evs[0]->ts_ms;
    for (size_t i = 0; i < n; i++) {
        cdelta d;
        dbuf_putc(b, (char)TAG_LEN(5));        /* Batch2.events */
        dbuf_put_varint(b, cev_len(evs, i, ps, pt, &d));
        if (d.skip) {
            dbuf_putc(b, (char)TAG_VARINT(1));
            dbuf_put_varint(b, d.skip);
        }
        if (d.dts) {
            dbuf_putc(b, (char)TAG_VARINT(2));
            dbuf_put_varint(b, d.dts);
        }
        dbuf_append(b, evs[i]->cpb, evs[i]->cpb_len);
        ps = evs[i]->seq;
        pt = evs[i]->ts_ms;
    }
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

/* ---- payloads ------------------------------------------------------------ */

void wire_batch_payload(dbuf *out, int fmt, const char *room, const char *epoch,
                        evt *const *evs, size_t n)
{
    if (fmt == WIRE_JSON)
        json_batch(out, room, epoch, evs, n);
    else if (fmt == WIRE_PB)
        pb_batch(out, room, epoch, evs, n);
    else
        pb2_batch(out, room, epoch, evs, n);
}

void wire_reset_payload(dbuf *b, int fmt, const char *room, const char *epoch,
                        uint64_t from, const char *reason)
{
    if (fmt != WIRE_JSON) {
        pb_reset(b, room, epoch, from, reason);
        return;
    }
    json_head(b, "reset", room);
    jsonw_field_str(b, "epoch", epoch);
    jsonw_field_u64(b, "from_seq", from);
    jsonw_field_str(b, "reason", reason);
    dbuf_putc(b, '}');
}

void wire_gap_payload(dbuf *b, int fmt, const char *room, uint64_t from, uint64_t to,
                      const char *reason)
{
    if (fmt != WIRE_JSON) {
        pb_gap(b, room, from, to, reason);
        return;
    }
    json_head(b, "gap", room);
    jsonw_field_u64(b, "from_seq", from);
    jsonw_field_u64(b, "to_seq", to);
    jsonw_field_str(b, "reason", reason);
    dbuf_putc(b, '}');
}

/* ---- compression and framing --------------------------------------------- */

/* Compresses p[0..n) into w->z with the format's dictionary in slot k (the
 * current one when slot k is empty; none when there is no current one). */
static size_t compress(wire_enc *w, int fmt, int k, const void *p, size_t n)
{
    size_t cap = ZSTD_compressBound(n);
    dbuf_reset(&w->z);
    dbuf_reserve(&w->z, cap);
    void *cd = w->cdict[fmt][k] ? w->cdict[fmt][k] : w->cdict[fmt][0];
    size_t r = cd ? ZSTD_compress_usingCDict(w->cctx, w->z.data, cap, p, n, cd)
                  : ZSTD_compressCCtx(w->cctx, w->z.data, cap, p, n, w->level);
    if (ZSTD_isError(r)) {   /* cannot happen with a compressBound buffer */
        LOGE("wire", "zstd: %s", ZSTD_getErrorName(r));
        abort();
    }
    w->z.len = r;
    return r;
}

size_t wire_seal(wire_enc *w, int fmt, int zstd, const void *p, size_t n,
                 uint8_t hdr[WIRE_HDR_MAX], const void **body, size_t *body_len)
{
    if (zstd) {
        *body_len = compress(w, fmt, zstd > WIRE_NDICT ? 0 : zstd - 1, p, n);
        *body = w->z.data;
    } else {
        *body_len = n;
        *body = p;
    }
    int op = fmt == WIRE_JSON && !zstd ? WS_OP_TEXT : WS_OP_BINARY;
    return ws_frame_header(hdr, 1, op, *body_len, NULL);
}

void wire_frame_append(wire_enc *w, dbuf *out, int fmt, int zstd, const void *p, size_t n)
{
    uint8_t hdr[WIRE_HDR_MAX];
    const void *body;
    size_t bl;
    size_t hl = wire_seal(w, fmt, zstd, p, n, hdr, &body, &bl);
    dbuf_append(out, hdr, hl);
    dbuf_append(out, body, bl);
}

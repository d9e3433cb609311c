/* wire.h — the delivery wire contract, encoded in this one place: the
 * payloads the edge sends a viewer (batch, reset, gap; JSON or protobuf
 * danmaku.Frame, docs/PROTOCOL.md §2-§3), their zstd compression with the
 * format's trained dictionary (§4) and the unmasked WebSocket frame around
 * them. The edge (edge/batch.c) and danmaku-bench's frame builder
 * (bench/bench_enc.c: dictionary training, --wire-size, --frames) both call
 * it, so they produce the same bytes for the same events and batches. */
#ifndef DM_WIRE_H
#define DM_WIRE_H
#include <stddef.h>
#include <stdint.h>
#include "dbuf.h"
#include "evt.h"

/* The formats: JSON, protobuf v1 (Frame.batch: the stored events as they
 * are), protobuf v2 (Frame.batch2: CompactEvents, seq/ts_ms delta-coded;
 * format=pb&v=2). Each has its own dictionary. */
enum wire_fmt { WIRE_JSON = 0, WIRE_PB = 1, WIRE_PB2 = 2 };
#define WIRE_NFMT 3
#define WIRE_HDR_MAX 14      /* longest server WebSocket frame header */

/* Dictionary slots per format: 0 the current dictionary (dict_dir/NAME),
 * 1 the previous one (dict_dir/previous/NAME), still served to clients that
 * cached it and ask for it by ID (?zdict=ID) while a new one rolls out. */
#define WIRE_NDICT 2
#define WIRE_PREV_DIR "previous"

/* The compressor side: one ZSTD_CCtx and, per format, the dictionaries. */
typedef struct wire_enc {
    void *cctx;                          /* ZSTD_CCtx* */
    void *cdict[WIRE_NFMT][WIRE_NDICT];  /* ZSTD_CDict*, NULL = empty slot */
    unsigned dict_id[WIRE_NFMT][WIRE_NDICT];
    dbuf dict[WIRE_NFMT][WIRE_NDICT];    /* the raw dictionary files (len 0: none) */
    int level;
    dbuf z;                              /* scratch: compressed payload */
} wire_enc;

/* File name of a format's dictionary: "danmaku-json.zdict", "danmaku-pb.zdict",
 * "danmaku-pb2.zdict". */
const char *wire_dict_name(int fmt);
/* Creates the zstd context and loads every format's dictionaries from
 * dict_dir and dict_dir/previous (NULL: none; a missing current file: plain
 * zstd for that format, dictID 0). Returns 0, or -1 (logged) if a present
 * dictionary cannot be loaded. */
int wire_enc_init(wire_enc *w, const char *dict_dir, int level);
void wire_enc_free(wire_enc *w);
/* The slot holding format fmt's dictionary with this ID, or -1 (also for 0). */
int wire_dict_slot(const wire_enc *w, int fmt, unsigned id);

/* Payloads, appended to out (uncompressed, unframed).
 * A batch of evs[0..n) (seq-ordered, n >= 1): JSON joins the events'
 * rendered objects, protobuf v1 concatenates their stored bytes as
 * Batch.events inside Frame.batch (no re-encoding), v2 their compact bodies
 * as Batch2.events inside Frame.batch2, each preceded by its seq_skip and
 * dts_ms when not 0. */
void wire_batch_payload(dbuf *out, int fmt, const char *room, const char *epoch,
                        evt *const *evs, size_t n);
/* {"type":"reset",...} / Frame.reset (both protobuf versions).
 * reason: "trimmed" | "epoch_changed". */
void wire_reset_payload(dbuf *out, int fmt, const char *room, const char *epoch,
                        uint64_t from_seq, const char *reason);
/* {"type":"gap",...} / Frame.gap for seqs from..to (inclusive). */
void wire_gap_payload(dbuf *out, int fmt, const char *room, uint64_t from_seq,
                      uint64_t to_seq, const char *reason);

/* Seals payload p[0..n) into a frame: writes the WebSocket header into hdr
 * and returns its length; *body and *body_len are the bytes that follow it (p
 * itself, or with zstd its compression, owned by w and valid until the next
 * call on w). zstd: 0 none, k >= 1 with the dictionary in slot k - 1 (the
 * current one if that slot is empty). Text frame for uncompressed JSON,
 * binary otherwise. */
size_t wire_seal(wire_enc *w, int fmt, int zstd, const void *p, size_t n,
                 uint8_t hdr[WIRE_HDR_MAX], const void **body, size_t *body_len);
/* wire_seal, with header and body appended to out. */
void wire_frame_append(wire_enc *w, dbuf *out, int fmt, int zstd, const void *p, size_t n);

#endif

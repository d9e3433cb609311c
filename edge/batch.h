/* batch.h — the edge's frames: whole WebSocket frames (header included:
 * server frames are unmasked, so the same bytes go to every viewer) for a
 * batch, a reset or a gap, in one of the variants (json|pb|pb v2 x none|
 * zstd with the current dictionary|zstd with the previous one),
 * each encoded and compressed once by common/wire.h into an rbuf that callers
 * attach to many viewers by reference; plus the degraded form of a batch for
 * slow viewers. */
#ifndef DM_BATCH_H
#define DM_BATCH_H
#include <stddef.h>
#include <stdint.h>
#include "dbuf.h"
#include "evt.h"
#include "rbuf.h"
#include "wire.h"

enum { BATCH_JSON = WIRE_JSON, BATCH_PB = WIRE_PB, BATCH_PB2 = WIRE_PB2 };
/* zstd values: 0 none, 1 + k the dictionary in slot k (common/wire.h). */
#define BATCH_NZ (1 + WIRE_NDICT)
/* A variant index: fmt * BATCH_NZ + zstd. */
#define BATCH_VARIANT(fmt, z) ((fmt) * BATCH_NZ + (z))
#define BATCH_NVARIANTS (WIRE_NFMT * BATCH_NZ)

typedef struct batch_ctx {
    wire_enc enc;
    unsigned dict_id[WIRE_NFMT];     /* the current dictionaries' IDs (0: none) */
    rbuf *dict_bytes[WIRE_NFMT];     /* the current raw dictionary files, served to clients */
    rbuf *dict_slot[WIRE_NFMT][WIRE_NDICT];   /* every slot's file (NULL: empty) */
    dbuf pay;                /* scratch: uncompressed payload */
    dbuf out;                /* scratch: several frames */
} batch_ctx;

/* Creates the encoder and loads danmaku-{json,pb,pb2}.zdict from dict_dir when present (missing files: plain zstd, dictID 0).
 * Returns 0, or -1 if a present dictionary cannot be loaded. */
int batch_ctx_init(batch_ctx *c, const char *dict_dir, int level);
void batch_ctx_free(batch_ctx *c);

/* The zstd value for a viewer of format fmt that has the dictionary with ID
 * want (?zdict=ID; 0: none): 1 + its slot when this edge holds it, else 1
 * (the current dictionary, which the viewer then fetches). */
int batch_zstd_for(const batch_ctx *c, int fmt, unsigned want);
/* The dictionary file with this ID (any format, any slot), or NULL. */
rbuf *batch_dict_by_id(const batch_ctx *c, unsigned id);

/* Reads a viewer's format=json|pb (default json), v=1|2 (default 1; 2 only
 * changes pb), compress=none|zstd (default none) and zdict=ID (the
 * dictionary it holds, decimal) from the URL query q[0..ql) into *fmt and
 * *zstd (a variant's zstd value, see batch_zstd_for). Returns 0, or -1 if a
 * value is not one of those. */
int batch_query_variant(const batch_ctx *c, const char *q, size_t ql, int *fmt, int *zstd);
/* The dictionary a GET /v1/zstd-dict query names: id=ID (any format, any
 * slot), else format=json|pb&v=1|2 (the current one). NULL when there is
 * none; *bad = 1 when the query is malformed (then NULL too). */
rbuf *batch_query_dict(const batch_ctx *c, const char *q, size_t ql, int *bad);

/* One batch frame holding evs[0..n) (seq-ordered, n >= 1). refs = 1. */
rbuf *batch_frame(batch_ctx *c, int fmt, int zstd, const char *room, const char *epoch,
                  evt *const *evs, size_t n);
/* {"type":"reset",...} / Frame.reset. reason: "trimmed" | "epoch_changed". */
rbuf *batch_reset_frame(batch_ctx *c, int fmt, int zstd, const char *room, const char *epoch,
                        uint64_t from_seq, const char *reason);
/* {"type":"gap",...} / Frame.gap for seqs from..to (inclusive). */
rbuf *batch_gap_frame(batch_ctx *c, int fmt, int zstd, const char *room,
                      uint64_t from_seq, uint64_t to_seq, const char *reason);
/* The degraded form of a batch for slow viewers: runs of comments become
 * gap frames (reason "slow"), runs of other events (gifts, likes) batch
 * frames; all frames concatenated in seq order into one rbuf. *ngaps gets
 * the number of gap frames. */
rbuf *batch_degraded(batch_ctx *c, int fmt, int zstd, const char *room, const char *epoch,
                     evt *const *evs, size_t n, unsigned *ngaps);

#endif

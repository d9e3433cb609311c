/* bench_enc.h — the bench's frame builder: turns generated events (bev) into
 * the bytes the edge would send for them. It builds each event's stored
 * bytes as the broadcaster and the sequencer store them (broadcaster/
 * bc_decode.c's field order, then seq and ts_ms appended as seq.lua does),
 * then hands them to the edge's own encoder (common/evt.h, common/wire.h):
 * the bench has no JSON or batch encoder of its own. Used for dictionary
 * training, --wire-size and --frames; not on the load-test path. */
#ifndef BENCH_ENC_H
#define BENCH_ENC_H
#include <stddef.h>
#include <stdint.h>
#include "dbuf.h"
#include "evt.h"
#include "wire.h"

enum bev_kind { BEV_COMMENT = 0, BEV_GIFT = 1, BEV_LIKE = 2 };

typedef struct bev {
    int kind;
    uint64_t seq;
    int64_t ts_ms;
    const char *user_id, *nick, *client_msg_id;   /* nick/cmid may be NULL */
    /* comment */
    const char *text; size_t text_len;
    uint32_t color, size;
    int mode;                 /* 0 scroll, 1 top, 2 bottom */
    /* gift / like */
    const char *gift_id, *gift_name;
    uint32_t count;
    uint64_t unit_value;
    /* moderation verdict (comments): flags in the broadcaster's order
     * ("masked", "keyword", "contact"), risk ("contact") or NULL */
    const char *const *flags; size_t nflags;
    const char *risk;
} bev;

/* Appends the event's bytes as stored in the room's Redis stream. */
void benc_stored(dbuf *out, const bev *e);
/* The delivered event for e (refs = 1; release with evt_unref). */
evt *benc_evt(const bev *e);

/* A builder: the edge's encoder plus scratch space. */
typedef struct benc {
    wire_enc enc;            /* dictionaries as the edge loads them */
    evt **evs; size_t cap;
    dbuf pay;
} benc;

/* dict_dir: where the dictionaries are (NULL: none); level: zstd level.
 * Returns 0, or -1 if a present dictionary cannot be loaded. */
int benc_init(benc *b, const char *dict_dir, int level);
void benc_free(benc *b);
/* The uncompressed batch payload for ev[0..n) (n >= 1), appended to out. */
void benc_payload(benc *b, dbuf *out, int fmt, const char *room, const char *epoch,
                  const bev *ev, size_t n);
/* The whole WebSocket frame the edge sends for that batch (fmt, zstd),
 * appended to out. */
void benc_frame(benc *b, dbuf *out, int fmt, int zstd, const char *room, const char *epoch,
                const bev *ev, size_t n);
/* The JSON batch payload (uncompressed, no frame header) for ev[0..n),
 * appended to out: what the peer targets (Redis, Nchan) carry. Uses one
 * process-wide builder without dictionaries, made on first use. */
void benc_json_batch(dbuf *out, const char *room, const char *epoch, const bev *ev, size_t n);

#endif

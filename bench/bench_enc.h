/* bench_enc.h — encodes batches of room events exactly as the edge sends them
 * (JSON "batch" object or protobuf danmaku.Frame), for training the zstd
 * dictionaries and for the wire-size scenario. Not used on the live path. */
#ifndef BENCH_ENC_H
#define BENCH_ENC_H
#include <stddef.h>
#include <stdint.h>
#include "dbuf.h"

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
} bev;

/* Appends {"type":"batch","room":..,"epoch":..,"from_seq":..,"to_seq":..,
 * "events":[...]} for ev[0..n) (n >= 1) to out, field order as the edge. */
void benc_json_batch(dbuf *out, const char *room, const char *epoch, const bev *ev, size_t n);
/* Appends the packed protobuf danmaku.Frame{batch} for ev[0..n) to out. */
void benc_pb_batch(dbuf *out, const char *room, const char *epoch, const bev *ev, size_t n);
/* "scroll" | "top" | "bottom" for a protobuf mode value. */
const char *benc_mode_name(int mode);

#endif

/* evt.h — one room event as it is delivered: the protobuf Event bytes
 * exactly as stored in Redis (for format=pb, concatenated without
 * re-encoding), its JSON object rendered once (for format=json) and its
 * compact protobuf body (for format=pb&v=2): the one rendering of an event in
 * docs/PROTOCOL.md §2-§3. Ref-counted: held by an edge
 * room's ring and by in-flight frames' builders; the bench builds its frames
 * from the same objects (common/wire.h). */
#ifndef DM_EVT_H
#define DM_EVT_H
#include <stddef.h>
#include <stdint.h>
#include "dbuf.h"

enum evt_kind { EVT_UNKNOWN = 0, EVT_COMMENT = 1, EVT_GIFT = 2, EVT_LIKE = 3 };

typedef struct evt {
    int refs;
    int kind;
    uint64_t seq;
    int64_t ts_ms;        /* sequencer time (0 if unknown) */
    uint32_t pb_len;
    uint32_t json_len;
    uint32_t cpb_len;
    char *json;           /* points into data, after the pb bytes */
    uint8_t *cpb;         /* the CompactEvent body for v=2 (fields 3.., without
                           * seq_skip/dts_ms, which depend on the batch): after json */
    uint8_t data[];       /* pb bytes, then json bytes + NUL, then cpb bytes */
} evt;

/* Builds an event from protobuf Event bytes. seq is the Event's seq field
 * when set, else seq_hint (the stream entry ID); 0 hint means "must be in
 * the bytes". Returns NULL if the bytes do not decode and seq_hint is 0, or
 * if no seq is known. Undecodable bytes with a hint give kind EVT_UNKNOWN.
 * refs = 1. */
evt *evt_new(const uint8_t *pb, size_t len, uint64_t seq_hint);
static inline evt *evt_ref(evt *e) { e->refs++; return e; }
void evt_unref(evt *e);

/* Renders the JSON object of an already unpacked Event into b (exposed for
 * tests). */
struct Danmaku__Event;
void evt_render_json(dbuf *b, const struct Danmaku__Event *ev, uint64_t seq);
/* Appends the v=2 CompactEvent body of an unpacked Event to b: user_id,
 * nick, the body with default-valued fields omitted, flags, risk; no
 * client_msg_id, seq or ts_ms (exposed for tests). */
void evt_render_compact(dbuf *b, const struct Danmaku__Event *ev);

#endif

/* evt.h — one room event as it is delivered: the protobuf Event bytes
 * exactly as stored in Redis (for format=pb, concatenated without
 * re-encoding) and its JSON object rendered once (for format=json), the one
 * rendering of an event in docs/PROTOCOL.md §2. Ref-counted: held by an edge
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
    uint32_t pb_len;
    uint32_t json_len;
    char *json;           /* points into data, after the pb bytes */
    uint8_t data[];       /* pb bytes, then json bytes */
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

#endif

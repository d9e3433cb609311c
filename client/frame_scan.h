/* frame_scan.h — cheap decoding of edge WebSocket messages for the viewers:
 * only what the bench needs (frame type, from/to, each event's seq, kind and
 * the send time in our client_msg_id "b<runid>-<n>-<send_us>"), by scanning
 * the JSON text or walking the protobuf wire format, after zstd
 * decompression when the message starts with the zstd magic. A per-process
 * cache keyed by the exact message bytes lets the many viewers of a room
 * that receive the same frame share one decode. Full validation is
 * frame_dec's job (client/frame_dec.h). Part of the client library
 * (libdmclient.a); zstd through client/zdec.h. */
#ifndef DM_FRAME_SCAN_H
#define DM_FRAME_SCAN_H
#include <stddef.h>
#include <stdint.h>

enum scan_type { SCAN_OTHER = 0, SCAN_BATCH = 1, SCAN_RESET = 2, SCAN_GAP = 3 };
enum scan_kind { SK_COMMENT = 0, SK_GIFT = 1, SK_LIKE = 2, SK_NKINDS = 3 };

typedef struct scan_ev {
    uint64_t seq;
    int64_t send_us;     /* from our client_msg_id; -1 when not ours */
    int64_t ts_ms;       /* sequencer time (Redis TIME), 0 if absent */
    uint8_t kind;
} scan_ev;

typedef struct scan_frame {
    int type;            /* enum scan_type */
    uint64_t from, to;   /* batch/gap: from_seq..to_seq; reset: from_seq */
    size_t nev, cap;
    scan_ev *ev;
} scan_frame;

void scan_frame_free(scan_frame *f);
/* Scans one JSON message (text). Returns 0, or -1 if it is not a
 * recognizable edge frame. prefix: our client_msg_id prefix ("b1234-"). */
int scan_json(const uint8_t *p, size_t n, const char *prefix, scan_frame *out);
/* Walks one protobuf danmaku.Frame, v1 (batch) or v2 (batch2: seqs and
 * ts_ms summed from the deltas; v2 carries no client_msg_id, so send_us is
 * -1). 0 / -1 (malformed). */
int scan_pb(const uint8_t *p, size_t n, const char *prefix, scan_frame *out);
/* Parses "b<runid>-<n>-<send_us>" if it starts with prefix: send_us or -1. */
int64_t scan_cmid(const char *s, size_t n, const char *prefix);

/* The decoder with its cache: one per process. */
typedef struct scan_ctx scan_ctx;
/* format: 0 json, 1 pb, 2 pb v2; dict_dir: where danmaku-<fmt>.zdict lives (may be
 * NULL: compressed frames that need a dictionary then fail). */
scan_ctx *scan_ctx_new(int format, const char *dict_dir, const char *prefix, size_t cache_slots);
void scan_ctx_free(scan_ctx *c);
/* Decodes a whole message (decompressing if needed). The result is owned
 * by the context and valid until the next call. NULL if undecodable. */
const scan_frame *scan_decode(scan_ctx *c, const uint8_t *msg, size_t len);
/* Counters: cache hits / misses / decode errors. */
void scan_stats(const scan_ctx *c, uint64_t *hits, uint64_t *misses, uint64_t *errors);

#endif

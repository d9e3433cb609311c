/* frame_dec.h — client-side decoding of edge WebSocket messages (every
 * format: JSON text, JSON+zstd, protobuf, protobuf+zstd with or without the
 * trained dictionary) into one shape, a protobuf-c danmaku.Frame. Part of the
 * client library (client/, libdmclient.a): used by danmaku-watch, the bench's
 * checks and the tests; the servers never decode. */
#ifndef DM_FRAME_DEC_H
#define DM_FRAME_DEC_H
#include <stddef.h>
#include <stdint.h>
#include "danmaku.pb-c.h"
#include "dbuf.h"
#include "zdec.h"

/* The formats a viewer asks for: format=json, format=pb, format=pb&v=2. */
enum dm_format { DM_FMT_JSON = 0, DM_FMT_PB = 1, DM_FMT_PB2 = 2 };

typedef struct frame_dec {
    zdec z;            /* the dictionaries loaded, by dictID */
    dbuf plain;        /* scratch: the decompressed message */
} frame_dec;

void frame_dec_init(frame_dec *d);
void frame_dec_free(frame_dec *d);
/* Adds a zstd dictionary (bytes as served by the edge at
 * GET /v1/zstd-dict?format=json|pb, or the file in proto/zdict/); frames
 * pick theirs by dictID, whatever the format. 0 / -1 (empty). */
int frame_dec_set_dict(frame_dec *d, int format, const void *dict, size_t len);
/* Loads danmaku-<json|pb>.zdict from dir (e.g. proto/zdict) if present:
 * 0 when loaded or when the file does not exist (nothing loaded: frames are
 * then expected with dictID 0), -1 if unreadable or not a dictionary.
 * A frame whose dictID matches no loaded dictionary fails to decode. */
int frame_dec_load_dict_file(frame_dec *d, int format, const char *dir);

/* Decodes one whole WebSocket message: JSON text (or zstd-compressed JSON)
 * or a protobuf Frame (or zstd-compressed). Returns a Frame to be released
 * with frame_dec_release(), or NULL with a reason in err. For JSON the
 * "type" decides the oneof (batch/reset/gap) and every event field is
 * mapped to the protobuf Event fields. A v2 Frame.batch2 (any protobuf
 * format) comes back as the equivalent Frame.batch: seq and ts_ms summed
 * from the deltas, omitted defaults made explicit (no client_msg_id). */
Danmaku__Frame *frame_dec_decode(frame_dec *d, int format, int compressed,
                                 const uint8_t *msg, size_t len,
                                 char *err, size_t err_size);
void frame_dec_release(Danmaku__Frame *f);

#endif

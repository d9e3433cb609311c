/* fuzz_pb.c — libFuzzer target for the protobuf decoders: every message of
 * proto/danmaku.proto that crosses a trust boundary (ingest requests, stored
 * events, delivered frames/batches), and the client-side frame decoder
 * (common/frame_dec.h) in protobuf and JSON, plain and zstd. */
#include "danmaku.pb-c.h"
#include "frame_dec.h"
#include <stdlib.h>
#include <string.h>

#define TRY(type, fn) do { type *m = fn##__unpack(NULL, size, data); \
    if (m) fn##__free_unpacked(m, NULL); } while (0)

static frame_dec dec;
static int dec_ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    TRY(Danmaku__Event, danmaku__event);
    TRY(Danmaku__CommentRequest, danmaku__comment_request);
    TRY(Danmaku__GiftRequest, danmaku__gift_request);
    TRY(Danmaku__LikeRequest, danmaku__like_request);
    TRY(Danmaku__Frame, danmaku__frame);
    TRY(Danmaku__Batch, danmaku__batch);
    if (!dec_ready) { frame_dec_init(&dec); dec_ready = 1; }
    if (size == 0) return 0;
    int format = data[0] & 1, compressed = (data[0] >> 1) & 1;
    uint8_t *msg = malloc(size - 1 ? size - 1 : 1);
    memcpy(msg, data + 1, size - 1);
    char err[128];
    Danmaku__Frame *f = frame_dec_decode(&dec, format, compressed, msg, size - 1, err, sizeof err);
    if (f) frame_dec_release(f);
    free(msg);
    return 0;
}

/* fuzz_bc_decode.c — libFuzzer target for the ingest body decoder
 * (broadcaster/bc_decode.h): JSON and protobuf bodies of every kind; an
 * accepted body must re-decode as a danmaku.Event. The first input byte
 * picks the kind and content type. */
#include "../broadcaster/bc_decode.h"
#include "danmaku.pb-c.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    int kind = data[0] % 3, ctype = (data[0] >> 2) & 1;
    char *body = malloc(size - 1 ? size - 1 : 1);
    memcpy(body, data + 1, size - 1);
    bc_limits lim = { .max_text_cps = 1000 };
    bc_event ev;
    bc_err err;
    bc_event_init(&ev);
    if (bc_decode(kind, ctype, body, size - 1, &lim, &ev, &err) == 0) {
        Danmaku__Event *e = danmaku__event__unpack(NULL, ev.pb.len, (const uint8_t *)ev.pb.data);
        if (!e) abort();
        danmaku__event__free_unpacked(e, NULL);
    } else if (err.status < 400 || err.status > 499 || !err.code) {
        abort();
    }
    bc_event_free(&ev);
    free(body);
    return 0;
}

/* zdec.h — client-side zstd for edge messages: one ZSTD_DCtx and a set of
 * dictionaries keyed by their dictID (the bytes the edge serves at
 * GET /v1/zstd-dict, or the files in proto/zdict). Each message is one whole
 * zstd frame; the dictionary is the one its frame header names. */
#ifndef DM_ZDEC_H
#define DM_ZDEC_H
#include <stddef.h>
#include <stdint.h>
#include "dbuf.h"

#define ZDEC_MAX_DICTS 8
#define ZDEC_MAX_OUT (64u << 20)   /* larger decompressed messages are refused */

typedef struct zdec {
    void *dctx;                    /* ZSTD_DCtx* */
    struct { unsigned id; void *dd; } d[ZDEC_MAX_DICTS];   /* dd: ZSTD_DDict* */
    size_t n;
} zdec;

void zdec_init(zdec *z);
void zdec_free(zdec *z);
/* Adds a dictionary (one with the same ID is replaced; past ZDEC_MAX_DICTS
 * the oldest goes). Bytes that are not a zstd dictionary become a
 * raw-content dictionary with ID 0, used for frames naming no dictionary.
 * Returns the dictionary's ID (>= 0), or -1 for empty input. */
long zdec_add(zdec *z, const void *dict, size_t len);
/* Adds the dictionary file at path: 1 when added, 0 when the file does not
 * exist, -1 if unreadable or empty. */
int zdec_add_file(zdec *z, const char *path);
/* 1 if a dictionary with this ID is loaded. */
int zdec_has(const zdec *z, unsigned id);
/* Decompresses msg[0..len), exactly one zstd frame, into out (replacing
 * its contents). Returns 0, or -1 with a reason in err ("unknown
 * dictionary id N", truncated, trailing bytes, too large, corrupt). */
int zdec_decompress(zdec *z, const uint8_t *msg, size_t len, dbuf *out, char *err, size_t es);

#endif

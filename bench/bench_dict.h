/* bench_dict.h — trains the zstd dictionaries for both edge formats from the
 * natural corpus (held-out videos excluded), and measures wire size per
 * delivered comment (scenario S6) on a corpus or its held-out videos. */
#ifndef BENCH_DICT_H
#define BENCH_DICT_H
#include <stddef.h>
#include <stdio.h>
#include "bench_corpus.h"

/* Builds training batches (1..50 events, both formats) from every video not
 * in corpus_heldout, trains dict_size-byte dictionaries and writes
 * out_dir/danmaku-json.zdict and out_dir/danmaku-pb.zdict. Prints provenance
 * to log. Returns 0, or -1 (message on log). */
int bdict_train(const corpus *c, const char *out_dir, size_t dict_size, FILE *log);

/* Per format/codec result of the wire-size scenario. */
typedef struct wire_row {
    const char *name;      /* "json", "pb+zstd+dict", ... */
    size_t batch;          /* events per batch */
    double bytes_per_event;/* WebSocket frame bytes (header + payload) / events */
    double ratio_vs_json;  /* json bytes / these bytes */
    double us_per_frame;   /* CPU to compress and frame one batch, µs (-1: gzip, not timed) */
} wire_row;

#define WIRE_MAX_ROWS 64

typedef struct wire_opts {
    const char *dict_dir;  /* the dictionaries measured as +zstd+dict */
    int zlevel;            /* zstd level */
    int heldout_only;      /* 1: only the corpus's held-out videos */
} wire_opts;

/* Measures bytes per delivered comment (frames exactly as the edge builds
 * them, common/wire.h) on every video of c, or its held-out videos, at
 * batches of 1, 10 and 50, for json, json+zstd, json+zstd+dict, json+gzip,
 * pb, pb+zstd, pb+zstd+dict, pb+gzip (gzip -6 through the gzip program, its
 * 18-byte member header/trailer excluded). Says on log which videos and how
 * many messages it measures. Fills rows (returns the count), or -1 with a
 * message on log: nothing selected, dictionaries unreadable. */
int bwire_measure(const corpus *c, const wire_opts *o, wire_row *rows, size_t max_rows, FILE *log);

#endif

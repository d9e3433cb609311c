/* main.c — danmaku-bench entry point: parses the command line and runs one
 * mode (load test, --train-dict, --wire-size, --raw-baseline). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_corpus.h"
#include "bench_dict.h"
#include "log.h"

#define DEFAULT_CORPUS "../shared/data/danmaku/bilibili_video_danmaku.jsonl"

static int load_corpus(corpus *c, const char *path)
{
    char err[256]; size_t skipped = 0;
    if (corpus_load(c, path, &skipped, err, sizeof err) < 0) {
        fprintf(stderr, "danmaku-bench: %s\n", err);
        return -1;
    }
    fprintf(stderr, "corpus %s: %zu messages, %zu videos, %zu lines skipped\n",
            path, c->nmsgs, c->nvideos, skipped);
    return 0;
}

static int run_train(const char *corpus_path, const char *out_dir)
{
    corpus c;
    if (load_corpus(&c, corpus_path) < 0) return 2;
    int rc = bdict_train(&c, out_dir, 16384, stdout);
    corpus_free(&c);
    return rc ? 1 : 0;
}

static int run_wire(const char *corpus_path, const char *dict_dir)
{
    corpus c;
    if (load_corpus(&c, corpus_path) < 0) return 2;
    wire_row rows[WIRE_MAX_ROWS];
    int n = bwire_measure(&c, dict_dir, 3, rows, WIRE_MAX_ROWS, stderr);
    corpus_free(&c);
    if (n < 0) return 1;
    printf("%-16s %6s %14s %10s\n", "format", "batch", "bytes/comment", "json/this");
    for (int i = 0; i < n; i++)
        printf("%-16s %6zu %14.1f %10.2f\n", rows[i].name, rows[i].batch,
               rows[i].bytes_per_event, rows[i].ratio_vs_json);
    return 0;
}

int main(int argc, char **argv)
{
    const char *corpus_path = DEFAULT_CORPUS, *out_dir = "proto/zdict", *dict_dir = DM_SHARE_DIR;
    int train = 0, wire = 0;
    log_init("danmaku-bench", LOG_INFO);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--train-dict")) train = 1;
        else if (!strcmp(argv[i], "--wire-size")) wire = 1;
        else if (!strcmp(argv[i], "--corpus") && i + 1 < argc) corpus_path = argv[++i];
        else if (!strcmp(argv[i], "--out-dir") && i + 1 < argc) out_dir = argv[++i];
        else if (!strcmp(argv[i], "--dict-dir") && i + 1 < argc) dict_dir = argv[++i];
    }
    if (train) return run_train(corpus_path, out_dir);
    if (wire) return run_wire(corpus_path, dict_dir);
    fprintf(stderr, "usage: danmaku-bench --train-dict|--wire-size ...\n");
    return 2;
}

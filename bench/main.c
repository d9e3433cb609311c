/* main.c — danmaku-bench entry point: parses the command line and runs one
 * mode (load test, --train-dict, --wire-size, --frames, --raw-baseline). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_corpus.h"
#include "bench_cfg.h"
#include "bench_dict.h"
#include "bench_frames.h"
#include "bench_raw.h"
#include "bench_run.h"
#include "log.h"
#include "wire.h"

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

static int run_train(const char *corpus_path, const char *out_dir, size_t dict_size)
{
    corpus c;
    if (dict_size < 1024 || dict_size > (1u << 20)) {
        fprintf(stderr, "danmaku-bench: --dict-size must be 1024..1048576\n");
        return 2;
    }
    if (load_corpus(&c, corpus_path) < 0) return 2;
    int rc = bdict_train(&c, out_dir, dict_size, stdout);
    corpus_free(&c);
    return rc ? 1 : 0;
}

static int run_wire(const char *corpus_path, const wire_opts *o)
{
    corpus c;
    if (load_corpus(&c, corpus_path) < 0) return 2;
    wire_row rows[WIRE_MAX_ROWS];
    int n = bwire_measure(&c, o, rows, WIRE_MAX_ROWS, stderr);
    corpus_free(&c);
    if (n < 0) return 1;
    printf("%-16s %6s %14s %10s %12s\n", "format", "batch", "bytes/comment", "json/this", "us/frame");
    for (int i = 0; i < n; i++) {
        printf("%-16s %6zu %14.1f %10.2f", rows[i].name, rows[i].batch,
               rows[i].bytes_per_event, rows[i].ratio_vs_json);
        if (rows[i].us_per_frame >= 0) printf(" %12.1f\n", rows[i].us_per_frame);
        else printf(" %12s\n", "-");
    }
    return 0;
}

static int has_flag(int argc, char **argv, const char *f)
{
    for (int i = 1; i < argc; i++) if (!strcmp(argv[i], f)) return 1;
    return 0;
}

static const char *opt_val(int argc, char **argv, const char *o, const char *def)
{
    for (int i = 1; i + 1 < argc; i++) if (!strcmp(argv[i], o)) return argv[i + 1];
    return def;
}

int main(int argc, char **argv)
{
    log_init("danmaku-bench", LOG_WARN);
    if (argc < 2 || has_flag(argc, argv, "--help") || has_flag(argc, argv, "-h")) {
        cfg_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *corpus_path = opt_val(argc, argv, "--corpus", DEFAULT_CORPUS);
    if (has_flag(argc, argv, "--train-dict"))
        return run_train(corpus_path, opt_val(argc, argv, "--out-dir", "proto/zdict"),
                         (size_t)atol(opt_val(argc, argv, "--dict-size", "65536")));
    if (has_flag(argc, argv, "--wire-size")) {
        wire_opts o = { opt_val(argc, argv, "--dict-dir", DM_SHARE_DIR),
                        atoi(opt_val(argc, argv, "--zstd-level", "3")),
                        has_flag(argc, argv, "--heldout") };
        return run_wire(corpus_path, &o);
    }
    if (has_flag(argc, argv, "--frames")) {
        const char *path = opt_val(argc, argv, "--frames", "-");
        FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
        if (!in) { fprintf(stderr, "danmaku-bench: cannot open %s\n", path); return 2; }
        const char *fmt = opt_val(argc, argv, "--format", "json");
        int rc = bframes_run(in, stdout, !strcmp(fmt, "pb2") ? WIRE_PB2 : !strcmp(fmt, "pb") ? WIRE_PB : WIRE_JSON,
                             !strcmp(opt_val(argc, argv, "--compress", "none"), "zstd"),
                             opt_val(argc, argv, "--dict-dir", DM_SHARE_DIR),
                             atoi(opt_val(argc, argv, "--zstd-level", "3")), stderr);
        if (in != stdin) fclose(in);
        return rc ? 1 : 0;
    }
    if (has_flag(argc, argv, "--raw-baseline")) {
        raw_cfg rc;
        if (raw_parse(&rc, argc, argv) < 0) { fprintf(stderr, "danmaku-bench: bad --raw-baseline option\n"); return 2; }
        return raw_run(&rc);
    }
    bench_cfg c;
    char err[256];
    cfg_defaults(&c);
    if (cfg_parse(&c, argc, argv, err, sizeof err) < 0) {
        fprintf(stderr, "danmaku-bench: %s (see --help)\n", err);
        return 2;
    }
    return bench_run(&c);
}

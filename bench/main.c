/* main.c — danmaku-bench entry point: parses the command line and runs one
 * mode (load test, --train-dict, --wire-size, --raw-baseline). */
#include <stdio.h>
#include "bench_corpus.h"
#include "bench_cfg.h"
#include "bench_dict.h"
#include "bench_raw.h"
#include "bench_run.h"
#include "log.h"

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

static int run_wire(const char *corpus_path, const char *dict_dir, int level)
{
    corpus c;
    if (load_corpus(&c, corpus_path) < 0) return 2;
    wire_row rows[WIRE_MAX_ROWS];
    int n = bwire_measure(&c, dict_dir, level, rows, WIRE_MAX_ROWS, stderr);
    corpus_free(&c);
    if (n < 0) return 1;
    printf("%-16s %6s %14s %10s\n", "format", "batch", "bytes/comment", "json/this");
    for (int i = 0; i < n; i++)
        printf("%-16s %6zu %14.1f %10.2f\n", rows[i].name, rows[i].batch,
               rows[i].bytes_per_event, rows[i].ratio_vs_json);
    return 0;
}

/* The --raw-baseline settings from the one option table. */
static int run_raw(const bench_cfg *c)
{
    raw_cfg rc = { .conns = c->conns, .frame_bytes = c->frame_bytes, .duration = c->duration,
                   .round_rate = c->round_rate, .procs = c->procs, .writers = c->writers };
    snprintf(rc.json_out, sizeof rc.json_out, "%s", c->json_out);
    snprintf(rc.label, sizeof rc.label, "%s", c->label);
    return raw_run(&rc);
}

int main(int argc, char **argv)
{
    log_init("danmaku-bench", LOG_WARN);
    bench_cfg c;
    int rc = cfg_parse(&c, argc, argv, stdout, stderr);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (c.train_dict)
        return run_train(c.corpus, c.out_dir);
    if (c.wire_size)
        return run_wire(c.corpus, c.dict_dir, c.zstd_level);
    if (c.raw_baseline)
        return run_raw(&c);
    return bench_run(&c);
}

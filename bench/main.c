/* main.c — danmaku-bench entry point: parses the command line and runs one
 * mode (load test, --train-dict, --wire-size, --frames, --raw-baseline). With
 * --peer-start the load test runs against a peer server started for it. */
#include <stdio.h>
#include <string.h>
#include "bench_corpus.h"
#include "bench_cfg.h"
#include "bench_dict.h"
#include "bench_frames.h"
#include "bench_peer.h"
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

static int run_train(const char *corpus_path, const char *out_dir, size_t dict_size)
{
    corpus c;
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

static int run_frames(const bench_cfg *c)
{
    FILE *in = strcmp(c->frames, "-") ? fopen(c->frames, "r") : stdin;
    if (!in) { fprintf(stderr, "danmaku-bench: cannot open %s\n", c->frames); return 2; }
    int rc = bframes_run(in, stdout, c->format, c->compress, c->dict_dir[0] ? c->dict_dir : NULL,
                         c->zstd_level, stderr);
    if (in != stdin) fclose(in);
    return rc ? 1 : 0;
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

/* --peer-start: the load test against a server started for it. A server
 * that died during the run, or logged serious errors, fails the run. */
static int run_with_peer(bench_cfg *c)
{
    peer p;
    char err[512];
    if (peer_start(&p, c, err, sizeof err) < 0) {
        fprintf(stderr, "danmaku-bench: %s\n", err);
        return 2;
    }
    fprintf(stderr, "peer %s pid=%d addr=%s:%d dir=%s\n", peer_name(&p), (int)p.pid, p.addr.host,
            p.addr.port, p.dir);
    c->edges[0] = c->bcs[0] = p.addr;
    c->nedges = c->nbcs = 1;
    if (c->npids < BENCH_MAX_ADDRS) c->server_pids[c->npids++] = (int)p.pid;
    int rc = bench_run(c);
    if (!peer_alive(&p)) {
        printf("FAILED: peer %s pid=%d exited during the run\n", peer_name(&p), (int)p.pid);
        rc = rc ? rc : 1;
    }
    int problems = peer_log_problems(&p, err, sizeof err);
    if (problems) {
        printf("FAILED: peer %s logged %d serious line(s), first: %s\n", peer_name(&p), problems, err);
        rc = rc ? rc : 1;
    }
    peer_stop(&p);
    return rc;
}

int main(int argc, char **argv)
{
    log_init("danmaku-bench", LOG_WARN);
    bench_cfg c;
    int rc = cfg_parse(&c, argc, argv, stdout, stderr);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (c.train_dict)
        return run_train(c.corpus, c.out_dir, c.dict_size);
    if (c.wire_size) {
        wire_opts o = { c.dict_dir[0] ? c.dict_dir : NULL, c.zstd_level, c.heldout };
        return run_wire(c.corpus, &o);
    }
    if (c.frames[0])
        return run_frames(&c);
    if (c.raw_baseline)
        return run_raw(&c);
    if (c.target != TARGET_DM && c.peer_start)
        return run_with_peer(&c);
    return bench_run(&c);
}

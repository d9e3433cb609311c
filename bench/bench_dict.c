/* bench_dict.c — dictionary training (ZDICT_trainFromBuffer) and the wire
 * size measurement. Both replay corpus videos through bench_gen. */
#include "bench_dict.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zdict.h>
#include <zstd.h>
#include "bench_enc.h"
#include "bench_gen.h"
#include "dbuf.h"

/* Sample set: concatenated bytes + sizes, as ZDICT wants them. */
typedef struct sampleset { dbuf all; size_t *sizes; size_t n, cap; } sampleset;

static void ss_add(sampleset *s, const dbuf *b)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->sizes = xrealloc(s->sizes, s->cap * sizeof *s->sizes);
    }
    dbuf_append(&s->all, b->data, b->len);
    s->sizes[s->n++] = b->len;
}

static void ss_free(sampleset *s) { dbuf_free(&s->all); free(s->sizes); }

/* One pass over a video with random batch sizes 1..50, both formats. */
static void gen_video(benc *be, const corpus *c, int v, uint64_t seed, sampleset ss[WIRE_NFMT])
{
    bgen g;
    bgen_init(&g, c, v, seed, 0.02, 0.01, 0.3);
    rng r; rng_seed(&r, seed ^ 0x5eedull);
    dbuf b; dbuf_init(&b);
    const bev *ev; size_t n;
    while ((n = bgen_next(&g, bgen_batch_size(&r, 50), &ev)) > 0) {
        for (int f = 0; f < WIRE_NFMT; f++) {
            dbuf_reset(&b);
            benc_payload(be, &b, f, g.room, g.epoch, ev, n);
            ss_add(&ss[f], &b);
        }
    }
    dbuf_free(&b);
    bgen_free(&g);
}

static int write_file(const char *dir, const char *name, const void *p, size_t n, FILE *log)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(log, "cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(log, "wrote %s (%zu bytes, dictID %u)\n", path, n, ZDICT_getDictID(p, n));
    return 0;
}

static int train_one(sampleset *s, size_t dict_size, const char *dir, const char *name, FILE *log)
{
    void *dict = xmalloc(dict_size);
    size_t r = ZDICT_trainFromBuffer(dict, dict_size, s->all.data, s->sizes, (unsigned)s->n);
    if (ZDICT_isError(r)) {
        fprintf(log, "training %s failed: %s\n", name, ZDICT_getErrorName(r));
        free(dict);
        return -1;
    }
    fprintf(log, "%s: %zu samples, %zu bytes of samples\n", name, s->n, s->all.len);
    int rc = write_file(dir, name, dict, r, log);
    free(dict);
    return rc;
}

int bdict_train(const corpus *c, const char *out_dir, size_t dict_size, FILE *log)
{
    sampleset ss[WIRE_NFMT];
    memset(ss, 0, sizeof ss);
    for (int f = 0; f < WIRE_NFMT; f++) dbuf_init(&ss[f].all);
    benc be;
    benc_init(&be, NULL, 3);
    mkdir(out_dir, 0755);
    fprintf(log, "training videos:");
    for (size_t v = 0; v < c->nvideos; v++) {
        if (corpus_is_heldout(c->videos[v].name)) continue;
        fprintf(log, " %s(%zu)", c->videos[v].name, c->videos[v].count);
        for (uint64_t pass = 0; pass < 3; pass++)   /* 3 different batchings */
            gen_video(&be, c, (int)v, 1000 * v + pass + 1, ss);
    }
    fprintf(log, "\nheld out:");
    for (int i = 0; corpus_heldout[i]; i++) fprintf(log, " %s", corpus_heldout[i]);
    fprintf(log, "\n");
    int rc = 0;
    for (int f = 0; f < WIRE_NFMT && !rc; f++)
        rc = train_one(&ss[f], dict_size, out_dir, wire_dict_name(f), log);
    for (int f = 0; f < WIRE_NFMT; f++) ss_free(&ss[f]);
    benc_free(&be);
    return rc;
}

/* ---- wire size ---------------------------------------------------------- */

static size_t ws_overhead(size_t payload) { return payload < 126 ? 2 : payload < 65536 ? 4 : 10; }

/* deflate -6 size of p[0..n) via the gzip program (member minus 18 bytes of
 * header/trailer with -n); (size_t)-1 on failure. */
static size_t gzip_size(const void *p, size_t n, const char *tmpdir)
{
    char in[512], cmd[1200];
    snprintf(in, sizeof in, "%s/in", tmpdir);
    FILE *f = fopen(in, "wb");
    if (!f) return (size_t)-1;
    fwrite(p, 1, n, f); fclose(f);
    snprintf(cmd, sizeof cmd, "gzip -6 -n -c '%s' | wc -c", in);
    FILE *pp = popen(cmd, "r");
    if (!pp) return (size_t)-1;
    unsigned long sz = 0;
    int ok = fscanf(pp, "%lu", &sz) == 1;
    pclose(pp);
    return ok && sz > 18 ? sz - 18 : (size_t)-1;
}

enum { CODEC_NONE, CODEC_ZSTD, CODEC_DICT, CODEC_GZIP, NCODEC };
static const char *const codec_name[NCODEC] = { "", "+zstd", "+zstd+dict", "+gzip" };

typedef struct wire_acc {
    double bytes[WIRE_NFMT][NCODEC];
    size_t events[WIRE_NFMT][NCODEC];
    double ns[WIRE_NFMT][NCODEC];       /* zstd time (compression + framing), fastest of 3 */
    size_t frames[WIRE_NFMT][NCODEC];
} wire_acc;

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* The measurement's encoders: payloads and the dictionary frames through
 * the edge's encoder (be, dictionaries loaded), plain zstd through a second
 * one without dictionaries. */
typedef struct wire_run {
    benc be;
    wire_enc plain;
    dbuf pay;
    char tmpdir[32];
} wire_run;

static size_t sealed(wire_enc *w, int fmt, int zstd, const dbuf *p)
{
    uint8_t hdr[WIRE_HDR_MAX];
    const void *body; size_t bl;
    size_t hl = wire_seal(w, fmt, zstd, p->data, p->len, hdr, &body, &bl);
    return hl + bl;
}

static void measure_batch(wire_run *wr, int fmt, int gz, size_t n, wire_acc *a)
{
    wire_enc *enc[CODEC_GZIP] = { &wr->plain, &wr->plain, &wr->be.enc };
    for (int k = 0; k < CODEC_GZIP; k++) {
        size_t sz = 0;
        double best = 1e18;
        for (int rep = 0; rep < 3; rep++) {    /* the fastest of 3: less scheduling noise */
            double t0 = now_ns();
            sz = sealed(enc[k], fmt, k != CODEC_NONE, &wr->pay);
            double dt = now_ns() - t0;
            best = dt < best ? dt : best;
        }
        a->ns[fmt][k] += best;
        a->frames[fmt][k]++;
        a->bytes[fmt][k] += (double)sz;
        a->events[fmt][k] += n;
    }
    if (gz) {
        size_t g = gzip_size(wr->pay.data, wr->pay.len, wr->tmpdir);
        if (g != (size_t)-1) {
            a->bytes[fmt][CODEC_GZIP] += (double)(g + ws_overhead(g));
            a->events[fmt][CODEC_GZIP] += n;
        }
    }
}

static int selected(const corpus *c, size_t v, int heldout_only)
{
    return !heldout_only || corpus_is_heldout(c->videos[v].name);
}

static void measure_size(wire_run *wr, const corpus *c, int heldout_only, size_t bsize, wire_acc *a)
{
    size_t nb = 0;
    for (size_t v = 0; v < c->nvideos; v++) {
        if (!selected(c, v, heldout_only)) continue;
        bgen g; bgen_init(&g, c, (int)v, 77 + v, 0, 0, 0);
        const bev *ev; size_t n;
        while ((n = bgen_next(&g, bsize, &ev)) > 0) {
            int gz = (nb++ % (bsize == 1 ? 8 : 2)) == 0;   /* sample gzip spawns */
            for (int f = 0; f < WIRE_NFMT; f++) {
                dbuf_reset(&wr->pay);
                benc_payload(&wr->be, &wr->pay, f, g.room, g.epoch, ev, n);
                measure_batch(wr, f, gz, n, a);
            }
        }
        bgen_free(&g);
    }
}

/* Says on log which videos are measured; returns their message count. */
static size_t describe(const corpus *c, int heldout_only, FILE *log)
{
    size_t msgs = 0, nv = 0;
    fprintf(log, "wire-size: %s of the corpus:", heldout_only ? "held-out videos" : "all videos");
    for (size_t v = 0; v < c->nvideos; v++) {
        if (!selected(c, v, heldout_only)) continue;
        fprintf(log, " %s(%zu)", c->videos[v].name, c->videos[v].count);
        msgs += c->videos[v].count;
        nv++;
    }
    fprintf(log, "\nwire-size: %zu videos, %zu messages\n", nv, msgs);
    return msgs;
}

static void add_rows(const wire_acc *a, size_t bsize, wire_row *rows, size_t *nr, size_t max_rows)
{
    static const char *const fmt_name[WIRE_NFMT] = { "json", "pb", "pb2" };
    static char names[WIRE_NFMT][NCODEC][24];
    double json = a->bytes[0][0] / (double)a->events[0][0];
    for (int f = 0; f < WIRE_NFMT; f++)
        for (int k = 0; k < NCODEC && *nr < max_rows; k++) {
            if (!a->events[f][k]) continue;
            wire_row *w = &rows[(*nr)++];
            snprintf(names[f][k], sizeof names[f][k], "%s%s", fmt_name[f], codec_name[k]);
            w->name = names[f][k]; w->batch = bsize;
            w->bytes_per_event = a->bytes[f][k] / (double)a->events[f][k];
            w->ratio_vs_json = json / w->bytes_per_event;
            w->us_per_frame = k == CODEC_GZIP || !a->frames[f][k] ? -1
                            : a->ns[f][k] / (double)a->frames[f][k] / 1e3;
        }
}

int bwire_measure(const corpus *c, const wire_opts *o, wire_row *rows, size_t max_rows, FILE *log)
{
    static const size_t sizes[] = { 1, 10, 50 };
    if (!describe(c, o->heldout_only, log)) {
        fprintf(log, "wire-size: nothing to measure: %s\n", o->heldout_only
                ? "the corpus holds none of the held-out videos (corpus_heldout[])"
                : "the corpus holds no message");
        return -1;
    }
    wire_run wr;
    if (benc_init(&wr.be, o->dict_dir, o->zlevel) < 0) {
        fprintf(log, "wire-size: cannot load the dictionaries in %s\n", o->dict_dir);
        benc_free(&wr.be);
        return -1;
    }
    for (int f = 0; f < WIRE_NFMT; f++)
        if (!wr.be.enc.cdict[f][0])
            fprintf(log, "wire-size: warning: no %s in %s (+zstd+dict is plain zstd)\n",
                    wire_dict_name(f), o->dict_dir);
    wire_enc_init(&wr.plain, NULL, o->zlevel);
    dbuf_init(&wr.pay);
    snprintf(wr.tmpdir, sizeof wr.tmpdir, "/tmp/dm-wire-XXXXXX");
    int rc = mkdtemp(wr.tmpdir) ? 0 : -1;
    size_t nr = 0;
    for (size_t s = 0; s < 3 && !rc; s++) {
        wire_acc a; memset(&a, 0, sizeof a);
        measure_size(&wr, c, o->heldout_only, sizes[s], &a);
        add_rows(&a, sizes[s], rows, &nr, max_rows);
    }
    if (!rc) {
        char p[600]; snprintf(p, sizeof p, "%s/in", wr.tmpdir); unlink(p); rmdir(wr.tmpdir);
    }
    benc_free(&wr.be); wire_enc_free(&wr.plain); dbuf_free(&wr.pay);
    return rc ? -1 : (int)nr;
}

/* bench_dict.c — dictionary training (ZDICT_trainFromBuffer) and the wire
 * size measurement. Both replay corpus videos through bench_gen. */
#include "bench_dict.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zdict.h>
#include <zstd.h>
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
static void gen_video(const corpus *c, int v, uint64_t seed, sampleset *js, sampleset *pb)
{
    bgen g;
    bgen_init(&g, c, v, seed, 0.02, 0.01, 0.3);
    rng r; rng_seed(&r, seed ^ 0x5eedull);
    dbuf b; dbuf_init(&b);
    const bev *ev; size_t n;
    while ((n = bgen_next(&g, bgen_batch_size(&r, 50), &ev)) > 0) {
        dbuf_reset(&b); benc_json_batch(&b, g.room, g.epoch, ev, n); ss_add(js, &b);
        dbuf_reset(&b); benc_pb_batch(&b, g.room, g.epoch, ev, n); ss_add(pb, &b);
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
    sampleset js = { 0 }, pb = { 0 };
    dbuf_init(&js.all); dbuf_init(&pb.all);
    mkdir(out_dir, 0755);
    fprintf(log, "training videos:");
    for (size_t v = 0; v < c->nvideos; v++) {
        if (corpus_is_heldout(c->videos[v].name)) continue;
        fprintf(log, " %s(%zu)", c->videos[v].name, c->videos[v].count);
        for (uint64_t pass = 0; pass < 3; pass++)   /* 3 different batchings */
            gen_video(c, (int)v, 1000 * v + pass + 1, &js, &pb);
    }
    fprintf(log, "\nheld out:");
    for (int i = 0; corpus_heldout[i]; i++) fprintf(log, " %s", corpus_heldout[i]);
    fprintf(log, "\n");
    int rc = train_one(&js, dict_size, out_dir, "danmaku-json.zdict", log);
    if (!rc) rc = train_one(&pb, dict_size, out_dir, "danmaku-pb.zdict", log);
    ss_free(&js); ss_free(&pb);
    return rc;
}

/* ---- wire size ---------------------------------------------------------- */

static size_t ws_overhead(size_t payload) { return payload < 126 ? 2 : payload < 65536 ? 4 : 10; }

static void *load_file(const char *path, size_t *len)
{
    dbuf b; dbuf_init(&b);
    if (dbuf_append_file(&b, path) < 0) { dbuf_free(&b); return NULL; }
    return dbuf_steal(&b, len);
}

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

typedef struct wire_acc { double bytes[2][NCODEC]; size_t events[2][NCODEC]; } wire_acc;

static void measure_batch(const dbuf *b, int fmt, int gz, ZSTD_CCtx *cc, ZSTD_CDict *cd,
                          int zlevel, size_t n, wire_acc *a, const char *tmpdir)
{
    size_t cap = ZSTD_compressBound(b->len);
    void *out = xmalloc(cap);
    size_t z = ZSTD_compressCCtx(cc, out, cap, b->data, b->len, zlevel);
    size_t zd = ZSTD_compress_usingCDict(cc, out, cap, b->data, b->len, cd);
    free(out);
    size_t sizes[NCODEC] = { b->len, z, zd, 0 };
    for (int k = 0; k < CODEC_GZIP; k++) {
        a->bytes[fmt][k] += (double)(sizes[k] + ws_overhead(sizes[k]));
        a->events[fmt][k] += n;
    }
    if (gz) {
        size_t g = gzip_size(b->data, b->len, tmpdir);
        if (g != (size_t)-1) {
            a->bytes[fmt][CODEC_GZIP] += (double)(g + ws_overhead(g));
            a->events[fmt][CODEC_GZIP] += n;
        }
    }
}

static void measure_size(const corpus *c, size_t bsize, ZSTD_CCtx *cc, ZSTD_CDict *cd[2],
                         int zlevel, wire_acc *a, const char *tmpdir)
{
    dbuf b; dbuf_init(&b);
    size_t nb = 0;
    for (size_t v = 0; v < c->nvideos; v++) {
        if (!corpus_is_heldout(c->videos[v].name)) continue;
        bgen g; bgen_init(&g, c, (int)v, 77 + v, 0, 0, 0);
        const bev *ev; size_t n;
        while ((n = bgen_next(&g, bsize, &ev)) > 0) {
            int gz = (nb++ % (bsize == 1 ? 8 : 2)) == 0;   /* sample gzip spawns */
            dbuf_reset(&b); benc_json_batch(&b, g.room, g.epoch, ev, n);
            measure_batch(&b, 0, gz, cc, cd[0], zlevel, n, a, tmpdir);
            dbuf_reset(&b); benc_pb_batch(&b, g.room, g.epoch, ev, n);
            measure_batch(&b, 1, gz, cc, cd[1], zlevel, n, a, tmpdir);
        }
        bgen_free(&g);
    }
    dbuf_free(&b);
}

static int load_cdicts(const char *dir, int zlevel, ZSTD_CDict *cd[2], FILE *log)
{
    static const char *const names[2] = { "danmaku-json.zdict", "danmaku-pb.zdict" };
    for (int f = 0; f < 2; f++) {
        char path[4096]; size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        void *d = load_file(path, &len);
        if (!d) { fprintf(log, "cannot read %s\n", path); return -1; }
        cd[f] = ZSTD_createCDict(d, len, zlevel);
        free(d);
        if (!cd[f]) { fprintf(log, "bad dictionary %s\n", path); return -1; }
    }
    return 0;
}

int bwire_measure(const corpus *c, const char *dict_dir, int zlevel,
                  wire_row *rows, size_t max_rows, FILE *log)
{
    static const size_t sizes[] = { 1, 10, 50 };
    static const char *const fmt_name[2] = { "json", "pb" };
    ZSTD_CDict *cd[2] = { 0 };
    if (load_cdicts(dict_dir, zlevel, cd, log) < 0) {
        ZSTD_freeCDict(cd[0]); ZSTD_freeCDict(cd[1]);
        return -1;
    }
    char tmpdir[] = "/tmp/dm-wire-XXXXXX";
    if (!mkdtemp(tmpdir)) { ZSTD_freeCDict(cd[0]); ZSTD_freeCDict(cd[1]); return -1; }
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t nr = 0;
    for (size_t s = 0; s < 3; s++) {
        wire_acc a; memset(&a, 0, sizeof a);
        measure_size(c, sizes[s], cc, cd, zlevel, &a, tmpdir);
        double json = a.bytes[0][0] / (double)a.events[0][0];
        for (int f = 0; f < 2; f++)
            for (int k = 0; k < NCODEC && nr < max_rows; k++) {
                if (!a.events[f][k]) continue;
                wire_row *w = &rows[nr++];
                static char names[2][NCODEC][24];
                snprintf(names[f][k], sizeof names[f][k], "%s%s", fmt_name[f], codec_name[k]);
                w->name = names[f][k]; w->batch = sizes[s];
                w->bytes_per_event = a.bytes[f][k] / (double)a.events[f][k];
                w->ratio_vs_json = json / w->bytes_per_event;
            }
    }
    ZSTD_freeCCtx(cc);
    ZSTD_freeCDict(cd[0]); ZSTD_freeCDict(cd[1]);
    char p[600]; snprintf(p, sizeof p, "%s/in", tmpdir); unlink(p); rmdir(tmpdir);
    return (int)nr;
}

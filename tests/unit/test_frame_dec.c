/* test_frame_dec.c — client-side decoding of every edge format: JSON and
 * protobuf batches of the same events must decode to the identical Frame;
 * zstd with and without a dictionary (picked by dictID), reset and gap
 * frames, and every class of bad input (JSON types, unknown kinds, bad
 * protobuf, truncated/garbage zstd, unknown dictionary) fails cleanly.
 * Inputs sit before a guard page; batches come from the edge's own encoder
 * (common/wire.h). */
#include "t.h"
#include "guard.h"
#include "frame_dec.h"
#include "evt.h"
#include "wire.h"
#include <zdict.h>
#include <zstd.h>

static const char *const TEXTS[] = {
    "\xe5\xa5\xbd\xe7\x9c\x8b \"quoted\" \\ </script> \xf0\x9f\x98\x82",
    "line\nbreak\ttab \xe2\x80\xa8 \x01",
    "\xe5\xbc\xb9\xe5\xb9\x95\xe6\xb5\x8b\xe8\xaf\x95",
};

typedef struct tev {
    int kind;                 /* 0 comment, 1 gift, 2 like */
    uint64_t seq;
    int64_t ts;
    const char *user, *nick, *text, *cmid, *risk, *flag;
    uint32_t color, size, count;
    int mode;
    const char *gift_id, *gift_name;
    uint64_t unit;
} tev;

static void make_events(tev *e, size_t n, uint64_t seq0)
{
    for (size_t i = 0; i < n; i++) {
        memset(&e[i], 0, sizeof e[i]);
        e[i].kind = (int)(i % 3);
        e[i].seq = seq0 + i;
        e[i].ts = 1700000000000LL + (int64_t)i;
        e[i].user = i % 2 ? "u1" : "\xe7\x94\xa8\xe6\x88\xb7";
        e[i].nick = "nick \"n\"";
        e[i].text = TEXTS[i % 3];
        e[i].color = 16777215 - (uint32_t)i;
        e[i].size = 25;
        e[i].mode = (int)(i % 3);
        e[i].count = (uint32_t)(i + 1);
        e[i].gift_id = "g1";
        e[i].gift_name = "\xe7\x81\xab\xe7\xae\xad";
        e[i].unit = 100 + i;
        e[i].cmid = i % 4 == 0 ? "cm-1" : NULL;
        e[i].risk = i % 5 == 0 ? "contact" : NULL;
        e[i].flag = i % 6 == 0 ? "masked" : NULL;
    }
}

/* The edge's batch payload of the events in format fmt, from the one
 * encoder (common/evt.h, common/wire.h). Each event is packed by protobuf-c
 * (canonical field order, so the pb payload equals protobuf-c's packing of
 * the whole Frame). */
static void wire_batch(dbuf *out, int fmt, const tev *e, size_t n)
{
    Danmaku__Event *evs = calloc(n, sizeof *evs), **ptrs = calloc(n, sizeof *ptrs);
    Danmaku__Comment *cm = calloc(n, sizeof *cm);
    Danmaku__Gift *gf = calloc(n, sizeof *gf);
    Danmaku__Like *lk = calloc(n, sizeof *lk);
    char *flags[2] = { NULL, "contact" };
    for (size_t i = 0; i < n; i++) {
        Danmaku__Event *v = &evs[i];
        danmaku__event__init(v);
        v->has_seq = 1; v->seq = e[i].seq;
        v->has_ts_ms = 1; v->ts_ms = e[i].ts;
        v->user_id = (char *)e[i].user;
        v->client_msg_id = (char *)e[i].cmid;
        v->risk = (char *)e[i].risk;
        if (e[i].flag) {
            flags[0] = (char *)e[i].flag;
            v->n_flags = 2;
            v->flags = flags;
        }
        if (e[i].kind == 0) {
            danmaku__comment__init(&cm[i]);
            v->nick = (char *)e[i].nick;
            cm[i].text = (char *)e[i].text;
            cm[i].has_color = 1; cm[i].color = e[i].color;
            cm[i].has_mode = 1; cm[i].mode = (Danmaku__Mode)e[i].mode;
            cm[i].has_size = 1; cm[i].size = e[i].size;
            v->body_case = DANMAKU__EVENT__BODY_COMMENT;
            v->comment = &cm[i];
        } else if (e[i].kind == 1) {
            danmaku__gift__init(&gf[i]);
            v->nick = (char *)e[i].nick;
            gf[i].gift_id = (char *)e[i].gift_id;
            gf[i].gift_name = (char *)e[i].gift_name;
            gf[i].has_count = 1; gf[i].count = e[i].count;
            gf[i].has_unit_value = 1; gf[i].unit_value = e[i].unit;
            v->body_case = DANMAKU__EVENT__BODY_GIFT;
            v->gift = &gf[i];
        } else {
            danmaku__like__init(&lk[i]);
            lk[i].has_count = 1; lk[i].count = e[i].count;
            v->body_case = DANMAKU__EVENT__BODY_LIKE;
            v->like = &lk[i];
        }
        ptrs[i] = v;
    }
    evt **x = calloc(n, sizeof *x);
    for (size_t i = 0; i < n; i++) {
        uint8_t buf[4096];
        size_t len = danmaku__event__pack(ptrs[i], buf);
        x[i] = evt_new(buf, len, 0);
    }
    wire_batch_payload(out, fmt, "r1", "9f2c00aa11bb22cc", x, n);
    for (size_t i = 0; i < n; i++)
        evt_unref(x[i]);
    free(x);
    free(evs); free(ptrs); free(cm); free(gf); free(lk);
}

static void json_batch(dbuf *b, const tev *e, size_t n) { wire_batch(b, WIRE_JSON, e, n); }
static void pb_batch(dbuf *b, const tev *e, size_t n) { wire_batch(b, WIRE_PB, e, n); }

static Danmaku__Frame *dec_g(frame_dec *d, int fmt, int z, const void *p, size_t n,
                             char *err, size_t es)
{
    guard g;
    uint8_t *q = guard_put(&g, p, n);
    Danmaku__Frame *f = frame_dec_decode(d, fmt, z, q, n, err, es);
    guard_free(&g);
    return f;
}

static void pack_frame(const Danmaku__Frame *f, dbuf *out)
{
    dbuf_reset(out);
    dbuf_reserve(out, danmaku__frame__get_packed_size(f));
    out->len = danmaku__frame__pack(f, (uint8_t *)out->data);
}

static void test_json_fields(void)
{
    tev e[3];
    make_events(e, 3, 101);
    dbuf j;
    dbuf_init(&j);
    json_batch(&j, e, 3);
    frame_dec d;
    frame_dec_init(&d);
    char err[200];
    Danmaku__Frame *f = dec_g(&d, DM_FMT_JSON, 0, j.data, j.len, err, sizeof err);
    T_ASSERT(f != NULL);
    T_EQ_INT(f->msg_case, DANMAKU__FRAME__MSG_BATCH);
    Danmaku__Batch *b = f->batch;
    T_EQ_STR(b->room, "r1");
    T_EQ_STR(b->epoch, "9f2c00aa11bb22cc");
    T_EQ_U64(b->from_seq, 101);
    T_EQ_U64(b->to_seq, 103);
    T_EQ_INT(b->n_events, 3);
    Danmaku__Event *c = b->events[0];
    T_EQ_U64(c->seq, 101);
    T_EQ_INT(c->ts_ms, 1700000000000LL);
    T_EQ_INT(c->body_case, DANMAKU__EVENT__BODY_COMMENT);
    T_EQ_STR(c->comment->text, TEXTS[0]);
    T_EQ_STR(c->nick, "nick \"n\"");
    T_EQ_INT(c->comment->color, 16777215);
    T_EQ_INT(c->comment->mode, DANMAKU__MODE__MODE_SCROLL);
    T_EQ_INT(c->comment->size, 25);
    T_EQ_STR(c->client_msg_id, "cm-1");
    T_EQ_STR(c->risk, "contact");
    T_EQ_INT(c->n_flags, 2);
    T_EQ_STR(c->flags[0], "masked");
    Danmaku__Event *g = b->events[1];
    T_EQ_INT(g->body_case, DANMAKU__EVENT__BODY_GIFT);
    T_EQ_STR(g->gift->gift_name, "\xe7\x81\xab\xe7\xae\xad");
    T_EQ_INT(g->gift->count, 2);
    T_EQ_U64(g->gift->unit_value, 101);
    T_ASSERT(g->client_msg_id == NULL && g->risk == NULL && g->n_flags == 0);
    Danmaku__Event *l = b->events[2];
    T_EQ_INT(l->body_case, DANMAKU__EVENT__BODY_LIKE);
    T_EQ_INT(l->like->count, 3);
    T_ASSERT(l->nick == NULL);
    frame_dec_release(f);
    frame_dec_free(&d);
    dbuf_free(&j);
}

/* JSON and protobuf of the same events decode to byte-identical Frames,
 * plain and through zstd. */
static void test_json_equals_pb(void)
{
    size_t n = 60;
    tev *e = calloc(n, sizeof *e);
    make_events(e, n, 1);
    dbuf j, p, a, b;
    dbuf_init(&j); dbuf_init(&p); dbuf_init(&a); dbuf_init(&b);
    json_batch(&j, e, n);
    pb_batch(&p, e, n);
    frame_dec d;
    frame_dec_init(&d);
    char err[200] = "";
    for (int z = 0; z < 2; z++) {
        dbuf zj, zp;
        dbuf_init(&zj); dbuf_init(&zp);
        if (z) {
            dbuf_reserve(&zj, ZSTD_compressBound(j.len));
            zj.len = ZSTD_compress(zj.data, zj.cap, j.data, j.len, 3);
            dbuf_reserve(&zp, ZSTD_compressBound(p.len));
            zp.len = ZSTD_compress(zp.data, zp.cap, p.data, p.len, 3);
            T_ASSERT(!ZSTD_isError(zj.len) && !ZSTD_isError(zp.len));
        }
        Danmaku__Frame *fj = z ? dec_g(&d, DM_FMT_JSON, 1, zj.data, zj.len, err, sizeof err)
                               : dec_g(&d, DM_FMT_JSON, 0, j.data, j.len, err, sizeof err);
        if (!fj) fprintf(stderr, "  err: %s\n", err);
        Danmaku__Frame *fp = z ? dec_g(&d, DM_FMT_PB, 1, zp.data, zp.len, err, sizeof err)
                               : dec_g(&d, DM_FMT_PB, 0, p.data, p.len, err, sizeof err);
        T_ASSERT(fj && fp);
        pack_frame(fj, &a);
        pack_frame(fp, &b);
        T_EQ_INT(a.len, p.len);
        T_EQ_MEM(a.data, p.data, p.len);
        T_EQ_MEM(b.data, p.data, p.len);
        frame_dec_release(fj);
        frame_dec_release(fp);
        dbuf_free(&zj); dbuf_free(&zp);
    }
    frame_dec_free(&d);
    dbuf_free(&j); dbuf_free(&p); dbuf_free(&a); dbuf_free(&b);
    free(e);
}

static void test_reset_gap(void)
{
    frame_dec d;
    frame_dec_init(&d);
    char err[200];
    const char *r = "{\"type\":\"reset\",\"room\":\"r1\",\"epoch\":\"abcd\",\"from_seq\":42,\"reason\":\"trimmed\"}";
    Danmaku__Frame *f = dec_g(&d, DM_FMT_JSON, 0, r, strlen(r), err, sizeof err);
    T_ASSERT(f && f->msg_case == DANMAKU__FRAME__MSG_RESET);
    T_EQ_STR(f->reset->room, "r1");
    T_EQ_STR(f->reset->epoch, "abcd");
    T_EQ_U64(f->reset->from_seq, 42);
    T_EQ_STR(f->reset->reason, "trimmed");
    frame_dec_release(f);
    const char *g = "{\"type\":\"gap\",\"room\":\"r1\",\"from_seq\":5,\"to_seq\":9,\"reason\":\"slow\"}";
    f = dec_g(&d, DM_FMT_JSON, 0, g, strlen(g), err, sizeof err);
    T_ASSERT(f && f->msg_case == DANMAKU__FRAME__MSG_GAP);
    T_EQ_U64(f->gap->from_seq, 5);
    T_EQ_U64(f->gap->to_seq, 9);
    T_EQ_STR(f->gap->reason, "slow");
    /* and the protobuf form of the same gap */
    dbuf p;
    dbuf_init(&p);
    pack_frame(f, &p);
    frame_dec_release(f);
    f = dec_g(&d, DM_FMT_PB, 0, p.data, p.len, err, sizeof err);
    T_ASSERT(f && f->msg_case == DANMAKU__FRAME__MSG_GAP && f->gap->to_seq == 9);
    frame_dec_release(f);
    dbuf_free(&p);
    frame_dec_free(&d);
}

/* Trains a small dictionary from JSON batches. */
static int train(dbuf *dict, int pb)
{
    dbuf samples;
    dbuf_init(&samples);
    size_t sizes[400];
    tev e[6];
    for (int i = 0; i < 400; i++) {
        make_events(e, 1 + i % 6, (uint64_t)i * 7 + 1);
        size_t before = samples.len;
        if (pb) {
            dbuf one;
            dbuf_init(&one);
            pb_batch(&one, e, 1 + i % 6);
            dbuf_append(&samples, one.data, one.len);
            dbuf_free(&one);
        } else {
            json_batch(&samples, e, 1 + i % 6);
        }
        sizes[i] = samples.len - before;
    }
    dbuf_reserve(dict, 4096);
    size_t n = ZDICT_trainFromBuffer(dict->data, 4096, samples.data, sizes, 400);
    dbuf_free(&samples);
    if (ZDICT_isError(n))
        return -1;
    dict->len = n;
    return 0;
}

static void test_zstd_dictionary(void)
{
    dbuf dj, dp;
    dbuf_init(&dj); dbuf_init(&dp);
    T_EQ_INT(train(&dj, 0), 0);
    T_EQ_INT(train(&dp, 1), 0);
    unsigned idj = ZDICT_getDictID(dj.data, dj.len), idp = ZDICT_getDictID(dp.data, dp.len);
    T_ASSERT(idj != 0 && idp != 0 && idj != idp);
    tev e[10];
    make_events(e, 10, 500);
    dbuf j, z;
    dbuf_init(&j); dbuf_init(&z);
    json_batch(&j, e, 10);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    dbuf_reserve(&z, ZSTD_compressBound(j.len));
    z.len = ZSTD_compress_usingDict(cc, z.data, z.cap, j.data, j.len, dj.data, dj.len, 3);
    T_ASSERT(!ZSTD_isError(z.len));
    T_EQ_INT(ZSTD_getDictID_fromFrame(z.data, z.len), idj);
    frame_dec d;
    frame_dec_init(&d);
    char err[200] = "";
    /* no dictionary loaded: a clean error naming the id */
    T_ASSERT(dec_g(&d, DM_FMT_JSON, 1, z.data, z.len, err, sizeof err) == NULL);
    T_ASSERT(strstr(err, "dictionary") != NULL);
    T_EQ_INT(frame_dec_set_dict(&d, DM_FMT_PB, dp.data, dp.len), 0);
    T_ASSERT(dec_g(&d, DM_FMT_JSON, 1, z.data, z.len, err, sizeof err) == NULL);
    T_EQ_INT(frame_dec_set_dict(&d, DM_FMT_JSON, dj.data, dj.len), 0);
    T_ASSERT(zdec_has(&d.z, idj) && zdec_has(&d.z, idp));
    Danmaku__Frame *f = dec_g(&d, DM_FMT_JSON, 1, z.data, z.len, err, sizeof err);
    T_ASSERT(f && f->batch->n_events == 10);
    T_EQ_STR(f->batch->events[0]->comment->text, TEXTS[0]);
    frame_dec_release(f);
    /* plain zstd (dictID 0) still decodes with dictionaries loaded */
    dbuf_reset(&z);
    z.len = ZSTD_compress(z.data, z.cap, j.data, j.len, 1);
    f = dec_g(&d, DM_FMT_JSON, 1, z.data, z.len, err, sizeof err);
    T_ASSERT(f && f->batch->n_events == 10);
    frame_dec_release(f);
    /* replacing a dictionary works and does not leak */
    T_EQ_INT(frame_dec_set_dict(&d, DM_FMT_JSON, dj.data, dj.len), 0);
    T_EQ_INT(frame_dec_set_dict(&d, DM_FMT_JSON, "not a dict", 0), -1);
    ZSTD_freeCCtx(cc);
    frame_dec_free(&d);
    dbuf_free(&dj); dbuf_free(&dp); dbuf_free(&j); dbuf_free(&z);
}

/* Streaming-compressed frames (no content size in the header) decode too;
 * truncated or padded zstd fails at every cut. */
static void test_zstd_stream_and_truncation(void)
{
    tev e[20];
    make_events(e, 20, 1);
    dbuf j, z;
    dbuf_init(&j); dbuf_init(&z);
    json_batch(&j, e, 20);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
    dbuf_reserve(&z, ZSTD_compressBound(j.len) + 64);
    ZSTD_outBuffer ob = { z.data, z.cap, 0 };
    ZSTD_inBuffer ib = { j.data, j.len, 0 };
    size_t r = ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_end);
    T_EQ_INT(r, 0);
    z.len = ob.pos;
    T_ASSERT(ZSTD_getFrameContentSize(z.data, z.len) == ZSTD_CONTENTSIZE_UNKNOWN);
    frame_dec d;
    frame_dec_init(&d);
    char err[200];
    Danmaku__Frame *f = dec_g(&d, DM_FMT_JSON, 1, z.data, z.len, err, sizeof err);
    T_ASSERT(f && f->batch->n_events == 20);
    frame_dec_release(f);
    for (size_t k = 0; k < z.len; k++) {
        f = dec_g(&d, DM_FMT_JSON, 1, z.data, k, err, sizeof err);
        if (f) {
            frame_dec_release(f);
            T_FAIL_("truncated zstd at %zu decoded", k);
            break;
        }
    }
    dbuf_putc(&z, 0);
    T_ASSERT(dec_g(&d, DM_FMT_JSON, 1, z.data, z.len, err, sizeof err) == NULL);
    T_ASSERT(dec_g(&d, DM_FMT_JSON, 1, "garbage", 7, err, sizeof err) == NULL);
    T_ASSERT(dec_g(&d, DM_FMT_JSON, 0, "", 0, err, sizeof err) == NULL);
    T_ASSERT(dec_g(&d, 7, 0, "{}", 2, err, sizeof err) == NULL);
    ZSTD_freeCCtx(cc);
    frame_dec_free(&d);
    dbuf_free(&j); dbuf_free(&z);
}

static void test_bad_json(void)
{
    static const char *const bad[] = {
        "", "{", "[]", "42", "{}", "{\"type\":7}", "{\"type\":\"nope\"}",
        "{\"type\":\"batch\",\"events\":{}}",
        "{\"type\":\"batch\",\"events\":[1]}",
        "{\"type\":\"batch\",\"events\":[{\"seq\":1}]}",
        "{\"type\":\"batch\",\"events\":[{\"seq\":1,\"kind\":\"dance\"}]}",
        "{\"type\":\"batch\",\"events\":[{\"seq\":\"1\",\"kind\":\"like\"}]}",
        "{\"type\":\"batch\",\"events\":[{\"seq\":-1,\"kind\":\"like\"}]}",
        "{\"type\":\"batch\",\"events\":[{\"kind\":\"like\",\"count\":4294967296}]}",
        "{\"type\":\"batch\",\"events\":[{\"kind\":\"like\",\"ts_ms\":1.5}]}",
        "{\"type\":\"batch\",\"events\":[{\"kind\":\"comment\",\"text\":5}]}",
        "{\"type\":\"batch\",\"events\":[{\"kind\":\"comment\",\"mode\":\"diagonal\"}]}",
        "{\"type\":\"batch\",\"events\":[{\"kind\":\"like\",\"flags\":\"masked\"}]}",
        "{\"type\":\"batch\",\"events\":[{\"kind\":\"like\",\"flags\":[1]}]}",
        "{\"type\":\"batch\",\"room\":[],\"events\":[]}",
        "{\"type\":\"batch\",\"from_seq\":-3,\"events\":[]}",
        "{\"type\":\"reset\",\"from_seq\":\"x\"}",
        "{\"type\":\"gap\",\"to_seq\":true}",
        "{\"type\":\"batch\",\"type\":\"gap\"}",
        "{\"type\":\"batch\",\"room\":\"\xff\"}",
    };
    frame_dec d;
    frame_dec_init(&d);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[200] = "";
        Danmaku__Frame *f = dec_g(&d, DM_FMT_JSON, 0, bad[i], strlen(bad[i]), err, sizeof err);
        if (f || !err[0]) {
            frame_dec_release(f);
            T_FAIL_("bad json %zu accepted (err \"%s\")", i, err);
            break;
        }
    }
    /* a good one with every optional part absent still decodes */
    const char *ok = "{\"type\":\"batch\",\"events\":[{\"kind\":\"like\"}]}";
    char err[10];
    Danmaku__Frame *f = dec_g(&d, DM_FMT_JSON, 0, ok, strlen(ok), err, sizeof err);
    T_ASSERT(f && f->batch->n_events == 1 && !f->batch->events[0]->has_seq);
    frame_dec_release(f);
    frame_dec_free(&d);
}

/* Protobuf cut at every byte: NULL or a frame, never a crash or over-read;
 * garbage and an empty Frame are errors. */
static void test_bad_pb(void)
{
    tev e[4];
    make_events(e, 4, 9);
    dbuf p;
    dbuf_init(&p);
    pb_batch(&p, e, 4);
    frame_dec d;
    frame_dec_init(&d);
    char err[200];
    int nulls = 0;
    for (size_t k = 0; k < p.len; k++) {
        Danmaku__Frame *f = dec_g(&d, DM_FMT_PB, 0, p.data, k, err, sizeof err);
        nulls += f == NULL;
        frame_dec_release(f);
    }
    T_EQ_INT(nulls, p.len);      /* the outer field length makes every cut invalid */
    T_ASSERT(dec_g(&d, DM_FMT_PB, 0, "\xff\xff\xff", 3, err, sizeof err) == NULL);
    T_ASSERT(dec_g(&d, DM_FMT_PB, 0, "", 0, err, sizeof err) == NULL);
    T_ASSERT(strstr(err, "empty") != NULL);
    frame_dec_free(&d);
    dbuf_free(&p);
}

/* v2 Frame.batch2 that cannot be expanded fails cleanly: no events, no
 * from_seq, a seq_skip that wraps. */
static void test_bad_batch2(void)
{
    frame_dec d;
    frame_dec_init(&d);
    char err[200];
    Danmaku__CompactEvent ce = DANMAKU__COMPACT_EVENT__INIT, *cep = &ce;
    Danmaku__Batch2 b = DANMAKU__BATCH2__INIT;
    Danmaku__Frame f = DANMAKU__FRAME__INIT;
    f.msg_case = DANMAKU__FRAME__MSG_BATCH2;
    f.batch2 = &b;
    dbuf p;
    dbuf_init(&p);
    for (int k = 0; k < 3; k++) {
        b.has_from_seq = k > 0;
        b.from_seq = 5;
        b.n_events = k > 1 ? 1 : 0;
        b.events = &cep;
        ce.has_seq_skip = 1;
        ce.seq_skip = UINT64_MAX - 2;
        pack_frame(&f, &p);
        T_ASSERT(dec_g(&d, DM_FMT_PB2, 0, p.data, p.len, err, sizeof err) == NULL);
        T_ASSERT(strstr(err, "batch2") != NULL);
    }
    ce.seq_skip = 2;                                   /* seq 5 + 2 = 7 */
    pack_frame(&f, &p);
    Danmaku__Frame *ok = dec_g(&d, DM_FMT_PB2, 0, p.data, p.len, err, sizeof err);
    T_ASSERT(ok && ok->batch->n_events == 1 && ok->batch->events[0]->seq == 7 && ok->batch->to_seq == 7);
    frame_dec_release(ok);
    dbuf_free(&p);
    frame_dec_free(&d);
}

/* The dictionaries shipped in proto/zdict (when present) load. */
static void test_load_dict_files(void)
{
    frame_dec d;
    frame_dec_init(&d);
    T_EQ_INT(frame_dec_load_dict_file(&d, DM_FMT_JSON, "/nonexistent-dir"), 0);
    T_EQ_INT(d.z.n, 0);
    T_EQ_INT(frame_dec_load_dict_file(&d, DM_FMT_JSON, DM_SHARE_DIR), 0);
    T_EQ_INT(frame_dec_load_dict_file(&d, DM_FMT_PB, DM_SHARE_DIR), 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/danmaku-json.zdict", DM_SHARE_DIR);
    FILE *fp = fopen(path, "rb");
    if (fp) {
        fclose(fp);
        T_ASSERT(d.z.n == 2 && d.z.d[0].id != 0 && d.z.d[1].id != 0);
    }
    frame_dec_free(&d);
}

int main(void)
{
    T_RUN(test_json_fields);
    T_RUN(test_json_equals_pb);
    T_RUN(test_reset_gap);
    T_RUN(test_zstd_dictionary);
    T_RUN(test_zstd_stream_and_truncation);
    T_RUN(test_bad_json);
    T_RUN(test_bad_pb);
    T_RUN(test_bad_batch2);
    T_RUN(test_load_dict_files);
    return T_DONE();
}

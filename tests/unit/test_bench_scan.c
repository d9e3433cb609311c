/* test_bench_scan.c — the bench's fast frame scanner (client/frame_scan.h)
 * on frames from the edge's own encoder (through bench_enc) and against
 * client/frame_dec:
 * seqs, kinds and send times come out right for JSON, protobuf and zstd
 * (with the trained dictionary); gap/reset frames; the decode cache; and
 * every truncation of a frame is handled without crashing. */
#include "t.h"
#include <zstd.h>
#include "frame_dec.h"
#include "../../bench/bench_enc.h"
#include "frame_scan.h"

#define PREFIX "b4242-"

static const char *const TEXTS[] = {
    "\xe5\xa5\xbd\xe7\x9c\x8b \"seq\":1 },{\"seq\":99 \\",   /* tries to fool the scanner */
    "\"client_msg_id\":\"b4242-1-5\"} </script>",
    "\xe5\xbc\xb9\xe5\xb9\x95 \xf0\x9f\x98\x82",
};

static char cmids[8][64];

static size_t make(bev *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memset(&e[i], 0, sizeof e[i]);
        e[i].kind = i % 4 == 1 ? BEV_GIFT : i % 4 == 2 ? BEV_LIKE : BEV_COMMENT;
        e[i].seq = 1000 + i;
        e[i].ts_ms = 1763600000000ll + (int64_t)i;
        e[i].user_id = "u1";
        e[i].nick = e[i].kind == BEV_LIKE ? NULL : "nick";
        e[i].text = TEXTS[i % 3]; e[i].text_len = strlen(TEXTS[i % 3]);
        e[i].color = 16777215; e[i].size = 25; e[i].mode = (int)(i % 3);
        e[i].gift_id = "1"; e[i].gift_name = "\xe8\xbe\xa3\xe6\x9d\xa1"; e[i].count = 2; e[i].unit_value = 100;
        if (i % 3 == 2) e[i].client_msg_id = NULL;              /* not ours / absent */
        else if (i % 3 == 1) e[i].client_msg_id = "other-7-1234";
        else {
            snprintf(cmids[i], sizeof cmids[i], PREFIX "%zu-%lld", i, 1763600000000000ll + (long long)i * 7);
            e[i].client_msg_id = cmids[i];
        }
    }
    return n;
}

/* The edge's batch payload for e[0..n) in format fmt, appended to out. */
static void batch(dbuf *out, int fmt, const char *room, const char *epoch, const bev *e, size_t n)
{
    benc be;
    T_ASSERT(benc_init(&be, NULL, 3) == 0);
    benc_payload(&be, out, fmt, room, epoch, e, n);
    benc_free(&be);
}

static int check_frame(const scan_frame *f, const bev *e, size_t n)
{
    if (f->type != SCAN_BATCH || f->nev != n || f->from != e[0].seq || f->to != e[n - 1].seq) return 0;
    for (size_t i = 0; i < n; i++) {
        if (f->ev[i].seq != e[i].seq || f->ev[i].kind != (uint8_t)e[i].kind) return 0;
        if (f->ev[i].ts_ms != e[i].ts_ms) return 0;
        int64_t want = i % 3 == 0 ? 1763600000000000ll + (long long)i * 7 : -1;
        if (f->ev[i].send_us != want) return 0;
    }
    return 1;
}

static void test_json_batch(void)
{
    bev e[8]; size_t n = make(e, 8);
    dbuf b; dbuf_init(&b);
    batch(&b, 0, "r1", "0123456789abcdef", e, n);
    scan_frame f = { 0 };
    T_EQ_INT(scan_json((uint8_t *)b.data, b.len, PREFIX, &f), 0);
    T_ASSERT(check_frame(&f, e, n));
    /* agrees with the reference decoder */
    frame_dec d; frame_dec_init(&d);
    char err[128];
    Danmaku__Frame *fr = frame_dec_decode(&d, 0, 0, (uint8_t *)b.data, b.len, err, sizeof err);
    T_ASSERT(fr && fr->msg_case == DANMAKU__FRAME__MSG_BATCH && fr->batch->n_events == n);
    for (size_t i = 0; i < n; i++) T_EQ_U64(fr->batch->events[i]->seq, f.ev[i].seq);
    frame_dec_release(fr); frame_dec_free(&d);
    scan_frame_free(&f); dbuf_free(&b);
}

static void test_pb_batch(void)
{
    bev e[8]; size_t n = make(e, 8);
    dbuf b; dbuf_init(&b);
    batch(&b, 1, "r1", "0123456789abcdef", e, n);
    scan_frame f = { 0 };
    T_EQ_INT(scan_pb((uint8_t *)b.data, b.len, PREFIX, &f), 0);
    T_ASSERT(check_frame(&f, e, n));
    frame_dec d; frame_dec_init(&d);
    char err[128];
    Danmaku__Frame *fr = frame_dec_decode(&d, 1, 0, (uint8_t *)b.data, b.len, err, sizeof err);
    T_ASSERT(fr && fr->batch && fr->batch->n_events == n);
    T_EQ_STR(fr->batch->events[1]->client_msg_id, "other-7-1234");
    T_EQ_INT(fr->batch->events[1]->body_case, DANMAKU__EVENT__BODY_GIFT);
    frame_dec_release(fr); frame_dec_free(&d);
    scan_frame_free(&f); dbuf_free(&b);
}

/* v2 (Frame.batch2): seqs with a hole and ts_ms going back come out of the
 * deltas; no client_msg_id, so no send time. */
static void test_pb2_batch(void)
{
    bev e[8]; size_t n = make(e, 8);
    e[5].seq += 7; e[6].seq += 7; e[7].seq += 9;
    e[3].ts_ms -= 5000;
    dbuf b; dbuf_init(&b);
    batch(&b, 2, "r1", "0123456789abcdef", e, n);
    scan_frame f = { 0 };
    T_EQ_INT(scan_pb((uint8_t *)b.data, b.len, PREFIX, &f), 0);
    T_ASSERT(f.type == SCAN_BATCH && f.nev == n && f.from == e[0].seq && f.to == e[n - 1].seq);
    for (size_t i = 0; i < n; i++) {
        T_EQ_U64(f.ev[i].seq, e[i].seq);
        T_EQ_INT(f.ev[i].ts_ms, e[i].ts_ms);
        T_EQ_INT(f.ev[i].kind, e[i].kind);
        T_EQ_INT(f.ev[i].send_us, -1);
    }
    scan_frame_free(&f); dbuf_free(&b);
}

static void test_gap_reset(void)
{
    scan_frame f = { 0 };
    const char *gap = "{\"type\":\"gap\",\"room\":\"r1\",\"from_seq\":12,\"to_seq\":40,\"reason\":\"slow\"}";
    T_EQ_INT(scan_json((const uint8_t *)gap, strlen(gap), PREFIX, &f), 0);
    T_EQ_INT(f.type, SCAN_GAP); T_EQ_U64(f.from, 12); T_EQ_U64(f.to, 40);
    const char *rst = "{\"type\":\"reset\",\"room\":\"r1\",\"epoch\":\"ab\",\"from_seq\":77,\"reason\":\"trimmed\"}";
    T_EQ_INT(scan_json((const uint8_t *)rst, strlen(rst), PREFIX, &f), 0);
    T_EQ_INT(f.type, SCAN_RESET); T_EQ_U64(f.from, 77);
    /* protobuf Gap{from 5, to 9} and Reset{from_seq 3} */
    const uint8_t pgap[] = { 0x1a, 0x04, 0x08, 0x05, 0x10, 0x09 };
    T_EQ_INT(scan_pb(pgap, sizeof pgap, PREFIX, &f), 0);
    T_EQ_INT(f.type, SCAN_GAP); T_EQ_U64(f.from, 5); T_EQ_U64(f.to, 9);
    const uint8_t prst[] = { 0x12, 0x05, 0x0a, 0x01, 'e', 0x10, 0x03 };
    T_EQ_INT(scan_pb(prst, sizeof prst, PREFIX, &f), 0);
    T_EQ_INT(f.type, SCAN_RESET); T_EQ_U64(f.from, 3);
    scan_frame_free(&f);
}

static void zstd_with_dict(int fmt)
{
    bev e[8]; size_t n = make(e, 8);
    dbuf b; dbuf_init(&b);
    if (fmt) batch(&b, 1, "r1", "0123456789abcdef", e, n);
    else batch(&b, 0, "r1", "0123456789abcdef", e, n);
    char path[512];
    snprintf(path, sizeof path, "%s/danmaku-%s.zdict", DM_SHARE_DIR, fmt ? "pb" : "json");
    FILE *f = fopen(path, "rb");
    T_ASSERT(f);
    static char dict[1 << 16];
    size_t dl = fread(dict, 1, sizeof dict, f);
    fclose(f);
    ZSTD_CDict *cd = ZSTD_createCDict(dict, dl, 3);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t cap = ZSTD_compressBound(b.len);
    uint8_t *z = malloc(cap);
    size_t zl = ZSTD_compress_usingCDict(cc, z, cap, b.data, b.len, cd);
    T_ASSERT(!ZSTD_isError(zl));
    scan_ctx *sc = scan_ctx_new(fmt, DM_SHARE_DIR, PREFIX, 16);
    const scan_frame *sf = scan_decode(sc, z, zl);
    T_ASSERT(sf && check_frame(sf, e, n));
    sf = scan_decode(sc, z, zl);                 /* second viewer: cache */
    T_ASSERT(sf && check_frame(sf, e, n));
    uint64_t h, m, er; scan_stats(sc, &h, &m, &er);
    T_EQ_U64(h, 1); T_EQ_U64(m, 1); T_EQ_U64(er, 0);
    z[zl / 2] ^= 0x55;                           /* corrupted: error, not a stale hit */
    sf = scan_decode(sc, z, zl);
    scan_stats(sc, &h, &m, &er);
    T_EQ_U64(m, 2);
    scan_ctx_free(sc);
    /* without the dictionary the dict-compressed frame is refused */
    z[zl / 2] ^= 0x55;
    sc = scan_ctx_new(fmt, NULL, PREFIX, 16);
    T_ASSERT(scan_decode(sc, z, zl) == NULL);
    scan_ctx_free(sc);
    free(z); ZSTD_freeCCtx(cc); ZSTD_freeCDict(cd); dbuf_free(&b);
}

static void test_zstd_json_dict(void) { zstd_with_dict(0); }
static void test_zstd_pb_dict(void) { zstd_with_dict(1); }

static void test_truncations(void)
{
    bev e[6]; size_t n = make(e, 6);
    for (int fmt = 0; fmt < 2; fmt++) {
        dbuf b; dbuf_init(&b);
        if (fmt) batch(&b, 1, "r1", "ep", e, n); else batch(&b, 0, "r1", "ep", e, n);
        scan_frame f = { 0 };
        for (size_t cut = 0; cut < b.len; cut++) {
            uint8_t *p = malloc(cut ? cut : 1);      /* exact-size copy: ASan sees over-reads */
            memcpy(p, b.data, cut);
            if (fmt) scan_pb(p, cut, PREFIX, &f); else scan_json(p, cut, PREFIX, &f);
            T_ASSERT(f.nev <= n);
            free(p);
        }
        scan_frame_free(&f); dbuf_free(&b);
    }
}

static void test_cmid_parse(void)
{
    T_EQ_INT(scan_cmid(PREFIX "12-345", 12, PREFIX), 345);
    T_EQ_INT(scan_cmid("b1-12-345", 9, PREFIX), -1);
    T_EQ_INT(scan_cmid(PREFIX "12-34x", 12, PREFIX), -1);
    T_EQ_INT(scan_cmid(PREFIX "12-", 9, PREFIX), -1);
}

int main(void)
{
    T_RUN(test_json_batch);
    T_RUN(test_pb_batch);
    T_RUN(test_pb2_batch);
    T_RUN(test_gap_reset);
    T_RUN(test_zstd_json_dict);
    T_RUN(test_zstd_pb_dict);
    T_RUN(test_truncations);
    T_RUN(test_cmid_parse);
    return T_DONE();
}

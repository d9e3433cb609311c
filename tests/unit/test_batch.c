/* test_batch.c — the edge's batch encoder: encode -> (zstd, with and without
 * a trained dictionary) -> WebSocket frame -> frame_dec round trip in json and
 * pb, with hostile texts (CJK, emoji, quotes, </script>, controls, U+2028),
 * gifts and likes; the concatenated pb batch unpacks with protobuf-c to the
 * very bytes stored; reset, gap and degraded (slow viewer) frames. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zdict.h>
#include <zstd.h>
#include "../../edge/batch.h"
#include "evt.h"
#include "wire.h"
#include "danmaku.pb-c.h"
#include "frame_dec.h"
#include "t.h"
#include "ws.h"

static const char *texts[] = {
    "hello", "你好，世界", "emoji 😀🎉👍", "quotes \"double\" 'single' back\\slash",
    "</script><script>alert(1)</script>", "ctl \x01\x02\x1f tab\tnl\n\x7f", "line\xe2\x80\xa8sep\xe2\x80\xa9para",
    "mixed 弹幕 ✨ 🚀 <b>&amp;</b>",
};
#define NTEXTS (sizeof texts / sizeof texts[0])

/* Builds the protobuf bytes of event i (comment, gift or like). */
static uint8_t *make_event(int i, uint64_t seq, size_t *len)
{
    Danmaku__Event ev = DANMAKU__EVENT__INIT;
    Danmaku__Comment c = DANMAKU__COMMENT__INIT;
    Danmaku__Gift g = DANMAKU__GIFT__INIT;
    Danmaku__Like l = DANMAKU__LIKE__INIT;
    char uid[32], nick[64], cmid[32];
    char *flags[] = {"masked", "contact"};
    snprintf(uid, sizeof uid, "u%d", i);
    snprintf(nick, sizeof nick, "昵称\"%d\"</script>", i);
    snprintf(cmid, sizeof cmid, "m-%d", i);
    ev.has_seq = 1;
    ev.seq = seq;
    ev.has_ts_ms = 1;
    ev.ts_ms = 1700000000000LL + i;
    ev.user_id = uid;
    ev.nick = nick;
    if (i % 3 == 0)
        ev.client_msg_id = cmid;
    if (i % 5 == 0) {
        ev.n_flags = 2;
        ev.flags = flags;
        ev.risk = "contact";
    }
    if (i % 7 == 5) {
        ev.body_case = DANMAKU__EVENT__BODY_GIFT;
        ev.gift = &g;
        g.gift_id = "rocket";
        g.gift_name = "火箭 🚀";
        g.has_count = 1;
        g.count = 1 + i % 3;
        g.has_unit_value = 1;
        g.unit_value = 50000 + (uint64_t)i;
    } else if (i % 7 == 6) {
        ev.body_case = DANMAKU__EVENT__BODY_LIKE;
        ev.like = &l;
        l.has_count = 1;
        l.count = 3;
    } else {
        ev.body_case = DANMAKU__EVENT__BODY_COMMENT;
        ev.comment = &c;
        c.text = (char *)texts[i % NTEXTS];
        c.has_color = 1;
        c.color = (uint32_t)(i * 2654435761u) & 0xffffff;
        c.has_mode = 1;
        c.mode = (Danmaku__Mode)(i % 3);
        c.has_size = 1;
        c.size = 18 + i % 10;
    }
    *len = danmaku__event__get_packed_size(&ev);
    uint8_t *b = malloc(*len);
    danmaku__event__pack(&ev, b);
    return b;
}

#define N 60
static evt *evs[N];
static uint8_t *raw[N];
static size_t raw_len[N];
static char dict_dir[64];

static void make_all(void)
{
    for (int i = 0; i < N; i++) {
        raw[i] = make_event(i, 101 + (uint64_t)i, &raw_len[i]);
        evs[i] = evt_new(raw[i], raw_len[i], 0);
    }
}

static int str_eq(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

/* Same content, field by field (JSON carries defaults explicitly). */
static int same_event(const Danmaku__Event *a, const Danmaku__Event *b)
{
    if (a->seq != b->seq || a->ts_ms != b->ts_ms || !str_eq(a->user_id, b->user_id)
        || !str_eq(a->nick, b->nick) || !str_eq(a->client_msg_id, b->client_msg_id)
        || !str_eq(a->risk, b->risk) || a->n_flags != b->n_flags || a->body_case != b->body_case)
        return 0;
    for (size_t i = 0; i < a->n_flags; i++)
        if (strcmp(a->flags[i], b->flags[i]))
            return 0;
    switch (a->body_case) {
    case DANMAKU__EVENT__BODY_COMMENT:
        return str_eq(a->comment->text, b->comment->text) && a->comment->color == b->comment->color
               && a->comment->mode == b->comment->mode && a->comment->size == b->comment->size;
    case DANMAKU__EVENT__BODY_GIFT:
        return str_eq(a->gift->gift_id, b->gift->gift_id) && str_eq(a->gift->gift_name, b->gift->gift_name)
               && a->gift->count == b->gift->count && a->gift->unit_value == b->gift->unit_value;
    case DANMAKU__EVENT__BODY_LIKE:
        return a->like->count == b->like->count;
    default:
        return 0;
    }
}

/* Strips the server frame header; checks FIN, no mask, the opcode. */
static const uint8_t *unframe(rbuf *r, int want_op, size_t *len)
{
    ws_frame f;
    int cc = 0;
    int n = ws_parse_frame(r->data, r->len, WS_ROLE_CLIENT, 1u << 30, &f, &cc);
    if (n != (int)r->len || !f.fin || f.masked || f.opcode != want_op)
        return NULL;
    *len = (size_t)f.payload_len;
    return f.payload;
}

static int check_roundtrip(int fmt, int zstd, int with_dict)
{
    batch_ctx c;
    if (batch_ctx_init(&c, with_dict ? dict_dir : NULL, 3))
        return 0;
    frame_dec d;
    frame_dec_init(&d);
    if (with_dict && frame_dec_load_dict_file(&d, fmt, dict_dir))
        return 0;
    int ok = 1;
    for (size_t start = 0, n = 1; start < N && ok; start += n, n = n * 2 + 1) {
        if (start + n > N)
            n = N - start;
        rbuf *r = batch_frame(&c, fmt, zstd, "room_1", "9f2c0011aabbccdd", evs + start, n);
        size_t plen;
        const uint8_t *p = unframe(r, fmt == BATCH_JSON && !zstd ? WS_OP_TEXT : WS_OP_BINARY, &plen);
        if (!p) {
            fprintf(stderr, "  bad ws frame\n");
            ok = 0;
        } else if (zstd && ZSTD_getDictID_fromFrame(p, plen) != (with_dict ? c.dict_id[fmt] : 0)) {
            fprintf(stderr, "  dictID %u\n", ZSTD_getDictID_fromFrame(p, plen));
            ok = 0;
        } else {
            char err[256];
            Danmaku__Frame *f = frame_dec_decode(&d, fmt, zstd, p, plen, err, sizeof err);
            if (!f || f->msg_case != DANMAKU__FRAME__MSG_BATCH) {
                fprintf(stderr, "  decode: %s\n", f ? "not a batch" : err);
                ok = 0;
            } else {
                Danmaku__Batch *b = f->batch;
                ok = str_eq(b->room, "room_1") && str_eq(b->epoch, "9f2c0011aabbccdd")
                     && b->from_seq == 101 + start && b->to_seq == 101 + start + n - 1 && b->n_events == n;
                for (size_t i = 0; ok && i < n; i++) {
                    Danmaku__Event *want = danmaku__event__unpack(NULL, raw_len[start + i], raw[start + i]);
                    char *cmid = want->client_msg_id;
                    if (fmt == BATCH_PB2)      /* v2 does not carry client_msg_id */
                        want->client_msg_id = NULL;
                    ok = same_event(b->events[i], want);
                    want->client_msg_id = cmid;
                    if (!ok)
                        fprintf(stderr, "  event %zu differs (fmt %d zstd %d dict %d)\n", start + i, fmt, zstd, with_dict);
                    danmaku__event__free_unpacked(want, NULL);
                }
            }
            if (f)
                frame_dec_release(f);
        }
        rbuf_unref(r);
    }
    frame_dec_free(&d);
    batch_ctx_free(&c);
    return ok;
}

static void test_roundtrip_plain(void)
{
    for (int fmt = 0; fmt < WIRE_NFMT; fmt++)
        for (int z = 0; z < 2; z++)
            T_ASSERT(check_roundtrip(fmt, z, 0));
}

static void test_roundtrip_dictionary(void)
{
    for (int fmt = 0; fmt < WIRE_NFMT; fmt++)
        T_ASSERT(check_roundtrip(fmt, 1, 1));
}

static void test_pb_concatenation_unpacks(void)
{
    dbuf b;
    dbuf_init(&b);
    wire_batch_payload(&b, BATCH_PB, "r1", "e", evs, N);
    Danmaku__Frame *f = danmaku__frame__unpack(NULL, b.len, (uint8_t *)b.data);
    T_ASSERT(f && f->msg_case == DANMAKU__FRAME__MSG_BATCH);
    T_EQ_INT(f->batch->n_events, N);
    T_EQ_U64(f->batch->from_seq, 101);
    T_EQ_U64(f->batch->to_seq, 100 + N);
    for (int i = 0; i < N; i++) {
        /* re-packing the unpacked event gives the stored bytes back */
        size_t n = danmaku__event__get_packed_size(f->batch->events[i]);
        uint8_t *p = malloc(n);
        danmaku__event__pack(f->batch->events[i], p);
        T_EQ_INT(n, raw_len[i]);
        T_EQ_MEM(p, raw[i], n);
        free(p);
    }
    danmaku__frame__free_unpacked(f, NULL);
    dbuf_free(&b);
}

static void test_json_is_escaped_and_valid(void)
{
    dbuf b;
    dbuf_init(&b);
    wire_batch_payload(&b, BATCH_JSON, "r1", "ep", evs, N);
    T_ASSERT(!strstr(b.data, "</script>"));
    T_ASSERT(!memchr(b.data, '\n', b.len) && !memchr(b.data, 0x01, b.len) && !memchr(b.data, 0x7f, b.len));
    T_ASSERT(!strstr(b.data, "\xe2\x80\xa8"));
    T_ASSERT(strstr(b.data, "你好，世界") && strstr(b.data, "😀🎉👍"));   /* UTF-8 passes through */
    json_error_t je;
    json_t *j = json_loadb(b.data, b.len, 0, &je);
    T_ASSERT(j);
    T_EQ_STR(json_string_value(json_object_get(j, "type")), "batch");
    json_t *arr = json_object_get(j, "events");
    T_EQ_INT(json_array_size(arr), N);
    json_t *e0 = json_array_get(arr, 0), *e5 = json_array_get(arr, 5), *e6 = json_array_get(arr, 6);
    T_EQ_STR(json_string_value(json_object_get(e0, "kind")), "comment");
    T_EQ_STR(json_string_value(json_object_get(e0, "mode")), "scroll");
    T_EQ_STR(json_string_value(json_object_get(e0, "client_msg_id")), "m-0");
    T_EQ_STR(json_string_value(json_object_get(e0, "risk")), "contact");
    T_EQ_STR(json_string_value(json_array_get(json_object_get(e0, "flags"), 1)), "contact");
    T_EQ_STR(json_string_value(json_object_get(json_array_get(arr, 4), "text")), texts[4]);
    T_EQ_STR(json_string_value(json_object_get(json_array_get(arr, 5 + 7), "gift_name")), "火箭 🚀");
    T_EQ_STR(json_string_value(json_object_get(e5, "kind")), "gift");
    T_EQ_INT(json_integer_value(json_object_get(e5, "unit_value")), 50005);
    T_EQ_STR(json_string_value(json_object_get(e6, "kind")), "like");
    T_EQ_INT(json_integer_value(json_object_get(e6, "count")), 3);
    T_ASSERT(!json_object_get(e6, "text"));
    json_decref(j);
    dbuf_free(&b);
}

static void test_reset_and_gap_frames(void)
{
    batch_ctx c;
    T_ASSERT(batch_ctx_init(&c, NULL, 3) == 0);
    frame_dec d;
    frame_dec_init(&d);
    for (int fmt = 0; fmt < WIRE_NFMT; fmt++)
        for (int z = 0; z < 2; z++) {
            rbuf *r = batch_reset_frame(&c, fmt, z, "rm", "abcd", 77, "trimmed");
            size_t n;
            const uint8_t *p = unframe(r, fmt == BATCH_JSON && !z ? WS_OP_TEXT : WS_OP_BINARY, &n);
            T_ASSERT(p);
            char err[128];
            Danmaku__Frame *f = frame_dec_decode(&d, fmt, z, p, n, err, sizeof err);
            T_ASSERT(f && f->msg_case == DANMAKU__FRAME__MSG_RESET);
            T_EQ_STR(f->reset->epoch, "abcd");
            T_EQ_STR(f->reset->reason, "trimmed");
            T_EQ_STR(f->reset->room, "rm");
            T_EQ_U64(f->reset->from_seq, 77);
            frame_dec_release(f);
            rbuf_unref(r);
            r = batch_gap_frame(&c, fmt, z, "rm", 5, 9, "slow");
            p = unframe(r, fmt == BATCH_JSON && !z ? WS_OP_TEXT : WS_OP_BINARY, &n);
            T_ASSERT(p);
            f = frame_dec_decode(&d, fmt, z, p, n, err, sizeof err);
            T_ASSERT(f && f->msg_case == DANMAKU__FRAME__MSG_GAP);
            T_EQ_U64(f->gap->from_seq, 5);
            T_EQ_U64(f->gap->to_seq, 9);
            T_EQ_STR(f->gap->reason, "slow");
            frame_dec_release(f);
            rbuf_unref(r);
        }
    frame_dec_free(&d);
    batch_ctx_free(&c);
}

/* Slow viewers: comment runs become gaps, gifts/likes stay, in seq order, and
 * every seq is covered exactly once. */
static void test_degraded_frames(void)
{
    batch_ctx c;
    T_ASSERT(batch_ctx_init(&c, NULL, 3) == 0);
    frame_dec d;
    frame_dec_init(&d);
    unsigned ngaps;
    rbuf *r = batch_degraded(&c, BATCH_PB, 1, "rm", "ep", evs, 20, &ngaps);
    uint64_t next = 101;
    unsigned gaps = 0, kept = 0;
    size_t off = 0;
    while (off < r->len) {
        ws_frame f;
        int cc;
        int n = ws_parse_frame(r->data + off, r->len - off, WS_ROLE_CLIENT, 1u << 30, &f, &cc);
        T_ASSERT(n > 0);
        char err[128];
        Danmaku__Frame *fr = frame_dec_decode(&d, BATCH_PB, 1, f.payload, (size_t)f.payload_len, err, sizeof err);
        T_ASSERT(fr);
        if (fr->msg_case == DANMAKU__FRAME__MSG_GAP) {
            T_EQ_U64(fr->gap->from_seq, next);
            next = fr->gap->to_seq + 1;
            gaps++;
        } else {
            T_ASSERT(fr->msg_case == DANMAKU__FRAME__MSG_BATCH);
            for (size_t i = 0; i < fr->batch->n_events; i++) {
                T_EQ_U64(fr->batch->events[i]->seq, next);
                T_ASSERT(fr->batch->events[i]->body_case != DANMAKU__EVENT__BODY_COMMENT);
                next++;
                kept++;
            }
        }
        frame_dec_release(fr);
        off += (size_t)n;
    }
    T_EQ_U64(next, 121);
    T_EQ_INT(gaps, ngaps);
    T_EQ_INT(kept, 5);      /* i % 7 in {5, 6} for i < 20: 5, 6, 12, 13, 19 */
    rbuf_unref(r);
    frame_dec_free(&d);
    batch_ctx_free(&c);
}

/* v2: seqs and times are delta-coded (a batch with holes and a clock going
 * back decodes to the very seqs and ts_ms), default body fields and
 * client_msg_id are not sent, and the payload is smaller than v1's. */
static void test_v2_deltas_and_size(void)
{
    evt *pick[5] = { evs[3], evs[4], evs[9], evs[10], evs[40] };
    int64_t ts[5] = { 1700000000000LL, 1699999999990LL, 1700000000500LL, 1700000000500LL, 1700000360000LL };
    for (int i = 0; i < 5; i++)
        pick[i]->ts_ms = ts[i];
    dbuf v1, v2;
    dbuf_init(&v1); dbuf_init(&v2);
    wire_batch_payload(&v1, BATCH_PB, "r1", "9f2c0011aabbccdd", evs, N);
    wire_batch_payload(&v2, BATCH_PB2, "r1", "9f2c0011aabbccdd", evs, N);
    T_ASSERT(v2.len * 10 < v1.len * 9);
    dbuf_reset(&v2);
    wire_batch_payload(&v2, BATCH_PB2, "r1", "9f2c0011aabbccdd", pick, 5);
    frame_dec d;
    frame_dec_init(&d);
    char err[200];
    Danmaku__Frame *f = frame_dec_decode(&d, DM_FMT_PB2, 0, (uint8_t *)v2.data, v2.len, err, sizeof err);
    T_ASSERT(f && f->msg_case == DANMAKU__FRAME__MSG_BATCH && f->batch->n_events == 5);
    T_EQ_U64(f->batch->from_seq, pick[0]->seq);
    T_EQ_U64(f->batch->to_seq, pick[4]->seq);
    for (int i = 0; i < 5; i++) {
        T_EQ_U64(f->batch->events[i]->seq, pick[i]->seq);
        T_EQ_INT(f->batch->events[i]->ts_ms, ts[i]);
        T_ASSERT(f->batch->events[i]->client_msg_id == NULL);
    }
    frame_dec_release(f);
    /* a plain comment: no seq, ts_ms, color/mode/size defaults on the wire */
    Danmaku__Event ev = DANMAKU__EVENT__INIT;
    Danmaku__Comment c = DANMAKU__COMMENT__INIT;
    ev.user_id = "u";
    ev.nick = "n";
    ev.client_msg_id = "cm";
    ev.body_case = DANMAKU__EVENT__BODY_COMMENT;
    ev.comment = &c;
    c.text = "hi";
    c.has_color = c.has_mode = c.has_size = 1;
    c.color = 16777215;
    c.size = 25;
    dbuf one;
    dbuf_init(&one);
    evt_render_compact(&one, &ev);
    static const uint8_t want[] = { 0x1a, 1, 'u', 0x22, 1, 'n', 0x52, 4, 0x0a, 2, 'h', 'i' };
    T_EQ_INT(one.len, sizeof want);
    T_EQ_MEM(one.data, want, sizeof want);
    for (int i = 0; i < 5; i++)
        pick[i]->ts_ms = 1700000000000LL + (i == 0 ? 3 : i == 1 ? 4 : i == 2 ? 9 : i == 3 ? 10 : 40);
    dbuf_free(&one); dbuf_free(&v1); dbuf_free(&v2);
    frame_dec_free(&d);
}

/* Dictionary rollover: with the new dictionaries in dict_dir and the old ones
 * in dict_dir/previous, a viewer that names the old ID gets frames under the
 * old dictionary (which a client holding only that one decodes), everyone
 * else the new one; both files are served by ID. */
static int write_dict(const char *dir, int fmt, int n, int stride, size_t dict_size);

static void test_previous_dictionary(void)
{
    char dir2[64], prev[128], path[256], old[256];
    snprintf(dir2, sizeof dir2, "/tmp/dm-test-batch2-XXXXXX");
    T_ASSERT(mkdtemp(dir2) != NULL);
    snprintf(prev, sizeof prev, "%s/previous", dir2);
    T_ASSERT(mkdir(prev, 0755) == 0);
    for (int fmt = 0; fmt < WIRE_NFMT; fmt++) {       /* old = the trained test dicts */
        snprintf(old, sizeof old, "%s/%s", dict_dir, wire_dict_name(fmt));
        snprintf(path, sizeof path, "%s/%s", prev, wire_dict_name(fmt));
        T_ASSERT(link(old, path) == 0);
        T_ASSERT(write_dict(dir2, fmt, 300, 11, 3000) == 0);   /* new: other samples, other ID */
    }
    batch_ctx c;
    T_ASSERT(batch_ctx_init(&c, dir2, 3) == 0);
    for (int fmt = 0; fmt < WIRE_NFMT; fmt++) {
        unsigned now = c.dict_id[fmt], was = c.enc.dict_id[fmt][1];
        T_ASSERT(now && was && now != was);
        T_EQ_INT(batch_zstd_for(&c, fmt, was), 2);
        T_EQ_INT(batch_zstd_for(&c, fmt, now), 1);
        T_EQ_INT(batch_zstd_for(&c, fmt, 12345), 1);
        T_EQ_INT(batch_zstd_for(&c, fmt, 0), 1);
        T_ASSERT(batch_dict_by_id(&c, was) == c.dict_slot[fmt][1] && batch_dict_by_id(&c, now) == c.dict_bytes[fmt]);
        frame_dec d;                                  /* a client that cached the old one only */
        frame_dec_init(&d);
        rbuf *od = batch_dict_by_id(&c, was);
        T_EQ_INT(frame_dec_set_dict(&d, fmt, od->data, od->len), 0);
        for (int z = 1; z <= 2; z++) {
            rbuf *r = batch_frame(&c, fmt, z, "room_1", "9f2c0011aabbccdd", evs, 10);
            size_t plen;
            const uint8_t *p = unframe(r, WS_OP_BINARY, &plen);
            T_ASSERT(p && ZSTD_getDictID_fromFrame(p, plen) == (z == 2 ? was : now));
            char err[200];
            Danmaku__Frame *fr = frame_dec_decode(&d, fmt, 1, p, plen, err, sizeof err);
            T_ASSERT(z == 2 ? fr && fr->batch->n_events == 10 : fr == NULL);
            frame_dec_release(fr);
            rbuf_unref(r);
        }
        frame_dec_free(&d);
        snprintf(path, sizeof path, "%s/%s", prev, wire_dict_name(fmt));
        unlink(path);
        snprintf(path, sizeof path, "%s/%s", dir2, wire_dict_name(fmt));
        unlink(path);
    }
    T_ASSERT(batch_dict_by_id(&c, 0) == NULL && batch_dict_by_id(&c, 12345) == NULL);
    /* the query forms the edge reads */
    char q[128];
    int fmt, z, bad;
    unsigned was = c.enc.dict_id[BATCH_PB2][1];
    snprintf(q, sizeof q, "format=pb&v=2&compress=zstd&zdict=%u", was);
    T_ASSERT(batch_query_variant(&c, q, strlen(q), &fmt, &z) == 0 && fmt == BATCH_PB2 && z == 2);
    T_ASSERT(batch_query_variant(&c, "", 0, &fmt, &z) == 0 && fmt == BATCH_JSON && z == 0);
    T_ASSERT(batch_query_variant(&c, "format=pb&compress=zstd&zdict=7", 31, &fmt, &z) == 0
             && fmt == BATCH_PB && z == 1);
    T_ASSERT(batch_query_variant(&c, "format=json&v=2", 15, &fmt, &z) == 0 && fmt == BATCH_JSON);
    static const char *const badq[] = { "format=xml", "v=3", "compress=gzip", "zdict=x", "zdict=-1",
                                        "zdict=99999999999", "zdict=", NULL };
    for (int i = 0; badq[i]; i++)
        T_ASSERT(batch_query_variant(&c, badq[i], strlen(badq[i]), &fmt, &z) == -1);
    snprintf(q, sizeof q, "id=%u", was);
    T_ASSERT(batch_query_dict(&c, q, strlen(q), &bad) == c.dict_slot[BATCH_PB2][1] && !bad);
    T_ASSERT(batch_query_dict(&c, "format=pb&v=2", 13, &bad) == c.dict_bytes[BATCH_PB2] && !bad);
    T_ASSERT(batch_query_dict(&c, "", 0, &bad) == c.dict_bytes[BATCH_JSON] && !bad);
    T_ASSERT(batch_query_dict(&c, "id=12345", 8, &bad) == NULL && !bad);
    T_ASSERT(batch_query_dict(&c, "format=gif", 10, &bad) == NULL && bad);
    batch_ctx_free(&c);
    rmdir(prev);
    rmdir(dir2);
}

static void test_undecodable_bytes(void)
{
    static const uint8_t junk[] = {0xff, 0xff, 0xff};
    T_ASSERT(evt_new(junk, sizeof junk, 0) == NULL);    /* no seq known */
    evt *e = evt_new(junk, sizeof junk, 42);              /* seq from the stream ID */
    T_ASSERT(e && e->seq == 42 && e->kind == EVT_UNKNOWN);
    T_EQ_STR(e->json, "{\"seq\":42,\"kind\":\"unknown\"}");
    evt_unref(e);
}

/* Trains a dict_size-byte dictionary for fmt from n batch payloads (batch k
 * starts at event k * stride % (N - 8)) into dir/<name>. 0 / -1. */
static int write_dict(const char *dir, int fmt, int n, int stride, size_t dict_size)
{
    dbuf all;
    dbuf_init(&all);
    size_t *sizes = calloc((size_t)n, sizeof *sizes);
    for (int s = 0; s < n; s++) {
        size_t before = all.len, k = 1 + (size_t)s % 8, start = (size_t)(s * stride) % (N - 8);
        wire_batch_payload(&all, fmt, "room_1", "9f2c0011aabbccdd", evs + start, k);
        sizes[s] = all.len - before;
    }
    char dict[8192], path[256];
    size_t dn = ZDICT_trainFromBuffer(dict, dict_size, all.data, sizes, (unsigned)n);
    dbuf_free(&all);
    free(sizes);
    if (ZDICT_isError(dn))
        return -1;
    snprintf(path, sizeof path, "%s/%s", dir, wire_dict_name(fmt));
    FILE *f = fopen(path, "wb");
    int rc = f && fwrite(dict, 1, dn, f) == dn ? 0 : -1;
    if (f && fclose(f))
        rc = -1;
    return rc;
}

/* Trains a small dictionary per format from batch payloads into dict_dir. */
static int train_dicts(void)
{
    snprintf(dict_dir, sizeof dict_dir, "/tmp/dm-test-batch-XXXXXX");
    if (!mkdtemp(dict_dir))
        return -1;
    for (int fmt = 0; fmt < WIRE_NFMT; fmt++)
        if (write_dict(dict_dir, fmt, 400, 7, 4096))
            return -1;
    return 0;
}

static void cleanup_dicts(void)
{
    char path[128];
    for (int fmt = 0; fmt < WIRE_NFMT; fmt++) {
        snprintf(path, sizeof path, "%s/%s", dict_dir, wire_dict_name(fmt));
        unlink(path);
    }
    rmdir(dict_dir);
}

static void test_dictionary_trained(void)
{
    T_ASSERT(train_dicts() == 0);
}

int main(void)
{
    make_all();
    T_RUN(test_pb_concatenation_unpacks);
    T_RUN(test_json_is_escaped_and_valid);
    T_RUN(test_roundtrip_plain);
    T_RUN(test_dictionary_trained);
    T_RUN(test_roundtrip_dictionary);
    T_RUN(test_previous_dictionary);
    T_RUN(test_reset_and_gap_frames);
    T_RUN(test_degraded_frames);
    T_RUN(test_undecodable_bytes);
    T_RUN(test_v2_deltas_and_size);
    cleanup_dicts();
    for (int i = 0; i < N; i++) {
        evt_unref(evs[i]);
        free(raw[i]);
    }
    return T_DONE();
}

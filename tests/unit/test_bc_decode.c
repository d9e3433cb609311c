/* test_bc_decode.c — the broadcaster's request decoding and validation:
 * JSON and protobuf bodies of every kind into danmaku.Event bytes, and every
 * rejection class with its status and error code. */
#include "t.h"
#include "../../broadcaster/bc_decode.h"
#include "danmaku.pb-c.h"

static const bc_limits LIM = { .max_text_cps = 10 };

/* Decodes a JSON body; returns the status (200 on success), code in *code. */
static int dj(int kind, const char *body, size_t len, bc_event *ev, const char **code)
{
    bc_err err;
    if (bc_decode(kind, BC_CT_JSON, body, len, &LIM, ev, &err) == 0) {
        *code = "";
        return 200;
    }
    *code = err.code;
    return err.status;
}

#define EXPECT_JSON(kind, body, st, cd) do { bc_event ev_; const char *c_; bc_event_init(&ev_); \
    int s_ = dj(kind, body, sizeof(body) - 1, &ev_, &c_); bc_event_free(&ev_); \
    if (s_ != (st) || strcmp(c_, cd)) { T_FAIL_("%s -> %d %s, expected %d %s", body, s_, c_, st, cd); return; } \
} while (0)

static Danmaku__Event *unpack(const bc_event *ev)
{
    return danmaku__event__unpack(NULL, ev->pb.len, (const uint8_t *)ev->pb.data);
}

static void test_room_names(void)
{
    T_ASSERT(bc_room_valid("r1", 2));
    T_ASSERT(bc_room_valid("A-z_09", 6));
    char r64[65];
    memset(r64, 'a', 64);
    T_ASSERT(bc_room_valid(r64, 64));
    r64[64] = 0;
    T_ASSERT(!bc_room_valid("", 0));
    T_ASSERT(!bc_room_valid("a b", 3));
    T_ASSERT(!bc_room_valid("a%20", 4));
    T_ASSERT(!bc_room_valid("a.b", 3));
    T_ASSERT(!bc_room_valid("房间", 6));
}

static void test_json_comment(void)
{
    static const char body[] = "{\"user_id\":\"u1\",\"nick\":\"观众\",\"text\":\"前方高能 🎉\","
                               "\"color\":255,\"mode\":\"top\",\"size\":36,\"client_msg_id\":\"m-1\"}";
    bc_event ev;
    const char *code;
    bc_event_init(&ev);
    T_EQ_INT(dj(BC_COMMENT, body, sizeof body - 1, &ev, &code), 200);
    T_EQ_STR(ev.user_id, "u1");
    T_EQ_STR(ev.cmid, "m-1");
    Danmaku__Event *e = unpack(&ev);
    T_ASSERT(e);
    T_ASSERT(!e->has_seq && !e->has_ts_ms);
    T_EQ_STR(e->user_id, "u1");
    T_EQ_STR(e->nick, "观众");
    T_EQ_STR(e->client_msg_id, "m-1");
    T_EQ_INT(e->body_case, DANMAKU__EVENT__BODY_COMMENT);
    T_EQ_STR(e->comment->text, "前方高能 🎉");
    T_EQ_INT(e->comment->color, 255);
    T_EQ_INT(e->comment->mode, DANMAKU__MODE__MODE_TOP);
    T_EQ_INT(e->comment->size, 36);
    danmaku__event__free_unpacked(e, NULL);
    bc_event_free(&ev);
}

static void test_json_comment_defaults(void)
{
    static const char body[] = "{\"user_id\":\"u1\",\"nick\":\"\",\"text\":\"hi\",\"extra\":[1,2]}";
    bc_event ev;
    const char *code;
    bc_event_init(&ev);
    T_EQ_INT(dj(BC_COMMENT, body, sizeof body - 1, &ev, &code), 200);
    T_EQ_INT(ev.cmid_len, 0);
    Danmaku__Event *e = unpack(&ev);
    T_ASSERT(e && e->comment);
    T_ASSERT(e->client_msg_id == NULL);
    T_ASSERT(e->comment->has_color && e->comment->color == 16777215);
    T_ASSERT(e->comment->has_mode && e->comment->mode == DANMAKU__MODE__MODE_SCROLL);
    T_ASSERT(e->comment->has_size && e->comment->size == 25);
    danmaku__event__free_unpacked(e, NULL);
    bc_event_free(&ev);
}

static void test_json_gift_and_like(void)
{
    static const char gift[] = "{\"user_id\":\"u2\",\"nick\":\"土豪\",\"gift_id\":\"g1\",\"gift_name\":\"小电视\","
                               "\"count\":3,\"unit_value\":245000,\"client_msg_id\":\"x\"}";
    static const char like[] = "{\"user_id\":\"u3\",\"count\":7}";
    bc_event ev;
    const char *code;
    bc_event_init(&ev);
    T_EQ_INT(dj(BC_GIFT, gift, sizeof gift - 1, &ev, &code), 200);
    Danmaku__Event *e = unpack(&ev);
    T_ASSERT(e && e->body_case == DANMAKU__EVENT__BODY_GIFT);
    T_EQ_STR(e->gift->gift_id, "g1");
    T_EQ_STR(e->gift->gift_name, "小电视");
    T_EQ_INT(e->gift->count, 3);
    T_EQ_U64(e->gift->unit_value, 245000);
    danmaku__event__free_unpacked(e, NULL);
    T_EQ_INT(dj(BC_LIKE, like, sizeof like - 1, &ev, &code), 200);
    e = unpack(&ev);
    T_ASSERT(e && e->body_case == DANMAKU__EVENT__BODY_LIKE);
    T_EQ_STR(e->user_id, "u3");
    T_EQ_INT(e->like->count, 7);
    danmaku__event__free_unpacked(e, NULL);
    bc_event_free(&ev);
}

static void test_json_syntax_and_types(void)
{
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u1\",", 400, "bad_json");
    EXPECT_JSON(BC_COMMENT, "", 400, "bad_json");
    EXPECT_JSON(BC_COMMENT, "[1,2]", 400, "bad_json");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u1\",\"user_id\":\"u2\",\"nick\":\"\",\"text\":\"a\"}", 400, "bad_json");
    EXPECT_JSON(BC_COMMENT, "{\"nick\":\"n\",\"text\":\"a\"}", 400, "missing_field");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\"}", 400, "missing_field");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"text\":\"t\"}", 400, "missing_field");
    EXPECT_JSON(BC_GIFT, "{\"user_id\":\"u\",\"nick\":\"n\",\"gift_id\":\"g\",\"gift_name\":\"x\",\"count\":1}", 400, "missing_field");
    EXPECT_JSON(BC_LIKE, "{\"user_id\":\"u\"}", 400, "missing_field");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":true,\"nick\":\"n\",\"text\":\"a\"}", 400, "bad_field_type");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":[7],\"nick\":\"n\",\"text\":\"a\"}", 400, "bad_field_type");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":[\"a\"]}", 400, "bad_field_type");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"a\",\"color\":\"red\"}", 400, "bad_field_type");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"a\",\"size\":25.5}", 400, "bad_field_type");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"a\",\"mode\":1}", 400, "bad_field_type");
    EXPECT_JSON(BC_LIKE, "{\"user_id\":\"u\",\"count\":true}", 400, "bad_field_type");
    EXPECT_JSON(BC_LIKE, "{\"user_id\":\"u\",\"count\":1,\"client_msg_id\":5}", 400, "bad_field_type");
}

static void test_json_text_rules(void)
{
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"\"}", 422, "empty_text");
    /* limit 10 code points: 10 CJK characters pass, 11 do not */
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"一二三四五六七八九十\"}", 200, "");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"一二三四五六七八九十一\"}", 422, "text_too_long");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"a\xff\"}", 422, "invalid_utf8");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"a\xed\xa0\x80\"}", 422, "invalid_utf8");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"\\ud800x\"}", 422, "invalid_utf8");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"a\\u0000b\"}", 422, "bad_value");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"\\ud83c\\udf89 ok\"}", 200, "");
}

static void test_json_ranges(void)
{
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"\",\"nick\":\"n\",\"text\":\"a\"}", 422, "out_of_range");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\",\"nick\":\"n\",\"text\":\"a\"}", 422, "out_of_range");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"a\\tb\",\"nick\":\"n\",\"text\":\"a\"}", 422, "bad_value");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\",\"text\":\"a\"}", 422, "out_of_range");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"a\",\"color\":16777216}", 422, "out_of_range");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"a\",\"color\":-1}", 422, "out_of_range");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"a\",\"size\":0}", 422, "out_of_range");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"a\",\"size\":101}", 422, "out_of_range");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"a\",\"mode\":\"diagonal\"}", 422, "out_of_range");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"a\",\"client_msg_id\":\"a:b\"}", 422, "bad_value");
    EXPECT_JSON(BC_COMMENT, "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"a\",\"client_msg_id\":\"a b\"}", 422, "bad_value");
    EXPECT_JSON(BC_GIFT, "{\"user_id\":\"u\",\"nick\":\"n\",\"gift_id\":\"g\",\"gift_name\":\"x\",\"count\":0,\"unit_value\":1}", 422, "out_of_range");
    EXPECT_JSON(BC_GIFT, "{\"user_id\":\"u\",\"nick\":\"n\",\"gift_id\":\"g\",\"gift_name\":\"x\",\"count\":10001,\"unit_value\":1}", 422, "out_of_range");
    EXPECT_JSON(BC_GIFT, "{\"user_id\":\"u\",\"nick\":\"n\",\"gift_id\":\"g\",\"gift_name\":\"x\",\"count\":10000,\"unit_value\":1000000000000}", 200, "");
    EXPECT_JSON(BC_GIFT, "{\"user_id\":\"u\",\"nick\":\"n\",\"gift_id\":\"g\",\"gift_name\":\"x\",\"count\":1,\"unit_value\":1000000000001}", 422, "out_of_range");
    EXPECT_JSON(BC_GIFT, "{\"user_id\":\"u\",\"nick\":\"n\",\"gift_id\":\"g\",\"gift_name\":\"\",\"count\":1,\"unit_value\":1}", 422, "out_of_range");
    EXPECT_JSON(BC_GIFT, "{\"user_id\":\"u\",\"nick\":\"n\",\"gift_id\":\"\",\"gift_name\":\"x\",\"count\":1,\"unit_value\":1}", 422, "out_of_range");
    EXPECT_JSON(BC_LIKE, "{\"user_id\":\"u\",\"count\":0}", 422, "out_of_range");
    EXPECT_JSON(BC_LIKE, "{\"user_id\":\"u\",\"count\":1001}", 422, "out_of_range");
    EXPECT_JSON(BC_LIKE, "{\"user_id\":\"u\",\"count\":99999999999999999999999}", 422, "out_of_range");
}

/* ---- protobuf ---- */

static int dp(int kind, const uint8_t *buf, size_t len, bc_event *ev, const char **code)
{
    bc_err err;
    if (bc_decode(kind, BC_CT_PB, (const char *)buf, len, &LIM, ev, &err) == 0) {
        *code = "";
        return 200;
    }
    *code = err.code;
    return err.status;
}

static void test_pb_kinds(void)
{
    uint8_t buf[512];
    bc_event ev;
    const char *code;
    bc_event_init(&ev);
    Danmaku__CommentRequest c = DANMAKU__COMMENT_REQUEST__INIT;
    c.user_id = "u1"; c.nick = "n"; c.text = "日本語"; c.client_msg_id = "k";
    c.has_mode = 1; c.mode = DANMAKU__MODE__MODE_BOTTOM;
    size_t n = danmaku__comment_request__pack(&c, buf);
    T_EQ_INT(dp(BC_COMMENT, buf, n, &ev, &code), 200);
    Danmaku__Event *e = unpack(&ev);
    T_ASSERT(e && e->comment);
    T_EQ_STR(e->comment->text, "日本語");
    T_EQ_INT(e->comment->mode, DANMAKU__MODE__MODE_BOTTOM);
    T_EQ_INT(e->comment->color, 16777215);
    T_EQ_STR(e->client_msg_id, "k");
    danmaku__event__free_unpacked(e, NULL);

    Danmaku__GiftRequest g = DANMAKU__GIFT_REQUEST__INIT;
    g.user_id = "u2"; g.nick = "n"; g.gift_id = "g9"; g.gift_name = "rocket";
    g.has_count = 1; g.count = 2; g.has_unit_value = 1; g.unit_value = 100;
    n = danmaku__gift_request__pack(&g, buf);
    T_EQ_INT(dp(BC_GIFT, buf, n, &ev, &code), 200);
    e = unpack(&ev);
    T_ASSERT(e && e->gift && e->gift->count == 2 && e->gift->unit_value == 100);
    danmaku__event__free_unpacked(e, NULL);

    Danmaku__LikeRequest l = DANMAKU__LIKE_REQUEST__INIT;
    l.user_id = "u3"; l.has_count = 1; l.count = 1000;
    n = danmaku__like_request__pack(&l, buf);
    T_EQ_INT(dp(BC_LIKE, buf, n, &ev, &code), 200);
    l.count = 1001;
    n = danmaku__like_request__pack(&l, buf);
    T_EQ_INT(dp(BC_LIKE, buf, n, &ev, &code), 422);
    T_EQ_STR(code, "out_of_range");
    bc_event_free(&ev);
}

static void test_pb_rejects(void)
{
    uint8_t buf[512];
    bc_event ev;
    const char *code;
    bc_event_init(&ev);
    static const uint8_t garbage[] = { 0x0a, 0x7f, 'a' };        /* length past the end */
    T_EQ_INT(dp(BC_COMMENT, garbage, sizeof garbage, &ev, &code), 400);
    T_EQ_STR(code, "bad_protobuf");
    static const uint8_t wrong_type[] = { 0x0d, 1, 2, 3, 4 };     /* user_id as fixed32 */
    T_EQ_INT(dp(BC_COMMENT, wrong_type, sizeof wrong_type, &ev, &code), 400);
    T_EQ_STR(code, "bad_protobuf");
    Danmaku__CommentRequest c = DANMAKU__COMMENT_REQUEST__INIT;
    c.user_id = "u1"; c.nick = "n";
    size_t n = danmaku__comment_request__pack(&c, buf);
    T_EQ_INT(dp(BC_COMMENT, buf, n, &ev, &code), 400);
    T_EQ_STR(code, "missing_field");
    c.text = "bad \xc3\x28";
    n = danmaku__comment_request__pack(&c, buf);
    T_EQ_INT(dp(BC_COMMENT, buf, n, &ev, &code), 422);
    T_EQ_STR(code, "invalid_utf8");
    c.text = "ok"; c.has_mode = 1; c.mode = (Danmaku__Mode)7;
    n = danmaku__comment_request__pack(&c, buf);
    T_EQ_INT(dp(BC_COMMENT, buf, n, &ev, &code), 422);
    T_EQ_STR(code, "out_of_range");
    c.has_mode = 0; c.has_color = 1; c.color = 0x1000000;
    n = danmaku__comment_request__pack(&c, buf);
    T_EQ_INT(dp(BC_COMMENT, buf, n, &ev, &code), 422);
    T_EQ_STR(code, "out_of_range");
    Danmaku__GiftRequest g = DANMAKU__GIFT_REQUEST__INIT;
    g.user_id = "u2"; g.nick = "n"; g.gift_id = "g9"; g.gift_name = "rocket";
    g.has_count = 1; g.count = 2;
    n = danmaku__gift_request__pack(&g, buf);
    T_EQ_INT(dp(BC_GIFT, buf, n, &ev, &code), 400);
    T_EQ_STR(code, "missing_field");
    T_EQ_INT(ev.pb.len, 0);
    bc_event_free(&ev);
}

/* Every prefix of a valid body is either rejected cleanly or decodes. */
static void test_truncations(void)
{
    static const char body[] = "{\"user_id\":\"u1\",\"nick\":\"观众\",\"text\":\"前方 🎉\",\"size\":36}";
    bc_event ev;
    const char *code;
    bc_event_init(&ev);
    for (size_t n = 0; n < sizeof body - 1; n++) {
        char *copy = malloc(n ? n : 1);
        memcpy(copy, body, n);
        int st = dj(BC_COMMENT, copy, n, &ev, &code);
        free(copy);
        T_ASSERT(st == 400 || st == 422);
    }
    bc_event_free(&ev);
}

/* A fake text filter: "bad" rejects, "mask" masks to "****", "call" flags contact. */
static void fake_filter(void *ctx, const char *text, size_t len, bc_verdict *v)
{
    (void)ctx;
    memset(v, 0, sizeof *v);
    v->text = text;
    v->len = len;
    if (len >= 3 && !memcmp(text, "bad", 3))
        v->reject = 1;
    else if (len >= 4 && !memcmp(text, "call", 4))
        v->reject = 0, v->flags = BC_FLAG_CONTACT;
    else if (len == 4 && !memcmp(text, "mask", 4))
        v->text = "****", v->flags = BC_FLAG_MASKED;
}

static void test_filter_hook(void)
{
    bc_limits lim = { .max_text_cps = 100, .filter = fake_filter };
    bc_event ev;
    bc_err err;
    bc_event_init(&ev);
    static const char rej[] = "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"bad\"}";
    T_EQ_INT(bc_decode(BC_COMMENT, BC_CT_JSON, rej, sizeof rej - 1, &lim, &ev, &err), -1);
    T_EQ_INT(err.status, 422);
    T_EQ_STR(err.code, "blocked_word");
    static const char m[] = "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"mask\"}";
    T_EQ_INT(bc_decode(BC_COMMENT, BC_CT_JSON, m, sizeof m - 1, &lim, &ev, &err), 0);
    Danmaku__Event *e = unpack(&ev);
    T_ASSERT(e && e->comment && !strcmp(e->comment->text, "****"));
    T_ASSERT(e->n_flags == 1 && !strcmp(e->flags[0], "masked") && (!e->risk || !e->risk[0]));
    danmaku__event__free_unpacked(e, NULL);
    static const char c[] = "{\"user_id\":\"u\",\"nick\":\"n\",\"text\":\"call me\"}";
    T_EQ_INT(bc_decode(BC_COMMENT, BC_CT_JSON, c, sizeof c - 1, &lim, &ev, &err), 0);
    e = unpack(&ev);
    T_ASSERT(e && !strcmp(e->comment->text, "call me"));
    T_ASSERT(e->n_flags == 1 && !strcmp(e->flags[0], "contact") && !strcmp(e->risk, "contact"));
    danmaku__event__free_unpacked(e, NULL);
    /* gifts and likes are not filtered */
    static const char l[] = "{\"user_id\":\"bad\",\"count\":1}";
    T_EQ_INT(bc_decode(BC_LIKE, BC_CT_JSON, l, sizeof l - 1, &lim, &ev, &err), 0);
    bc_event_free(&ev);
}

/* A JSON body's error: status, and the message must name the field. */
static void expect_id_error(int kind, const char *body, const char *field)
{
    bc_event ev;
    bc_err err;
    char quoted[32];
    bc_event_init(&ev);
    int rc = bc_decode(kind, BC_CT_JSON, body, strlen(body), &LIM, &ev, &err);
    bc_event_free(&ev);
    snprintf(quoted, sizeof quoted, "'%s'", field);
    if (rc == 0 || err.status != 400 || strcmp(err.code, "bad_field_type") ||
        !strstr(err.msg, quoted))
        T_FAIL_("%s -> %d %s \"%s\", expected 400 bad_field_type naming %s", body,
                rc ? err.status : 200, rc ? err.code : "", rc ? err.msg : "", field);
}

/* Numeric ids (issue 9): a JSON integer user_id / gift_id in 0..2^53-1 is
 * stored as its decimal string, exactly as if it had been sent as one. */
static void test_json_numeric_ids(void)
{
    static const char gift[] = "{\"user_id\":10086,\"nick\":\"n\",\"gift_id\":7,"
                               "\"gift_name\":\"g\",\"count\":1,\"unit_value\":5}";
    static const char gift_s[] = "{\"user_id\":\"10086\",\"nick\":\"n\",\"gift_id\":\"7\","
                                 "\"gift_name\":\"g\",\"count\":1,\"unit_value\":5}";
    static const char big[] = "{\"user_id\":9007199254740991,\"count\":1}";
    static const char zero[] = "{\"user_id\":0,\"count\":1}";
    bc_event ev, ev2;
    const char *code;
    bc_event_init(&ev);
    bc_event_init(&ev2);
    T_EQ_INT(dj(BC_GIFT, gift, sizeof gift - 1, &ev, &code), 200);
    T_EQ_STR(ev.user_id, "10086");
    T_EQ_INT(ev.user_len, 5);
    Danmaku__Event *e = unpack(&ev);
    T_ASSERT(e && e->gift);
    T_EQ_STR(e->user_id, "10086");
    T_EQ_STR(e->gift->gift_id, "7");
    danmaku__event__free_unpacked(e, NULL);
    T_EQ_INT(dj(BC_GIFT, gift_s, sizeof gift_s - 1, &ev2, &code), 200);
    T_EQ_INT(ev.pb.len, ev2.pb.len);     /* same Event bytes as the string form */
    T_EQ_MEM(ev.pb.data, ev2.pb.data, ev.pb.len);
    T_EQ_INT(dj(BC_LIKE, big, sizeof big - 1, &ev, &code), 200);
    T_EQ_STR(ev.user_id, "9007199254740991");
    T_EQ_INT(dj(BC_LIKE, zero, sizeof zero - 1, &ev, &code), 200);
    T_EQ_STR(ev.user_id, "0");
    bc_event_free(&ev);
    bc_event_free(&ev2);
    expect_id_error(BC_LIKE, "{\"user_id\":-1,\"count\":1}", "user_id");
    expect_id_error(BC_LIKE, "{\"user_id\":7.0,\"count\":1}", "user_id");
    expect_id_error(BC_LIKE, "{\"user_id\":1e3,\"count\":1}", "user_id");
    expect_id_error(BC_LIKE, "{\"user_id\":9007199254740992,\"count\":1}", "user_id");
    expect_id_error(BC_LIKE, "{\"user_id\":18446744073709551616,\"count\":1}", "user_id");
    expect_id_error(BC_LIKE, "{\"count\":1, \"user_id\" : 99999999999999999999999 }", "user_id");
    expect_id_error(BC_LIKE, "{\"user_id\":-9223372036854775809,\"count\":1}", "user_id");
    expect_id_error(BC_GIFT, "{\"user_id\":1,\"nick\":\"n\",\"gift_id\":-7,"
                             "\"gift_name\":\"g\",\"count\":1,\"unit_value\":5}", "gift_id");
    expect_id_error(BC_GIFT, "{\"user_id\":1,\"nick\":\"n\",\"gift_id\":7.5,"
                             "\"gift_name\":\"g\",\"count\":1,\"unit_value\":5}", "gift_id");
    expect_id_error(BC_GIFT, "{\"user_id\":1,\"nick\":\"n\",\"gift_id\":9223372036854775807,"
                             "\"gift_name\":\"g\",\"count\":1,\"unit_value\":5}", "gift_id");
    expect_id_error(BC_GIFT, "{\"user_id\":1,\"nick\":\"n\",\"gift_id\":1000000000000000000000,"
                             "\"gift_name\":\"g\",\"count\":1,\"unit_value\":5}", "gift_id");
    /* other numbers that overflow keep 422 out_of_range */
    EXPECT_JSON(BC_LIKE, "{\"user_id\":\"u\",\"count\":99999999999999999999999}", 422, "out_of_range");
}

int main(void)
{
    T_RUN(test_room_names);
    T_RUN(test_json_comment);
    T_RUN(test_json_comment_defaults);
    T_RUN(test_json_gift_and_like);
    T_RUN(test_json_syntax_and_types);
    T_RUN(test_json_text_rules);
    T_RUN(test_json_ranges);
    T_RUN(test_json_numeric_ids);
    T_RUN(test_pb_kinds);
    T_RUN(test_pb_rejects);
    T_RUN(test_truncations);
    T_RUN(test_filter_hook);
    return T_DONE();
}

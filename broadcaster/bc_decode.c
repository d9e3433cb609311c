/* bc_decode.c — request body -> validated danmaku.Event bytes. Both JSON and
 * protobuf bodies are first reduced to one `fields` view, validated once by
 * the same rules, then packed by hand (seq and ts_ms are left to Redis). */
#include "bc_decode.h"
#include "danmaku.pb-c.h"
#include "utf8.h"
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sfield { const char *p; size_t n; int has; } sfield;
typedef struct ufield { uint64_t v; int has; } ufield;

/* One request of any kind, whatever its encoding. */
typedef struct fields {
    sfield user_id, nick, text, cmid, gift_id, gift_name;
    ufield color, mode, size, count, unit_value;
    char user_num[24], gift_num[24];   /* decimal text of a JSON integer id */
} fields;

#define ID_INT_MAX 9007199254740991LL  /* 2^53 - 1: exact in every JSON parser */

static int fail(bc_err *err, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(bc_err *err, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    err->status = status;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int bc_room_valid(const char *s, size_t n)
{
    if (n < 1 || n > BC_ROOM_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

void bc_event_init(bc_event *e)
{
    memset(e, 0, sizeof *e);
    dbuf_init(&e->pb);
}

void bc_event_free(bc_event *e)
{
    dbuf_free(&e->pb);
}

/* ---- JSON ------------------------------------------------------------ */

static int json_str(json_t *o, const char *key, sfield *f, bc_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return fail(err, 400, "bad_field_type", "field '%s' must be a string", key);
    f->p = json_string_value(v);
    f->n = json_string_length(v);
    f->has = 1;
    return 0;
}

/* An identifier (user_id, gift_id): a JSON string, or a JSON integer
 * 0..2^53-1 kept as its decimal text in num (24 bytes). */
static int json_id(json_t *o, const char *key, sfield *f, char *num, bc_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v) || json_is_string(v))
        return json_str(o, key, f, err);
    if (json_is_real(v))
        return fail(err, 400, "bad_field_type",
                    "field '%s' must be a string or an integer, not a real number", key);
    if (!json_is_integer(v))
        return fail(err, 400, "bad_field_type", "field '%s' must be a string or an integer", key);
    json_int_t n = json_integer_value(v);
    if (n < 0)
        return fail(err, 400, "bad_field_type", "field '%s' must not be a negative number", key);
    if (n > ID_INT_MAX)
        return fail(err, 400, "bad_field_type",
                    "field '%s' must be an integer in 0..2^53-1 or a string", key);
    f->n = (size_t)snprintf(num, 24, "%lld", (long long)n);
    f->p = num;
    f->has = 1;
    return 0;
}

static int json_uint(json_t *o, const char *key, ufield *f, bc_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return fail(err, 400, "bad_field_type", "field '%s' must be an integer", key);
    json_int_t n = json_integer_value(v);
    if (n < 0)
        return fail(err, 422, "out_of_range", "field '%s' must not be negative", key);
    f->v = (uint64_t)n;
    f->has = 1;
    return 0;
}

static int json_mode(json_t *o, ufield *f, bc_err *err)
{
    static const char *const names[] = { "scroll", "top", "bottom" };
    json_t *v = json_object_get(o, "mode");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return fail(err, 400, "bad_field_type", "field 'mode' must be a string");
    for (unsigned i = 0; i < 3; i++)
        if (!strcmp(json_string_value(v), names[i])) {
            f->v = i;
            f->has = 1;
            return 0;
        }
    return fail(err, 422, "out_of_range", "field 'mode' must be scroll, top or bottom");
}

static int is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_num_char(char c) { return c && strchr("0123456789+-.eE", c); }

/* The object key whose value is the number that ends near body[pos] (where
 * jansson reports an overflow): 1 and key[0..*kn) set, or 0 if not found
 * (a number inside an array, an escaped key). */
static int key_before(const char *b, size_t len, size_t pos, const char **key, size_t *kn)
{
    size_t i = pos < len ? pos : len;
    for (int k = 0; k < 2 && i > 0 && !is_num_char(b[i - 1]); k++)   /* lookahead */
        i--;
    while (i > 0 && is_num_char(b[i - 1]))
        i--;
    while (i > 0 && is_json_space(b[i - 1]))
        i--;
    if (i == 0 || b[--i] != ':')
        return 0;
    while (i > 0 && is_json_space(b[i - 1]))
        i--;
    if (i == 0 || b[--i] != '"')
        return 0;
    size_t end = i;
    while (i > 0 && b[i - 1] != '"' && b[i - 1] != '\\')
        i--;
    if (i == 0 || b[i - 1] != '"')
        return 0;
    *key = b + i;
    *kn = end - i;
    return 1;
}

/* A number jansson cannot hold: named when we can tell which field it is;
 * an id field (string or integer) gets the same 400 as any other bad id. */
static int json_overflow(const char *body, size_t len, const json_error_t *je, bc_err *err)
{
    const char *k;
    size_t kn;
    if (!key_before(body, len, (size_t)je->position, &k, &kn))
        return fail(err, 422, "out_of_range", "number too large");
    if ((kn == 7 && !memcmp(k, "user_id", 7)) || (kn == 7 && !memcmp(k, "gift_id", 7)))
        return fail(err, 400, "bad_field_type",
                    "field '%.*s' must be an integer in 0..2^53-1 or a string", (int)kn, k);
    return fail(err, 422, "out_of_range", "field '%.*s': number too large", (int)(kn < 64 ? kn : 64), k);
}

static int json_load_error(const char *body, size_t len, const json_error_t *je, bc_err *err)
{
    enum json_error_code c = json_error_code(je);
    if (c == json_error_invalid_utf8 || !strncmp(je->text, "invalid Unicode", 15))
        return fail(err, 422, "invalid_utf8", "body is not valid UTF-8");
    if (c == json_error_numeric_overflow)
        return json_overflow(body, len, je, err);
    return fail(err, 400, "bad_json", "malformed JSON at byte %d: %.100s", je->position, je->text);
}

static int fields_from_json(int kind, json_t *o, fields *f, bc_err *err)
{
    if (json_id(o, "user_id", &f->user_id, f->user_num, err) ||
        json_str(o, "nick", &f->nick, err) ||
        json_str(o, "client_msg_id", &f->cmid, err))
        return -1;
    switch (kind) {
    case BC_COMMENT:
        return json_str(o, "text", &f->text, err) || json_uint(o, "color", &f->color, err) ||
               json_mode(o, &f->mode, err) || json_uint(o, "size", &f->size, err) ? -1 : 0;
    case BC_GIFT:
        return json_id(o, "gift_id", &f->gift_id, f->gift_num, err) ||
               json_str(o, "gift_name", &f->gift_name, err) ||
               json_uint(o, "count", &f->count, err) ||
               json_uint(o, "unit_value", &f->unit_value, err) ? -1 : 0;
    default:
        return json_uint(o, "count", &f->count, err) ? -1 : 0;
    }
}

/* ---- protobuf -------------------------------------------------------- */

static void pb_str(const char *s, sfield *f)
{
    if (s) {
        f->p = s;
        f->n = strlen(s);
        f->has = 1;
    }
}

static void pb_uint(int has, uint64_t v, ufield *f)
{
    if (has) {
        f->v = v;
        f->has = 1;
    }
}

static int fields_from_pb(int kind, const char *body, size_t len, fields *f,
                          ProtobufCMessage **msg, bc_err *err)
{
    const uint8_t *b = (const uint8_t *)body;
    if (kind == BC_COMMENT) {
        Danmaku__CommentRequest *r = danmaku__comment_request__unpack(NULL, len, b);
        if (!(*msg = (ProtobufCMessage *)r))
            goto bad;
        pb_str(r->user_id, &f->user_id); pb_str(r->nick, &f->nick);
        pb_str(r->text, &f->text); pb_str(r->client_msg_id, &f->cmid);
        pb_uint(r->has_color, r->color, &f->color);
        pb_uint(r->has_mode, (uint64_t)(uint32_t)r->mode, &f->mode);
        pb_uint(r->has_size, r->size, &f->size);
    } else if (kind == BC_GIFT) {
        Danmaku__GiftRequest *r = danmaku__gift_request__unpack(NULL, len, b);
        if (!(*msg = (ProtobufCMessage *)r))
            goto bad;
        pb_str(r->user_id, &f->user_id); pb_str(r->nick, &f->nick);
        pb_str(r->gift_id, &f->gift_id); pb_str(r->gift_name, &f->gift_name);
        pb_str(r->client_msg_id, &f->cmid);
        pb_uint(r->has_count, r->count, &f->count);
        pb_uint(r->has_unit_value, r->unit_value, &f->unit_value);
    } else {
        Danmaku__LikeRequest *r = danmaku__like_request__unpack(NULL, len, b);
        if (!(*msg = (ProtobufCMessage *)r))
            goto bad;
        pb_str(r->user_id, &f->user_id); pb_str(r->client_msg_id, &f->cmid);
        pb_uint(r->has_count, r->count, &f->count);
    }
    return 0;
bad:
    return fail(err, 400, "bad_protobuf", "body is not a valid protobuf %s",
                kind == BC_COMMENT ? "CommentRequest" : kind == BC_GIFT ? "GiftRequest"
                                                                         : "LikeRequest");
}

/* ---- validation ------------------------------------------------------ */

static int need(const sfield *s, const ufield *u, const char *name, bc_err *err)
{
    if ((s && !s->has) || (u && !u->has))
        return fail(err, 400, "missing_field", "field '%s' is required", name);
    return 0;
}

/* Valid UTF-8, no U+0000, code points within [min_cps, max_cps]. */
static int check_text(const sfield *f, const char *name, size_t min_cps, size_t max_cps,
                      bc_err *err)
{
    size_t cps;
    if (utf8_validate(f->p, f->n, &cps) < 0)
        return fail(err, 422, "invalid_utf8", "field '%s' is not valid UTF-8", name);
    if (memchr(f->p, 0, f->n))
        return fail(err, 422, "bad_value", "field '%s' must not contain U+0000", name);
    if (cps < min_cps || cps > max_cps)
        return fail(err, 422, "out_of_range", "field '%s' must have %zu..%zu characters",
                    name, min_cps, max_cps);
    return 0;
}

/* An identifier: 1..max bytes of valid UTF-8 without control characters. */
static int check_id(const sfield *f, const char *name, size_t max, bc_err *err)
{
    if (f->n < 1 || f->n > max)
        return fail(err, 422, "out_of_range", "field '%s' must have 1..%zu bytes", name, max);
    if (utf8_validate(f->p, f->n, NULL) < 0)
        return fail(err, 422, "invalid_utf8", "field '%s' is not valid UTF-8", name);
    for (size_t i = 0; i < f->n; i++) {
        unsigned char c = (unsigned char)f->p[i];
        if (c < 0x20 || c == 0x7f)
            return fail(err, 422, "bad_value", "field '%s' must not contain control characters",
                        name);
    }
    return 0;
}

/* client_msg_id: optional ("" = none), 1..64 printable ASCII except ':'. */
static int check_cmid(const sfield *f, bc_err *err)
{
    if (f->n > BC_CMID_MAX)
        return fail(err, 422, "out_of_range", "field 'client_msg_id' must have 1..%d bytes",
                    BC_CMID_MAX);
    for (size_t i = 0; i < f->n; i++) {
        unsigned char c = (unsigned char)f->p[i];
        if (c < 0x21 || c > 0x7e || c == ':')
            return fail(err, 422, "bad_value",
                        "field 'client_msg_id' must be printable ASCII without ':' or spaces");
    }
    return 0;
}

static int check_range(const ufield *u, const char *name, uint64_t min, uint64_t max, bc_err *err)
{
    if (u->has && (u->v < min || u->v > max))
        return fail(err, 422, "out_of_range", "field '%s' must be in %llu..%llu", name,
                    (unsigned long long)min, (unsigned long long)max);
    return 0;
}

static int check_comment(const fields *f, const bc_limits *lim, bc_err *err)
{
    size_t cps;
    if (need(&f->nick, NULL, "nick", err) || need(&f->text, NULL, "text", err))
        return -1;
    if (utf8_validate(f->text.p, f->text.n, &cps) < 0)
        return fail(err, 422, "invalid_utf8", "field 'text' is not valid UTF-8");
    if (cps == 0)
        return fail(err, 422, "empty_text", "field 'text' is empty");
    if (cps > lim->max_text_cps)
        return fail(err, 422, "text_too_long", "field 'text' has %zu characters, the limit is %zu",
                    cps, lim->max_text_cps);
    if (memchr(f->text.p, 0, f->text.n))
        return fail(err, 422, "bad_value", "field 'text' must not contain U+0000");
    return check_text(&f->nick, "nick", 0, BC_NICK_MAX_CPS, err) ||
           check_range(&f->color, "color", 0, BC_COLOR_MAX, err) ||
           check_range(&f->mode, "mode", 0, 2, err) ||
           check_range(&f->size, "size", BC_SIZE_MIN, BC_SIZE_MAX, err) ? -1 : 0;
}

static int check_gift(const fields *f, bc_err *err)
{
    if (need(&f->nick, NULL, "nick", err) || need(&f->gift_id, NULL, "gift_id", err) ||
        need(&f->gift_name, NULL, "gift_name", err) || need(NULL, &f->count, "count", err) ||
        need(NULL, &f->unit_value, "unit_value", err))
        return -1;
    return check_text(&f->nick, "nick", 0, BC_NICK_MAX_CPS, err) ||
           check_id(&f->gift_id, "gift_id", BC_GIFT_ID_MAX, err) ||
           check_text(&f->gift_name, "gift_name", 1, BC_GIFT_NAME_MAX_CPS, err) ||
           check_range(&f->count, "count", 1, BC_GIFT_COUNT_MAX, err) ||
           check_range(&f->unit_value, "unit_value", 0, BC_UNIT_VALUE_MAX, err) ? -1 : 0;
}

static int check_like(const fields *f, bc_err *err)
{
    if (need(NULL, &f->count, "count", err))
        return -1;
    if (f->nick.has && check_text(&f->nick, "nick", 0, BC_NICK_MAX_CPS, err))
        return -1;
    return check_range(&f->count, "count", 1, BC_LIKE_COUNT_MAX, err);
}

static int validate(int kind, const fields *f, const bc_limits *lim, bc_err *err)
{
    if (need(&f->user_id, NULL, "user_id", err) ||
        check_id(&f->user_id, "user_id", BC_USER_MAX, err) ||
        (f->cmid.has && check_cmid(&f->cmid, err)))
        return -1;
    if (kind == BC_COMMENT)
        return check_comment(f, lim, err);
    return kind == BC_GIFT ? check_gift(f, err) : check_like(f, err);
}

/* ---- packing (danmaku.Event without seq/ts_ms) ------------------------ */

static void put_str(dbuf *b, unsigned field, const sfield *s)
{
    dbuf_put_varint(b, field << 3 | 2);
    dbuf_put_varint(b, s->n);
    dbuf_append(b, s->p, s->n);
}

static void put_uint(dbuf *b, unsigned field, uint64_t v)
{
    dbuf_put_varint(b, field << 3);
    dbuf_put_varint(b, v);
}

static size_t len_str(unsigned field, size_t n)
{
    return varint_len(field << 3 | 2) + varint_len(n) + n;
}

static size_t len_uint(unsigned field, uint64_t v)
{
    return varint_len(field << 3) + varint_len(v);
}

/* The body sub-message (Comment, Gift or Like), written straight into out
 * after its length, which is computed first (no temporary buffer). */
static void put_body(dbuf *out, int kind, const fields *f)
{
    uint64_t color = f->color.has ? f->color.v : 0xFFFFFF;
    uint64_t mode = f->mode.has ? f->mode.v : DANMAKU__MODE__MODE_SCROLL;
    uint64_t size = f->size.has ? f->size.v : 25;
    size_t n;
    if (kind == BC_COMMENT)
        n = len_str(1, f->text.n) + len_uint(2, color) + len_uint(3, mode) + len_uint(4, size);
    else if (kind == BC_GIFT)
        n = len_str(1, f->gift_id.n) + len_str(2, f->gift_name.n) + len_uint(3, f->count.v) +
            len_uint(4, f->unit_value.v);
    else
        n = len_uint(1, f->count.v);
    dbuf_put_varint(out, (10u + (unsigned)kind) << 3 | 2);
    dbuf_put_varint(out, n);
    if (kind == BC_COMMENT) {
        put_str(out, 1, &f->text);
        put_uint(out, 2, color);
        put_uint(out, 3, mode);
        put_uint(out, 4, size);
    } else if (kind == BC_GIFT) {
        put_str(out, 1, &f->gift_id);
        put_str(out, 2, &f->gift_name);
        put_uint(out, 3, f->count.v);
        put_uint(out, 4, f->unit_value.v);
    } else {
        put_uint(out, 1, f->count.v);
    }
}

static void put_cstr(dbuf *b, unsigned field, const char *s)
{
    sfield f = { s, strlen(s), 1 };
    put_str(b, field, &f);
}

/* Moderation fields after the body: flags (20, repeated) and risk (21). */
static void put_verdict(dbuf *b, unsigned flags)
{
    if (flags & BC_FLAG_MASKED)
        put_cstr(b, 20, "masked");
    if (flags & BC_FLAG_KEYWORD)
        put_cstr(b, 20, "keyword");
    if (flags & BC_FLAG_CONTACT) {
        put_cstr(b, 20, "contact");
        put_cstr(b, 21, "contact");
    }
}

/* Runs the filter on one field: 0 (the field may now point to the filter's
 * masked copy, flags added) or -1 with err (422 blocked_word|contact_blocked). */
static int filter_field(const bc_limits *lim, sfield *fld, const char *name, unsigned *flags,
                        bc_err *err)
{
    bc_verdict v;
    lim->filter(lim->filter_ctx, fld->p, fld->n, &v);
    if (v.reject == 1)
        return fail(err, 422, "blocked_word", "the %s contains a blocked word", name);
    if (v.reject == 2)
        return fail(err, 422, "contact_blocked", "the %s contains contact information", name);
    fld->p = v.text;
    fld->n = v.len;
    *flags |= v.flags;
    return 0;
}

/* Applies the text filter to a comment's nick, then its text: 0 (fields may
 * now be masked, *flags set) or -1 with err. nick_buf keeps the masked nick
 * (masking never grows a text) while the filter scans the text. */
static int filter_comment(const bc_limits *lim, fields *f, unsigned *flags,
                          char *nick_buf, size_t nick_cap, bc_err *err)
{
    if (f->nick.has && f->nick.n && f->nick.n < nick_cap) {
        if (filter_field(lim, &f->nick, "nick", flags, err))
            return -1;
        memcpy(nick_buf, f->nick.p, f->nick.n);
        f->nick.p = nick_buf;
    }
    return filter_field(lim, &f->text, "text", flags, err);
}

static void pack_event(int kind, const fields *f, bc_event *ev)
{
    ev->kind = kind;
    memcpy(ev->user_id, f->user_id.p, f->user_id.n);
    ev->user_id[f->user_id.n] = 0;
    ev->user_len = f->user_id.n;
    ev->cmid_len = f->cmid.has ? f->cmid.n : 0;
    memcpy(ev->cmid, f->cmid.p ? f->cmid.p : "", ev->cmid_len);
    ev->cmid[ev->cmid_len] = 0;
    put_str(&ev->pb, 3, &f->user_id);
    if (f->nick.has)
        put_str(&ev->pb, 4, &f->nick);
    if (ev->cmid_len)
        put_str(&ev->pb, 5, &f->cmid);
    put_body(&ev->pb, kind, f);
}

int bc_decode(int kind, int ctype, const char *body, size_t len,
              const bc_limits *lim, bc_event *ev, bc_err *err)
{
    fields f;
    json_t *root = NULL;
    ProtobufCMessage *msg = NULL;
    unsigned flags = 0;
    char nick_buf[BC_NICK_MAX_CPS * 4 + 1];   /* a masked nick (validated: <= 64 cps) */
    int rc = -1;
    memset(&f, 0, sizeof f);
    dbuf_reset(&ev->pb);
    if (ctype == BC_CT_JSON) {
        json_error_t je;
        root = json_loadb(body, len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
        if (!root)
            return json_load_error(body, len, &je, err);
        if (!json_is_object(root)) {
            fail(err, 400, "bad_json", "body must be a JSON object");
            goto out;
        }
        if (fields_from_json(kind, root, &f, err))
            goto out;
    } else if (fields_from_pb(kind, body, len, &f, &msg, err)) {
        goto out;
    }
    if (validate(kind, &f, lim, err))
        goto out;
    if (kind == BC_COMMENT && lim->filter &&
        filter_comment(lim, &f, &flags, nick_buf, sizeof nick_buf, err))
        goto out;
    pack_event(kind, &f, ev);
    put_verdict(&ev->pb, flags);
    rc = 0;
out:
    json_decref(root);
    if (msg)
        protobuf_c_message_free_unpacked(msg, NULL);
    return rc;
}

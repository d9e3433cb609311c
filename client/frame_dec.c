/* frame_dec.c — decodes edge WebSocket messages of every format into a
 * protobuf-c danmaku.Frame: zstd (client/zdec.h: dictionary picked by the frame's dictID),
 * then either protobuf unpack, or JSON (jansson) mapped onto stack protobuf
 * structs that are packed and unpacked, so every result is released the
 * same way (danmaku__frame__free_unpacked). */
#include "frame_dec.h"
#include "dbuf.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clerr.h"

void frame_dec_init(frame_dec *d)
{
    zdec_init(&d->z);
    dbuf_init(&d->plain);
}

void frame_dec_free(frame_dec *d)
{
    zdec_free(&d->z);
    dbuf_free(&d->plain);
}

int frame_dec_set_dict(frame_dec *d, int format, const void *dict, size_t len)
{
    if (format != DM_FMT_JSON && format != DM_FMT_PB && format != DM_FMT_PB2)
        return -1;
    return zdec_add(&d->z, dict, len) < 0 ? -1 : 0;
}

int frame_dec_load_dict_file(frame_dec *d, int format, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/danmaku-%s.zdict", dir,
             format == DM_FMT_PB ? "pb" : format == DM_FMT_PB2 ? "pb2" : "json");
    return zdec_add_file(&d->z, path) < 0 ? -1 : 0;
}

/* ---- JSON -> protobuf structs ---- */

typedef struct jctx { char *err; size_t es; } jctx;

/* Optional string member: NULL if absent; -1 if present but not a string. */
static int j_str(jctx *c, json_t *o, const char *key, char **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        clerr(c->err, c->es, "json: \"%s\" is not a string", key);
        return -1;
    }
    *out = (char *)json_string_value(v);
    return 0;
}

/* Optional unsigned member: *has = 0 if absent; -1 if mistyped or > max. */
static int j_uint(jctx *c, json_t *o, const char *key, uint64_t max,
                  protobuf_c_boolean *has, uint64_t *out)
{
    json_t *v = json_object_get(o, key);
    *has = 0;
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max) {
        clerr(c->err, c->es, "json: \"%s\" is not an unsigned integer in range", key);
        return -1;
    }
    *has = 1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int j_u32(jctx *c, json_t *o, const char *key, protobuf_c_boolean *has, uint32_t *out)
{
    uint64_t v = 0;
    if (j_uint(c, o, key, UINT32_MAX, has, &v) < 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int j_u64(jctx *c, json_t *o, const char *key, protobuf_c_boolean *has, uint64_t *out)
{
    return j_uint(c, o, key, UINT64_MAX, has, out);
}

/* One event's storage: the Event and its body, filled in place. */
typedef struct jev {
    Danmaku__Event ev;
    Danmaku__Comment comment;
    Danmaku__Gift gift;
    Danmaku__Like like;
    char **flags;
} jev;

static int j_mode(jctx *c, json_t *o, Danmaku__Comment *cm)
{
    char *m;
    if (j_str(c, o, "mode", &m) < 0)
        return -1;
    if (!m)
        return 0;
    cm->has_mode = 1;
    if (!strcmp(m, "scroll"))      cm->mode = DANMAKU__MODE__MODE_SCROLL;
    else if (!strcmp(m, "top"))    cm->mode = DANMAKU__MODE__MODE_TOP;
    else if (!strcmp(m, "bottom")) cm->mode = DANMAKU__MODE__MODE_BOTTOM;
    else {
        clerr(c->err, c->es, "json: unknown mode \"%s\"", m);
        return -1;
    }
    return 0;
}

static int j_body(jctx *c, json_t *o, jev *e)
{
    char *kind;
    if (j_str(c, o, "kind", &kind) < 0)
        return -1;
    if (kind && !strcmp(kind, "comment")) {
        danmaku__comment__init(&e->comment);
        e->ev.body_case = DANMAKU__EVENT__BODY_COMMENT;
        e->ev.comment = &e->comment;
        return j_str(c, o, "text", &e->comment.text) |
               j_u32(c, o, "color", &e->comment.has_color, &e->comment.color) |
               j_u32(c, o, "size", &e->comment.has_size, &e->comment.size) |
               j_mode(c, o, &e->comment);
    }
    if (kind && !strcmp(kind, "gift")) {
        danmaku__gift__init(&e->gift);
        e->ev.body_case = DANMAKU__EVENT__BODY_GIFT;
        e->ev.gift = &e->gift;
        return j_str(c, o, "gift_id", &e->gift.gift_id) |
               j_str(c, o, "gift_name", &e->gift.gift_name) |
               j_u32(c, o, "count", &e->gift.has_count, &e->gift.count) |
               j_u64(c, o, "unit_value", &e->gift.has_unit_value, &e->gift.unit_value);
    }
    if (kind && !strcmp(kind, "like")) {
        danmaku__like__init(&e->like);
        e->ev.body_case = DANMAKU__EVENT__BODY_LIKE;
        e->ev.like = &e->like;
        return j_u32(c, o, "count", &e->like.has_count, &e->like.count);
    }
    clerr(c->err, c->es, "json: unknown event kind \"%s\"", kind ? kind : "(none)");
    return -1;
}

static int j_flags(jctx *c, json_t *o, jev *e)
{
    json_t *fl = json_object_get(o, "flags");
    if (!fl)
        return 0;
    if (!json_is_array(fl)) {
        clerr(c->err, c->es, "json: \"flags\" is not an array");
        return -1;
    }
    size_t n = json_array_size(fl);
    e->flags = xcalloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(fl, i);
        if (!json_is_string(s)) {
            clerr(c->err, c->es, "json: flag is not a string");
            return -1;
        }
        e->flags[i] = (char *)json_string_value(s);
    }
    e->ev.n_flags = n;
    e->ev.flags = e->flags;
    return 0;
}

static int j_event(jctx *c, json_t *o, jev *e)
{
    danmaku__event__init(&e->ev);
    if (!json_is_object(o)) {
        clerr(c->err, c->es, "json: event is not an object");
        return -1;
    }
    uint64_t ts = 0;
    protobuf_c_boolean has_ts = 0;
    json_t *t = json_object_get(o, "ts_ms");
    if (t && !json_is_integer(t)) {
        clerr(c->err, c->es, "json: \"ts_ms\" is not an integer");
        return -1;
    }
    if (t) {
        has_ts = 1;
        ts = (uint64_t)json_integer_value(t);
    }
    e->ev.has_ts_ms = has_ts;
    e->ev.ts_ms = (int64_t)ts;
    if (j_u64(c, o, "seq", &e->ev.has_seq, &e->ev.seq) < 0 ||
        j_str(c, o, "user_id", &e->ev.user_id) < 0 ||
        j_str(c, o, "nick", &e->ev.nick) < 0 ||
        j_str(c, o, "client_msg_id", &e->ev.client_msg_id) < 0 ||
        j_str(c, o, "risk", &e->ev.risk) < 0 ||
        j_flags(c, o, e) < 0)
        return -1;
    return j_body(c, o, e) ? -1 : 0;
}

static void jevs_free(jev *evs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(evs[i].flags);
    free(evs);
}

/* Packs f and unpacks it into a fresh heap Frame. */
static Danmaku__Frame *repack(Danmaku__Frame *f, char *err, size_t es)
{
    size_t n = danmaku__frame__get_packed_size(f);
    uint8_t *buf = xmalloc(n ? n : 1);
    danmaku__frame__pack(f, buf);
    Danmaku__Frame *out = danmaku__frame__unpack(NULL, n, buf);
    free(buf);
    if (!out)
        clerr(err, es, "internal: repack failed");
    return out;
}

static Danmaku__Frame *j_batch(jctx *c, json_t *root)
{
    Danmaku__Batch b = DANMAKU__BATCH__INIT;
    Danmaku__Frame f = DANMAKU__FRAME__INIT;
    protobuf_c_boolean has_from, has_to;
    json_t *evs = json_object_get(root, "events");
    if (j_str(c, root, "room", &b.room) || j_str(c, root, "epoch", &b.epoch) ||
        j_u64(c, root, "from_seq", &has_from, &b.from_seq) ||
        j_u64(c, root, "to_seq", &has_to, &b.to_seq))
        return NULL;
    b.has_from_seq = has_from;
    b.has_to_seq = has_to;
    if (evs && !json_is_array(evs)) {
        clerr(c->err, c->es, "json: \"events\" is not an array");
        return NULL;
    }
    size_t n = evs ? json_array_size(evs) : 0;
    jev *je = xcalloc(n ? n : 1, sizeof *je);
    Danmaku__Event **ptrs = xcalloc(n ? n : 1, sizeof *ptrs);
    Danmaku__Frame *out = NULL;
    size_t done = 0;
    for (; done < n; done++) {
        if (j_event(c, json_array_get(evs, done), &je[done]) < 0)
            goto end;
        ptrs[done] = &je[done].ev;
    }
    b.n_events = n;
    b.events = ptrs;
    f.msg_case = DANMAKU__FRAME__MSG_BATCH;
    f.batch = &b;
    out = repack(&f, c->err, c->es);
end:
    jevs_free(je, n);
    free(ptrs);
    return out;
}

static Danmaku__Frame *j_reset(jctx *c, json_t *root)
{
    Danmaku__Reset r = DANMAKU__RESET__INIT;
    Danmaku__Frame f = DANMAKU__FRAME__INIT;
    protobuf_c_boolean has;
    if (j_str(c, root, "room", &r.room) || j_str(c, root, "epoch", &r.epoch) ||
        j_u64(c, root, "from_seq", &has, &r.from_seq) || j_str(c, root, "reason", &r.reason))
        return NULL;
    r.has_from_seq = has;
    f.msg_case = DANMAKU__FRAME__MSG_RESET;
    f.reset = &r;
    return repack(&f, c->err, c->es);
}

static Danmaku__Frame *j_gap(jctx *c, json_t *root)
{
    Danmaku__Gap g = DANMAKU__GAP__INIT;
    Danmaku__Frame f = DANMAKU__FRAME__INIT;
    protobuf_c_boolean has_from, has_to;
    if (j_str(c, root, "room", &g.room) || j_u64(c, root, "from_seq", &has_from, &g.from_seq) ||
        j_u64(c, root, "to_seq", &has_to, &g.to_seq) || j_str(c, root, "reason", &g.reason))
        return NULL;
    g.has_from_seq = has_from;
    g.has_to_seq = has_to;
    f.msg_case = DANMAKU__FRAME__MSG_GAP;
    f.gap = &g;
    return repack(&f, c->err, c->es);
}

static Danmaku__Frame *decode_json(const uint8_t *msg, size_t len, char *err, size_t es)
{
    json_error_t je;
    json_t *root = json_loadb((const char *)msg, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        clerr(err, es, "json: %s (at %d)", je.text, je.position);
        return NULL;
    }
    jctx c = { err, es };
    Danmaku__Frame *f = NULL;
    char *type = NULL;
    if (!json_is_object(root))
        clerr(err, es, "json: message is not an object");
    else if (j_str(&c, root, "type", &type) == 0 && type) {
        if (!strcmp(type, "batch"))      f = j_batch(&c, root);
        else if (!strcmp(type, "reset")) f = j_reset(&c, root);
        else if (!strcmp(type, "gap"))   f = j_gap(&c, root);
        else clerr(err, es, "json: unknown type \"%s\"", type);
    } else if (!type) {
        clerr(err, es, "json: missing \"type\"");
    }
    json_decref(root);
    return f;
}

/* ---- v2 (Frame.batch2) -> Batch ---- */

/* One expanded event: the v1 Event with the body's defaults made explicit. */
typedef struct xev { Danmaku__Event e; Danmaku__Comment c; Danmaku__Gift g; Danmaku__Like l; } xev;

static void expand_body(xev *x, const Danmaku__CompactEvent *ce)
{
    switch (ce->body_case) {
    case DANMAKU__COMPACT_EVENT__BODY_COMMENT:
        x->c = *ce->comment;
        if (!x->c.has_color) { x->c.has_color = 1; x->c.color = 16777215u; }
        if (!x->c.has_mode) { x->c.has_mode = 1; x->c.mode = DANMAKU__MODE__MODE_SCROLL; }
        if (!x->c.has_size) { x->c.has_size = 1; x->c.size = 25u; }
        x->e.body_case = DANMAKU__EVENT__BODY_COMMENT;
        x->e.comment = &x->c;
        break;
    case DANMAKU__COMPACT_EVENT__BODY_GIFT:
        x->g = *ce->gift;
        if (!x->g.has_count) { x->g.has_count = 1; x->g.count = 1u; }
        x->e.body_case = DANMAKU__EVENT__BODY_GIFT;
        x->e.gift = &x->g;
        break;
    case DANMAKU__COMPACT_EVENT__BODY_LIKE:
        x->l = *ce->like;
        if (!x->l.has_count) { x->l.has_count = 1; x->l.count = 1u; }
        x->e.body_case = DANMAKU__EVENT__BODY_LIKE;
        x->e.like = &x->l;
        break;
    default:
        break;
    }
}

/* Rebuilds a v1 Frame.batch from f->batch2 (seq and ts_ms summed up from
 * the deltas); frees f. NULL with err if the batch is empty or a seq wraps. */
static Danmaku__Frame *expand_batch2(Danmaku__Frame *f, char *err, size_t es)
{
    const Danmaku__Batch2 *b2 = f->batch2;
    Danmaku__Frame *out = NULL;
    size_t n = b2->n_events;
    if (!n || !b2->has_from_seq || !b2->from_seq) {
        clerr(err, es, "protobuf: batch2 without events or from_seq");
        danmaku__frame__free_unpacked(f, NULL);
        return NULL;
    }
    xev *x = xcalloc(n, sizeof *x);
    Danmaku__Event **ptrs = xcalloc(n, sizeof *ptrs);
    uint64_t seq = b2->from_seq - 1;
    int64_t ts = b2->ts_ms;
    for (size_t i = 0; i < n; i++) {
        const Danmaku__CompactEvent *ce = b2->events[i];
        danmaku__event__init(&x[i].e);
        if (ce->seq_skip > UINT64_MAX - seq - 1) {
            clerr(err, es, "protobuf: batch2 seq out of range");
            goto out;
        }
        seq += 1 + ce->seq_skip;
        ts = (int64_t)((uint64_t)ts + (uint64_t)ce->dts_ms);
        x[i].e.has_seq = x[i].e.has_ts_ms = 1;
        x[i].e.seq = seq;
        x[i].e.ts_ms = ts;
        x[i].e.user_id = ce->user_id;
        x[i].e.nick = ce->nick;
        x[i].e.n_flags = ce->n_flags;
        x[i].e.flags = ce->flags;
        x[i].e.risk = ce->risk;
        expand_body(&x[i], ce);
        ptrs[i] = &x[i].e;
    }
    Danmaku__Batch b = DANMAKU__BATCH__INIT;
    Danmaku__Frame nf = DANMAKU__FRAME__INIT;
    b.room = b2->room;
    b.epoch = b2->epoch;
    b.has_from_seq = b.has_to_seq = 1;
    b.from_seq = b2->from_seq;
    b.to_seq = seq;
    b.n_events = n;
    b.events = ptrs;
    nf.msg_case = DANMAKU__FRAME__MSG_BATCH;
    nf.batch = &b;
    out = repack(&nf, err, es);
out:
    free(x);
    free(ptrs);
    danmaku__frame__free_unpacked(f, NULL);
    return out;
}

static Danmaku__Frame *decode_pb(const uint8_t *msg, size_t len, char *err, size_t es)
{
    Danmaku__Frame *f = danmaku__frame__unpack(NULL, len, msg);
    if (!f) {
        clerr(err, es, "protobuf: cannot unpack Frame (%zu bytes)", len);
        return NULL;
    }
    if (f->msg_case == DANMAKU__FRAME__MSG__NOT_SET) {
        clerr(err, es, "protobuf: empty Frame");
        danmaku__frame__free_unpacked(f, NULL);
        return NULL;
    }
    return f->msg_case == DANMAKU__FRAME__MSG_BATCH2 ? expand_batch2(f, err, es) : f;
}

Danmaku__Frame *frame_dec_decode(frame_dec *d, int format, int compressed,
                                 const uint8_t *msg, size_t len,
                                 char *err, size_t err_size)
{
    if (err && err_size)
        err[0] = '\0';
    if (format != DM_FMT_JSON && format != DM_FMT_PB && format != DM_FMT_PB2) {
        clerr(err, err_size, "unknown format %d", format);
        return NULL;
    }
    if (compressed) {
        if (zdec_decompress(&d->z, msg, len, &d->plain, err, err_size) < 0)
            return NULL;
        msg = (const uint8_t *)d->plain.data;
        len = d->plain.len;
    }
    return format == DM_FMT_JSON ? decode_json(msg, len, err, err_size)
                                 : decode_pb(msg, len, err, err_size);
}

void frame_dec_release(Danmaku__Frame *f)
{
    if (f)
        danmaku__frame__free_unpacked(f, NULL);
}

/* evt.c — delivered events: keep the stored protobuf bytes and render the
 * JSON object once when the event enters the edge (or the bench's builder). */
#include "evt.h"
#include <stdlib.h>
#include <string.h>
#include "danmaku.pb-c.h"
#include "jsonw.h"

static const char *mode_name(int m)
{
    switch (m) {
    case DANMAKU__MODE__MODE_TOP: return "top";
    case DANMAKU__MODE__MODE_BOTTOM: return "bottom";
    default: return "scroll";
    }
}

static void render_body(dbuf *b, const Danmaku__Event *ev)
{
    switch (ev->body_case) {
    case DANMAKU__EVENT__BODY_COMMENT: {
        const Danmaku__Comment *c = ev->comment;
        jsonw_field_str(b, "text", c->text);
        jsonw_field_u64(b, "color", c->has_color ? c->color : 16777215u);
        jsonw_field_str(b, "mode", mode_name(c->has_mode ? (int)c->mode : 0));
        jsonw_field_u64(b, "size", c->has_size ? c->size : 25u);
        break;
    }
    case DANMAKU__EVENT__BODY_GIFT: {
        const Danmaku__Gift *g = ev->gift;
        jsonw_field_str(b, "gift_id", g->gift_id);
        jsonw_field_str(b, "gift_name", g->gift_name);
        jsonw_field_u64(b, "count", g->has_count ? g->count : 1u);
        jsonw_field_u64(b, "unit_value", g->has_unit_value ? g->unit_value : 0u);
        break;
    }
    case DANMAKU__EVENT__BODY_LIKE:
        jsonw_field_u64(b, "count", ev->like->has_count ? ev->like->count : 1u);
        break;
    default:
        break;
    }
}

static const char *kind_name(int body_case)
{
    switch (body_case) {
    case DANMAKU__EVENT__BODY_COMMENT: return "comment";
    case DANMAKU__EVENT__BODY_GIFT: return "gift";
    case DANMAKU__EVENT__BODY_LIKE: return "like";
    default: return "unknown";
    }
}

void evt_render_json(dbuf *b, const Danmaku__Event *ev, uint64_t seq)
{
    dbuf_puts(b, "{\"seq\":");
    dbuf_put_u64(b, seq);
    jsonw_field_str(b, "kind", kind_name(ev->body_case));
    dbuf_puts(b, ",\"ts_ms\":");
    dbuf_put_i64(b, ev->has_ts_ms ? ev->ts_ms : 0);
    jsonw_field_str(b, "user_id", ev->user_id);
    if (ev->body_case != DANMAKU__EVENT__BODY_LIKE || (ev->nick && ev->nick[0]))
        jsonw_field_str(b, "nick", ev->nick);
    render_body(b, ev);
    if (ev->client_msg_id && ev->client_msg_id[0])
        jsonw_field_str(b, "client_msg_id", ev->client_msg_id);
    if (ev->n_flags) {
        dbuf_puts(b, ",\"flags\":[");
        for (size_t i = 0; i < ev->n_flags; i++) {
            if (i)
                dbuf_putc(b, ',');
            jsonw_cstr(b, ev->flags[i]);
        }
        dbuf_putc(b, ']');
    }
    if (ev->risk && ev->risk[0])
        jsonw_field_str(b, "risk", ev->risk);
    dbuf_putc(b, '}');
}

/* Copies of the body with default-valued fields cleared (pb2 omits them). */
typedef struct compact_body { Danmaku__Comment c; Danmaku__Gift g; Danmaku__Like l; } compact_body;

static void compact_set_body(Danmaku__CompactEvent *ce, const Danmaku__Event *ev, compact_body *cb)
{
    switch (ev->body_case) {
    case DANMAKU__EVENT__BODY_COMMENT:
        cb->c = *ev->comment;
        cb->c.has_color = cb->c.has_color && cb->c.color != 16777215u;
        cb->c.has_mode = cb->c.has_mode && cb->c.mode != DANMAKU__MODE__MODE_SCROLL;
        cb->c.has_size = cb->c.has_size && cb->c.size != 25u;
        ce->body_case = DANMAKU__COMPACT_EVENT__BODY_COMMENT;
        ce->comment = &cb->c;
        break;
    case DANMAKU__EVENT__BODY_GIFT:
        cb->g = *ev->gift;
        cb->g.has_count = cb->g.has_count && cb->g.count != 1u;
        ce->body_case = DANMAKU__COMPACT_EVENT__BODY_GIFT;
        ce->gift = &cb->g;
        break;
    case DANMAKU__EVENT__BODY_LIKE:
        cb->l = *ev->like;
        cb->l.has_count = cb->l.has_count && cb->l.count != 1u;
        ce->body_case = DANMAKU__COMPACT_EVENT__BODY_LIKE;
        ce->like = &cb->l;
        break;
    default:
        break;
    }
}

void evt_render_compact(dbuf *b, const Danmaku__Event *ev)
{
    Danmaku__CompactEvent ce = DANMAKU__COMPACT_EVENT__INIT;
    compact_body cb;
    ce.user_id = ev->user_id;
    ce.nick = ev->nick;
    ce.n_flags = ev->n_flags;
    ce.flags = ev->flags;
    ce.risk = ev->risk;
    compact_set_body(&ce, ev, &cb);
    size_t n = danmaku__compact_event__get_packed_size(&ce);
    dbuf_reserve(b, n);
    b->len += danmaku__compact_event__pack(&ce, (uint8_t *)b->data + b->len);
}

static int kind_of(int body_case)
{
    switch (body_case) {
    case DANMAKU__EVENT__BODY_COMMENT: return EVT_COMMENT;
    case DANMAKU__EVENT__BODY_GIFT: return EVT_GIFT;
    case DANMAKU__EVENT__BODY_LIKE: return EVT_LIKE;
    default: return EVT_UNKNOWN;
    }
}

static evt *evt_alloc(const uint8_t *pb, size_t len, const dbuf *json, const dbuf *cpb)
{
    evt *e = xmalloc(sizeof *e + len + json->len + 1 + cpb->len);
    e->refs = 1;
    e->pb_len = (uint32_t)len;
    e->json_len = (uint32_t)json->len;
    e->cpb_len = (uint32_t)cpb->len;
    memcpy(e->data, pb, len);
    e->json = (char *)e->data + len;
    memcpy(e->json, json->data, json->len + 1);
    e->cpb = (uint8_t *)e->json + json->len + 1;
    if (cpb->len)
        memcpy(e->cpb, cpb->data, cpb->len);
    return e;
}

evt *evt_new(const uint8_t *pb, size_t len, uint64_t seq_hint)
{
    if (len > UINT32_MAX / 2)
        return NULL;
    Danmaku__Event *ev = danmaku__event__unpack(NULL, len, pb);
    uint64_t seq = ev && ev->has_seq && ev->seq ? ev->seq : seq_hint;
    if (!seq) {
        if (ev)
            danmaku__event__free_unpacked(ev, NULL);
        return NULL;
    }
    dbuf j, c;
    dbuf_init(&j);
    dbuf_init(&c);
    int kind = EVT_UNKNOWN;
    int64_t ts = 0;
    if (ev) {
        evt_render_json(&j, ev, seq);
        evt_render_compact(&c, ev);
        kind = kind_of(ev->body_case);
        ts = ev->has_ts_ms ? ev->ts_ms : 0;
        danmaku__event__free_unpacked(ev, NULL);
    } else {
        dbuf_puts(&j, "{\"seq\":");
        dbuf_put_u64(&j, seq);
        dbuf_puts(&j, ",\"kind\":\"unknown\"}");
    }
    evt *e = evt_alloc(pb, len, &j, &c);
    e->kind = kind;
    e->seq = seq;
    e->ts_ms = ts;
    dbuf_free(&j);
    dbuf_free(&c);
    return e;
}

void evt_unref(evt *e)
{
    if (e && --e->refs == 0)
        free(e);
}

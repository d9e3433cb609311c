/* bench_enc.c — reference batch encoders (JSON through jsonw, protobuf
 * through the generated protobuf-c code). */
#include "bench_enc.h"
#include <stdlib.h>
#include <string.h>
#include "jsonw.h"
#include "danmaku.pb-c.h"

const char *benc_mode_name(int mode)
{
    return mode == 1 ? "top" : mode == 2 ? "bottom" : "scroll";
}

static void kv_u64(dbuf *b, const char *k, uint64_t v)
{
    dbuf_putc(b, ','); jsonw_key(b, k); dbuf_put_u64(b, v);
}

static void kv_str(dbuf *b, const char *k, const char *s, size_t n)
{
    dbuf_putc(b, ','); jsonw_key(b, k); jsonw_str(b, s, n);
}

static void json_event(dbuf *b, const bev *e)
{
    static const char *const kinds[] = { "comment", "gift", "like" };
    dbuf_putc(b, '{');
    jsonw_key(b, "seq"); dbuf_put_u64(b, e->seq);
    kv_str(b, "kind", kinds[e->kind], strlen(kinds[e->kind]));
    dbuf_putc(b, ','); jsonw_key(b, "ts_ms"); dbuf_put_i64(b, e->ts_ms);
    kv_str(b, "user_id", e->user_id, strlen(e->user_id));
    if (e->nick) kv_str(b, "nick", e->nick, strlen(e->nick));
    if (e->kind == BEV_COMMENT) {
        kv_str(b, "text", e->text, e->text_len);
        kv_u64(b, "color", e->color);
        kv_str(b, "mode", benc_mode_name(e->mode), strlen(benc_mode_name(e->mode)));
        kv_u64(b, "size", e->size);
    } else if (e->kind == BEV_GIFT) {
        kv_str(b, "gift_id", e->gift_id, strlen(e->gift_id));
        kv_str(b, "gift_name", e->gift_name, strlen(e->gift_name));
        kv_u64(b, "count", e->count);
        kv_u64(b, "unit_value", e->unit_value);
    } else {
        kv_u64(b, "count", e->count);
    }
    if (e->client_msg_id) kv_str(b, "client_msg_id", e->client_msg_id, strlen(e->client_msg_id));
    dbuf_putc(b, '}');
}

void benc_json_batch(dbuf *b, const char *room, const char *epoch, const bev *ev, size_t n)
{
    dbuf_puts(b, "{\"type\":\"batch\"");
    kv_str(b, "room", room, strlen(room));
    kv_str(b, "epoch", epoch, strlen(epoch));
    kv_u64(b, "from_seq", ev[0].seq);
    kv_u64(b, "to_seq", ev[n - 1].seq);
    dbuf_puts(b, ",\"events\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) dbuf_putc(b, ',');
        json_event(b, &ev[i]);
    }
    dbuf_puts(b, "]}");
}

typedef struct pb_slot {
    Danmaku__Event ev;
    Danmaku__Comment c;
    Danmaku__Gift g;
    Danmaku__Like l;
} pb_slot;

static void pb_fill(pb_slot *s, const bev *e)
{
    danmaku__event__init(&s->ev);
    s->ev.has_seq = 1; s->ev.seq = e->seq;
    s->ev.has_ts_ms = 1; s->ev.ts_ms = e->ts_ms;
    s->ev.user_id = (char *)e->user_id;
    s->ev.nick = (char *)e->nick;
    s->ev.client_msg_id = (char *)e->client_msg_id;
    if (e->kind == BEV_COMMENT) {
        danmaku__comment__init(&s->c);
        s->c.text = (char *)e->text;
        s->c.has_color = 1; s->c.color = e->color;
        s->c.has_mode = 1; s->c.mode = (Danmaku__Mode)e->mode;
        s->c.has_size = 1; s->c.size = e->size;
        s->ev.body_case = DANMAKU__EVENT__BODY_COMMENT; s->ev.comment = &s->c;
    } else if (e->kind == BEV_GIFT) {
        danmaku__gift__init(&s->g);
        s->g.gift_id = (char *)e->gift_id; s->g.gift_name = (char *)e->gift_name;
        s->g.has_count = 1; s->g.count = e->count;
        s->g.has_unit_value = 1; s->g.unit_value = e->unit_value;
        s->ev.body_case = DANMAKU__EVENT__BODY_GIFT; s->ev.gift = &s->g;
    } else {
        danmaku__like__init(&s->l);
        s->l.has_count = 1; s->l.count = e->count;
        s->ev.body_case = DANMAKU__EVENT__BODY_LIKE; s->ev.like = &s->l;
    }
}

static void pb_len_field(dbuf *b, unsigned field, const void *p, size_t n)
{
    dbuf_put_varint(b, field << 3 | 2);
    dbuf_put_varint(b, n);
    dbuf_append(b, p, n);
}

/* The event as stored in Redis: the broadcaster's packed Event (without
 * seq/ts_ms) followed by the seq (field 1) and ts_ms (field 2) the
 * sequencer appends — the bytes the edge forwards unchanged. */
static void pb_stored_event(dbuf *b, const bev *e)
{
    pb_slot s;
    pb_fill(&s, e);
    s.ev.has_seq = 0; s.ev.has_ts_ms = 0;
    size_t len = danmaku__event__get_packed_size(&s.ev);
    dbuf_reserve(b, len + 24);
    danmaku__event__pack(&s.ev, (uint8_t *)b->data + b->len);
    b->len += len;
    dbuf_put_varint(b, 1 << 3); dbuf_put_varint(b, e->seq);
    dbuf_put_varint(b, 2 << 3); dbuf_put_varint(b, (uint64_t)e->ts_ms);
}

void benc_pb_batch(dbuf *b, const char *room, const char *epoch, const bev *ev, size_t n)
{
    dbuf inner, one;
    dbuf_init(&inner); dbuf_init(&one);
    pb_len_field(&inner, 1, room, strlen(room));
    pb_len_field(&inner, 2, epoch, strlen(epoch));
    dbuf_put_varint(&inner, 3 << 3); dbuf_put_varint(&inner, ev[0].seq);
    dbuf_put_varint(&inner, 4 << 3); dbuf_put_varint(&inner, ev[n - 1].seq);
    for (size_t i = 0; i < n; i++) {
        dbuf_reset(&one);
        pb_stored_event(&one, &ev[i]);
        pb_len_field(&inner, 5, one.data, one.len);
    }
    pb_len_field(b, 1, inner.data, inner.len);   /* Frame.batch */
    dbuf_free(&inner); dbuf_free(&one);
}

/* bench_enc.c — stored event bytes through protobuf-c, then the edge's
 * encoder (evt_new renders the JSON, wire_* builds the batch). */
#include "bench_enc.h"
#include <stdlib.h>
#include <string.h>
#include "danmaku.pb-c.h"

typedef struct pb_slot {
    Danmaku__Event ev;
    Danmaku__Comment c;
    Danmaku__Gift g;
    Danmaku__Like l;
} pb_slot;

static void pb_body(pb_slot *s, const bev *e)
{
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

/* The broadcaster's packed Event (fields in number order: user_id, nick,
 * client_msg_id, body, flags, risk; no seq/ts_ms) followed by the seq
 * (field 1) and ts_ms (field 2) the sequencer appends. */
void benc_stored(dbuf *b, const bev *e)
{
    pb_slot s;
    danmaku__event__init(&s.ev);
    s.ev.user_id = (char *)e->user_id;
    s.ev.nick = (char *)e->nick;
    s.ev.client_msg_id = (char *)e->client_msg_id;
    s.ev.n_flags = e->nflags;
    s.ev.flags = (char **)e->flags;
    s.ev.risk = (char *)e->risk;
    pb_body(&s, e);
    size_t len = danmaku__event__get_packed_size(&s.ev);
    dbuf_reserve(b, len + 24);
    danmaku__event__pack(&s.ev, (uint8_t *)b->data + b->len);
    b->len += len;
    dbuf_put_varint(b, 1 << 3); dbuf_put_varint(b, e->seq);
    dbuf_put_varint(b, 2 << 3); dbuf_put_varint(b, (uint64_t)e->ts_ms);
}

evt *benc_evt(const bev *e)
{
    dbuf b;
    dbuf_init(&b);
    benc_stored(&b, e);
    evt *x = evt_new((const uint8_t *)b.data, b.len, e->seq);
    dbuf_free(&b);
    return x;
}

int benc_init(benc *b, const char *dict_dir, int level)
{
    memset(b, 0, sizeof *b);
    dbuf_init(&b->pay);
    return wire_enc_init(&b->enc, dict_dir, level);
}

void benc_free(benc *b)
{
    wire_enc_free(&b->enc);
    free(b->evs);
    dbuf_free(&b->pay);
}

/* evts for ev[0..n) into b->evs (released by drop_evs). */
static void make_evs(benc *b, const bev *ev, size_t n)
{
    if (n > b->cap) {
        b->evs = xrealloc(b->evs, n * sizeof *b->evs);
        b->cap = n;
    }
    for (size_t i = 0; i < n; i++)
        b->evs[i] = benc_evt(&ev[i]);
}

static void drop_evs(benc *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        evt_unref(b->evs[i]);
}

void benc_payload(benc *b, dbuf *out, int fmt, const char *room, const char *epoch,
                  const bev *ev, size_t n)
{
    make_evs(b, ev, n);
    wire_batch_payload(out, fmt, room, epoch, b->evs, n);
    drop_evs(b, n);
}

void benc_frame(benc *b, dbuf *out, int fmt, int zstd, const char *room, const char *epoch,
                const bev *ev, size_t n)
{
    dbuf_reset(&b->pay);
    benc_payload(b, &b->pay, fmt, room, epoch, ev, n);
    wire_frame_append(&b->enc, out, fmt, zstd, b->pay.data, b->pay.len);
}

void benc_json_batch(dbuf *out, const char *room, const char *epoch, const bev *ev, size_t n)
{
    static benc plain;
    static int ready;
    if (!ready) {
        benc_init(&plain, NULL, 3);
        ready = 1;
    }
    benc_payload(&plain, out, WIRE_JSON, room, epoch, ev, n);
}

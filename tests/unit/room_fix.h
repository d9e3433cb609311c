/* room_fix.h — an in-process fixture for the edge's room layer (no
 * sockets, no Redis): a worker with a real event base and flush wheel, a
 * fake sub_ops that records every Redis command the room layer issues (the
 * test answers them by calling intake_on_meta / intake_on_xrange itself),
 * events built with protobuf-c, and fake viewers whose output evbuffer is
 * never empty (one marker byte), so every frame pushed to them is queued
 * there by reference and decoded by the test with frame_dec. */
#ifndef DM_ROOM_FIX_H
#define DM_ROOM_FIX_H
#pragma GCC diagnostic ignored "-Wunused-function"   /* each test uses a subset */
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include "../../edge/catchup.h"
#include "../../edge/deliver.h"
#include "../../edge/intake.h"
#include "../../edge/room.h"
#include "../../edge/viewer.h"
#include "../../edge/wctx.h"
#include "danmaku.pb-c.h"
#include "frame_dec.h"
#include "t.h"
#include "ws.h"

/* ---- fake Redis ------------------------------------------------------------ */

enum { FK_SUB = 1, FK_UNSUB, FK_META, FK_XRANGE };

typedef struct fk_call {
    int kind;
    char room[65];
    uint64_t from, to;
    size_t count;
    void *tag;
} fk_call;

static fk_call fk_calls[512];
static int fk_n;
static int fk_pubsub = 1, fk_cmd = 1;

static fk_call *fk_record(int kind, const char *room, size_t len, void *tag)
{
    if (fk_n >= (int)(sizeof fk_calls / sizeof fk_calls[0]))
        abort();
    fk_call *c = &fk_calls[fk_n++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    snprintf(c->room, sizeof c->room, "%.*s", (int)len, room);
    c->tag = tag;
    return c;
}

static int fk_subscribe(void *ctx, const char *room, size_t len)
{
    if (!fk_pubsub)
        return -1;
    fk_record(FK_SUB, room, len, NULL);
    return 0;
}
static int fk_unsubscribe(void *ctx, const char *room, size_t len)
{
    if (!fk_pubsub)
        return -1;
    fk_record(FK_UNSUB, room, len, NULL);
    return 0;
}
static int fk_meta(void *ctx, const char *room, size_t len, void *tag)
{
    if (!fk_cmd)
        return -1;
    fk_record(FK_META, room, len, tag);
    return 0;
}
static int fk_xrange(void *ctx, const char *room, size_t len, uint64_t from, uint64_t to,
                     size_t count, void *tag)
{
    if (!fk_cmd)
        return -1;
    fk_call *c = fk_record(FK_XRANGE, room, len, tag);
    c->from = from;
    c->to = to;
    c->count = count;
    return 0;
}
static int fk_pubsub_up(const void *ctx) { return fk_pubsub; }
static int fk_cmd_up(const void *ctx) { return fk_cmd; }

static const sub_ops fk_ops = {fk_subscribe, fk_unsubscribe, fk_meta, fk_xrange, fk_pubsub_up, fk_cmd_up};

/* The number of recorded calls of a kind, and the last one (or NULL). */
static int fk_count(int kind)
{
    int n = 0;
    for (int i = 0; i < fk_n; i++)
        n += fk_calls[i].kind == kind;
    return n;
}
static fk_call *fk_last(int kind)
{
    for (int i = fk_n - 1; i >= 0; i--)
        if (fk_calls[i].kind == kind)
            return &fk_calls[i];
    return NULL;
}

/* ---- worker ------------------------------------------------------------- */

static edge_conf fx_conf;
static worker *fx_w;

static uint64_t fx_clock(void *w) { return wctx_now(w); }
static void fx_due(flush_node *n, void *w) { deliver_on_due(room_of_due(n)); }
static void fx_join_hook(viewer *v, const char *name) { intake_join(v->w, name, v); }
static void fx_leave_hook(viewer *v) { room_leave(v); }

static void fx_setup(void)
{
    memset(&fx_conf, 0, sizeof fx_conf);
    fx_conf.tick_ms = 50;
    fx_conf.tick_max_ms = 1000;
    fx_conf.flush_grid_ms = 5;
    fx_conf.write_budget = 70;
    fx_conf.ring_events = 1000;
    fx_conf.max_batch = 500;
    fx_conf.history_max = 1000;
    fx_conf.slow_soft_bytes = 1 << 20;
    fx_conf.slow_hard_bytes = 4 << 20;
    fx_conf.slow_soft_age_ms = 60000;
    fx_conf.slow_hard_age_ms = 120000;
    fx_conf.close_timeout_ms = 1000;
    fk_n = 0;
    fk_pubsub = fk_cmd = 1;
    worker *w = calloc(1, sizeof *w);
    w->conf = &fx_conf;
    w->base = event_base_new();
    wctx_now(w);
    flush_init(&w->wheel, w->base, fx_conf.flush_grid_ms, fx_clock, fx_due, w);
    room_table_init(w);
    batch_ctx_init(&w->batch, NULL, 1);
    w->redis = &fk_ops;
    w->vh.join = fx_join_hook;
    w->vh.leave = fx_leave_hook;
    fx_w = w;
}

/* Frees every room left (their viewers must have been freed first). */
static void fx_teardown(void)
{
    worker *w = fx_w;
    for (int i = 0; i < fk_n; i++)   /* replies never given: free the reqs */
        if (fk_calls[i].tag && (fk_calls[i].kind == FK_META || fk_calls[i].kind == FK_XRANGE)) {
            req *q = fk_calls[i].tag;
            if (q->room && q->room->meta_req == q)
                q->room->meta_req = NULL;
            if (q->room && q->room->repair_req == q)
                q->room->repair_req = NULL;
            if (q->v && q->v->req == q)
                q->v->req = NULL;
            free(q);
        }
    room_table_free(w);
    flush_free(&w->wheel);
    batch_ctx_free(&w->batch);
    event_base_free(w->base);
    free(w);
    fx_w = NULL;
}

/* Answers recorded call i (its tag is consumed: the fixture forgets it). */
static void fx_answer_meta(int i, const char *epoch, uint64_t seq)
{
    void *tag = fk_calls[i].tag;
    fk_calls[i].tag = NULL;
    intake_on_meta(tag, 1, epoch, epoch ? strlen(epoch) : 0, seq);
}

/* ---- events ------------------------------------------------------------- */

enum { FX_COMMENT = 0, FX_GIFT = 1 };

/* The protobuf bytes of an event with this seq (a comment or a gift). */
static size_t fx_event_pb(uint8_t *out, size_t cap, uint64_t seq, int kind)
{
    Danmaku__Event ev = DANMAKU__EVENT__INIT;
    Danmaku__Comment c = DANMAKU__COMMENT__INIT;
    Danmaku__Gift g = DANMAKU__GIFT__INIT;
    char text[32];
    snprintf(text, sizeof text, "event %llu", (unsigned long long)seq);
    ev.has_seq = 1;
    ev.seq = seq;
    ev.has_ts_ms = 1;
    ev.ts_ms = 1700000000000LL + (int64_t)seq;
    ev.user_id = "u1";
    ev.nick = "nick";
    if (kind == FX_GIFT) {
        ev.body_case = DANMAKU__EVENT__BODY_GIFT;
        ev.gift = &g;
        g.gift_id = "rocket";
        g.gift_name = "rocket";
        g.has_count = 1;
        g.count = 1;
    } else {
        ev.body_case = DANMAKU__EVENT__BODY_COMMENT;
        ev.comment = &c;
        c.text = text;
    }
    size_t n = danmaku__event__get_packed_size(&ev);
    if (n > cap)
        abort();
    danmaku__event__pack(&ev, out);
    return n;
}

/* Publishes event seq of room in epoch as the channel would deliver it. */
static void fx_pub_kind(const char *room, const char *epoch, uint64_t seq, int kind)
{
    char buf[512];
    size_t el = strlen(epoch);
    memcpy(buf, epoch, el);
    buf[el] = ':';
    size_t n = fx_event_pb((uint8_t *)buf + el + 1, sizeof buf - el - 1, seq, kind);
    intake_on_message(fx_w, room, strlen(room), buf, el + 1 + n);
}
static void fx_pub(const char *room, const char *epoch, uint64_t seq) { fx_pub_kind(room, epoch, seq, FX_COMMENT); }

/* XRANGE entries for seqs (the stream IDs), their bytes in fx_pb. */
static uint8_t fx_pb[1200][96];
static xentry fx_xe[1200];
static size_t fx_entries(const uint64_t *seqs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fx_xe[i].seq = seqs[i];
        fx_xe[i].len = fx_event_pb(fx_pb[i], sizeof fx_pb[i], seqs[i], FX_COMMENT);
        fx_xe[i].pb = fx_pb[i];
    }
    return n;
}
/* Entries a..b (inclusive). */
static size_t fx_range(uint64_t a, uint64_t b)
{
    uint64_t s[1200];
    size_t n = 0;
    for (uint64_t q = a; q <= b && n < 1200; q++)
        s[n++] = q;
    return fx_entries(s, n);
}

/* Answers recorded XRANGE call i with fx_xe[0..n). */
static void fx_answer_xrange(int i, size_t n)
{
    void *tag = fk_calls[i].tag;
    fk_calls[i].tag = NULL;
    intake_on_xrange(tag, 1, fx_xe, n);
}
static int fx_index(const fk_call *c) { return (int)(c - fk_calls); }

/* ---- viewers ------------------------------------------------------------ */

/* A WebSocket viewer without a socket: its output holds one marker byte,
 * so pushes queue there (no write is ever attempted). */
static viewer *fx_viewer(int fmt, int zstd, uint32_t history)
{
    viewer *v = calloc(1, sizeof *v);
    v->w = fx_w;
    v->fd = -1;
    v->state = V_WS;
    v->fmt = (uint8_t)fmt;
    v->zstd = (uint8_t)zstd;
    v->history = history;
    v->out = evbuffer_new();
    evbuffer_add(v->out, "#", 1);
    v->backlog_since_ms = wctx_now(fx_w);
    snprintf(v->peer, sizeof v->peer, "test");
    fx_w->nws++;
    return v;
}

static void fx_viewer_free(viewer *v)
{
    if (v->state == V_WS) {
        room_leave(v);
        fx_w->nws--;
    }
    evbuffer_free(v->out);
    free(v);
}

static void fx_join(viewer *v, const char *room)
{
    snprintf(v->rname, sizeof v->rname, "%s", room);
    fx_w->vh.join(v, v->rname);
}

/* Brings room up the way Redis would: meta (epoch, seq), SUBSCRIBE
 * confirmed, meta again, the stream read from seq + 1 answered empty.
 * v is its first viewer. Returns the room. */
static room *fx_ready_room(const char *name, const char *epoch, uint64_t seq, viewer *v)
{
    fx_join(v, name);
    fx_answer_meta(fx_index(fk_last(FK_META)), epoch, seq);
    intake_on_subscribed(fx_w, name, strlen(name));
    fx_answer_meta(fx_index(fk_last(FK_META)), epoch, seq);
    fk_call *x = fk_last(FK_XRANGE);
    if (x && x->tag)
        fx_answer_xrange(fx_index(x), 0);
    return room_find(fx_w, name, strlen(name));
}

/* Decodes the frames queued on v (after the marker byte) into f[], draining
 * them. Returns the count; a close frame is reported in *close_code (0 if
 * none). Frames must be released with frame_dec_release(). */
static int fx_frames(viewer *v, Danmaku__Frame **f, int max, int *close_code)
{
    static frame_dec d;
    static int init;
    if (!init) {
        frame_dec_init(&d);
        init = 1;
    }
    size_t len = evbuffer_get_length(v->out);
    uint8_t *p = evbuffer_pullup(v->out, -1);
    size_t off = 1;
    int n = 0;
    if (close_code)
        *close_code = 0;
    while (off < len && n < max) {
        ws_frame wf;
        int cc = 0;
        int k = ws_parse_frame(p + off, len - off, WS_ROLE_CLIENT, 1u << 30, &wf, &cc);
        if (k <= 0)
            break;
        if (wf.opcode == WS_OP_CLOSE) {
            if (close_code && wf.payload_len >= 2)
                *close_code = wf.payload[0] << 8 | wf.payload[1];
        } else {
            char err[128];
            f[n] = frame_dec_decode(&d, v->fmt, v->zstd, wf.payload, (size_t)wf.payload_len, err, sizeof err);
            if (!f[n]) {
                fprintf(stderr, "  decode: %s\n", err);
                break;
            }
            n++;
        }
        off += (size_t)k;
    }
    evbuffer_drain(v->out, off - 1);
    return n;
}

static void fx_release(Danmaku__Frame **f, int n)
{
    for (int i = 0; i < n; i++)
        frame_dec_release(f[i]);
}

/* 1 when the frames queued on v are exactly one batch from..to (drained);
 * else 0, with what was found on stderr. */
static int fx_one_batch(viewer *v, uint64_t from, uint64_t to)
{
    Danmaku__Frame *f[8];
    int n = fx_frames(v, f, 8, NULL);
    int ok = n == 1 && f[0]->msg_case == DANMAKU__FRAME__MSG_BATCH && f[0]->batch->from_seq == from
             && f[0]->batch->to_seq == to && f[0]->batch->n_events == to - from + 1;
    if (!ok)
        fprintf(stderr, "  expected one batch %llu..%llu, got %d frame(s), first %s %llu..%llu\n",
                (unsigned long long)from, (unsigned long long)to, n,
                n && f[0]->msg_case == DANMAKU__FRAME__MSG_BATCH ? "batch" : "other",
                n && f[0]->batch ? (unsigned long long)f[0]->batch->from_seq : 0ull,
                n && f[0]->batch ? (unsigned long long)f[0]->batch->to_seq : 0ull);
    fx_release(f, n);
    return ok;
}

/* A viewer resuming after seq `since` of `epoch` (?since=S&epoch=E). */
static viewer *fx_resumer(uint64_t since, const char *epoch)
{
    viewer *v = fx_viewer(BATCH_JSON, 0, 0);
    v->has_since = 1;
    v->since = since;
    snprintf(v->since_epoch, sizeof v->since_epoch, "%s", epoch);
    return v;
}

#endif

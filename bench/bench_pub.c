/* bench_pub.c — HTTP keep-alive publishers (see bench_pub.h). */
#define _GNU_SOURCE
#include "bench_pub.h"
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "bench_enc.h"
#include "bench_gen.h"
#include "bench_pace.h"
#include "bench_peerwire.h"
#include "bench_rng.h"
#include "bench_viewer.h"   /* now_us */
#include "dbuf.h"
#include "jsonw.h"

typedef struct pending { uint32_t room; uint8_t kind; int64_t intended; uint64_t seq; } pending;

typedef struct pconn {
    publisher *pb;
    const hostport *hp;
    struct bufferevent *bev;
    int up;
    pending *q; size_t head, n, cap;   /* FIFO ring of requests in flight */
} pconn;

struct publisher {
    struct event_base *base;
    const bench_cfg *c;
    const corpus *co;
    const pop *p;
    char room_prefix[40], cmid_prefix[48];
    pconn *conns; size_t nconns, rr;
    pace sched;
    struct event *timer, *retry;
    int started, stopped;
    rng r;
    uint64_t n, text_pos;
    uint64_t *room_seq;                /* peers: last seq assigned per room */
    dbuf body, req;
    pub_stats st;
};

static void conn_open(pconn *pc);

/* ---- FIFO --------------------------------------------------------------- */

static void q_push(pconn *pc, pending e)
{
    if (pc->n == pc->cap) {
        size_t nc = pc->cap ? pc->cap * 2 : 256;
        pending *q = xmalloc(nc * sizeof *q);
        for (size_t i = 0; i < pc->n; i++) q[i] = pc->q[(pc->head + i) % pc->cap];
        free(pc->q);
        pc->q = q; pc->cap = nc; pc->head = 0;
    }
    pc->q[(pc->head + pc->n) % pc->cap] = e;
    pc->n++;
}

static pending q_pop(pconn *pc)
{
    pending e = pc->q[pc->head];
    pc->head = (pc->head + 1) % pc->cap;
    pc->n--;
    return e;
}

/* ---- replies ------------------------------------------------------------ */

static void record_ack(publisher *pb, pending e, uint64_t seq)
{
    room_acks *ra = &pb->st.rooms[e.room];
    if (ra->n == ra->cap) {
        ra->cap = ra->cap ? ra->cap * 2 : 64;
        ra->seq = xrealloc(ra->seq, ra->cap * sizeof *ra->seq);
    }
    ra->seq[ra->n++] = seq;
    pb->st.acked[e.kind]++;
}

static void record_error(publisher *pb, int status, const char *body, size_t n)
{
    pb->st.by_status[status]++;
    if (pb->st.nerr_sample < 4)
        snprintf(pb->st.err_sample[pb->st.nerr_sample++], sizeof pb->st.err_sample[0], "%d %.*s", status,
                 (int)(n < 140 ? n : 140), body);
}

static void record_ok(publisher *pb, int status, pending e)
{
    pb->st.by_status[status]++;
    record_ack(pb, e, e.seq);
    int64_t lat = now_us() - e.intended;
    hist_add(&pb->st.lat, lat > 0 ? (uint64_t)lat : 0);
}

/* A peer's reply at the front of in: Redis (an integer reply to PUBLISH is
 * counted as status 200, an error reply as 500) or an Nchan publisher (201
 * delivered to subscribers, 202 queued without any). Returns 1 if one was
 * consumed, 0 if incomplete, -1 if malformed. */
static int take_peer_response(pconn *pc, struct evbuffer *in)
{
    publisher *pb = pc->pb;
    size_t len = evbuffer_get_length(in);
    if (!len) return 0;
    const uint8_t *p = evbuffer_pullup(in, (ssize_t)len), *body = NULL;
    size_t blen = 0;
    int status = 0, kind;
    int64_t val;
    ssize_t r = pb->c->target == TARGET_REDIS ? pw_resp_reply(p, len, &kind, &val, &body, &blen)
                                              : pw_http_response(p, len, &status, &body, &blen);
    if (r == -2) return 0;
    if (r < 0 || !pc->n) return -1;        /* malformed, or a reply nobody asked for */
    pending e = q_pop(pc);
    if (pb->c->target == TARGET_REDIS) status = kind == PW_INT ? 200 : 500;
    if (status < 0 || status >= 600) status = 0;
    if (pub_status_ok(status)) record_ok(pb, status, e);
    else record_error(pb, status, (const char *)body, blen);
    evbuffer_drain(in, (size_t)r);
    return 1;
}

/* Parses one complete response from in; returns 1 if one was consumed, 0 if
 * incomplete, -1 if malformed. */
static int take_response(pconn *pc, struct evbuffer *in)
{
    if (pc->pb->c->target != TARGET_DM) return take_peer_response(pc, in);
    struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    if (end.pos < 0) return evbuffer_get_length(in) > 65536 ? -1 : 0;
    size_t hl = (size_t)end.pos + 4;
    char *head = (char *)evbuffer_pullup(in, (ssize_t)hl);
    if (hl < 12 || strncmp(head, "HTTP/1.", 7)) return -1;
    int status = atoi(head + 9);
    long clen = 0;
    char *cl = memmem(head, hl, "\r\nContent-Length:", 17);
    if (!cl) cl = memmem(head, hl, "\r\ncontent-length:", 17);
    if (cl) clen = strtol(cl + 17, NULL, 10);
    if (clen < 0 || clen > (1 << 20)) return -1;
    if (evbuffer_get_length(in) < hl + (size_t)clen) return 0;
    char *all = (char *)evbuffer_pullup(in, (ssize_t)(hl + (size_t)clen));
    publisher *pb = pc->pb;
    if (!pc->n) return -1;                 /* a reply nobody asked for */
    pending e = q_pop(pc);
    if (status < 0 || status >= 600) status = 0;
    pb->st.by_status[status]++;
    if (status != 200 && pb->st.nerr_sample < 4)
        snprintf(pb->st.err_sample[pb->st.nerr_sample++], sizeof pb->st.err_sample[0], "%d %.*s", status,
                 (int)(clen < 140 ? clen : 140), all + hl);
    if (status == 200) {
        char *s = memmem(all + hl, (size_t)clen, "\"seq\":", 6);
        if (s) {
            record_ack(pb, e, strtoull(s + 6, NULL, 10));
            int64_t lat = now_us() - e.intended;
            hist_add(&pb->st.lat, lat > 0 ? (uint64_t)lat : 0);
        }
    }
    evbuffer_drain(in, hl + (size_t)clen);
    return 1;
}

static void conn_down(pconn *pc)
{
    publisher *pb = pc->pb;
    while (pc->n) { q_pop(pc); pb->st.by_status[0]++; }
    if (pc->bev) bufferevent_free(pc->bev);
    pc->bev = NULL;
    pc->up = 0;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    pconn *pc = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    int r;
    while ((r = take_response(pc, in)) == 1) {}
    if (r < 0) { pc->pb->st.conn_errors++; conn_down(pc); }
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    pconn *pc = arg;
    (void)bev;
    if (what & BEV_EVENT_CONNECTED) { pc->up = 1; return; }
    if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
        if (!pc->pb->stopped) pc->pb->st.conn_errors++;
        conn_down(pc);
    }
}

static void conn_open(pconn *pc)
{
    publisher *pb = pc->pb;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)pc->hp->port) };
    inet_pton(AF_INET, pc->hp->host, &sa.sin_addr);
    pc->bev = bufferevent_socket_new(pb->base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(pc->bev, read_cb, NULL, event_cb, pc);
    bufferevent_enable(pc->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(pc->bev, (struct sockaddr *)&sa, sizeof sa) < 0) {
        pb->st.conn_errors++;
        bufferevent_free(pc->bev);
        pc->bev = NULL;
        return;
    }
    int one = 1;
    setsockopt(bufferevent_getfd(pc->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* ---- requests ----------------------------------------------------------- */

static const corpus_msg *next_text(publisher *pb)
{
    const corpus_msg *m = &pb->co->msgs[pb->text_pos % pb->co->nmsgs];
    pb->text_pos++;
    return m;
}

static void put_kv_str(dbuf *b, const char *k, const char *v, int comma)
{
    if (comma) dbuf_putc(b, ',');
    jsonw_key(b, k); jsonw_cstr(b, v);
}

static void put_kv_u64(dbuf *b, const char *k, uint64_t v)
{
    dbuf_putc(b, ','); jsonw_key(b, k); dbuf_put_u64(b, v);
}

static const char *build_body(publisher *pb, int kind, int64_t intended, dbuf *b)
{
    char uid[24], nick[64], cmid[80];
    snprintf(cmid, sizeof cmid, "%s%llu-%lld", pb->cmid_prefix,
             (unsigned long long)pb->n++, (long long)intended);
    dbuf_reset(b);
    dbuf_putc(b, '{');
    if (kind == 0) {
        const corpus_msg *m = next_text(pb);
        corpus_user_id(m->uhash, uid, sizeof uid); corpus_nick(m->uhash, nick, sizeof nick);
        put_kv_str(b, "user_id", uid, 0); put_kv_str(b, "nick", nick, 1);
        dbuf_putc(b, ','); jsonw_key(b, "text"); jsonw_str(b, m->text, m->text_len);
        put_kv_u64(b, "color", m->color & 0xFFFFFFu);   /* a few corpus rows carry more bits */
        put_kv_str(b, "mode", corpus_mode_name(m->mode), 1);
        put_kv_u64(b, "size", m->size);
        put_kv_str(b, "client_msg_id", cmid, 1);
        dbuf_putc(b, '}');
        return "comments";
    }
    uint32_t h = (uint32_t)rng_next(&pb->r);
    corpus_user_id(h, uid, sizeof uid); corpus_nick(h, nick, sizeof nick);
    put_kv_str(b, "user_id", uid, 0);
    if (kind == 1) {
        const char *gid, *gname; uint64_t uv;
        bgen_gift(&pb->r, &gid, &gname, &uv);
        put_kv_str(b, "nick", nick, 1);
        put_kv_str(b, "gift_id", gid, 1); put_kv_str(b, "gift_name", gname, 1);
        put_kv_u64(b, "count", 1 + rng_below(&pb->r, 3));
        put_kv_u64(b, "unit_value", uv);
        put_kv_str(b, "client_msg_id", cmid, 1);
        dbuf_putc(b, '}');
        return "gifts";
    }
    put_kv_u64(b, "count", 1 + rng_below(&pb->r, 5));
    put_kv_str(b, "client_msg_id", cmid, 1);
    dbuf_putc(b, '}');
    return "likes";
}

static int pick_kind(publisher *pb)
{
    double u = rng_unit(&pb->r);
    if (u < pb->c->mix[0]) return 0;
    if (u < pb->c->mix[0] + pb->c->mix[1]) return 1;
    return pb->c->mix[2] > 0 ? 2 : 0;
}

/* Our JSON batch frame (as the edge sends it) holding one event of `kind`
 * with the publisher-assigned seq, into b: what the peers carry. */
static void build_peer_frame(publisher *pb, int kind, uint32_t room, uint64_t seq, int64_t intended, dbuf *b)
{
    char uid[24], nick[64], cmid[80], rname[64];
    const char *gid, *gname;
    bev e = { .kind = kind, .seq = seq, .user_id = uid, .nick = nick, .client_msg_id = cmid };
    snprintf(cmid, sizeof cmid, "%s%llu-%lld", pb->cmid_prefix, (unsigned long long)pb->n++, (long long)intended);
    snprintf(rname, sizeof rname, "%s%u", pb->room_prefix, room);
    if (kind == BEV_COMMENT) {
        const corpus_msg *m = next_text(pb);
        corpus_user_id(m->uhash, uid, sizeof uid); corpus_nick(m->uhash, nick, sizeof nick);
        e.text = m->text; e.text_len = m->text_len;
        e.color = m->color & 0xFFFFFFu; e.size = m->size;
        e.mode = m->mode == 5 ? 1 : m->mode == 4 ? 2 : 0;
    } else {
        uint32_t h = (uint32_t)rng_next(&pb->r);
        corpus_user_id(h, uid, sizeof uid); corpus_nick(h, nick, sizeof nick);
        if (kind == BEV_GIFT) {
            bgen_gift(&pb->r, &gid, &gname, &e.unit_value);
            e.gift_id = gid; e.gift_name = gname;
            e.count = 1 + (uint32_t)rng_below(&pb->r, 3);
        } else {
            e.nick = NULL;
            e.count = 1 + (uint32_t)rng_below(&pb->r, 5);
        }
    }
    dbuf_reset(b);
    benc_json_batch(b, rname, "peer", &e, 1);
}

/* --target redis|nchan: PUBLISH / POST /pub/<room> of one frame, on the
 * room's own connection so that a room's events stay in seq order. */
static void send_peer(publisher *pb, int kind, uint32_t room, int64_t intended)
{
    pconn *pc = &pb->conns[room % pb->nconns];
    if (!pc->up || !pc->bev) { pb->st.by_status[0]++; return; }
    uint64_t seq = ++pb->room_seq[room];
    build_peer_frame(pb, kind, room, seq, intended, &pb->body);
    struct evbuffer *out = bufferevent_get_output(pc->bev);
    if (pb->c->target == TARGET_REDIS) {
        char chan[64];
        snprintf(chan, sizeof chan, "%s%u", pb->room_prefix, room);
        dbuf_reset(&pb->req);
        pw_resp_publish(&pb->req, chan, (const uint8_t *)pb->body.data, pb->body.len);
        evbuffer_add(out, pb->req.data, pb->req.len);
    } else {
        evbuffer_add_printf(out, "POST /pub/%s%u HTTP/1.1\r\nHost: %s:%d\r\n"
                            "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                            pb->room_prefix, room, pc->hp->host, pc->hp->port, pb->body.len);
        evbuffer_add(out, pb->body.data, pb->body.len);
    }
    q_push(pc, (pending){ room, (uint8_t)kind, intended, seq });
    pb->st.sent[kind]++;
}

static pconn *pick_conn(publisher *pb)
{
    for (size_t i = 0; i < pb->nconns; i++) {
        pconn *pc = &pb->conns[pb->rr++ % pb->nconns];
        if (pc->up && pc->bev) return pc;
    }
    return NULL;
}

static void send_one(publisher *pb, int64_t intended)
{
    int kind = pick_kind(pb);
    uint32_t room = (uint32_t)pop_sample(pb->p, &pb->r);
    pb->st.offered[kind]++;
    if (pb->c->target != TARGET_DM) { send_peer(pb, kind, room, intended); return; }
    pconn *pc = pick_conn(pb);
    if (!pc) { pb->st.by_status[0]++; return; }
    const char *path = build_body(pb, kind, intended, &pb->body);
    struct evbuffer *out = bufferevent_get_output(pc->bev);
    evbuffer_add_printf(out, "POST /v1/rooms/%s%u/%s HTTP/1.1\r\nHost: %s:%d\r\n"
                        "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                        pb->room_prefix, room, path, pc->hp->host, pc->hp->port, pb->body.len);
    evbuffer_add(out, pb->body.data, pb->body.len);
    q_push(pc, (pending){ room, (uint8_t)kind, intended, 0 });
    pb->st.sent[kind]++;
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    publisher *pb = arg;
    (void)fd; (void)what;
    int64_t now = now_us(), t;
    for (int i = 0; i < 1000000 && pace_take(&pb->sched, now, &t); i++) send_one(pb, t);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    publisher *pb = arg;
    (void)fd; (void)what;
    if (pb->stopped) return;
    for (size_t i = 0; i < pb->nconns; i++)
        if (!pb->conns[i].bev) { pb->st.reconnects++; conn_open(&pb->conns[i]); }
}

publisher *pub_new(struct event_base *base, const bench_cfg *c, const corpus *co,
                   const pop *p, const char *room_prefix, const char *cmid_prefix)
{
    publisher *pb = xcalloc(1, sizeof *pb);
    pb->base = base; pb->c = c; pb->co = co; pb->p = p;
    snprintf(pb->room_prefix, sizeof pb->room_prefix, "%s", room_prefix);
    snprintf(pb->cmid_prefix, sizeof pb->cmid_prefix, "%s", cmid_prefix);
    rng_seed(&pb->r, c->seed * 7919 + 17);
    pb->text_pos = rng_below(&pb->r, co->nmsgs);
    dbuf_init(&pb->body); dbuf_init(&pb->req);
    hist_init(&pb->st.lat, 7);
    pb->st.nrooms = c->rooms;
    pb->st.rooms = xcalloc(c->rooms, sizeof *pb->st.rooms);
    pb->room_seq = xcalloc(c->rooms, sizeof *pb->room_seq);
    pb->nconns = c->nbcs * c->pub_conns;
    pb->conns = xcalloc(pb->nconns ? pb->nconns : 1, sizeof *pb->conns);
    for (size_t i = 0; i < pb->nconns; i++) {
        pb->conns[i].pb = pb;
        pb->conns[i].hp = &c->bcs[i % c->nbcs];
    }
    return pb;
}

void pub_connect(publisher *pb)
{
    for (size_t i = 0; i < pb->nconns; i++) conn_open(&pb->conns[i]);
    pb->retry = event_new(pb->base, -1, EV_PERSIST, retry_cb, pb);
    struct timeval tv = { 0, 200000 };
    event_add(pb->retry, &tv);
}

void pub_start(publisher *pb, int64_t start_us, int64_t end_us)
{
    pace_init(&pb->sched, pb->c->rate > 0 ? pb->c->rate : 1, pb->c->arrivals, pb->c->seed, start_us,
              pb->c->rate > 0 ? end_us : start_us);
    pb->timer = event_new(pb->base, -1, EV_PERSIST, timer_cb, pb);
    struct timeval tv = { 0, 1000 };
    event_add(pb->timer, &tv);
    pb->started = 1;
}

size_t pub_outstanding(const publisher *pb)
{
    size_t n = 0;
    for (size_t i = 0; i < pb->nconns; i++) n += pb->conns[i].n;
    return n;
}

int pub_schedule_done(const publisher *pb) { return pb->started && pace_peek(&pb->sched) == INT64_MAX; }

void pub_stop(publisher *pb)
{
    pb->stopped = 1;
    if (pb->timer) { event_free(pb->timer); pb->timer = NULL; }
    if (pb->retry) { event_free(pb->retry); pb->retry = NULL; }
    for (size_t i = 0; i < pb->nconns; i++) {
        pconn *pc = &pb->conns[i];
        pb->st.unanswered += pc->n;
        pc->n = 0;
        if (pc->bev) bufferevent_free(pc->bev);
        pc->bev = NULL; pc->up = 0;
    }
}

const pub_stats *pub_get_stats(const publisher *pb) { return &pb->st; }

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void pub_sort_acks(publisher *pb)
{
    for (size_t r = 0; r < pb->st.nrooms; r++)
        qsort(pb->st.rooms[r].seq, pb->st.rooms[r].n, sizeof(uint64_t), cmp_u64);
}

void pub_free(publisher *pb)
{
    if (!pb) return;
    pub_stop(pb);
    for (size_t i = 0; i < pb->nconns; i++) free(pb->conns[i].q);
    free(pb->conns);
    for (size_t r = 0; r < pb->st.nrooms; r++) free(pb->st.rooms[r].seq);
    free(pb->st.rooms);
    free(pb->room_seq);
    hist_free(&pb->st.lat);
    dbuf_free(&pb->body); dbuf_free(&pb->req);
    free(pb);
}

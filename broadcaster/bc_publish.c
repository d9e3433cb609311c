/* bc_publish.c — POST /v1/rooms/{room}/{comments|gifts|likes}: method and
 * room checks, media type, token, bc_decode, token user, then bc_seq_submit;
 * the answer comes from the sequencer's callback. */
#include "bc_publish.h"
#include "bc_ctx.h"
#include "danmaku.pb-c.h"
#include "jsonw.h"
#include "log.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PREFIX "/v1/rooms/"
#define PREFIX_LEN (sizeof PREFIX - 1)

static const char *const kind_paths[] = { "comments", "gifts", "likes" };
static const char kind_codes[] = { 'c', 'g', 'l' };

/* Kept in the request while the sequencer works. */
typedef struct pub_state {
    bc_seq_req *sreq;           /* non-NULL while waiting */
    bc_ctx *ctx;
    int accept_pb;
    size_t room_len;
    char room[BC_ROOM_MAX + 1];
} pub_state;
_Static_assert(sizeof(pub_state) <= BC_REQ_STATE_MAX, "pub_state too large");

int bc_publish_match(const http_request *h, const char **room, size_t *room_len)
{
    if (h->path_len <= PREFIX_LEN || memcmp(h->path, PREFIX, PREFIX_LEN))
        return -1;
    const char *r = h->path + PREFIX_LEN, *end = h->path + h->path_len;
    const char *slash = memchr(r, '/', (size_t)(end - r));
    if (!slash)
        return -1;
    size_t tail = (size_t)(end - slash - 1);
    for (int k = 0; k < 3; k++)
        if (tail == strlen(kind_paths[k]) && !memcmp(slash + 1, kind_paths[k], tail)) {
            *room = r;
            *room_len = (size_t)(slash - r);
            return k;
        }
    return -1;
}

/* Media type of the body: BC_CT_JSON (also when absent), BC_CT_PB, or -1. */
static int body_ctype(const http_request *h)
{
    const http_header *ct = http_find_header(h, "content-type");
    if (!ct)
        return BC_CT_JSON;
    size_t n = 0;
    while (n < ct->value_len && ct->value[n] != ';' && ct->value[n] != ' ')
        n++;
    if (n == 16 && !strncasecmp(ct->value, "application/json", 16))
        return BC_CT_JSON;
    if ((n == 22 && !strncasecmp(ct->value, "application/x-protobuf", 22)) ||
        (n == 20 && !strncasecmp(ct->value, "application/protobuf", 20)))
        return BC_CT_PB;
    return -1;
}

static int accepts_pb(const http_request *h)
{
    const http_header *a = http_find_header(h, "accept");
    if (!a)
        return 0;
    for (size_t i = 0; i + 10 <= a->value_len; i++)
        if (!strncasecmp(a->value + i, "x-protobuf", 10) ||
            (!strncasecmp(a->value + i, "/protobuf", 9)))
            return 1;
    return 0;
}

static void reply_pb(bc_req *r, const pub_state *p, const bc_seq_result *res, const char *dup)
{
    Danmaku__PublishReply pr = DANMAKU__PUBLISH_REPLY__INIT;
    uint8_t buf[128];
    char room[BC_ROOM_MAX + 1];
    memcpy(room, p->room, p->room_len + 1);
    pr.room = room;
    pr.has_seq = 1; pr.seq = res->seq;
    pr.epoch = (char *)res->epoch;
    pr.has_ts_ms = 1; pr.ts_ms = res->ts_ms;
    size_t n = danmaku__publish_reply__pack(&pr, buf);
    bc_req_reply(r, 200, "application/x-protobuf", dup, buf, n);
}

static void reply_result(bc_req *r, const pub_state *p, const bc_seq_result *res)
{
    const char *dup = res->status == BC_SEQ_DUP ? "Dm-Duplicate: true\r\n" : NULL;
    if (p->accept_pb) {
        reply_pb(r, p, res, dup);
        return;
    }
    dbuf *b = &p->ctx->reply;               /* copied out by bc_req_reply */
    dbuf_reset(b);
    dbuf_puts(b, "{\"room\":");
    jsonw_str(b, p->room, p->room_len);
    dbuf_puts(b, ",\"seq\":");
    dbuf_put_u64(b, res->seq);
    dbuf_puts(b, ",\"epoch\":");
    jsonw_cstr(b, res->epoch);
    dbuf_puts(b, ",\"ts_ms\":");
    dbuf_put_i64(b, res->ts_ms);
    if (res->status == BC_SEQ_DUP)
        dbuf_puts(b, ",\"duplicate\":true");
    dbuf_putc(b, '}');
    bc_req_reply(r, 200, "application/json", dup, b->data, b->len);
}

/* 429 rate_limited / 403 muted|banned, with Retry-After when it is known. */
static void reply_refused(bc_req *r, const bc_seq_result *res)
{
    char extra[48] = "";
    if (res->ms > 0)
        snprintf(extra, sizeof extra, "Retry-After: %lld\r\n", (long long)((res->ms + 999) / 1000));
    if (res->status == BC_SEQ_LIMITED)
        bc_req_error(r, 429, "rate_limited", "too many events from this user; retry later",
                     extra);
    else if (res->status == BC_SEQ_MUTED)
        bc_req_error(r, 403, "muted", "this user is muted in this room", extra[0] ? extra : NULL);
    else
        bc_req_error(r, 403, "banned", "this user is banned", extra[0] ? extra : NULL);
}

static void seq_done(void *arg, const bc_seq_result *res)
{
    bc_req *r = arg;
    pub_state *p = (pub_state *)r->state;
    p->sreq = NULL;
    r->abort = NULL;
    if (res->status >= BC_SEQ_LIMITED) {
        reply_refused(r, res);
        return;
    }
    if (res->status == BC_SEQ_UNAVAILABLE) {
        LOGD("publish", "peer=%s req=%llu room=%s not confirmed by Redis", r->peer,
             (unsigned long long)r->id, p->room);
        bc_req_error(r, 503, "redis_unavailable",
                     "the event could not be confirmed as stored; retry with the same client_msg_id",
                     NULL);
        return;
    }
    reply_result(r, p, res);
}

static void abort_publish(bc_req *r)
{
    pub_state *p = (pub_state *)r->state;
    if (p->sreq)
        bc_seq_cancel(p->sreq);
    p->sreq = NULL;
}

/* Token (when required) for the room, then the body, then the token's user:
 * 0, or -1 after answering. */
static int check_and_decode(bc_ctx *x, bc_req *r, int kind, const char *room, size_t room_len)
{
    bc_err err;
    int ctype = body_ctype(r->h);
    if (ctype < 0) {
        bc_req_error(r, 415, "unsupported_media_type",
                     "Content-Type must be application/json or application/x-protobuf", NULL);
        return -1;
    }
    const http_header *az = http_find_header(r->h, "authorization");
    int arc = x->auth ? auth_request(x->auth, az ? az->value : NULL, az ? az->value_len : 0,
                                     (int64_t)time(NULL), room, room_len, NULL, 0, 0, &x->claims)
                      : AUTH_OK;
    if (arc != AUTH_OK) {
        bc_req_error(r, auth_err_status(arc), auth_err_code(arc), auth_err_message(arc), NULL);
        return -1;
    }
    if (bc_decode(kind, ctype, r->body, r->body_len, &x->lim, &x->ev, &err) < 0) {
        LOGD("publish", "peer=%s req=%llu room=%.*s %d %s", r->peer, (unsigned long long)r->id,
             (int)room_len, room, err.status, err.code);
        bc_req_error(r, err.status, err.code, err.msg, NULL);
        return -1;
    }
    if (x->auth && (arc = auth_check(&x->claims, room, room_len, x->ev.user_id, x->ev.user_len,
                                     0)) != AUTH_OK) {
        bc_req_error(r, auth_err_status(arc), auth_err_code(arc), auth_err_message(arc), NULL);
        return -1;
    }
    return 0;
}

static void publish(void *ctx, bc_req *r)
{
    bc_ctx *x = ctx;
    pub_state *p = (pub_state *)r->state;
    const char *room;
    size_t room_len;
    int kind = bc_publish_match(r->h, &room, &room_len);
    if (!bc_req_method_is(r, "POST")) {
        bc_req_error(r, 405, "method_not_allowed", "use POST", "Allow: POST\r\n");
        return;
    }
    if (!bc_room_valid(room, room_len)) {
        bc_req_error(r, 422, "bad_room", "room names are 1..64 of A-Z a-z 0-9 _ -", NULL);
        return;
    }
    if (check_and_decode(x, r, kind, room, room_len) < 0)
        return;
    bc_event *ev = &x->ev;                 /* scratch: bc_seq_submit copies */
    p->ctx = x;
    memcpy(p->room, room, room_len);
    p->room[room_len] = 0;
    p->room_len = room_len;
    p->accept_pb = accepts_pb(r->h);
    p->sreq = bc_seq_submit(x->seq, room, room_len, kind_codes[kind], ev->user_id, ev->user_len,
                            ev->cmid, ev->cmid_len, ev->pb.data, ev->pb.len, x->rate_spec[kind],
                            seq_done, r);
    if (!p->sreq) {
        bc_req_error(r, 503, "redis_unavailable", "not connected to Redis", NULL);
        return;
    }
    r->abort = abort_publish;
}

const bc_handler bc_publish_handler = { "publish", publish, BC_H_PIPELINE };

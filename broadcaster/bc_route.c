/* bc_route.c — request routing and replies: GET /healthz and
 * POST /v1/rooms/{room}/{comments|gifts|likes}. A publish is decoded and
 * validated (bc_decode), handed to the sequencer (bc_seq) and answered only
 * from the sequencer's result: 200 with seq/epoch/ts_ms, or 503. */
#include "bc_route.h"
#include "auth.h"
#include "bc_admin.h"
#include "danmaku.pb-c.h"
#include "dbuf.h"
#include "jsonw.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PREFIX "/v1/rooms/"
#define PREFIX_LEN (sizeof PREFIX - 1)

static const char *const kind_paths[] = { "comments", "gifts", "likes" };
static const char kind_codes[] = { 'c', 'g', 'l' };

static int method_is(const http_request *h, const char *m)
{
    size_t n = strlen(m);
    return h->method_len == n && !memcmp(h->method, m, n);
}

static void healthz(bc_conn *c, const http_request *h)
{
    if (!method_is(h, "GET")) {
        bc_conn_error(c, 405, "method_not_allowed", "use GET", "Allow: GET\r\n");
        return;
    }
    if (!bc_seq_ready(bc_conn_server(c)->seq)) {
        bc_conn_error(c, 503, "redis_unavailable", "not connected to Redis", NULL);
        return;
    }
    static const char ok[] = "{\"status\":\"ok\"}";
    bc_conn_respond(c, 200, "application/json", NULL, ok, sizeof ok - 1);
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

static void reply_result(bc_conn *c, const bc_pending *p, const bc_seq_result *r)
{
    const char *dup = r->status == BC_SEQ_DUP ? "Dm-Duplicate: true\r\n" : NULL;
    if (p->accept_pb) {
        Danmaku__PublishReply pr = DANMAKU__PUBLISH_REPLY__INIT;
        uint8_t buf[128];
        char room[BC_ROOM_MAX + 1];
        memcpy(room, p->room, p->room_len);
        room[p->room_len] = 0;
        pr.room = room;
        pr.has_seq = 1; pr.seq = r->seq;
        pr.epoch = (char *)r->epoch;
        pr.has_ts_ms = 1; pr.ts_ms = r->ts_ms;
        size_t n = danmaku__publish_reply__pack(&pr, buf);
        bc_conn_respond(c, 200, "application/x-protobuf", dup, buf, n);
        return;
    }
    dbuf *b = &bc_conn_server(c)->scratch;   /* copied out by bc_conn_respond */
    dbuf_reset(b);
    dbuf_puts(b, "{\"room\":");
    jsonw_str(b, p->room, p->room_len);
    dbuf_puts(b, ",\"seq\":");
    dbuf_put_u64(b, r->seq);
    dbuf_puts(b, ",\"epoch\":");
    jsonw_cstr(b, r->epoch);
    dbuf_puts(b, ",\"ts_ms\":");
    dbuf_put_i64(b, r->ts_ms);
    if (r->status == BC_SEQ_DUP)
        dbuf_puts(b, ",\"duplicate\":true");
    dbuf_putc(b, '}');
    bc_conn_respond(c, 200, "application/json", dup, b->data, b->len);
}

/* 429 rate_limited / 403 muted|banned, with Retry-After when it is known. */
static void reply_refused(bc_conn *c, const bc_seq_result *r)
{
    char extra[48] = "";
    if (r->ms > 0)
        snprintf(extra, sizeof extra, "Retry-After: %lld\r\n", (long long)((r->ms + 999) / 1000));
    if (r->status == BC_SEQ_LIMITED)
        bc_conn_error(c, 429, "rate_limited", "too many events from this user; retry later",
                      extra);
    else if (r->status == BC_SEQ_MUTED)
        bc_conn_error(c, 403, "muted", "this user is muted in this room", extra[0] ? extra : NULL);
    else
        bc_conn_error(c, 403, "banned", "this user is banned", extra[0] ? extra : NULL);
}

static void seq_done(void *arg, const bc_seq_result *r)
{
    bc_conn *c = arg;
    bc_pending *p = bc_conn_pending(c);
    p->req = NULL;
    if (r->status >= BC_SEQ_LIMITED) {
        reply_refused(c, r);
        return;
    }
    if (r->status == BC_SEQ_UNAVAILABLE) {
        bc_conn_error(c, 503, "redis_unavailable",
                      "the event could not be confirmed as stored; retry with the same client_msg_id",
                      NULL);
        return;
    }
    reply_result(c, p, r);
}

static void publish(bc_conn *c, const http_request *h, int kind, const char *room,
                    size_t room_len, const char *body, size_t len)
{
    bc_server *srv = bc_conn_server(c);
    bc_pending *p = bc_conn_pending(c);
    bc_event *ev = &srv->ev;             /* scratch: bc_seq_submit copies */
    bc_err err;
    int ctype = body_ctype(h);
    if (ctype < 0) {
        bc_conn_error(c, 415, "unsupported_media_type",
                      "Content-Type must be application/json or application/x-protobuf", NULL);
        return;
    }
    auth_claims *cl = &srv->claims;
    int64_t now = (int64_t)time(NULL);
    const http_header *az = http_find_header(h, "authorization");
    int arc = srv->auth ? auth_request(srv->auth, az ? az->value : NULL, az ? az->value_len : 0,
                                       now, room, room_len, NULL, 0, 0, cl) : AUTH_OK;
    if (arc != AUTH_OK) {
        bc_conn_error(c, auth_err_status(arc), auth_err_code(arc), auth_err_message(arc), NULL);
        return;
    }
    if (bc_decode(kind, ctype, body, len, &srv->lim, ev, &err) < 0) {
        bc_conn_error(c, err.status, err.code, err.msg, NULL);
        return;
    }
    if (srv->auth &&
        (arc = auth_check(cl, room, room_len, ev->user_id, ev->user_len, 0)) != AUTH_OK) {
        bc_conn_error(c, auth_err_status(arc), auth_err_code(arc), auth_err_message(arc), NULL);
        return;
    }
    memcpy(p->room, room, room_len);
    p->room_len = room_len;
    p->accept_pb = accepts_pb(h);
    p->req = bc_seq_submit(srv->seq, room, room_len, kind_codes[kind], ev->user_id, ev->user_len,
                           ev->cmid, ev->cmid_len, ev->pb.data, ev->pb.len,
                           srv->rate_spec[kind], seq_done, c);
    if (!p->req)
        bc_conn_error(c, 503, "redis_unavailable", "not connected to Redis", NULL);
}

/* /v1/rooms/{room}/{kind}: returns the kind (room set) or -1. */
static int match_publish(const http_request *h, const char **room, size_t *room_len)
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

void bc_route_request(bc_conn *c, const http_request *h, const char *body, size_t len)
{
    const char *room;
    size_t room_len;
    if (h->path_len == 8 && !memcmp(h->path, "/healthz", 8)) {
        healthz(c, h);
        return;
    }
    if (bc_admin_route(c, h, body, len))
        return;
    int kind = match_publish(h, &room, &room_len);
    if (kind < 0) {
        bc_conn_error(c, 404, "not_found", "no such endpoint", NULL);
        return;
    }
    if (!method_is(h, "POST")) {
        bc_conn_error(c, 405, "method_not_allowed", "use POST", "Allow: POST\r\n");
        return;
    }
    if (!bc_room_valid(room, room_len)) {
        bc_conn_error(c, 422, "bad_room", "room names are 1..64 of A-Z a-z 0-9 _ -", NULL);
        return;
    }
    publish(c, h, kind, room, room_len, body, len);
}

void bc_route_abort(bc_conn *c)
{
    bc_pending *p = bc_conn_pending(c);
    if (p->req)
        bc_seq_cancel(p->req);
    if (p->cmd)
        bc_seq_cmd_cancel(p->cmd);
    p->req = NULL;
    p->cmd = NULL;
}

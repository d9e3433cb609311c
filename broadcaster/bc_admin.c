/* bc_admin.c — admin endpoints: PUT/DELETE /v1/rooms/{room}/mutes/{user_id},
 * PUT/DELETE /v1/bans/{user_id}, PUT/DELETE /v1/rooms/{room}/slowmode.
 * Authorised by an admin token ("adm":true) when a secret is configured,
 * otherwise only for loopback peers. Each is one Redis command. */
#include "bc_admin.h"
#include "bc_ctx.h"
#include "jsonw.h"
#include "keys.h"
#include "log.h"
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TTL_MAX 31536000L        /* one year */
#define PER_S_MAX 86400L

enum admin_op { OP_MUTE, OP_UNMUTE, OP_BAN, OP_UNBAN, OP_SLOW, OP_UNSLOW };
static const char *const op_names[] = { "mute", "unmute", "ban", "unban", "slowmode",
                                        "slowmode_off" };

typedef struct target {
    const char *room; size_t room_len;      /* room_len 0: global (bans) */
    char user[BC_USER_MAX + 1]; size_t user_len;
    int op;
} target;

/* Kept in the request while its Redis command runs. */
typedef struct admin_state {
    bc_seq_cmd *cmd;            /* non-NULL while waiting */
    bc_ctx *ctx;
    int op;
    long arg[2];                /* ttl_s, or comments and per_s */
    size_t room_len;            /* 0: global (bans) */
    char room[BC_ROOM_MAX + 1];
    char user[BC_USER_MAX + 1];
} admin_state;
_Static_assert(sizeof(admin_state) <= BC_REQ_STATE_MAX, "admin_state too large");

static int method_is(const http_request *h, const char *m)
{
    size_t n = strlen(m);
    return h->method_len == n && !memcmp(h->method, m, n);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes a user id path segment: 0, or -1 if empty, too long, badly
 * encoded or holding control characters. */
static int decode_user(const char *p, size_t n, target *t)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)p[i];
        if (c == '%') {
            int hi = i + 2 < n ? hexval(p[i + 1]) : -1, lo = i + 2 < n ? hexval(p[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        }
        if (o >= BC_USER_MAX || c < 0x20 || c == 0x7f)
            return -1;
        t->user[o++] = (char)c;
    }
    t->user[o] = 0;
    t->user_len = o;
    return o ? 0 : -1;
}

/* Parses the path: 1 (t filled, user possibly invalid: -1), 0 not admin. */
static int match(const http_request *h, target *t, int *user_ok)
{
    const char *p = h->path, *end = h->path + h->path_len;
    int put = method_is(h, "PUT");
    memset(t, 0, sizeof *t);
    *user_ok = 1;
    if (h->path_len > 9 && !memcmp(p, "/v1/bans/", 9)) {
        t->op = put ? OP_BAN : OP_UNBAN;
        *user_ok = !memchr(p + 9, '/', (size_t)(end - p - 9)) &&
                   decode_user(p + 9, (size_t)(end - p - 9), t) == 0;
        return 1;
    }
    if (h->path_len <= 10 || memcmp(p, "/v1/rooms/", 10))
        return 0;
    const char *r = p + 10, *slash = memchr(r, '/', (size_t)(end - r));
    if (!slash)
        return 0;
    t->room = r;
    t->room_len = (size_t)(slash - r);
    const char *rest = slash + 1;
    size_t rn = (size_t)(end - rest);
    if (rn == 8 && !memcmp(rest, "slowmode", 8)) {
        t->op = put ? OP_SLOW : OP_UNSLOW;
        return 1;
    }
    if (rn > 6 && !memcmp(rest, "mutes/", 6)) {
        t->op = put ? OP_MUTE : OP_UNMUTE;
        *user_ok = !memchr(rest + 6, '/', rn - 6) && decode_user(rest + 6, rn - 6, t) == 0;
        return 1;
    }
    return 0;
}

/* Admin rights: an admin token when a secret is set, else a loopback peer. */
static int authorised(bc_ctx *x, bc_req *r, const target *t)
{
    if (!x->auth) {
        if (r->loopback)
            return 1;
        bc_req_error(r, 403, "admin_loopback_only",
                     "without --auth-secret-file the admin API is served to loopback clients only",
                     NULL);
        return 0;
    }
    const http_header *az = http_find_header(r->h, "authorization");
    int rc = auth_request(x->auth, az ? az->value : NULL, az ? az->value_len : 0,
                          (int64_t)time(NULL), t->room_len ? t->room : NULL, t->room_len,
                          NULL, 0, 1, &x->claims);
    if (rc == AUTH_OK && !t->room_len && x->claims.nrooms > 0)
        rc = AUTH_WRONG_ROOM;   /* global bans need an unscoped admin token */
    if (rc == AUTH_OK)
        return 1;
    bc_req_error(r, auth_err_status(rc), auth_err_code(rc), auth_err_message(rc), NULL);
    return 0;
}

/* Optional JSON body: 0 and *out set (absent/empty body: out untouched),
 * or -1 after answering 400/422. keys: one or two integer fields. */
static int body_ints(bc_req *r, const char *const *keys, int n, const long *min,
                     const long *max, long *out, int required)
{
    json_error_t je;
    if (!r->body_len && !required)
        return 0;
    json_t *o = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        bc_req_error(r, 400, "bad_json", "body must be a JSON object", NULL);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        json_t *v = json_object_get(o, keys[i]);
        if (!v || json_is_null(v)) {
            if (!required)
                continue;
            json_decref(o);
            bc_req_error(r, 400, "missing_field", "a required field is missing", NULL);
            return -1;
        }
        if (!json_is_integer(v) || json_integer_value(v) < min[i] ||
            json_integer_value(v) > max[i]) {
            json_decref(o);
            bc_req_error(r, 422, "out_of_range", "a field is not an integer in range", NULL);
            return -1;
        }
        out[i] = (long)json_integer_value(v);
    }
    json_decref(o);
    return 0;
}

static void reply(bc_req *r, const admin_state *p, long long existed)
{
    dbuf *b = &p->ctx->reply;
    static const char *const names[] = { "muted", "muted", "banned", "banned" };
    dbuf_reset(b);
    dbuf_putc(b, '{');
    if (p->room_len) {
        dbuf_puts(b, "\"room\":");
        jsonw_str(b, p->room, p->room_len);
        dbuf_putc(b, ',');
    }
    if (p->op <= OP_UNBAN) {
        dbuf_puts(b, "\"user_id\":");
        jsonw_cstr(b, p->user);
        dbuf_printf(b, ",\"%s\":%s", names[p->op],
                    p->op == OP_MUTE || p->op == OP_BAN ? "true" : "false");
        if (p->op == OP_MUTE || p->op == OP_BAN) {
            if (p->arg[0] > 0)
                dbuf_printf(b, ",\"ttl_s\":%ld", p->arg[0]);
            else
                dbuf_puts(b, ",\"ttl_s\":null");
        } else {
            dbuf_printf(b, ",\"existed\":%s", existed ? "true" : "false");
        }
    } else if (p->op == OP_SLOW) {
        dbuf_printf(b, "\"slowmode\":{\"comments\":%ld,\"per_s\":%ld}", p->arg[0], p->arg[1]);
    } else {
        dbuf_puts(b, "\"slowmode\":null");
    }
    dbuf_putc(b, '}');
    bc_req_reply(r, 200, "application/json", NULL, b->data, b->len);
}

static void cmd_done(void *arg, int rc, long long integer)
{
    bc_req *r = arg;
    admin_state *p = (admin_state *)r->state;
    p->cmd = NULL;
    r->abort = NULL;
    if (rc < 0) {
        bc_req_error(r, 503, "redis_unavailable", "the change could not be stored", NULL);
        return;
    }
    LOGI("admin", "peer=%s req=%llu room=%s user=%s op=%s arg=%ld,%ld stored", r->peer,
         (unsigned long long)r->id, p->room_len ? p->room : "-", p->user[0] ? p->user : "-",
         op_names[p->op], p->arg[0], p->arg[1]);
    reply(r, p, integer);
}

static void abort_cmd(bc_req *r)
{
    admin_state *p = (admin_state *)r->state;
    if (p->cmd)
        bc_seq_cmd_cancel(p->cmd);
    p->cmd = NULL;
}

/* The key of the operation (common/keys.h). */
static void op_key(const admin_state *p, char *key, size_t n)
{
    if (p->op == OP_BAN || p->op == OP_UNBAN)
        snprintf(key, n, KEY_BAN_FMT, p->user);
    else if (p->op == OP_MUTE || p->op == OP_UNMUTE)
        snprintf(key, n, KEY_MUTE_FMT, (int)p->room_len, p->room, p->user);
    else
        snprintf(key, n, KEY_LIMITS_FMT, (int)p->room_len, p->room);
}

/* Builds and sends the one Redis command of the operation. */
static void run(bc_req *r, admin_state *p)
{
    char key[KEY_MAX], ttl[24], val[48];
    const char *argv[5];
    size_t argvlen[5];
    int argc = 0;
    op_key(p, key, sizeof key);
    if (p->op == OP_MUTE || p->op == OP_BAN) {
        argv[argc++] = "SET";
        argv[argc++] = key;
        argv[argc++] = "1";
        if (p->arg[0] > 0) {
            snprintf(ttl, sizeof ttl, "%ld", p->arg[0]);
            argv[argc++] = "EX";
            argv[argc++] = ttl;
        }
    } else if (p->op == OP_SLOW) {
        snprintf(val, sizeof val, "%ld/%ld", p->arg[0], p->arg[1] * 1000);
        argv[argc++] = "HSET";
        argv[argc++] = key;
        argv[argc++] = "c";
        argv[argc++] = val;
    } else {
        argv[argc++] = "DEL";
        argv[argc++] = key;
    }
    for (int i = 0; i < argc; i++)
        argvlen[i] = strlen(argv[i]);
    p->cmd = bc_seq_command(p->ctx->seq, argc, argv, argvlen, cmd_done, r);
    if (!p->cmd) {
        bc_req_error(r, 503, "redis_unavailable", "not connected to Redis", NULL);
        return;
    }
    r->abort = abort_cmd;
}

int bc_admin_match(const http_request *h)
{
    target t;
    int user_ok;
    return match(h, &t, &user_ok);
}

/* Method, room, user, rights, then the body: 0, or -1 after answering. */
static int check(bc_ctx *x, bc_req *r, const target *t, int user_ok, admin_state *p)
{
    static const char *const ttl_key[] = { "ttl_s" }, *const slow_keys[] = { "comments", "per_s" };
    static const long ttl_min[] = { 1 }, ttl_max[] = { TTL_MAX };
    static const long slow_min[] = { 1, 1 }, slow_max[] = { 1000000, PER_S_MAX };
    if (!bc_req_method_is(r, "PUT") && !bc_req_method_is(r, "DELETE")) {
        bc_req_error(r, 405, "method_not_allowed", "use PUT or DELETE", "Allow: PUT, DELETE\r\n");
        return -1;
    }
    if (t->room && !bc_room_valid(t->room, t->room_len)) {
        bc_req_error(r, 422, "bad_room", "room names are 1..64 of A-Z a-z 0-9 _ -", NULL);
        return -1;
    }
    if (!user_ok) {
        bc_req_error(r, 422, "bad_value", "bad user_id in the path", NULL);
        return -1;
    }
    if (!authorised(x, r, t))
        return -1;
    if ((t->op == OP_MUTE || t->op == OP_BAN) &&
        body_ints(r, ttl_key, 1, ttl_min, ttl_max, p->arg, 0))
        return -1;
    if (t->op == OP_SLOW && body_ints(r, slow_keys, 2, slow_min, slow_max, p->arg, 1))
        return -1;
    return 0;
}

static void admin(void *ctx, bc_req *r)
{
    bc_ctx *x = ctx;
    admin_state *p = (admin_state *)r->state;
    target t;
    int user_ok;
    match(r->h, &t, &user_ok);
    if (check(x, r, &t, user_ok, p) < 0)
        return;
    p->ctx = x;
    p->op = t.op;
    memcpy(p->room, t.room ? t.room : "", t.room_len);
    p->room[t.room_len] = 0;
    p->room_len = t.room_len;
    memcpy(p->user, t.user, t.user_len + 1);
    run(r, p);
}

const bc_handler bc_admin_handler = { "admin", admin, 0 };

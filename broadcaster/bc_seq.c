/* bc_seq.c — async hiredis client for the sequencer script: batching of the
 * events submitted in one loop iteration into one EVALSHA, NOSCRIPT reload,
 * reconnect with backoff, a stall watchdog, and the rule that a request whose
 * reply never came back is answered "unavailable" (never "ok"). */
#include "bc_seq.h"
#include "dbuf.h"
#include "log.h"
#include "rcred.h"
#include "limits_lua.h"
#include "seq_lua.h"
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#define FIELDS_PER_EVENT 6      /* room kind user cmid event limits */
#define HDR_ARGS 8              /* EVALSHA sha 0 retention window epoch F N */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define STALL_SEC 5             /* no reply for this long with calls in flight: drop */
#define MAX_TRIES 3             /* NOSCRIPT reloads per batch */

enum { S_DOWN, S_CONNECTING, S_LOADING, S_READY, S_CLOSED };

struct bc_seq_req {
    bc_seq_req *next;
    bc_seq_cb *cb;
    void *arg;
    char kind;
    size_t room_len, user_len, cmid_len, ev_len, lim_len;
    char data[];                /* room | user | cmid | ev | limits */
};

typedef struct batch {
    bc_seq *s;
    int n, tries;
    char num[4][24];            /* retention, window, F, N as text */
    char epoch[17];
    const char *argv[HDR_ARGS + FIELDS_PER_EVENT * BC_SEQ_BATCH];
    size_t argvlen[HDR_ARGS + FIELDS_PER_EVENT * BC_SEQ_BATCH];
    bc_seq_req *reqs[BC_SEQ_BATCH];
} batch;

struct bc_seq {
    struct event_base *base;
    char *host;
    int port;
    long retention, window;
    const rcred *cred;
    redisAsyncContext *ac;
    int state;
    int was_up;                 /* for one log line per outage */
    char sha[41];
    char *script;               /* seq.lua with limits.lua spliced in */
    bc_seq_req *head, *tail;
    int npending;
    struct event *flush_ev, *retry_ev, *watch_ev;
    int backoff_ms;
    int inflight;
    time_t last_progress, state_since;
    bc_seq_stats st;
};

static void start_connect(bc_seq *s);

static time_t now_sec(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec;
}

static void set_state(bc_seq *s, int state)
{
    s->state = state;
    s->state_since = now_sec();
}

/* ---- delivering results ---------------------------------------------- */

static void finish(bc_seq_req *r, const bc_seq_result *res)
{
    if (r->cb)
        r->cb(r->arg, res);
    free(r);
}

static void fail_req(bc_seq *s, bc_seq_req *r)
{
    bc_seq_result res = { .status = BC_SEQ_UNAVAILABLE };
    s->st.unavailable++;
    finish(r, &res);
}

static void fail_batch(batch *b)
{
    for (int i = 0; i < b->n; i++)
        fail_req(b->s, b->reqs[i]);
    free(b);
}

/* Event i of a reply: the four values from e[0]: status, seq|ms, epoch, ts_ms. */
static int parse_one(redisReply *const *e, bc_seq_result *res)
{
    static const char *const refusals[] = { "limited", "muted", "banned" };
    if (e[0]->type != REDIS_REPLY_STRING || e[1]->type != REDIS_REPLY_INTEGER ||
        e[2]->type != REDIS_REPLY_STRING || e[3]->type != REDIS_REPLY_INTEGER ||
        e[2]->len >= sizeof res->epoch)
        return -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(e[0]->str, refusals[i])) {
            res->status = BC_SEQ_LIMITED + i;
            res->ms = e[1]->integer;
            return 0;
        }
    if (e[1]->integer < 1 || e[2]->len == 0)
        return -1;
    if (!strcmp(e[0]->str, "ok"))
        res->status = BC_SEQ_OK;
    else if (!strcmp(e[0]->str, "dup"))
        res->status = BC_SEQ_DUP;
    else
        return -1;
    res->seq = (uint64_t)e[1]->integer;
    memcpy(res->epoch, e[2]->str, e[2]->len);
    res->epoch[e[2]->len] = 0;
    res->ts_ms = e[3]->integer;
    return 0;
}

int bc_seq_parse_reply(const struct redisReply *reply, int n, bc_seq_result *out)
{
    if (n < 0 || reply->type != REDIS_REPLY_ARRAY || reply->elements != 4 * (size_t)n)
        return -1;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        if (parse_one(&reply->element[4 * i], &out[i]) < 0) {
            memset(&out[i], 0, sizeof out[i]);
            out[i].status = BC_SEQ_UNAVAILABLE;
            bad++;
        }
    }
    return bad;
}

static void deliver(batch *b, const redisReply *reply)
{
    bc_seq *s = b->s;
    bc_seq_result res[BC_SEQ_BATCH];
    int bad = bc_seq_parse_reply(reply, b->n, res);
    if (bad < 0) {
        s->st.redis_errors++;
        LOGW("seq", "unexpected sequencer reply (type %d, %zu elements for %d events)",
             reply->type, reply->elements, b->n);
        fail_batch(b);
        return;
    }
    s->st.calls++;
    s->st.redis_errors += (uint64_t)bad;
    for (int i = 0; i < b->n; i++) {
        if (res[i].status == BC_SEQ_OK)
            s->st.events++;
        else if (res[i].status == BC_SEQ_DUP)
            s->st.dups++;
        else if (res[i].status == BC_SEQ_UNAVAILABLE)
            s->st.unavailable++;
        else
            s->st.refused++;
        finish(b->reqs[i], &res[i]);
    }
    free(b);
}

/* ---- sending batches ------------------------------------------------- */

static void batch_cb(redisAsyncContext *ac, void *r, void *privdata);

static int send_batch(bc_seq *s, batch *b)
{
    b->argv[1] = s->sha;
    b->argvlen[1] = 40;
    int argc = HDR_ARGS + FIELDS_PER_EVENT * b->n;
    if (redisAsyncCommandArgv(s->ac, batch_cb, b, argc, b->argv, b->argvlen) != REDIS_OK)
        return -1;
    if (s->inflight++ == 0)
        s->last_progress = now_sec();
    return 0;
}

static void script_reload(bc_seq *s, batch *b)
{
    b->tries++;
    redisAsyncCommand(s->ac, NULL, NULL, "SCRIPT LOAD %b", s->script, strlen(s->script));
    if (send_batch(s, b) < 0)
        fail_batch(b);
}

static void batch_cb(redisAsyncContext *ac, void *r, void *privdata)
{
    batch *b = privdata;
    bc_seq *s = b->s;
    redisReply *reply = r;
    s->inflight--;
    s->last_progress = now_sec();
    if (!reply) {               /* link dropped or freed: outcome unknown */
        if (s->state != S_CLOSED)
            set_state(s, S_DOWN);
        fail_batch(b);
        return;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        if (!strncmp(reply->str, "NOSCRIPT", 8) && b->tries < MAX_TRIES && ac == s->ac &&
            s->state == S_READY) {
            script_reload(s, b);
            return;
        }
        if (!s->st.redis_errors++)
            LOGW("seq", "sequencer error: %.200s", reply->str);
        fail_batch(b);
        return;
    }
    deliver(b, reply);
}

static batch *take_batch(bc_seq *s)
{
    batch *b = xcalloc(1, sizeof *b);
    b->s = s;
    while (s->head && b->n < BC_SEQ_BATCH) {
        bc_seq_req *r = s->head;
        s->head = r->next;
        b->reqs[b->n++] = r;
        s->npending--;
    }
    if (!s->head)
        s->tail = NULL;
    return b;
}

static void fill_args(bc_seq *s, batch *b)
{
    unsigned char rnd[8];
    static const char hex[] = "0123456789abcdef";
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        abort();
    for (int i = 0; i < 8; i++) {
        b->epoch[2 * i] = hex[rnd[i] >> 4];
        b->epoch[2 * i + 1] = hex[rnd[i] & 15];
    }
    snprintf(b->num[0], sizeof b->num[0], "%ld", s->retention);
    snprintf(b->num[1], sizeof b->num[1], "%ld", s->window);
    snprintf(b->num[2], sizeof b->num[2], "%d", FIELDS_PER_EVENT);
    snprintf(b->num[3], sizeof b->num[3], "%d", b->n);
    const char *hdr[HDR_ARGS] = { "EVALSHA", s->sha, "0", b->num[0], b->num[1], b->epoch,
                                  b->num[2], b->num[3] };
    for (int i = 0; i < HDR_ARGS; i++) {
        b->argv[i] = hdr[i];
        b->argvlen[i] = i == 5 ? 16 : strlen(hdr[i]);
    }
    for (int i = 0; i < b->n; i++) {
        bc_seq_req *r = b->reqs[i];
        const char **a = &b->argv[HDR_ARGS + FIELDS_PER_EVENT * i];
        size_t *al = &b->argvlen[HDR_ARGS + FIELDS_PER_EVENT * i];
        a[0] = r->data;                                      al[0] = r->room_len;
        a[1] = &r->kind;                                     al[1] = 1;
        a[2] = r->data + r->room_len;                        al[2] = r->user_len;
        a[3] = a[2] + r->user_len;                           al[3] = r->cmid_len;
        a[4] = a[3] + r->cmid_len;                           al[4] = r->ev_len;
        a[5] = a[4] + r->ev_len;                             al[5] = r->lim_len;
    }
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
    bc_seq *s = arg;
    while (s->head) {
        batch *b = take_batch(s);
        fill_args(s, b);
        if (s->state != S_READY || !s->ac || send_batch(s, b) < 0)
            fail_batch(b);
    }
    /* write now rather than on the next loop iteration's EV_WRITE: saves a
     * loop turn of latency per call (safe here: a top-level callback) */
    if (s->state == S_READY && s->ac && s->inflight > 0)
        redisAsyncHandleWrite(s->ac);
}

/* A full batch goes out at once, so Redis works while we parse the rest of
 * this iteration's requests. No callback may run from here (we are inside a
 * submit): if the send fails, the requests go back to the queue and the flush
 * event fails them. */
static void send_full_batch(bc_seq *s)
{
    if (s->state != S_READY || !s->ac)
        return;
    batch *b = take_batch(s);
    fill_args(s, b);
    if (send_batch(s, b) == 0)
        return;
    for (int i = b->n - 1; i >= 0; i--) {
        b->reqs[i]->next = s->head;
        s->head = b->reqs[i];
        if (!s->tail)
            s->tail = b->reqs[i];
        s->npending++;
    }
    free(b);
    event_active(s->flush_ev, EV_TIMEOUT, 0);
}

bc_seq_req *bc_seq_submit(bc_seq *s, const char *room, size_t room_len, char kind,
                          const char *user, size_t user_len, const char *cmid, size_t cmid_len,
                          const void *ev, size_t ev_len, const char *limits,
                          bc_seq_cb *cb, void *arg)
{
    if (s->state != S_READY)
        return NULL;
    size_t lim_len = strlen(limits);
    bc_seq_req *r = xmalloc(sizeof *r + room_len + user_len + cmid_len + ev_len + lim_len);
    r->next = NULL;
    r->cb = cb;
    r->arg = arg;
    r->kind = kind;
    r->room_len = room_len;
    r->user_len = user_len;
    r->cmid_len = cmid_len;
    r->ev_len = ev_len;
    r->lim_len = lim_len;
    memcpy(r->data, room, room_len);
    memcpy(r->data + room_len, user, user_len);
    memcpy(r->data + room_len + user_len, cmid, cmid_len);
    memcpy(r->data + room_len + user_len + cmid_len, ev, ev_len);
    memcpy(r->data + room_len + user_len + cmid_len + ev_len, limits, lim_len);
    if (s->tail)
        s->tail->next = r;
    else
        s->head = r;
    s->tail = r;
    if (++s->npending >= BC_SEQ_BATCH)
        send_full_batch(s);
    else if (!event_pending(s->flush_ev, EV_TIMEOUT, NULL))
        event_active(s->flush_ev, EV_TIMEOUT, 0);
    return r;
}

void bc_seq_cancel(bc_seq_req *r)
{
    r->cb = NULL;
}

/* ---- plain commands (admin API) -------------------------------------- */

struct bc_seq_cmd {
    bc_seq_cmd_cb *cb;
    bc_seq_query_cb *qcb;
    void *arg;
};

static void cmd_cb(redisAsyncContext *ac, void *r, void *privdata)
{
    bc_seq_cmd *c = privdata;
    redisReply *reply = r;
    if (c->qcb) {
        c->qcb(c->arg, reply);
        free(c);
        return;
    }
    long long v = 0;
    int ok = reply && reply->type != REDIS_REPLY_ERROR;
    if (ok && reply->type == REDIS_REPLY_INTEGER)
        v = reply->integer;
    if (reply && !ok)
        LOGW("seq", "admin command failed: %.200s", reply->str);
    if (c->cb)
        c->cb(c->arg, ok ? 0 : -1, v);
    free(c);
}

static bc_seq_cmd *send_cmd(bc_seq *s, int argc, const char **argv, const size_t *argvlen,
                            bc_seq_cmd_cb *cb, bc_seq_query_cb *qcb, void *arg)
{
    if (s->state != S_READY || !s->ac)
        return NULL;
    bc_seq_cmd *c = xmalloc(sizeof *c);
    c->cb = cb;
    c->qcb = qcb;
    c->arg = arg;
    if (redisAsyncCommandArgv(s->ac, cmd_cb, c, argc, argv, argvlen) != REDIS_OK) {
        free(c);
        return NULL;
    }
    return c;
}

bc_seq_cmd *bc_seq_command(bc_seq *s, int argc, const char **argv, const size_t *argvlen,
                           bc_seq_cmd_cb *cb, void *arg)
{
    return send_cmd(s, argc, argv, argvlen, cb, NULL, arg);
}

bc_seq_cmd *bc_seq_query(bc_seq *s, int argc, const char **argv, const size_t *argvlen,
                         bc_seq_query_cb *cb, void *arg)
{
    return send_cmd(s, argc, argv, argvlen, NULL, cb, arg);
}

static void query_cancelled(void *arg, const redisReply *r) {}

void bc_seq_cmd_cancel(bc_seq_cmd *c)
{
    c->cb = NULL;
    if (c->qcb)
        c->qcb = query_cancelled;
}

/* ---- the link ----------------------------------------------------------- */

static void schedule_retry(bc_seq *s)
{
    struct timeval tv = { s->backoff_ms / 1000, (s->backoff_ms % 1000) * 1000 };
    set_state(s, S_DOWN);
    evtimer_add(s->retry_ev, &tv);
    s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

static void link_down(bc_seq *s, const char *why)
{
    if (s->was_up)
        LOGW("seq", "redis %s:%d unavailable (%s); publishing answers 503 until it is back",
             s->host, s->port, why);
    s->was_up = 0;
    schedule_retry(s);
}

/* Drops the link at once: outstanding calls complete as unavailable. */
static void drop_link(bc_seq *s, const char *why)
{
    redisAsyncContext *ac = s->ac;
    s->ac = NULL;
    set_state(s, S_DOWN);
    if (ac)
        redisAsyncFree(ac);
    link_down(s, why);
}

static void load_cb(redisAsyncContext *ac, void *r, void *privdata)
{
    bc_seq *s = privdata;
    redisReply *reply = r;
    if (!reply || ac != s->ac)
        return;                 /* the disconnect callback handles it */
    if (reply->type != REDIS_REPLY_STRING || reply->len != 40) {
        LOGW("seq", "SCRIPT LOAD failed: %.200s", reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
        redisAsyncDisconnect(ac);
        return;
    }
    memcpy(s->sha, reply->str, 40);
    s->sha[40] = 0;
    set_state(s, S_READY);
    s->backoff_ms = BACKOFF_MIN_MS;
    s->was_up = 1;
    LOGI("seq", "redis %s:%d connected, sequencer script %.12s loaded", s->host, s->port, s->sha);
}

/* After AUTH (or at once without credentials). */
static void send_load(redisAsyncContext *ac, void *priv)
{
    bc_seq *s = priv;
    if (ac != s->ac)
        return;
    redisAsyncCommand(ac, load_cb, s, "SCRIPT LOAD %b", s->script, strlen(s->script));
}

static void connect_cb(const redisAsyncContext *cac, int status)
{
    redisAsyncContext *ac = (redisAsyncContext *)cac;
    bc_seq *s = ac->data;
    if (ac != s->ac)
        return;
    if (status != REDIS_OK) {   /* hiredis frees ac after this callback */
        s->ac = NULL;
        link_down(s, ac->errstr);
        return;
    }
    set_state(s, S_LOADING);
    static const rcred none;
    if (rcred_auth(ac, s->cred ? s->cred : &none, "seq", "seq link", send_load, s))
        redisAsyncDisconnect(ac);
}

static void disconnect_cb(const redisAsyncContext *cac, int status)
{
    bc_seq *s = cac->data;
    if (cac != s->ac || s->state == S_CLOSED)
        return;
    s->ac = NULL;
    link_down(s, status == REDIS_OK ? "closed" : cac->errstr);
}

static void start_connect(bc_seq *s)
{
    redisAsyncContext *ac = redisAsyncConnect(s->host, s->port);
    if (!ac || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        link_down(s, "connect failed");
        return;
    }
    ac->data = s;
    redisLibeventAttach(ac, s->base);
    redisAsyncSetConnectCallback(ac, connect_cb);
    redisAsyncSetDisconnectCallback(ac, disconnect_cb);
    s->ac = ac;
    set_state(s, S_CONNECTING);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    bc_seq *s = arg;
    s->st.reconnects++;
    start_connect(s);
}

/* Once a second: a link that stopped answering, or a connect that hangs,
 * is dropped so that waiting requests get their 503 and we reconnect. */
static void watch_cb(evutil_socket_t fd, short what, void *arg)
{
    bc_seq *s = arg;
    time_t now = now_sec();
    if (s->state == S_READY && s->inflight > 0 && now - s->last_progress > STALL_SEC)
        drop_link(s, "no reply");
    else if ((s->state == S_CONNECTING || s->state == S_LOADING) && now - s->state_since > STALL_SEC)
        drop_link(s, "connect timeout");
}

/* seq.lua with the functions of limits.lua (everything before its
 * standalone entry) in place of the --@@LIMITS@@ line: one source for each. */
static char *build_script(void)
{
    static const char mark[] = "--@@LIMITS@@\n", stop[] = "-- Standalone entry";
    const char *m = strstr(seq_lua, mark), *e = strstr(limits_lua, stop);
    if (!m || !e)
        abort();                /* the build embeds both files: cannot happen */
    dbuf b;
    dbuf_init(&b);
    dbuf_append(&b, seq_lua, (size_t)(m - seq_lua));
    dbuf_append(&b, limits_lua, (size_t)(e - limits_lua));
    dbuf_puts(&b, m + sizeof mark - 1);
    return b.data;              /* NUL-terminated */
}

bc_seq *bc_seq_new(struct event_base *base, const bc_seq_conf *conf)
{
    bc_seq *s = xcalloc(1, sizeof *s);
    struct timeval sec = { 1, 0 };
    s->base = base;
    s->host = xstrdup(conf->host);
    s->script = build_script();
    s->port = conf->port;
    s->retention = conf->retention;
    s->window = conf->dedupe_window;
    s->cred = conf->cred;
    s->backoff_ms = BACKOFF_MIN_MS;
    s->was_up = 1;              /* log the first failure */
    s->flush_ev = event_new(base, -1, 0, flush_cb, s);
    s->retry_ev = evtimer_new(base, retry_cb, s);
    s->watch_ev = event_new(base, -1, EV_PERSIST, watch_cb, s);
    event_add(s->watch_ev, &sec);
    start_connect(s);
    return s;
}

void bc_seq_free(bc_seq *s)
{
    redisAsyncContext *ac = s->ac;
    set_state(s, S_CLOSED);
    s->ac = NULL;
    if (ac)
        redisAsyncFree(ac);
    while (s->head) {
        bc_seq_req *r = s->head;
        s->head = r->next;
        s->npending--;
        fail_req(s, r);
    }
    s->tail = NULL;
    event_free(s->flush_ev);
    event_free(s->retry_ev);
    event_free(s->watch_ev);
    free(s->host);
    free(s->script);
    free(s);
}

int bc_seq_ready(const bc_seq *s)
{
    return s->state == S_READY;
}

const bc_seq_stats *bc_seq_get_stats(const bc_seq *s)
{
    return &s->st;
}

/* sub.c — hiredis async links (pub/sub + commands) bound to a libevent
 * loop, with reconnect backoff. Replies are parsed here and handed to the
 * owner's callbacks; nothing here knows about rooms or viewers. */
#include "sub.h"
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dbuf.h"
#include "keys.h"
#include "log.h"

enum { LINK_PUBSUB = 0, LINK_CMD = 1 };

struct sub {
    struct event_base *base;
    char host[256];
    int port;
    const sub_callbacks *cb;
    void *ctx;
    redisAsyncContext *ac[2];
    int up[2];
    int backoff_ms[2];
    struct event *retry_ev[2];
    int stopping;
};

static void link_connect(sub *s, int which);

static int link_of(const sub *s, const redisAsyncContext *ac)
{
    return s->ac[LINK_PUBSUB] == ac ? LINK_PUBSUB : LINK_CMD;
}

static void schedule_retry(sub *s, int which)
{
    if (s->stopping)
        return;
    int ms = s->backoff_ms[which];
    s->backoff_ms[which] = ms < 100 ? 100 : (ms * 2 > 2000 ? 2000 : ms * 2);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(s->retry_ev[which], &tv);
}

static void on_ping(redisAsyncContext *ac, void *reply, void *priv)
{
    redisReply *r = reply;
    sub *s = ac->data;
    if (!r || s->stopping)
        return;
    int which = link_of(s, ac);
    if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "PONG")) {
        LOGW("redis", "%s link: PING answered %s", which ? "cmd" : "pubsub",
             r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STATUS ? r->str : "something else");
        redisAsyncDisconnect(ac);
        return;
    }
    LOGI("redis", "%s link up", which ? "cmd" : "pubsub");
    s->up[which] = 1;
    s->backoff_ms[which] = 0;
    if (which == LINK_PUBSUB)
        s->cb->pubsub_up(s->ctx);
    else
        s->cb->cmd_up(s->ctx);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    sub *s = ac->data;
    int which = link_of(s, ac);
    if (status != REDIS_OK) {
        LOGW("redis", "%s link: connect failed: %s", which ? "cmd" : "pubsub", ac->errstr);
        s->ac[which] = NULL;    /* hiredis frees the context */
        schedule_retry(s, which);
        return;
    }
    /* TCP is up; the link counts as up once Redis answers PING (not a
     * LOADING error, not some other server on that port) */
    if (redisAsyncCommand((redisAsyncContext *)ac, on_ping, NULL, "PING") != REDIS_OK)
        redisAsyncDisconnect((redisAsyncContext *)ac);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    sub *s = ac->data;
    int which = link_of(s, ac);
    s->ac[which] = NULL;
    s->up[which] = 0;
    if (s->stopping)
        return;
    LOGW("redis", "%s link lost: %s", which ? "cmd" : "pubsub", status == REDIS_OK ? "closed" : ac->errstr);
    if (which == LINK_PUBSUB)
        s->cb->pubsub_down(s->ctx);
    schedule_retry(s, which);
}

static void link_connect(sub *s, int which)
{
    redisAsyncContext *ac = redisAsyncConnect(s->host, s->port);
    if (!ac || ac->err) {
        LOGW("redis", "connect %s:%d: %s", s->host, s->port, ac ? ac->errstr : "oom");
        if (ac)
            redisAsyncFree(ac);
        schedule_retry(s, which);
        return;
    }
    ac->data = s;
    s->ac[which] = ac;
    redisLibeventAttach(ac, s->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
}

static void on_retry_pubsub(evutil_socket_t fd, short what, void *arg) { link_connect(arg, LINK_PUBSUB); }
static void on_retry_cmd(evutil_socket_t fd, short what, void *arg) { link_connect(arg, LINK_CMD); }

sub *sub_new(struct event_base *base, const char *host, int port, const sub_callbacks *cb, void *ctx)
{
    sub *s = xcalloc(1, sizeof *s);
    s->base = base;
    snprintf(s->host, sizeof s->host, "%s", host);
    s->port = port;
    s->cb = cb;
    s->ctx = ctx;
    s->retry_ev[LINK_PUBSUB] = evtimer_new(base, on_retry_pubsub, s);
    s->retry_ev[LINK_CMD] = evtimer_new(base, on_retry_cmd, s);
    link_connect(s, LINK_PUBSUB);
    link_connect(s, LINK_CMD);
    return s;
}

void sub_free(sub *s)
{
    if (!s)
        return;
    s->stopping = 1;
    for (int i = 0; i < 2; i++) {
        if (s->ac[i])
            redisAsyncFree(s->ac[i]);   /* runs pending callbacks with NULL */
        s->ac[i] = NULL;
        event_free(s->retry_ev[i]);
    }
    free(s);
}

int sub_pubsub_up(const sub *s) { return s->up[LINK_PUBSUB]; }
int sub_cmd_up(const sub *s) { return s->up[LINK_CMD]; }

/* ---- pub/sub ------------------------------------------------------------ */

/* KEY_CHANNEL_FMT "dm:{R}:n" -> R */
static int channel_room(const redisReply *r, const char **name, size_t *len)
{
    const size_t pl = sizeof KEY_CHANNEL_PREFIX - 1, sl = sizeof KEY_CHANNEL_SUFFIX - 1;
    if (r->type != REDIS_REPLY_STRING || r->len < pl + sl || memcmp(r->str, KEY_CHANNEL_PREFIX, pl))
        return -1;
    const char *close = memchr(r->str + pl, '}', r->len - pl);
    if (!close || (size_t)(r->str + r->len - close) != sl || memcmp(close, KEY_CHANNEL_SUFFIX, sl))
        return -1;
    *name = r->str + pl;
    *len = (size_t)(close - *name);
    return 0;
}

static void on_pubsub(redisAsyncContext *ac, void *reply, void *priv)
{
    redisReply *r = reply;
    sub *s = ac->data;
    if (!r || s->stopping || r->type != REDIS_REPLY_ARRAY || r->elements < 3)
        return;
    const redisReply *kind = r->element[0];
    const char *name;
    size_t nlen;
    if (kind->type != REDIS_REPLY_STRING || channel_room(r->element[1], &name, &nlen))
        return;
    if (!strcmp(kind->str, "message") && r->element[2]->type == REDIS_REPLY_STRING)
        s->cb->message(s->ctx, name, nlen, r->element[2]->str, r->element[2]->len);
    else if (!strcmp(kind->str, "subscribe"))
        s->cb->subscribed(s->ctx, name, nlen);
    else if (!strcmp(kind->str, "unsubscribe"))
        s->cb->unsubscribed(s->ctx, name, nlen);
}

static int channel_cmd(sub *s, const char *cmd, const char *room, size_t len)
{
    if (!s->up[LINK_PUBSUB])
        return -1;
    char ch[KEY_MAX];
    snprintf(ch, sizeof ch, KEY_CHANNEL_FMT, (int)len, room);
    return redisAsyncCommand(s->ac[LINK_PUBSUB], on_pubsub, NULL, "%s %s", cmd, ch) == REDIS_OK ? 0 : -1;
}

static int op_subscribe(void *s, const char *room, size_t len) { return channel_cmd(s, "SUBSCRIBE", room, len); }
static int op_unsubscribe(void *s, const char *room, size_t len) { return channel_cmd(s, "UNSUBSCRIBE", room, len); }

/* ---- commands ----------------------------------------------------------- */

static void on_meta(redisAsyncContext *ac, void *reply, void *priv)
{
    redisReply *r = reply;
    sub *s = ac->data;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        if (r && r->type == REDIS_REPLY_ERROR)
            LOGW("redis", "HMGET meta: %s", r->str);
        s->cb->meta(s->ctx, priv, 0, NULL, 0, 0);
        return;
    }
    const redisReply *e = r->element[0], *sq = r->element[1];
    uint64_t seq = sq->type == REDIS_REPLY_STRING ? strtoull(sq->str, NULL, 10) : 0;
    if (e->type == REDIS_REPLY_STRING)
        s->cb->meta(s->ctx, priv, 1, e->str, e->len, seq);
    else
        s->cb->meta(s->ctx, priv, 1, NULL, 0, seq);
}

static int op_meta(void *sv, const char *room, size_t len, void *tag)
{
    sub *s = sv;
    if (!s->up[LINK_CMD])
        return -1;
    char key[KEY_MAX];
    snprintf(key, sizeof key, KEY_META_FMT, (int)len, room);
    return redisAsyncCommand(s->ac[LINK_CMD], on_meta, tag, "HMGET %s epoch seq", key) == REDIS_OK ? 0 : -1;
}

/* Parses [[id, [field, value, ...]], ...] into e[]; returns the count or -1. */
static ssize_t parse_xrange(const redisReply *r, xentry *e)
{
    size_t n = 0;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *it = r->element[i];
        if (it->type != REDIS_REPLY_ARRAY || it->elements != 2 || it->element[0]->type != REDIS_REPLY_STRING
            || it->element[1]->type != REDIS_REPLY_ARRAY)
            return -1;
        const redisReply *f = it->element[1];
        uint64_t seq = strtoull(it->element[0]->str, NULL, 10);
        for (size_t k = 0; k + 1 < f->elements; k += 2) {
            if (f->element[k]->type == REDIS_REPLY_STRING && f->element[k]->len == 1
                && f->element[k]->str[0] == 'e' && f->element[k + 1]->type == REDIS_REPLY_STRING) {
                e[n].seq = seq;
                e[n].pb = (const uint8_t *)f->element[k + 1]->str;
                e[n].len = f->element[k + 1]->len;
                n++;
                break;
            }
        }
    }
    return (ssize_t)n;
}

static void on_xrange(redisAsyncContext *ac, void *reply, void *priv)
{
    redisReply *r = reply;
    sub *s = ac->data;
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r && r->type == REDIS_REPLY_ERROR)
            LOGW("redis", "XRANGE: %s", r->str);
        s->cb->xrange(s->ctx, priv, 0, NULL, 0);
        return;
    }
    xentry *e = xmalloc((r->elements + 1) * sizeof *e);
    ssize_t n = parse_xrange(r, e);
    if (n < 0)
        LOGW("redis", "XRANGE: unexpected reply shape");
    s->cb->xrange(s->ctx, priv, n >= 0, e, n < 0 ? 0 : (size_t)n);
    free(e);
}

static int op_xrange(void *sv, const char *room, size_t len, uint64_t from_seq, uint64_t to_seq,
                     size_t count, void *tag)
{
    sub *s = sv;
    if (!s->up[LINK_CMD])
        return -1;
    char key[KEY_MAX], from[32], to[32], cnt[32];
    snprintf(key, sizeof key, KEY_STREAM_FMT, (int)len, room);
    snprintf(from, sizeof from, "%llu-0", (unsigned long long)from_seq);
    if (to_seq)
        snprintf(to, sizeof to, "%llu-0", (unsigned long long)to_seq);
    else
        strcpy(to, "+");
    snprintf(cnt, sizeof cnt, "%zu", count);
    const char *argv[] = {"XRANGE", key, from, to, "COUNT", cnt};
    return redisAsyncCommandArgv(s->ac[LINK_CMD], on_xrange, tag, 6, argv, NULL) == REDIS_OK ? 0 : -1;
}

static int op_pubsub_up(const void *s) { return sub_pubsub_up(s); }
static int op_cmd_up(const void *s) { return sub_cmd_up(s); }

const sub_ops sub_link_ops = {
    .subscribe = op_subscribe,
    .unsubscribe = op_unsubscribe,
    .meta = op_meta,
    .xrange = op_xrange,
    .pubsub_up = op_pubsub_up,
    .cmd_up = op_cmd_up,
};

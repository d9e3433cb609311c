/* audit.c — audit stream commands (XADD with a cap, XREVRANGE) and the
 * conversion of a range reply to the JSON of GET /v1/audit. */
#include "audit.h"
#include "jsonw.h"
#include "keys.h"
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void arg(audit_cmd *c, const char *s, size_t n)
{
    c->argv[c->argc] = s;
    c->argvlen[c->argc] = n;
    c->argc++;
}

static void sarg(audit_cmd *c, const char *s) { arg(c, s, strlen(s)); }

static void field(audit_cmd *c, const char *name, const char *v)
{
    if (v && v[0]) {
        sarg(c, name);
        sarg(c, v);
    }
}

void audit_xadd(const audit_entry *e, long maxlen, audit_cmd *c)
{
    c->argc = 0;
    snprintf(c->num[0], sizeof c->num[0], "%ld", maxlen < 1 ? (long)AUDIT_MAXLEN_DEFAULT : maxlen);
    snprintf(c->num[1], sizeof c->num[1], "%lld", (long long)e->ts_ms);
    sarg(c, "XADD");
    sarg(c, KEY_AUDIT);
    sarg(c, "MAXLEN");
    sarg(c, c->num[0]);
    sarg(c, "*");
    field(c, "ts", c->num[1]);
    field(c, "who", e->who);
    field(c, "act", e->action);
    field(c, "kid", e->kid);
    if (e->room && e->room_len) {
        sarg(c, "room");
        arg(c, e->room, e->room_len);
    }
    field(c, "target", e->target);
    field(c, "args", e->args);
    field(c, "peer", e->peer);
}

void audit_xrevrange(int count, audit_cmd *c)
{
    c->argc = 0;
    if (count < 1) count = 1;
    if (count > AUDIT_COUNT_MAX) count = AUDIT_COUNT_MAX;
    snprintf(c->num[0], sizeof c->num[0], "%d", count);
    sarg(c, "XREVRANGE");
    sarg(c, KEY_AUDIT);
    sarg(c, "+");
    sarg(c, "-");
    sarg(c, "COUNT");
    sarg(c, c->num[0]);
}

static int is_str(const redisReply *r)
{
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

static int shape_ok(const redisReply *r)
{
    if (!r || r->type != REDIS_REPLY_ARRAY)
        return 0;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || !is_str(e->element[0]) ||
            e->element[1]->type != REDIS_REPLY_ARRAY || e->element[1]->elements % 2)
            return 0;
        for (size_t j = 0; j < e->element[1]->elements; j++)
            if (!is_str(e->element[1]->element[j]))
                return 0;
    }
    return 1;
}

/* args: re-serialised through jansson when it is a JSON object, else a string. */
static void put_args(dbuf *b, const char *s, size_t n)
{
    json_t *o = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
    char *d = json_is_object(o) ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    dbuf_puts(b, ",\"args\":");
    if (d) dbuf_puts(b, d);
    else jsonw_str(b, s, n);
    free(d);
}

static void put_entry(dbuf *b, const redisReply *e)
{
    static const struct { const char *field, *json; } F[] = {
        { "who", "who" }, { "act", "action" }, { "kid", "kid" }, { "room", "room" },
        { "target", "target" }, { "peer", "peer" },
    };
    const redisReply *kv = e->element[1];
    dbuf_puts(b, "{\"id\":");
    jsonw_str(b, e->element[0]->str, e->element[0]->len);
    for (size_t j = 0; j + 1 < kv->elements; j += 2) {
        const redisReply *k = kv->element[j], *v = kv->element[j + 1];
        if (k->len == 2 && !memcmp(k->str, "ts", 2)) {
            dbuf_printf(b, ",\"ts_ms\":%lld", strtoll(v->str, NULL, 10));
            continue;
        }
        if (k->len == 4 && !memcmp(k->str, "args", 4)) {
            put_args(b, v->str, v->len);
            continue;
        }
        for (size_t f = 0; f < sizeof F / sizeof F[0]; f++)
            if (strlen(F[f].field) == k->len && !memcmp(F[f].field, k->str, k->len)) {
                dbuf_printf(b, ",\"%s\":", F[f].json);
                jsonw_str(b, v->str, v->len);
            }
    }
    dbuf_putc(b, '}');
}

int audit_reply_json(const redisReply *r, dbuf *out)
{
    if (!shape_ok(r))
        return -1;
    dbuf_puts(out, "{\"entries\":[");
    for (size_t i = 0; i < r->elements; i++) {
        if (i) dbuf_putc(out, ',');
        put_entry(out, r->element[i]);
    }
    dbuf_puts(out, "]}");
    return 0;
}

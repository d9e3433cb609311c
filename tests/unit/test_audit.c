/* test_audit.c — the audit log commands (common/audit.h): XADD with its cap
 * and only the fields given, XREVRANGE with the count clamped, and the JSON
 * of a range reply decoded from real RESP bytes by hiredis's reader
 * (field renames, ts_ms as a number, args re-serialised or kept as a
 * string, unknown fields skipped, escaping, malformed replies refused). */
#include "t.h"
#include "audit.h"
#include "keys.h"
#include <hiredis/hiredis.h>
#include <jansson.h>

static void join(const audit_cmd *c, dbuf *b)
{
    dbuf_reset(b);
    for (int i = 0; i < c->argc; i++) {
        if (i) dbuf_putc(b, ' ');
        dbuf_append(b, c->argv[i], c->argvlen[i]);
    }
}

static void test_xadd(void)
{
    audit_cmd c;
    dbuf b; dbuf_init(&b);
    audit_entry e = { .who = "mod1", .kid = "k2", .action = "mute", .room = "r1xyz", .room_len = 2,
                      .target = "u9", .args = "{\"ttl_s\":60}", .peer = "127.0.0.1:4000",
                      .ts_ms = 1700000000123LL };
    audit_xadd(&e, 500, &c);
    join(&c, &b);
    T_EQ_STR(b.data, "XADD " KEY_AUDIT " MAXLEN 500 * ts 1700000000123 who mod1 act mute kid k2 "
                     "room r1 target u9 args {\"ttl_s\":60} peer 127.0.0.1:4000");
    audit_entry g = { .who = "loopback", .action = "ban", .target = "u1", .peer = "[::1]:1", .ts_ms = 5 };
    audit_xadd(&g, 0, &c);
    join(&c, &b);
    T_EQ_STR(b.data, "XADD dm:audit MAXLEN 10000 * ts 5 who loopback act ban target u1 peer [::1]:1");
    audit_xrevrange(20, &c);
    join(&c, &b);
    T_EQ_STR(b.data, "XREVRANGE dm:audit + - COUNT 20");
    audit_xrevrange(0, &c);
    join(&c, &b);
    T_EQ_STR(b.data, "XREVRANGE dm:audit + - COUNT 1");
    audit_xrevrange(1000000, &c);
    join(&c, &b);
    T_EQ_STR(b.data, "XREVRANGE dm:audit + - COUNT 1000");
    dbuf_free(&b);
}

/* Decodes RESP text into a reply with hiredis's own reader. */
static redisReply *resp(const char *text)
{
    redisReader *r = redisReaderCreate();
    redisReaderFeed(r, text, strlen(text));
    void *reply = NULL;
    if (redisReaderGetReply(r, &reply) != REDIS_OK)
        reply = NULL;
    redisReaderFree(r);
    return reply;
}

static void test_reply_json(void)
{
    redisReply *r = resp(
        "*2\r\n"
        "*2\r\n$15\r\n1700000000124-0\r\n"
        "*12\r\n$2\r\nts\r\n$13\r\n1700000000124\r\n$3\r\nwho\r\n$4\r\nmod1\r\n$3\r\nact\r\n$4\r\nmute\r\n"
        "$4\r\nroom\r\n$2\r\nr1\r\n$4\r\nargs\r\n$12\r\n{\"ttl_s\":60}\r\n$4\r\npeer\r\n$11\r\n127.0.0.1:9\r\n"
        "*2\r\n$15\r\n1700000000000-0\r\n"
        "*10\r\n$3\r\nwho\r\n$8\r\nloopback\r\n$3\r\nact\r\n$3\r\nban\r\n$6\r\ntarget\r\n$4\r\na\"<b\r\n"
        "$4\r\nargs\r\n$3\r\nnot\r\n$5\r\nextra\r\n$1\r\nx\r\n");
    T_ASSERT(r);
    dbuf b; dbuf_init(&b);
    T_EQ_INT(audit_reply_json(r, &b), 0);
    T_EQ_STR(b.data, "{\"entries\":["
             "{\"id\":\"1700000000124-0\",\"ts_ms\":1700000000124,\"who\":\"mod1\",\"action\":\"mute\","
             "\"room\":\"r1\",\"args\":{\"ttl_s\":60},\"peer\":\"127.0.0.1:9\"},"
             "{\"id\":\"1700000000000-0\",\"who\":\"loopback\",\"action\":\"ban\","
             "\"target\":\"a\\\"\\u003cb\",\"args\":\"not\"}]}");
    json_t *j = json_loadb(b.data, b.len, 0, NULL);      /* and it is valid JSON */
    T_ASSERT(j);
    json_decref(j);
    freeReplyObject(r);
    /* empty stream */
    r = resp("*0\r\n");
    dbuf_reset(&b);
    T_EQ_INT(audit_reply_json(r, &b), 0);
    T_EQ_STR(b.data, "{\"entries\":[]}");
    freeReplyObject(r);
    /* not a range reply: nothing appended */
    const char *bad[] = { "-ERR wrong\r\n", ":1\r\n", "*1\r\n$1\r\nx\r\n", "*1\r\n*1\r\n$1\r\nx\r\n",
                          "*1\r\n*2\r\n$3\r\n1-0\r\n*1\r\n$1\r\nx\r\n",
                          "*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nx\r\n:1\r\n" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = resp(bad[i]);
        T_ASSERT(r);
        dbuf_reset(&b);
        int rc = audit_reply_json(r, &b);
        freeReplyObject(r);
        if (rc != -1 || b.len) { T_FAIL_("bad reply %zu accepted", i); break; }
    }
    T_EQ_INT(audit_reply_json(NULL, &b), -1);
    dbuf_free(&b);
}

int main(void)
{
    T_RUN(test_xadd);
    T_RUN(test_reply_json);
    return T_DONE();
}

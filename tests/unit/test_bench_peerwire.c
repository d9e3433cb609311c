/* test_bench_peerwire.c — the peer targets' wire formats (bench_peerwire):
 * RESP commands byte for byte, pushed messages and PUBLISH replies as
 * redis-server sends them (pipelined, binary payloads, every truncation
 * -2 at a guard page, malformed input -1), Nchan publisher responses, and
 * one of our JSON frames carried through RESP and through a WebSocket text
 * frame (what nchan pushes) back to its seq and send time. */
#include "t.h"
#include "guard.h"
#include "ws.h"
#include "../../bench/bench_enc.h"
#include "../../bench/bench_peerwire.h"
#include "frame_scan.h"

#define PREFIX "b77-"

static void test_commands(void)
{
    dbuf b; dbuf_init(&b);
    pw_resp_subscribe(&b, "r-3");
    T_EQ_STR(b.data, "*2\r\n$9\r\nSUBSCRIBE\r\n$3\r\nr-3\r\n");
    dbuf_reset(&b);
    pw_resp_publish(&b, "r-3", (const uint8_t *)"a\r\nb", 4);
    T_EQ_STR(b.data, "*3\r\n$7\r\nPUBLISH\r\n$3\r\nr-3\r\n$4\r\na\r\nb\r\n");
    dbuf_free(&b);
}

/* What redis-server 7 sends a subscriber: the confirmation, then messages. */
static const char SUBOK[] = "*3\r\n$9\r\nsubscribe\r\n$3\r\nr-3\r\n:1\r\n";
static const char MSG1[] = "*3\r\n$7\r\nmessage\r\n$3\r\nr-3\r\n$5\r\nhe\r\nl\r\n";
static const char MSG2[] = "*3\r\n$7\r\nmessage\r\n$3\r\nr-3\r\n$0\r\n\r\n";

static void test_push(void)
{
    pw_push m;
    T_EQ_INT(pw_resp_push((const uint8_t *)SUBOK, strlen(SUBOK), 1024, &m), strlen(SUBOK));
    T_EQ_INT(m.kind, PW_SUBSCRIBE);
    T_EQ_INT(m.count, 1);
    T_ASSERT(m.chan_len == 3 && !memcmp(m.chan, "r-3", 3));
    char two[256];
    snprintf(two, sizeof two, "%s%s", MSG1, MSG2);
    ssize_t r = pw_resp_push((const uint8_t *)two, strlen(two), 1024, &m);
    T_EQ_INT(r, strlen(MSG1));
    T_EQ_INT(m.kind, PW_MESSAGE);
    T_ASSERT(m.data_len == 5 && !memcmp(m.data, "he\r\nl", 5));   /* CRLF inside a bulk */
    T_EQ_INT(pw_resp_push((const uint8_t *)two + r, strlen(two) - (size_t)r, 1024, &m), strlen(MSG2));
    T_EQ_INT(m.kind, PW_MESSAGE);
    T_EQ_INT(m.data_len, 0);
    const char *pong = "*2\r\n$4\r\npong\r\n$0\r\n\r\n";
    T_EQ_INT(pw_resp_push((const uint8_t *)pong, strlen(pong), 1024, &m), strlen(pong));
    T_EQ_INT(m.kind, PW_PUSH_OTHER);
}

static void test_push_truncated(void)
{
    const char *all[] = { SUBOK, MSG1, MSG2 };
    for (int k = 0; k < 3; k++) {
        size_t n = strlen(all[k]);
        for (size_t cut = 0; cut < n; cut++) {
            guard g; pw_push m;
            const uint8_t *p = guard_put(&g, all[k], cut);
            ssize_t r = pw_resp_push(p, cut, 1024, &m);
            guard_free(&g);
            if (r != -2) { T_FAIL_("msg %d cut %zu: %zd, expected -2", k, cut, r); return; }
        }
    }
}

static void test_push_invalid(void)
{
    static const char *const bad[] = {
        "-ERR max number of clients reached\r\n",      /* refused at connect */
        "+OK\r\n",
        "*3\r\n$7\r\nmessage\r\n$3\r\nr-3\r\n$5\r\nhello!!",   /* no CRLF after the bulk */
        "*3\r\n$7\r\nmessage\r\n$x\r\n",
        "*3\r\n$7\r\nmessage\r\n$-1\r\n",
        "*0\r\n",
        "*3\n$7",
        "*3\r\n$7\r\nmessage\r\n$3\r\nr-3\r\n$2000\r\n",       /* over max_bulk */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pw_push m;
        ssize_t r = pw_resp_push((const uint8_t *)bad[i], strlen(bad[i]), 1024, &m);
        if (r != -1) { T_FAIL_("bad[%zu]: %zd, expected -1", i, r); return; }
    }
}

static void test_reply(void)
{
    int kind; int64_t v; const uint8_t *e; size_t el;
    T_EQ_INT(pw_resp_reply((const uint8_t *)":20000\r\n:0\r\n", 12, &kind, &v, &e, &el), 8);
    T_EQ_INT(kind, PW_INT);
    T_EQ_INT(v, 20000);
    const char *err = "-OOM command not allowed\r\n";
    T_EQ_INT(pw_resp_reply((const uint8_t *)err, strlen(err), &kind, &v, &e, &el), strlen(err));
    T_EQ_INT(kind, PW_ERR);
    T_ASSERT(el == 23 && !memcmp(e, "OOM command not allowed", 23));
    T_EQ_INT(pw_resp_reply((const uint8_t *)":12", 3, &kind, &v, &e, &el), -2);
    T_EQ_INT(pw_resp_reply((const uint8_t *)":1x\r\n", 5, &kind, &v, &e, &el), -1);
    T_EQ_INT(pw_resp_reply((const uint8_t *)"$2\r\nok\r\n", 8, &kind, &v, &e, &el), 8);
    T_EQ_INT(kind, PW_REPLY_OTHER);
}

/* As nginx 1.22 + nchan 1.3.6 answer POST /pub/<room>. */
static const char NCHAN201[] =
    "HTTP/1.1 201 Created\r\nServer: nginx/1.22.1\r\nDate: Thu, 03 Dec 2026 14:30:41 GMT\r\n"
    "Content-Type: text/plain\r\nContent-Length: 101\r\nConnection: keep-alive\r\n\r\n"
    "queued messages: 1\r\nlast requested: -1 sec. ago\r\nactive subscribers: 1\r\nlast message id: 1796308248:0";

static void test_http(void)
{
    int st; const uint8_t *body; size_t bl;
    size_t n = strlen(NCHAN201);
    char two[1024];
    snprintf(two, sizeof two, "%s%s", NCHAN201, NCHAN201);
    T_EQ_INT(pw_http_response((const uint8_t *)two, 2 * n, &st, &body, &bl), n);
    T_EQ_INT(st, 201);
    T_EQ_INT(bl, 101);
    T_ASSERT(!memcmp(body, "queued messages: 1", 18));
    for (size_t cut = 0; cut < n; cut++) {
        guard g;
        const uint8_t *p = guard_put(&g, NCHAN201, cut);
        ssize_t r = pw_http_response(p, cut, &st, &body, &bl);
        guard_free(&g);
        if (r != -2) { T_FAIL_("cut %zu: %zd, expected -2", cut, r); return; }
    }
    const char *nobody = "HTTP/1.1 202 Accepted\r\nServer: x\r\n\r\n";
    T_EQ_INT(pw_http_response((const uint8_t *)nobody, strlen(nobody), &st, &body, &bl), strlen(nobody));
    T_EQ_INT(st, 202);
    T_EQ_INT(bl, 0);
    const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    T_EQ_INT(pw_http_response((const uint8_t *)chunked, strlen(chunked), &st, &body, &bl), -1);
    const char *garbage = "HTTP/1.1 2x0 Created\r\n\r\n";
    T_EQ_INT(pw_http_response((const uint8_t *)garbage, strlen(garbage), &st, &body, &bl), -1);
    const char *neg = "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n";
    T_EQ_INT(pw_http_response((const uint8_t *)neg, strlen(neg), &st, &body, &bl), -1);
}

static void frame(dbuf *b, uint64_t seq)
{
    bev e = { .kind = BEV_COMMENT, .seq = seq, .user_id = "u1", .nick = "n",
              .client_msg_id = PREFIX "5-1763600000123456", .text = "\xe5\xbc\xb9 \"x\"", .text_len = 7,
              .color = 255, .size = 25 };
    benc_json_batch(b, "r-3", "peer", &e, 1);
}

static int scanned(const uint8_t *p, size_t n, uint64_t seq)
{
    scan_frame f = { 0 };
    int ok = scan_json(p, n, PREFIX, &f) == 0 && f.type == SCAN_BATCH && f.nev == 1 && f.ev[0].seq == seq
          && f.ev[0].send_us == 1763600000123456ll && f.ev[0].kind == SK_COMMENT;
    scan_frame_free(&f);
    return ok;
}

/* Our frame through PUBLISH (as redis pushes it on) and through a server
 * WebSocket text frame (as nchan pushes it) decodes to the same event. */
static void test_frame_round_trip(void)
{
    dbuf fr, wire; dbuf_init(&fr); dbuf_init(&wire);
    frame(&fr, 41);
    dbuf_printf(&wire, "*3\r\n$7\r\nmessage\r\n$3\r\nr-3\r\n$%zu\r\n", fr.len);
    dbuf_append(&wire, fr.data, fr.len);
    dbuf_puts(&wire, "\r\n");
    pw_push m;
    T_EQ_INT(pw_resp_push((const uint8_t *)wire.data, wire.len, 1 << 20, &m), wire.len);
    T_ASSERT(m.kind == PW_MESSAGE && scanned(m.data, m.data_len, 41));
    uint8_t hdr[14];
    size_t h = ws_frame_header(hdr, 1, WS_OP_TEXT, fr.len, NULL);
    dbuf_reset(&wire);
    dbuf_append(&wire, hdr, h);
    dbuf_append(&wire, fr.data, fr.len);
    ws_frame f; int cc = 0;
    T_EQ_INT(ws_parse_frame((uint8_t *)wire.data, wire.len, WS_ROLE_CLIENT, 1 << 20, &f, &cc), wire.len);
    T_ASSERT(f.opcode == WS_OP_TEXT && scanned(f.payload, (size_t)f.payload_len, 41));
    dbuf_free(&fr); dbuf_free(&wire);
}

int main(void)
{
    T_RUN(test_commands);
    T_RUN(test_push);
    T_RUN(test_push_truncated);
    T_RUN(test_push_invalid);
    T_RUN(test_reply);
    T_RUN(test_http);
    T_RUN(test_frame_round_trip);
    return T_DONE();
}

/* test_http.c — request-head parser (valid heads, truncation at every byte
 * before a guard page, malformed heads, header limit, byte corruption),
 * header/token/query helpers, body framing, the chunked decoder (split at
 * every position, byte by byte, malformed), and response writers. */
#include "t.h"
#include "guard.h"
#include "http.h"
#include "dbuf.h"
#include <event2/buffer.h>
#include <jansson.h>

static int parse_g(const char *s, size_t n, http_request *req)
{
    guard g;
    char *q = (char *)guard_put(&g, s, n);
    int rc = http_parse_request(q, n, req);
    guard_free(&g);
    return rc;
}

static int hdr_is(const http_request *r, size_t i, const char *name, const char *value)
{
    const http_header *h = &r->headers[i];
    return h->name_len == strlen(name) && !memcmp(h->name, name, h->name_len) &&
           h->value_len == strlen(value) && !memcmp(h->value, value, h->value_len);
}

static void test_parse_basic(void)
{
    const char *s = "GET /v1/rooms/r1/ws?format=json&compress=zstd HTTP/1.1\r\n"
                    "Host: 127.0.0.1:8081\r\n"
                    "Upgrade:websocket\r\n"
                    "Connection:  keep-alive, Upgrade \t\r\n"
                    "X-Empty:\r\n"
                    "\r\n"
                    "BODY";
    http_request r;
    int rc = http_parse_request(s, strlen(s), &r);
    T_EQ_INT(rc, strlen(s) - 4);
    T_EQ_INT(r.method_len, 3);
    T_EQ_MEM(r.method, "GET", 3);
    T_EQ_INT(r.path_len, strlen("/v1/rooms/r1/ws"));
    T_EQ_MEM(r.path, "/v1/rooms/r1/ws", r.path_len);
    T_EQ_INT(r.query_len, strlen("format=json&compress=zstd"));
    T_EQ_MEM(r.query, "format=json&compress=zstd", r.query_len);
    T_EQ_INT(r.minor_version, 1);
    T_EQ_INT(r.num_headers, 4);
    T_ASSERT(hdr_is(&r, 0, "Host", "127.0.0.1:8081"));
    T_ASSERT(hdr_is(&r, 1, "Upgrade", "websocket"));
    T_ASSERT(hdr_is(&r, 2, "Connection", "keep-alive, Upgrade"));
    T_ASSERT(hdr_is(&r, 3, "X-Empty", ""));
    T_ASSERT(r.path >= s && r.path < s + rc);      /* points into the input */

    const char *lf = "POST /v1/rooms/r1/comments HTTP/1.0\nContent-Length: 2\n\n{}";
    rc = http_parse_request(lf, strlen(lf), &r);
    T_EQ_INT(rc, strlen(lf) - 2);
    T_EQ_INT(r.minor_version, 0);
    T_EQ_INT(r.query_len, 0);
    T_EQ_INT(r.num_headers, 1);
    T_ASSERT(hdr_is(&r, 0, "Content-Length", "2"));

    const char *q = "GET /x? HTTP/1.1\r\n\r\n";
    T_EQ_INT(http_parse_request(q, strlen(q), &r), strlen(q));
    T_EQ_INT(r.path_len, 2);
    T_EQ_INT(r.query_len, 0);
    /* leading empty line tolerated (after a previous body on keep-alive) */
    const char *lead = "\r\nGET / HTTP/1.1\r\n\r\n";
    T_EQ_INT(http_parse_request(lead, strlen(lead), &r), strlen(lead));
    /* obs-text in a value passes through */
    const char *obs = "GET / HTTP/1.1\r\nX-Nick: \xe5\xbc\xb9\r\n\r\n";
    T_EQ_INT(http_parse_request(obs, strlen(obs), &r), strlen(obs));
}

static const char *const VALID[] = {
    "GET / HTTP/1.1\r\n\r\n",
    "GET /v1/rooms/r1/ws?format=pb&history=20 HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n",
    "POST /v1/rooms/r1/comments HTTP/1.1\nHost: x\nContent-Length: 10\n\n",
    "DELETE /v1/rooms/r1/mutes/u1 HTTP/1.0\r\nAuthorization: Bearer a.b.c\r\nX: \t y \t\r\n\r\n",
};

/* Every strict prefix of a valid head is incomplete, never an over-read. */
static void test_truncated_every_byte(void)
{
    for (size_t i = 0; i < sizeof VALID / sizeof VALID[0]; i++) {
        size_t n = strlen(VALID[i]);
        http_request r;
        for (size_t k = 0; k < n; k++) {
            int rc = parse_g(VALID[i], k, &r);
            if (rc != -2) {
                T_FAIL_("head %zu cut at %zu: rc %d", i, k, rc);
                return;
            }
        }
        T_EQ_INT(parse_g(VALID[i], n, &r), n);
    }
}

static void test_malformed(void)
{
    static const char *const bad[] = {
        "GET  / HTTP/1.1\r\n\r\n",
        " GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET / http/1.1\r\n\r\n",
        "GET / HTTP/1.x\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n",
        "GET / HTTP/1.1\rX\n\r\n",
        "GET /\x01 HTTP/1.1\r\n\r\n",
        "GET /\x7f HTTP/1.1\r\n\r\n",
        "GET /\xc3\xa9 HTTP/1.1\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GET\t/ HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        "GET / HTTP/1.1\r\n: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\rX",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",   /* a TLS hello */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = strlen(bad[i]);
        if (i == 16) n = 27;   /* contains a NUL */
        http_request r;
        int rc = parse_g(bad[i], n, &r);
        if (rc != -1) {
            T_FAIL_("bad head %zu: rc %d, expected -1", i, rc);
            return;
        }
        for (size_t k = 0; k < n; k++) {   /* no prefix is accepted */
            rc = parse_g(bad[i], k, &r);
            if (rc != -2 && rc != -1) {
                T_FAIL_("bad head %zu cut at %zu: rc %d", i, k, rc);
                return;
            }
        }
    }
}

static void test_header_limit(void)
{
    dbuf b;
    dbuf_init(&b);
    dbuf_puts(&b, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < HTTP_MAX_HEADERS; i++)
        dbuf_printf(&b, "X-H%d: v%d\r\n", i, i);
    size_t before_end = b.len;
    dbuf_puts(&b, "\r\n");
    http_request r;
    T_EQ_INT(parse_g(b.data, b.len, &r), b.len);
    T_EQ_INT(http_parse_request(b.data, b.len, &r), b.len);
    T_EQ_INT(r.num_headers, HTTP_MAX_HEADERS);
    T_ASSERT(hdr_is(&r, HTTP_MAX_HEADERS - 1, "X-H63", "v63"));
    b.len = before_end;
    dbuf_puts(&b, "X-One-Too-Many: 1\r\n\r\n");
    T_EQ_INT(parse_g(b.data, b.len, &r), -1);
    dbuf_free(&b);
}

/* Any single byte replaced by a troublesome value: the parser answers,
 * within the input, without crashing. */
static void test_corrupt_every_byte(void)
{
    static const char vals[] = { 0, ' ', ':', '\r', '\n', '\t', 0x7f, (char)0x80, '?', 'a' };
    const char *s = VALID[1];
    size_t n = strlen(s);
    char tmp[512];
    for (size_t i = 0; i < n; i++) {
        for (size_t v = 0; v < sizeof vals; v++) {
            memcpy(tmp, s, n);
            tmp[i] = vals[v];
            http_request r;
            int rc = parse_g(tmp, n, &r);
            if (!(rc == -1 || rc == -2 || (rc > 0 && (size_t)rc <= n))) {
                T_FAIL_("byte %zu = 0x%02x: rc %d", i, (unsigned char)vals[v], rc);
                return;
            }
        }
    }
}

static void test_find_header_and_tokens(void)
{
    const char *s = "GET / HTTP/1.1\r\nconnection: keep-alive\r\nCONNECTION: x ,Upgrade\r\n"
                    "Upgrade: WebSocket\r\nSec-WebSocket-Version: 13\r\n\r\n";
    http_request r;
    T_ASSERT(http_parse_request(s, strlen(s), &r) > 0);
    const http_header *h = http_find_header(&r, "Connection");
    T_ASSERT(h && h->value_len == 10);
    T_ASSERT(http_find_header(&r, "sec-websocket-version") != NULL);
    T_ASSERT(http_find_header(&r, "sec-websocket-key") == NULL);
    T_ASSERT(http_find_header(&r, "Upgrad") == NULL);
    T_EQ_INT(http_header_has_token(&r, "connection", "upgrade"), 1);
    T_EQ_INT(http_header_has_token(&r, "connection", "keep-alive"), 1);
    T_EQ_INT(http_header_has_token(&r, "connection", "close"), 0);
    T_EQ_INT(http_header_has_token(&r, "connection", "upgrad"), 0);
    T_EQ_INT(http_header_has_token(&r, "upgrade", "websocket"), 1);
    T_EQ_INT(http_header_has_token(&r, "x-missing", "a"), 0);
}

static void test_query_param(void)
{
    const char *q = "format=json&compress=zstd&history=20&name=a%20b+c%2B&bad=%zz&trunc=%4"
                    "&empty=&flag&cjk=%E5%BC%B9&formats=x";
    size_t ql = strlen(q);
    char out[32];
    T_EQ_INT(http_query_param(q, ql, "format", out, sizeof out), 4);
    T_EQ_STR(out, "json");
    T_EQ_INT(http_query_param(q, ql, "compress", out, sizeof out), 4);
    T_EQ_STR(out, "zstd");
    T_EQ_INT(http_query_param(q, ql, "name", out, sizeof out), 6);
    T_EQ_STR(out, "a b c+");
    T_EQ_INT(http_query_param(q, ql, "bad", out, sizeof out), -2);
    T_EQ_INT(http_query_param(q, ql, "trunc", out, sizeof out), -2);
    T_EQ_INT(http_query_param(q, ql, "empty", out, sizeof out), 0);
    T_EQ_STR(out, "");
    T_EQ_INT(http_query_param(q, ql, "flag", out, sizeof out), 0);
    T_EQ_INT(http_query_param(q, ql, "cjk", out, sizeof out), 3);
    T_EQ_STR(out, "\xe5\xbc\xb9");
    T_EQ_INT(http_query_param(q, ql, "form", out, sizeof out), -1);
    T_EQ_INT(http_query_param(q, ql, "formats", out, sizeof out), 1);
    T_EQ_INT(http_query_param(q, ql, "missing", out, sizeof out), -1);
    T_EQ_INT(http_query_param("", 0, "format", out, sizeof out), -1);
    /* must fit with the NUL */
    T_EQ_INT(http_query_param(q, ql, "format", out, 5), 4);
    T_EQ_INT(http_query_param(q, ql, "format", out, 4), -2);
    T_EQ_INT(http_query_param(q, ql, "empty", out, 1), 0);
    /* only the first query_len bytes count */
    T_EQ_INT(http_query_param("a=1&b=2", 3, "b", out, sizeof out), -1);
    T_EQ_INT(http_query_param("a=123", 4, "a", out, sizeof out), 2);
}

static int framing(const char *headers, int64_t *cl)
{
    char buf[512];
    snprintf(buf, sizeof buf, "POST / HTTP/1.1\r\n%s\r\n", headers);
    http_request r;
    if (http_parse_request(buf, strlen(buf), &r) <= 0)
        return -99;
    return http_body_framing(&r, cl);
}

static void test_body_framing(void)
{
    int64_t cl = 77;
    T_EQ_INT(framing("", &cl), 0);
    T_EQ_INT(cl, 0);
    T_EQ_INT(framing("Content-Length: 42\r\n", &cl), 0);
    T_EQ_INT(cl, 42);
    T_EQ_INT(framing("content-length:0\r\n", &cl), 0);
    T_EQ_INT(cl, 0);
    T_EQ_INT(framing("Content-Length: 5\r\nContent-Length: 5\r\n", &cl), 0);
    T_EQ_INT(cl, 5);
    T_EQ_INT(framing("Transfer-Encoding: chunked\r\n", &cl), 0);
    T_EQ_INT(cl, -1);
    T_EQ_INT(framing("Transfer-Encoding: Chunked\r\n", &cl), 0);
    T_EQ_INT(framing("Content-Length: 5\r\nContent-Length: 6\r\n", &cl), -1);
    T_EQ_INT(framing("Content-Length: abc\r\n", &cl), -1);
    T_EQ_INT(framing("Content-Length: -1\r\n", &cl), -1);
    T_EQ_INT(framing("Content-Length: +5\r\n", &cl), -1);
    T_EQ_INT(framing("Content-Length: 1 2\r\n", &cl), -1);
    T_EQ_INT(framing("Content-Length: 5,5\r\n", &cl), -1);
    T_EQ_INT(framing("Content-Length: 0x10\r\n", &cl), -1);
    T_EQ_INT(framing("Content-Length:\r\n", &cl), -1);
    T_EQ_INT(framing("Content-Length: 99999999999999999999\r\n", &cl), -1);
    T_EQ_INT(framing("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", &cl), -1);
    T_EQ_INT(framing("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", &cl), -1);
    T_EQ_INT(framing("Transfer-Encoding: gzip\r\n", &cl), -1);
    T_EQ_INT(framing("Transfer-Encoding: gzip, chunked\r\n", &cl), -1);
    T_EQ_INT(framing("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", &cl), -1);
}

/* Decodes raw split into two calls at `split`; returns the decoded bytes in
 * out, the final rc, and the leftover bytes in rest. */
static ssize_t chunked_split(const char *raw, size_t n, size_t split, dbuf *out, dbuf *rest)
{
    http_chunked d = { 0 };
    guard g;
    char *a = (char *)guard_put(&g, raw, split);
    size_t len = split;
    ssize_t rc = http_decode_chunked(&d, a, &len);
    dbuf_append(out, a, len);
    if (rc >= 0) {       /* complete within the first part */
        dbuf_append(rest, a + len, (size_t)rc);
        dbuf_append(rest, raw + split, n - split);
        guard_free(&g);
        return rc + (ssize_t)(n - split);
    }
    guard_free(&g);
    if (rc != -2 || split == n)
        return rc;
    a = (char *)guard_put(&g, raw + split, n - split);
    len = n - split;
    rc = http_decode_chunked(&d, a, &len);
    dbuf_append(out, a, len);
    if (rc >= 0)
        dbuf_append(rest, a + len, (size_t)rc);
    guard_free(&g);
    return rc;
}

static void test_chunked_split_everywhere(void)
{
    static const struct { const char *raw, *body, *rest; } cases[] = {
        { "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n", "Wikipedia", "" },
        { "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\nGET / HTTP/1.1\r\n", "Wikipedia", "GET / HTTP/1.1\r\n" },
        { "4;ext=1\r\nWiki\r\nA \r\n0123456789\r\n0\r\nX-Trailer: y\r\n\r\nZ", "Wiki0123456789", "Z" },
        { "4\nWiki\n0\n\n", "Wiki", "" },
        { "0\r\n\r\n", "", "" },
        { "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n", "abcdefghijklmnopqrstuvwxyz", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].raw);
        for (size_t split = 0; split <= n; split++) {
            dbuf out, rest;
            dbuf_init(&out);
            dbuf_init(&rest);
            ssize_t rc = chunked_split(cases[i].raw, n, split, &out, &rest);
            int ok = rc == (ssize_t)strlen(cases[i].rest) && out.len == strlen(cases[i].body) &&
                     !memcmp(out.data ? out.data : "", cases[i].body, out.len) &&
                     rest.len == strlen(cases[i].rest) &&
                     !memcmp(rest.data ? rest.data : "", cases[i].rest, rest.len);
            dbuf_free(&out);
            dbuf_free(&rest);
            if (!ok) {
                T_FAIL_("case %zu split %zu: rc %zd", i, split, rc);
                return;
            }
        }
    }
}

static void test_chunked_bytewise(void)
{
    const char *raw = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    http_chunked d = { 0 };
    dbuf out;
    dbuf_init(&out);
    size_t n = strlen(raw);
    ssize_t rc = -2;
    for (size_t i = 0; i < n; i++) {
        char c = raw[i];
        size_t len = 1;
        rc = http_decode_chunked(&d, &c, &len);
        dbuf_append(&out, &c, len);
        if (i + 1 < n) T_EQ_INT(rc, -2);
    }
    T_EQ_INT(rc, 0);
    T_EQ_STR(out.data, "hello world");
    T_EQ_U64(d.total, 11);
    char more[] = "x";
    size_t len = 1;
    T_EQ_INT(http_decode_chunked(&d, more, &len), -1);   /* already complete */
    dbuf_free(&out);
}

static void test_chunked_malformed(void)
{
    static const char *const bad[] = {
        "x\r\n", "\r\n", ";ext\r\n", "4\r\nWikiX\r\n", "4\r\nWiki\rX", "4\rX",
        "fffffffffffffffffff\r\n", "4\x01\r\n", "-4\r\n", "4\r\nWiki\r\n0\r\n\rX",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        http_chunked d = { 0 };
        char buf[64];
        size_t len = strlen(bad[i]);
        memcpy(buf, bad[i], len);
        ssize_t rc = http_decode_chunked(&d, buf, &len);
        if (rc != -1) {
            T_FAIL_("bad chunked %zu: rc %zd", i, rc);
            return;
        }
    }
}

static void test_reason(void)
{
    T_EQ_STR(http_reason(200), "OK");
    T_EQ_STR(http_reason(404), "Not Found");
    T_EQ_STR(http_reason(413), "Content Too Large");
    T_EQ_STR(http_reason(422), "Unprocessable Content");
    T_EQ_STR(http_reason(429), "Too Many Requests");
    T_EQ_STR(http_reason(503), "Service Unavailable");
    T_EQ_STR(http_reason(299), "Unknown");
}

static char *drain(struct evbuffer *b)
{
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    evbuffer_remove(b, s, n);
    s[n] = 0;
    return s;
}

static void test_write_response(void)
{
    struct evbuffer *b = evbuffer_new();
    http_write_response(b, 200, "application/json", "Retry-After: 3\r\n", "{}", 2, 1);
    char *s = drain(b);
    T_EQ_STR(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                "Connection: keep-alive\r\nRetry-After: 3\r\n\r\n{}");
    free(s);
    http_write_response(b, 503, NULL, NULL, NULL, 0, 0);
    s = drain(b);
    T_EQ_STR(s, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    free(s);
    evbuffer_free(b);
}

/* The error body is JSON whose message survives any text (escaped by jsonw). */
static void test_write_error(void)
{
    const char *msg = "bad \"text\" \\ </script>\n\x01 \xe5\xbc\xb9\xe5\xb9\x95 \xf0\x9f\x98\x80 \xe2\x80\xa8";
    struct evbuffer *b = evbuffer_new();
    http_write_error(b, 422, "invalid_text", msg, 0);
    char *s = drain(b);
    T_ASSERT(!strncmp(s, "HTTP/1.1 422 Unprocessable Content\r\nContent-Type: application/json\r\n", 68));
    T_ASSERT(strstr(s, "\r\nConnection: close\r\n") != NULL);
    char *body = strstr(s, "\r\n\r\n");
    T_ASSERT(body);
    body += 4;
    unsigned long cl = strtoul(strstr(s, "Content-Length: ") + 16, NULL, 10);
    T_EQ_INT(cl, strlen(body));
    T_ASSERT(strstr(body, "</script>") == NULL);
    json_error_t err;
    json_t *j = json_loads(body, 0, &err);
    T_ASSERT(j != NULL);
    json_t *e = json_object_get(j, "error");
    T_EQ_STR(json_string_value(json_object_get(e, "code")), "invalid_text");
    T_EQ_STR(json_string_value(json_object_get(e, "message")), msg);
    json_decref(j);
    free(s);
    evbuffer_free(b);
}

int main(void)
{
    T_RUN(test_parse_basic);
    T_RUN(test_truncated_every_byte);
    T_RUN(test_malformed);
    T_RUN(test_header_limit);
    T_RUN(test_corrupt_every_byte);
    T_RUN(test_find_header_and_tokens);
    T_RUN(test_query_param);
    T_RUN(test_body_framing);
    T_RUN(test_chunked_split_everywhere);
    T_RUN(test_chunked_bytewise);
    T_RUN(test_chunked_malformed);
    T_RUN(test_reason);
    T_RUN(test_write_response);
    T_RUN(test_write_error);
    return T_DONE();
}

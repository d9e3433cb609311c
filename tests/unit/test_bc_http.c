/* test_bc_http.c — the broadcaster's per-connection HTTP state machine
 * (bc_http) in process, no sockets: partial input, pipelining and answer
 * order, the concurrency limit, serial handlers, chunked bodies, body and
 * head limits, bad requests, Connection: close, Expect: 100-continue, EOF,
 * aborts and X-Request-Id. Handlers are fakes that answer now or later. */
#include "t.h"
#include "../../broadcaster/bc_http.h"
#include <event2/buffer.h>

/* ---- fake handlers -------------------------------------------------- */

#define MAXHELD 64
static bc_req *held[MAXHELD];        /* requests waiting for the test to answer */
static int nheld, aborted, wakes, dispatched;

static void hold(bc_req *r)
{
    held[nheld++] = r;
    r->abort = NULL;
}

static void on_abort(bc_req *r) { aborted++; }

/* /now: answers at once with "<method> <body>" */
static void h_now(void *ctx, bc_req *r)
{
    dbuf b;
    dbuf_init(&b);
    dbuf_append(&b, r->h->method, r->h->method_len);
    dbuf_putc(&b, ' ');
    dbuf_append(&b, r->body, r->body_len);
    dispatched++;
    bc_req_reply(r, 200, "text/plain", NULL, b.data, b.len);
    dbuf_free(&b);
}

/* /later and /serial: answered by the test (answer_held) */
static void h_later(void *ctx, bc_req *r)
{
    dispatched++;
    hold(r);
    r->abort = on_abort;
}

static const bc_handler now_h = { "now", h_now, BC_H_PIPELINE };
static const bc_handler later_h = { "later", h_later, BC_H_PIPELINE };
static const bc_handler serial_h = { "serial", h_later, 0 };

static const bc_handler *route(const http_request *h)
{
    if (h->path_len == 7 && !memcmp(h->path, "/serial", 7))
        return &serial_h;
    if (h->path_len >= 6 && !memcmp(h->path, "/later", 6))
        return &later_h;
    return &now_h;
}

/* Answers held[i] with its path as the body; removes it from held[]. */
static void answer_held(int i)
{
    bc_req *r = held[i];
    char b[32];
    int n = snprintf(b, sizeof b, "id%llu", (unsigned long long)r->id);
    memmove(held + i, held + i + 1, (size_t)(nheld - i - 1) * sizeof *held);
    nheld--;
    bc_req_reply(r, 200, "text/plain", NULL, b, (size_t)n);
}

/* ---- a connection without a socket ----------------------------------- */

static bc_http_conf conf;
static bc_http_stats st;
static bc_http P;

static void wake(void *owner) { wakes++; bc_http_process(&P); }

static void open_conn(int max_inflight, size_t max_body)
{
    memset(&st, 0, sizeof st);
    conf = (bc_http_conf){ .max_body = max_body, .max_inflight = max_inflight, .route = route };
    nheld = aborted = wakes = dispatched = 0;
    bc_http_init(&P, &conf, &st, wake, NULL, "127.0.0.1:1", 1);
}

static void feed_n(const char *s, size_t n)
{
    size_t room;
    while (n) {
        char *at = bc_http_input(&P, n, &room);
        size_t k = n < room ? n : room;
        memcpy(at, s, k);
        bc_http_received(&P, k);
        s += k;
        n -= k;
    }
    bc_http_process(&P);
}
static void feed(const char *s) { feed_n(s, strlen(s)); }
static void feed_eof(void) { bc_http_received(&P, 0); bc_http_process(&P); }

/* Output so far, drained. */
static char outbuf[1 << 21];
static size_t take_out(void)
{
    struct evbuffer *o = bc_http_output(&P);
    size_t n = evbuffer_get_length(o);
    if (n >= sizeof outbuf)
        n = sizeof outbuf - 1;
    evbuffer_remove(o, outbuf, n);
    outbuf[n] = 0;
    return n;
}

typedef struct resp { int status; int close; unsigned long long id; char body[256]; } resp;

/* Splits outbuf into responses (interim 100 counted as status 100). */
static int parse_out(resp *rs, int max)
{
    int n = 0;
    const char *p = outbuf;
    while (*p && n < max) {
        resp *r = &rs[n++];
        memset(r, 0, sizeof *r);
        if (sscanf(p, "HTTP/1.1 %d", &r->status) != 1)
            return -1;
        const char *end = strstr(p, "\r\n\r\n");
        if (!end)
            return -1;
        const char *cl = strstr(p, "Content-Length: "), *id = strstr(p, "X-Request-Id: ");
        size_t len = cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0;
        r->id = id && id < end ? strtoull(id + 14, NULL, 10) : 0;
        const char *c = strstr(p, "Connection: close");
        r->close = c && c < end;
        snprintf(r->body, sizeof r->body, "%.*s", (int)len, end + 4);
        p = end + 4 + len;
    }
    return n;
}

#define GET(path) "GET " path " HTTP/1.1\r\nHost: x\r\n\r\n"

/* ---- tests ----------------------------------------------------------- */

static void test_partial_input_bytewise(void)
{
    static const char req[] = "POST /now HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    resp rs[4];
    open_conn(8, 100);
    for (size_t i = 0; i + 1 < sizeof req - 1; i++) {
        feed_n(req + i, 1);
        T_EQ_INT(take_out(), 0);             /* nothing until the last byte */
    }
    feed_n(req + sizeof req - 2, 1);
    take_out();
    T_EQ_INT(parse_out(rs, 4), 1);
    T_EQ_INT(rs[0].status, 200);
    T_EQ_STR(rs[0].body, "POST hello");
    T_ASSERT(rs[0].id > 0 && !rs[0].close);
    T_EQ_INT(st.requests, 1);
    T_ASSERT(!bc_http_finished(&P));
    bc_http_free(&P);
}

static void test_pipelined_answers_in_order(void)
{
    resp rs[8];
    open_conn(8, 100);
    feed(GET("/later1") GET("/later2") GET("/now") GET("/later3"));
    T_EQ_INT(dispatched, 4);                 /* all four run at once */
    T_EQ_INT(nheld, 3);
    T_EQ_INT(take_out(), 0);                 /* /now's answer waits for /later1 */
    unsigned long long first = held[0]->id;
    answer_held(2);                          /* later3 */
    answer_held(1);                          /* later2 */
    T_EQ_INT(take_out(), 0);
    answer_held(0);                          /* later1: everything goes out */
    take_out();
    T_EQ_INT(parse_out(rs, 8), 4);
    for (int i = 0; i < 4; i++) {
        T_EQ_INT(rs[i].status, 200);
        T_EQ_U64(rs[i].id, first + (unsigned long long)i);   /* in request order */
    }
    T_EQ_STR(rs[2].body, "GET ");
    T_EQ_INT(st.st2xx, 4);
    bc_http_free(&P);
}

static void test_inflight_limit(void)
{
    resp rs[4];
    open_conn(2, 100);
    feed(GET("/later1") GET("/later2") GET("/later3"));
    T_EQ_INT(dispatched, 2);                 /* the third waits for room */
    answer_held(0);
    T_EQ_INT(dispatched, 3);                 /* started by the answer (wake) */
    T_ASSERT(wakes >= 1);
    answer_held(0);
    answer_held(0);
    take_out();
    T_EQ_INT(parse_out(rs, 4), 3);
    T_ASSERT(rs[0].id < rs[1].id && rs[1].id < rs[2].id);
    bc_http_free(&P);
}

/* Answers parked behind a slow request count against the limit too: a
 * flood of quick requests behind one slow one is not read without bound. */
static void test_parked_answers_count(void)
{
    resp rs[8];
    open_conn(3, 100);
    feed(GET("/later1") GET("/now") GET("/now") GET("/now") GET("/now"));
    T_EQ_INT(dispatched, 3);                 /* later1 + two parked answers */
    T_EQ_INT(take_out(), 0);
    answer_held(0);
    T_EQ_INT(dispatched, 5);
    take_out();
    T_EQ_INT(parse_out(rs, 8), 5);
    bc_http_free(&P);
}

static void test_one_in_flight(void)
{
    open_conn(1, 100);
    feed(GET("/later1") GET("/now"));
    T_EQ_INT(dispatched, 1);
    answer_held(0);
    T_EQ_INT(dispatched, 2);
    resp rs[4];
    take_out();
    T_EQ_INT(parse_out(rs, 4), 2);
    bc_http_free(&P);
}

static void test_serial_handler_waits(void)
{
    open_conn(8, 100);
    feed(GET("/later1") GET("/serial") GET("/later2"));
    T_EQ_INT(dispatched, 1);                 /* /serial waits for /later1 */
    answer_held(0);
    T_EQ_INT(dispatched, 2);                 /* /serial runs alone ... */
    T_EQ_INT(nheld, 1);
    answer_held(0);
    T_EQ_INT(dispatched, 3);                 /* ... then /later2 */
    answer_held(0);
    resp rs[4];
    take_out();
    T_EQ_INT(parse_out(rs, 4), 3);
    bc_http_free(&P);
}

static void test_chunked_split_and_pipelined(void)
{
    static const char req[] = "POST /now HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nTrailer: x\r\n\r\n"
                              GET("/now");
    resp rs[4];
    for (size_t cut = 1; cut < sizeof req - 1; cut += 7) {
        open_conn(8, 100);
        feed_n(req, cut);
        feed_n(req + cut, sizeof req - 1 - cut);
        take_out();
        T_EQ_INT(parse_out(rs, 4), 2);
        T_EQ_STR(rs[0].body, "POST abcdefg");
        T_EQ_STR(rs[1].body, "GET ");
        bc_http_free(&P);
    }
}

static void test_body_limits(void)
{
    resp rs[4];
    char big[400];
    /* over max_body but under the drain limit: 413, the connection goes on */
    open_conn(8, 100);
    memset(big, 'x', 200);
    big[200] = 0;
    feed("POST /now HTTP/1.1\r\nContent-Length: 200\r\n\r\n");
    feed(big);
    feed(GET("/now"));
    take_out();
    T_EQ_INT(parse_out(rs, 4), 2);
    T_EQ_INT(rs[0].status, 413);
    T_ASSERT(strstr(rs[0].body, "body_too_large") && !rs[0].close);
    T_EQ_INT(rs[1].status, 200);
    T_EQ_INT(dispatched, 1);
    bc_http_free(&P);
    /* exactly max_body is fine */
    open_conn(8, 5);
    feed("POST /now HTTP/1.1\r\nContent-Length: 5\r\n\r\n12345");
    take_out();
    T_EQ_INT(parse_out(rs, 4), 1);
    T_EQ_INT(rs[0].status, 200);
    bc_http_free(&P);
    /* over the drain limit: 413 and close */
    open_conn(8, 100);
    feed("POST /now HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n" GET("/now"));
    take_out();
    T_EQ_INT(parse_out(rs, 4), 1);
    T_ASSERT(rs[0].status == 413 && rs[0].close);
    T_ASSERT(bc_http_finished(&P));
    bc_http_free(&P);
    /* a chunked body over the limit: 413 and close */
    open_conn(8, 4);
    feed("POST /now HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n");
    take_out();
    T_EQ_INT(parse_out(rs, 4), 1);
    T_ASSERT(rs[0].status == 413 && rs[0].close && bc_http_finished(&P));
    T_EQ_INT(dispatched, 0);
    bc_http_free(&P);
}

static void test_head_limit(void)
{
    static char head[BC_HTTP_HEAD_MAX + 100];
    resp rs[2];
    open_conn(8, 100);
    strcpy(head, "GET /now HTTP/1.1\r\nX-Big: ");
    size_t n = strlen(head);
    memset(head + n, 'a', BC_HTTP_HEAD_MAX);
    head[n + BC_HTTP_HEAD_MAX] = 0;
    feed(head);
    take_out();
    T_EQ_INT(parse_out(rs, 2), 1);
    T_ASSERT(rs[0].status == 431 && rs[0].close && bc_http_finished(&P));
    bc_http_free(&P);
}

static void test_bad_requests_close(void)
{
    static const char *const bad[] = {
        "GARBAGE\r\n\r\n",
        "GET /now HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n",
        "POST /now HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc",
        "POST /now HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST /now HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    };
    resp rs[4];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        open_conn(8, 100);
        feed(GET("/now"));                   /* a good one first: answered */
        feed(bad[i]);
        feed(GET("/now"));                   /* never read */
        take_out();
        int nr = parse_out(rs, 4);
        if (nr != 2)
            T_FAIL_("case %zu: %d responses: %s", i, nr, outbuf);
        T_EQ_INT(nr, 2);
        T_EQ_INT(rs[0].status, 200);
        if (rs[1].status != 400 || !rs[1].close || !strstr(rs[1].body, "bad_request")) {
            T_FAIL_("case %zu: %d %s", i, rs[1].status, rs[1].body);
            return;
        }
        T_ASSERT(bc_http_finished(&P));
        T_EQ_INT(dispatched, 1);
        bc_http_free(&P);
    }
}

static void test_fatal_waits_for_earlier_answer(void)
{
    resp rs[4];
    open_conn(8, 100);
    feed(GET("/later1") "GARBAGE\r\n\r\n");
    T_EQ_INT(take_out(), 0);                 /* the 400 waits for /later1's answer */
    T_ASSERT(!bc_http_finished(&P));
    answer_held(0);
    take_out();
    T_EQ_INT(parse_out(rs, 4), 2);
    T_ASSERT(rs[0].status == 200 && rs[1].status == 400);
    T_ASSERT(bc_http_finished(&P));
    bc_http_free(&P);
}

static void test_connection_close_and_http10(void)
{
    resp rs[4];
    open_conn(8, 100);
    feed("GET /now HTTP/1.1\r\nConnection: close\r\n\r\n" GET("/now"));
    take_out();
    T_EQ_INT(parse_out(rs, 4), 1);
    T_ASSERT(rs[0].status == 200 && rs[0].close && bc_http_finished(&P));
    bc_http_free(&P);
    open_conn(8, 100);
    feed("GET /now HTTP/1.0\r\n\r\n");
    take_out();
    T_EQ_INT(parse_out(rs, 4), 1);
    T_ASSERT(rs[0].close && bc_http_finished(&P));
    bc_http_free(&P);
    open_conn(8, 100);
    feed("GET /now HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    take_out();
    T_EQ_INT(parse_out(rs, 4), 1);
    T_ASSERT(!rs[0].close && !bc_http_finished(&P));
    bc_http_free(&P);
}

static void test_expect_continue(void)
{
    resp rs[4];
    open_conn(8, 100);
    feed("POST /now HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
    take_out();
    T_EQ_INT(parse_out(rs, 4), 1);
    T_EQ_INT(rs[0].status, 100);
    feed("ok");
    take_out();
    T_EQ_INT(parse_out(rs, 4), 1);
    T_EQ_STR(rs[0].body, "POST ok");
    bc_http_free(&P);
    /* behind an unanswered request, the 100 comes after that answer */
    open_conn(8, 100);
    feed(GET("/later1") "POST /now HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
    T_EQ_INT(take_out(), 0);
    answer_held(0);
    take_out();
    T_EQ_INT(parse_out(rs, 4), 2);
    T_ASSERT(rs[0].status == 200 && rs[1].status == 100);
    feed("ok");
    take_out();
    T_EQ_INT(parse_out(rs, 4), 1);
    T_EQ_STR(rs[0].body, "POST ok");
    bc_http_free(&P);
}

static void test_eof(void)
{
    resp rs[4];
    /* a partial request at EOF is dropped */
    open_conn(8, 100);
    feed("POST /now HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
    feed_eof();
    T_EQ_INT(take_out(), 0);
    T_ASSERT(bc_http_finished(&P) && !bc_http_wants_input(&P));
    bc_http_free(&P);
    /* requests in flight at EOF are still answered, then the end */
    open_conn(1, 100);
    feed(GET("/later1") GET("/now"));
    feed_eof();
    T_ASSERT(!bc_http_finished(&P));
    answer_held(0);
    take_out();
    T_EQ_INT(parse_out(rs, 4), 2);
    T_ASSERT(bc_http_finished(&P));
    bc_http_free(&P);
}

static void test_abort_on_free(void)
{
    open_conn(8, 100);
    feed(GET("/later1") GET("/later2") GET("/now"));
    answer_held(1);
    T_EQ_INT(nheld, 1);
    T_EQ_INT(wakes, 1);                      /* an answer from outside bc_http wakes the owner */
    bc_http_free(&P);                        /* later1 unanswered: aborted */
    T_EQ_INT(aborted, 1);
    T_EQ_INT(wakes, 1);                      /* ... but freeing does not */
}

static void test_output_limit_pauses(void)
{
    /* answers above BC_HTTP_OUT_MAX stop further requests until drained */
    static char body[60000];
    open_conn(64, sizeof body);
    char head[80];
    int hn = snprintf(head, sizeof head, "POST /now HTTP/1.1\r\nContent-Length: %zu\r\n\r\n",
                      sizeof body);
    memset(body, 'b', sizeof body);
    for (int i = 0; i < 40; i++) {
        feed_n(head, (size_t)hn);
        feed_n(body, sizeof body);
    }
    T_ASSERT(dispatched < 40);
    int before = dispatched;
    take_out();
    bc_http_process(&P);
    T_ASSERT(dispatched > before);
    bc_http_free(&P);
}

int main(void)
{
    T_RUN(test_partial_input_bytewise);
    T_RUN(test_pipelined_answers_in_order);
    T_RUN(test_inflight_limit);
    T_RUN(test_parked_answers_count);
    T_RUN(test_one_in_flight);
    T_RUN(test_serial_handler_waits);
    T_RUN(test_chunked_split_and_pipelined);
    T_RUN(test_body_limits);
    T_RUN(test_head_limit);
    T_RUN(test_bad_requests_close);
    T_RUN(test_fatal_waits_for_earlier_answer);
    T_RUN(test_connection_close_and_http10);
    T_RUN(test_expect_continue);
    T_RUN(test_eof);
    T_RUN(test_abort_on_free);
    T_RUN(test_output_limit_pauses);
    return T_DONE();
}

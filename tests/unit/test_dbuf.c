/* test_dbuf.c — dbuf growth and formatting, varint encoding against
 * protobuf-c's own encoder, rbuf sharing by reference through evbuffers,
 * and the log level parser. */
#include "t.h"
#include "dbuf.h"
#include "rbuf.h"
#include "log.h"
#include <event2/buffer.h>
#include "danmaku.pb-c.h"
#include <stdint.h>

static void test_dbuf_basic(void)
{
    dbuf b;
    dbuf_init(&b);
    T_ASSERT(b.data == NULL && b.len == 0);
    dbuf_puts(&b, "hello");
    dbuf_putc(&b, ' ');
    dbuf_append(&b, "world!!", 5);
    T_EQ_INT(b.len, 11);
    T_EQ_STR(b.data, "hello world");
    dbuf_reset(&b);
    T_EQ_INT(b.len, 0);
    T_EQ_STR(b.data, "");
    T_ASSERT(b.cap > 0);
    dbuf_append(&b, "", 0);
    T_EQ_STR(b.data, "");
    dbuf_free(&b);
    T_ASSERT(b.data == NULL && b.len == 0 && b.cap == 0);
}

static void test_dbuf_grow(void)
{
    dbuf b;
    dbuf_init(&b);
    for (int i = 0; i < 100000; i++)
        dbuf_putc(&b, (char)('a' + i % 26));
    T_EQ_INT(b.len, 100000);
    T_ASSERT(b.cap > b.len);
    T_EQ_INT(b.data[b.len], 0);
    for (int i = 0; i < 100000; i++)
        if (b.data[i] != (char)('a' + i % 26)) T_ASSERT(0);
    dbuf_reserve(&b, 1 << 20);
    T_ASSERT(b.cap >= b.len + (1 << 20) + 1);
    dbuf_free(&b);
}

static void test_dbuf_printf(void)
{
    dbuf b;
    dbuf_init(&b);
    dbuf_printf(&b, "%d-%s", 42, "x");
    T_EQ_STR(b.data, "42-x");
    char big[1000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = 0;
    dbuf_printf(&b, "[%s]", big);          /* longer than the stack buffer */
    T_EQ_INT(b.len, 4 + 2 + 999);
    T_EQ_INT(b.data[5], 'z');
    T_EQ_INT(b.data[b.len - 1], ']');
    T_EQ_INT(strlen(b.data), b.len);
    dbuf_free(&b);
}

static void test_dbuf_numbers(void)
{
    dbuf b;
    dbuf_init(&b);
    dbuf_put_u64(&b, 0); dbuf_putc(&b, ' ');
    dbuf_put_u64(&b, UINT64_MAX); dbuf_putc(&b, ' ');
    dbuf_put_i64(&b, -1); dbuf_putc(&b, ' ');
    dbuf_put_i64(&b, INT64_MIN); dbuf_putc(&b, ' ');
    dbuf_put_i64(&b, INT64_MAX); dbuf_putc(&b, ' ');
    dbuf_put_i64(&b, 1700000000000LL);
    T_EQ_STR(b.data, "0 18446744073709551615 -1 -9223372036854775808 "
                     "9223372036854775807 1700000000000");
    dbuf_free(&b);
}

/* Our varint must equal protobuf-c's encoding of Event.seq (field 1, tag 0x08). */
static void test_varint(void)
{
    uint64_t vals[] = { 0, 1, 127, 128, 255, 300, 16383, 16384, 1ULL << 21,
                        (1ULL << 28) - 1, 1ULL << 35, 1ULL << 56, (1ULL << 63) - 1,
                        1ULL << 63, UINT64_MAX };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        dbuf b;
        dbuf_init(&b);
        dbuf_putc(&b, 0x08);
        dbuf_put_varint(&b, vals[i]);
        T_EQ_INT(b.len, 1 + varint_len(vals[i]));
        Danmaku__Event ev = DANMAKU__EVENT__INIT;
        ev.has_seq = 1;
        ev.seq = vals[i];
        uint8_t ref[16];
        size_t n = danmaku__event__pack(&ev, ref);
        T_EQ_INT(n, b.len);
        T_EQ_MEM(b.data, ref, n);
        dbuf_free(&b);
    }
    T_EQ_INT(varint_len(0), 1);
    T_EQ_INT(varint_len(127), 1);
    T_EQ_INT(varint_len(128), 2);
    T_EQ_INT(varint_len(UINT64_MAX), 10);
}

static void test_steal(void)
{
    dbuf b;
    dbuf_init(&b);
    size_t len = 99;
    char *p = dbuf_steal(&b, &len);      /* empty: still a valid "" */
    T_ASSERT(p != NULL);
    T_EQ_INT(len, 0);
    T_EQ_STR(p, "");
    free(p);
    dbuf_puts(&b, "abc");
    p = dbuf_steal(&b, &len);
    T_EQ_INT(len, 3);
    T_EQ_STR(p, "abc");
    T_ASSERT(b.data == NULL && b.len == 0 && b.cap == 0);
    free(p);
}

static void test_xalloc(void)
{
    char *s = xstrdup("hello");
    T_EQ_STR(s, "hello");
    free(s);
    s = xstrndup("hello", 3);
    T_EQ_STR(s, "hel");
    free(s);
    s = xstrndup("hi", 10);
    T_EQ_STR(s, "hi");
    free(s);
    int *z = xcalloc(10, sizeof(int));
    for (int i = 0; i < 10; i++) T_EQ_INT(z[i], 0);
    z = xrealloc(z, 1000 * sizeof(int));
    z[999] = 1;
    free(z);
    free(xmalloc(0));
}

/* One block shared by reference into several evbuffers: no copy, freed
 * only when the last buffer drains it. */
static void test_rbuf_shared(void)
{
    rbuf *r = rbuf_from("0123456789", 10);
    T_EQ_INT(r->refs, 1);
    struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
    T_EQ_INT(rbuf_add_to_evbuffer(r, a), 0);
    T_EQ_INT(rbuf_add_to_evbuffer(r, b), 0);
    T_EQ_INT(r->refs, 3);
    /* by reference: evbuffer points at our bytes */
    T_ASSERT(evbuffer_pullup(a, -1) == r->data);
    evbuffer_drain(a, 4);                 /* partial drain keeps the ref */
    T_EQ_INT(r->refs, 3);
    evbuffer_drain(a, 6);
    T_EQ_INT(r->refs, 2);
    rbuf_unref(r);                        /* producer drops its reference */
    T_EQ_INT(r->refs, 1);
    char out[10];
    T_EQ_INT(evbuffer_remove(b, out, 10), 10);
    T_EQ_MEM(out, "0123456789", 10);      /* r freed here (ASan checks) */
    evbuffer_free(a);
    evbuffer_free(b);
}

static void test_rbuf_free_with_buffer(void)
{
    rbuf *r = rbuf_new(5);
    memcpy(r->data, "hello", 5);
    struct evbuffer *a = evbuffer_new();
    T_EQ_INT(rbuf_add_to_evbuffer(r, a), 0);
    rbuf_unref(r);
    evbuffer_free(a);                     /* frees the block: LSan would see a leak */
    rbuf *e = rbuf_new(0);
    struct evbuffer *c = evbuffer_new();
    T_EQ_INT(rbuf_add_to_evbuffer(e, c), 0);
    T_EQ_INT(evbuffer_get_length(c), 0);
    rbuf_unref(e);
    evbuffer_free(c);
}

static void test_log_level(void)
{
    T_EQ_INT(log_level_parse("debug"), LOG_DEBUG);
    T_EQ_INT(log_level_parse("INFO"), LOG_INFO);
    T_EQ_INT(log_level_parse("warn"), LOG_WARN);
    T_EQ_INT(log_level_parse("error"), LOG_ERROR);
    T_EQ_INT(log_level_parse("loud"), -1);
    T_EQ_INT(log_level_parse(NULL), -1);
    log_init("./bin/test", LOG_WARN);
    T_EQ_INT(log_level, LOG_WARN);
    LOGI("test", "not printed %d", 1);
    LOGW("test", "a warning line from test_log_level %s", "ok");
}

int main(void)
{
    T_RUN(test_dbuf_basic);
    T_RUN(test_dbuf_grow);
    T_RUN(test_dbuf_printf);
    T_RUN(test_dbuf_numbers);
    T_RUN(test_varint);
    T_RUN(test_steal);
    T_RUN(test_xalloc);
    T_RUN(test_rbuf_shared);
    T_RUN(test_rbuf_free_with_buffer);
    T_RUN(test_log_level);
    return T_DONE();
}

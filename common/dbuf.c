/* dbuf.c — growable byte buffer, abort-on-OOM allocation wrappers and the
 * protobuf varint helpers. */
#include <errno.h>
#include "dbuf.h"
#include "err.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void oom(size_t n)
{
    char msg[80];
    int len = snprintf(msg, sizeof msg, "out of memory allocating %zu bytes\n", n);
    ssize_t w = write(2, msg, len > 0 ? (size_t)len : 0);
    (void)w;
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p) oom(n * m);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void dbuf_init(dbuf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void dbuf_free(dbuf *b)
{
    free(b->data);
    dbuf_init(b);
}

void dbuf_reset(dbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void dbuf_reserve(dbuf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        oom(SIZE_MAX);
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    b->data[b->len] = '\0';
}

void dbuf_append(dbuf *b, const void *p, size_t n)
{
    dbuf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void dbuf_putc(dbuf *b, char c)
{
    dbuf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void dbuf_puts(dbuf *b, const char *s)
{
    dbuf_append(b, s, strlen(s));
}

void dbuf_printf(dbuf *b, const char *fmt, ...)
{
    va_list ap;
    char tmp[256];
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        dbuf_append(b, tmp, n);
        return;
    }
    dbuf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += n;
}

void dbuf_put_u64(dbuf *b, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    dbuf_append(b, tmp + i, sizeof tmp - i);
}

void dbuf_put_i64(dbuf *b, int64_t v)
{
    if (v < 0) {
        dbuf_putc(b, '-');
        dbuf_put_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        dbuf_put_u64(b, (uint64_t)v);
    }
}

void dbuf_put_varint(dbuf *b, uint64_t v)
{
    dbuf_reserve(b, 10);
    uint8_t *p = (uint8_t *)b->data + b->len;
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    b->len += n;
    b->data[b->len] = '\0';
}

size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

char *dbuf_steal(dbuf *b, size_t *len)
{
    if (!b->data)
        dbuf_reserve(b, 0);
    char *p = b->data;
    if (len)
        *len = b->len;
    dbuf_init(b);
    return p;
}

int dbuf_append_file(dbuf *b, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return DM_INVALID;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        dbuf_append(b, tmp, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        errno = EIO;
        return DM_INVALID;
    }
    return DM_OK;
}

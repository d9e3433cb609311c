/* bench_peerwire.c — RESP and HTTP response framing for the peer targets
 * (see bench_peerwire.h). */
#define _GNU_SOURCE
#include "bench_peerwire.h"
#include <string.h>
#include <strings.h>

static void put_bulk(dbuf *out, const void *p, size_t n)
{
    dbuf_printf(out, "$%zu\r\n", n);
    dbuf_append(out, p, n);
    dbuf_puts(out, "\r\n");
}

void pw_resp_subscribe(dbuf *out, const char *chan)
{
    dbuf_puts(out, "*2\r\n");
    put_bulk(out, "SUBSCRIBE", 9);
    put_bulk(out, chan, strlen(chan));
}

void pw_resp_publish(dbuf *out, const char *chan, const uint8_t *msg, size_t mlen)
{
    dbuf_puts(out, "*3\r\n");
    put_bulk(out, "PUBLISH", 7);
    put_bulk(out, chan, strlen(chan));
    put_bulk(out, msg, mlen);
}

/* One "<type><text>\r\n" line: *text, *len: its text. Returns the line's
 * length, -2 incomplete, -1 if a line does not end in CRLF or has none
 * within 4 KiB. */
static ssize_t line(const uint8_t *p, size_t n, const uint8_t **text, size_t *len)
{
    size_t i = 0;
    while (i < n && i <= 4096 && p[i] != '\r' && p[i] != '\n') i++;
    if (i > 4096 || (i < n && p[i] == '\n')) return -1;   /* a line ends in CRLF */
    if (i + 1 >= n) return -2;
    const uint8_t *cr = p + i;
    if (cr[1] != '\n') return -1;
    *text = p + 1;
    *len = (size_t)(cr - p) - 1;
    return (cr - p) + 2;
}

/* A decimal (optional '-') of the whole text: 0 / -1. */
static int num(const uint8_t *t, size_t len, int64_t *v)
{
    size_t i = 0; int neg = 0; int64_t x = 0;
    if (len && t[0] == '-') { neg = 1; i = 1; }
    if (i == len || len - i > 18) return -1;
    for (; i < len; i++) {
        if (t[i] < '0' || t[i] > '9') return -1;
        x = x * 10 + (t[i] - '0');
    }
    *v = neg ? -x : x;
    return 0;
}

/* One scalar element (bulk string, integer, simple string): *s, *slen: its
 * text, *ival for integers, *type its RESP type byte. Returns bytes, -2, -1
 * (arrays, errors, nil). */
static ssize_t elem(const uint8_t *p, size_t n, size_t max_bulk, const uint8_t **s, size_t *slen,
                    int64_t *ival, uint8_t *type)
{
    const uint8_t *t; size_t tl;
    if (!n) return -2;
    *type = p[0];
    ssize_t h = line(p, n, &t, &tl);
    if (h < 0) return h;
    *ival = 0;
    if (p[0] == ':' || p[0] == '+') {
        *s = t; *slen = tl;
        return p[0] == '+' || num(t, tl, ival) == 0 ? h : -1;
    }
    int64_t bl;
    if (p[0] != '$' || num(t, tl, &bl) < 0 || bl < 0 || (uint64_t)bl > max_bulk) return -1;
    if (n < (size_t)h + (size_t)bl + 2) return -2;
    if (p[h + bl] != '\r' || p[h + bl + 1] != '\n') return -1;
    *s = p + h; *slen = (size_t)bl;
    return h + (ssize_t)bl + 2;
}

static int is(const uint8_t *s, size_t n, const char *lit)
{
    return n == strlen(lit) && !strncasecmp((const char *)s, lit, n);
}

ssize_t pw_resp_push(const uint8_t *p, size_t n, size_t max_bulk, pw_push *out)
{
    const uint8_t *t; size_t tl; int64_t cnt;
    memset(out, 0, sizeof *out);
    if (!n) return -2;
    if (p[0] != '*') return -1;
    ssize_t off = line(p, n, &t, &tl);
    if (off < 0) return off;
    if (num(t, tl, &cnt) < 0 || cnt < 1 || cnt > 16) return -1;
    const uint8_t *s[16]; size_t sl[16]; int64_t iv[16]; uint8_t ty[16];
    for (int64_t i = 0; i < cnt; i++) {
        ssize_t r = elem(p + off, n - (size_t)off, max_bulk, &s[i], &sl[i], &iv[i], &ty[i]);
        if (r < 0) return r;
        off += r;
    }
    out->kind = PW_PUSH_OTHER;
    if (cnt == 3 && is(s[0], sl[0], "message")) {
        out->kind = PW_MESSAGE;
        out->chan = s[1]; out->chan_len = sl[1];
        out->data = s[2]; out->data_len = sl[2];
    } else if (cnt == 3 && is(s[0], sl[0], "subscribe") && ty[2] == ':') {
        out->kind = PW_SUBSCRIBE;
        out->chan = s[1]; out->chan_len = sl[1];
        out->count = iv[2];
    }
    return off;
}

ssize_t pw_resp_reply(const uint8_t *p, size_t n, int *kind, int64_t *val,
                      const uint8_t **err, size_t *err_len)
{
    const uint8_t *t; size_t tl;
    *kind = 0; *val = 0; *err = NULL; *err_len = 0;
    if (!n) return -2;
    if (p[0] == '-') {
        ssize_t h = line(p, n, &t, &tl);
        if (h < 0) return h;
        *kind = PW_ERR; *err = t; *err_len = tl;
        return h;
    }
    if (p[0] == '*') {
        pw_push push;
        ssize_t r = pw_resp_push(p, n, 1u << 20, &push);
        if (r >= 0) *kind = PW_REPLY_OTHER;
        return r;
    }
    uint8_t ty;
    ssize_t r = elem(p, n, 1u << 20, &t, &tl, val, &ty);
    if (r >= 0) *kind = p[0] == ':' ? PW_INT : PW_REPLY_OTHER;
    return r;
}

/* The value of header `name` in head[0..hl), or NULL. */
static const char *header(const char *head, size_t hl, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    for (const char *l = memmem(head, hl, "\r\n", 2); l && l + 2 < head + hl; l = memmem(l + 2, (size_t)(head + hl - l - 2), "\r\n", 2)) {
        const char *k = l + 2, *end = memmem(k, (size_t)(head + hl - k), "\r\n", 2);
        if (!end) return NULL;
        if ((size_t)(end - k) > nl && k[nl] == ':' && !strncasecmp(k, name, nl)) {
            const char *v = k + nl + 1;
            while (v < end && (*v == ' ' || *v == '\t')) v++;
            *vlen = (size_t)(end - v);
            return v;
        }
    }
    return NULL;
}

ssize_t pw_http_response(const uint8_t *p, size_t n, int *status,
                         const uint8_t **body, size_t *body_len)
{
    if (n < 4) return -2;
    const char *h = (const char *)p, *end = memmem(h, n, "\r\n\r\n", 4);
    if (!end) return n > 65536 ? -1 : -2;
    size_t hl = (size_t)(end - h) + 4;
    if (hl < 16 || strncmp(h, "HTTP/1.", 7) || h[8] != ' ' || (h[12] != ' ' && h[12] != '\r')) return -1;
    int st = 0;
    for (int i = 9; i < 12; i++) {
        if (h[i] < '0' || h[i] > '9') return -1;
        st = st * 10 + (h[i] - '0');
    }
    size_t vl = 0;
    const char *te = header(h, hl - 2, "Transfer-Encoding", &vl);
    if (te) return -1;
    const char *cl = header(h, hl - 2, "Content-Length", &vl);
    int64_t clen = 0;
    if (cl && (num((const uint8_t *)cl, vl, &clen) < 0 || clen < 0 || clen > (1 << 20))) return -1;
    if (n < hl + (size_t)clen) return -2;
    *status = st;
    *body = p + hl; *body_len = (size_t)clen;
    return (ssize_t)(hl + (size_t)clen);
}

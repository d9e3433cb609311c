/* http.c — HTTP/1.1 request-head parser (no allocation, results point into
 * the caller's buffer), header/query helpers, body framing, an in-place
 * chunked decoder, and response writers with JSON error bodies. */
#include "http.h"
#include "err.h"
#include "dbuf.h"
#include "jsonw.h"
#include <event2/buffer.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

/* ---- request head parser ---- */

typedef struct cur { const char *p, *end; } cur;

/* RFC 9110 tchar */
static const char tchar_map[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1,
    ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

/* Reads 1*tchar; stops at the first other byte (which must exist). */
static int read_token(cur *c, const char **s, size_t *n)
{
    const char *start = c->p;
    while (c->p < c->end && tchar_map[(unsigned char)*c->p])
        c->p++;
    if (c->p == c->end)
        return DM_PARTIAL;
    if (c->p == start)
        return DM_INVALID;
    *s = start;
    *n = (size_t)(c->p - start);
    return 0;
}

static int expect_char(cur *c, char ch)
{
    if (c->p == c->end)
        return DM_PARTIAL;
    if (*c->p != ch)
        return DM_INVALID;
    c->p++;
    return 0;
}

/* CRLF or a bare LF. */
static int read_eol(cur *c)
{
    if (c->p == c->end)
        return DM_PARTIAL;
    if (*c->p == '\n') {
        c->p++;
        return 0;
    }
    if (*c->p != '\r')
        return DM_INVALID;
    if (c->p + 1 == c->end)
        return DM_PARTIAL;
    if (c->p[1] != '\n')
        return DM_INVALID;
    c->p += 2;
    return 0;
}

/* request-target: visible ASCII up to the next space. */
static int read_target(cur *c, http_request *req)
{
    const char *start = c->p;
    const char *q = NULL;
    for (; c->p < c->end && *c->p != ' '; c->p++) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch <= 0x20 || ch >= 0x7f)
            return DM_INVALID;
        if (ch == '?' && !q)
            q = c->p;
    }
    if (c->p == c->end)
        return DM_PARTIAL;
    if (c->p == start)
        return DM_INVALID;
    req->path = start;
    req->path_len = (size_t)((q ? q : c->p) - start);
    req->query = q ? q + 1 : c->p;
    req->query_len = q ? (size_t)(c->p - q - 1) : 0;
    return 0;
}

/* "HTTP/1.x" */
static int read_version(cur *c, http_request *req)
{
    static const char pfx[] = "HTTP/1.";
    for (size_t i = 0; i < sizeof pfx - 1; i++) {
        int rc = expect_char(c, pfx[i]);
        if (rc)
            return rc;
    }
    if (c->p == c->end)
        return DM_PARTIAL;
    if (*c->p < '0' || *c->p > '9')
        return DM_INVALID;
    req->minor_version = *c->p++ - '0';
    return 0;
}

#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

static int read_request_line(cur *c, http_request *req)
{
    TRY(read_token(c, &req->method, &req->method_len));
    TRY(expect_char(c, ' '));
    TRY(read_target(c, req));
    TRY(expect_char(c, ' '));
    TRY(read_version(c, req));
    return read_eol(c);
}

/* field-value: HTAB, SP, VCHAR, obs-text; trimmed of OWS. */
static int read_value(cur *c, http_header *h)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
    const char *start = c->p;
    for (; c->p < c->end && *c->p != '\r' && *c->p != '\n'; c->p++) {
        unsigned char ch = (unsigned char)*c->p;
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return DM_INVALID;
    }
    if (c->p == c->end)
        return DM_PARTIAL;
    const char *e = c->p;
    while (e > start && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    h->value = start;
    h->value_len = (size_t)(e - start);
    return 0;
}

static int read_header(cur *c, http_header *h)
{
    TRY(read_token(c, &h->name, &h->name_len));
    TRY(expect_char(c, ':'));
    TRY(read_value(c, h));
    return read_eol(c);
}

int http_parse_request(const char *buf, size_t len, http_request *req)
{
    cur c = { buf, buf + (len > INT_MAX ? INT_MAX : len) };
    /* tolerate empty lines before the request line (RFC 9112 2.2) */
    for (int i = 0; i < 4 && c.p < c.end && (*c.p == '\r' || *c.p == '\n'); i++)
        TRY(read_eol(&c));
    req->num_headers = 0;
    TRY(read_request_line(&c, req));
    for (;;) {
        if (c.p == c.end)
            return DM_PARTIAL;
        if (*c.p == '\r' || *c.p == '\n') {
            TRY(read_eol(&c));
            return (int)(c.p - buf);
        }
        if (req->num_headers == HTTP_MAX_HEADERS)
            return DM_INVALID;
        if (*c.p == ' ' || *c.p == '\t')
            return DM_INVALID;                       /* obsolete line folding */
        TRY(read_header(&c, &req->headers[req->num_headers]));
        req->num_headers++;
    }
}

/* ---- header helpers ---- */

static int name_is(const http_header *h, const char *name, size_t n)
{
    return h->name_len == n && !strncasecmp(h->name, name, n);
}

const http_header *http_find_header(const http_request *req, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->num_headers; i++)
        if (name_is(&req->headers[i], name, n))
            return &req->headers[i];
    return NULL;
}

static int list_has_token(const char *v, size_t vlen, const char *tok, size_t tlen)
{
    const char *p = v, *end = v + vlen;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        const char *s = p;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        const char *t = e;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - s) == tlen && !strncasecmp(s, tok, tlen))
            return 1;
        p = comma ? comma + 1 : end;
    }
    return 0;
}

int http_header_has_token(const http_request *req, const char *name, const char *token)
{
    size_t n = strlen(name), tl = strlen(token);
    for (size_t i = 0; i < req->num_headers; i++) {
        const http_header *h = &req->headers[i];
        if (name_is(h, name, n) && list_has_token(h->value, h->value_len, token, tl))
            return 1;
    }
    return 0;
}

/* ---- query parameters ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes v[0..n) into out; -2 if it does not fit or is bad. */
static ssize_t pct_decode(const char *v, size_t n, char *out, size_t out_size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = v[i];
        if (ch == '+') {
            ch = ' ';
        } else if (ch == '%') {
            if (n - i < 3)
                return -2;
            int hi = hexval(v[i + 1]), lo = hexval(v[i + 2]);
            if (hi < 0 || lo < 0)
                return -2;
            ch = (char)(hi << 4 | lo);
            i += 2;
        }
        if (o + 1 >= out_size)
            return -2;
        out[o++] = ch;
    }
    if (out_size == 0)
        return -2;
    out[o] = '\0';
    return (ssize_t)o;
}

ssize_t http_query_param(const char *query, size_t query_len, const char *name,
                         char *out, size_t out_size)
{
    size_t nlen = strlen(name);
    const char *p = query, *end = query + query_len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        const char *kend = eq ? eq : e;
        if ((size_t)(kend - p) == nlen && !memcmp(p, name, nlen)) {
            const char *v = eq ? eq + 1 : e;
            return pct_decode(v, (size_t)(e - v), out, out_size);
        }
        p = amp ? amp + 1 : end;
    }
    return -1;
}

/* ---- body framing ---- */

/* 1*DIGIT, at most INT64_MAX. */
static int parse_content_length(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int http_body_framing(const http_request *req, int64_t *content_length)
{
    int64_t cl = -1;
    int have_cl = 0, have_te = 0;
    for (size_t i = 0; i < req->num_headers; i++) {
        const http_header *h = &req->headers[i];
        if (name_is(h, "content-length", 14)) {
            int64_t v;
            if (parse_content_length(h->value, h->value_len, &v) < 0)
                return -1;
            if (have_cl && v != cl)
                return -1;
            cl = v;
            have_cl = 1;
        } else if (name_is(h, "transfer-encoding", 17)) {
            if (have_te || h->value_len != 7 || strncasecmp(h->value, "chunked", 7))
                return -1;
            have_te = 1;
        }
    }
    if (have_te && have_cl)
        return -1;
    *content_length = have_te ? -1 : have_cl ? cl : 0;
    return 0;
}

/* ---- chunked decoder ---- */

enum {
    CH_SIZE0 = 0,   /* start of a chunk-size line, no digit yet */
    CH_SIZE,        /* reading hex digits */
    CH_EXT,         /* after the size: extensions / BWS up to LF */
    CH_SIZE_LF,     /* CR ending the size line seen, expecting LF */
    CH_DATA,        /* copying chunk data */
    CH_DATA_CR,     /* expecting CR (or LF) after data */
    CH_DATA_LF,     /* expecting LF after data */
    CH_TRAILER0,    /* start of a trailer line (or the final empty line) */
    CH_TRAILER,     /* inside a trailer field line */
    CH_END_LF,      /* final CR seen, expecting LF */
    CH_DONE
};

/* Handles one byte of the framing; 0 continue, 1 body complete, -1 bad. */
static int chunk_byte(http_chunked *d, char ch)
{
    int h;
    switch (d->state) {
    case CH_SIZE0:
    case CH_SIZE:
        if ((h = hexval(ch)) >= 0) {
            if (d->remaining >> 59)
                return DM_INVALID;                      /* absurd chunk size */
            d->remaining = d->remaining << 4 | (uint64_t)h;
            d->state = CH_SIZE;
            return 0;
        }
        if (d->state == CH_SIZE0)
            return DM_INVALID;
        d->state = CH_EXT;
        /* fall through */
    case CH_EXT:
        if (ch == '\n') {
            d->state = d->remaining ? CH_DATA : CH_TRAILER0;
            return 0;
        }
        if (ch == '\r') {
            d->state = CH_SIZE_LF;
            return 0;
        }
        if (((unsigned char)ch < 0x20 && ch != '\t') || ch == 0x7f)
            return DM_INVALID;
        return 0;
    case CH_SIZE_LF:
        if (ch != '\n')
            return DM_INVALID;
        d->state = d->remaining ? CH_DATA : CH_TRAILER0;
        return 0;
    case CH_DATA_CR:
        if (ch == '\n') { d->state = CH_SIZE0; return 0; }
        if (ch != '\r') return DM_INVALID;
        d->state = CH_DATA_LF;
        return 0;
    case CH_DATA_LF:
        if (ch != '\n') return DM_INVALID;
        d->state = CH_SIZE0;
        return 0;
    case CH_TRAILER0:
        if (ch == '\n') { d->state = CH_DONE; return 1; }
        d->state = ch == '\r' ? CH_END_LF : CH_TRAILER;
        return 0;
    case CH_TRAILER:
        if (ch == '\n') d->state = CH_TRAILER0;
        return 0;
    case CH_END_LF:
        if (ch != '\n') return DM_INVALID;
        d->state = CH_DONE;
        return 1;
    default:
        return DM_INVALID;
    }
}

ssize_t http_decode_chunked(http_chunked *d, char *buf, size_t *len)
{
    size_t src = 0, dst = 0, n = *len;
    if (d->state == CH_DONE)
        return DM_INVALID;
    while (src < n) {
        if (d->state == CH_DATA) {
            size_t take = n - src;
            if (take > d->remaining)
                take = (size_t)d->remaining;
            memmove(buf + dst, buf + src, take);
            dst += take;
            src += take;
            d->remaining -= take;
            d->total += take;
            if (d->remaining == 0)
                d->state = CH_DATA_CR;
            continue;
        }
        int rc = chunk_byte(d, buf[src++]);
        if (rc < 0)
            return DM_INVALID;
        if (rc == 1) {
            memmove(buf + dst, buf + src, n - src);
            *len = dst;
            return (ssize_t)(n - src);
        }
    }
    *len = dst;
    return DM_PARTIAL;
}

/* ---- responses ---- */

const char *http_reason(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default:  return "Unknown";
    }
}

void http_write_response(struct evbuffer *out, int status, const char *content_type,
                         const char *extra_headers, const void *body, size_t len,
                         int keep_alive)
{
    evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
    if (content_type)
        evbuffer_add_printf(out, "Content-Type: %s\r\n", content_type);
    evbuffer_add_printf(out, "Content-Length: %zu\r\nConnection: %s\r\n%s\r\n", len,
                        keep_alive ? "keep-alive" : "close",
                        extra_headers ? extra_headers : "");
    if (len)
        evbuffer_add(out, body, len);
}

void http_error_body(dbuf *b, const char *code, const char *message)
{
    dbuf_puts(b, "{\"error\":{");
    jsonw_key(b, "code");
    jsonw_cstr(b, code);
    dbuf_putc(b, ',');
    jsonw_key(b, "message");
    jsonw_cstr(b, message);
    dbuf_puts(b, "}}");
}

void http_write_error(struct evbuffer *out, int status, const char *code,
                      const char *message, int keep_alive)
{
    dbuf b;
    dbuf_init(&b);
    http_error_body(&b, code, message);
    http_write_response(out, status, "application/json", NULL, b.data, b.len, keep_alive);
    dbuf_free(&b);
}

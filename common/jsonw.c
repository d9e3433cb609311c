/* jsonw.c — JSON string escaping into a dbuf: safe to embed in HTML/JS
 * (no raw '<' '>' '&', U+2028/2029 escaped), invalid UTF-8 becomes U+FFFD. */
#include "jsonw.h"
#include "utf8.h"
#include <string.h>

/* 0: copy as is; 1: needs escaping (control, quote, backslash, <>&, 0x7f);
 * 2: non-ASCII lead byte (decode). */
static const uint8_t esc_class[256] = {
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    0,0,1,0,0,0,1,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,1,0,1,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,
    2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2, 2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
    2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2, 2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
    2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2, 2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
    2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2, 2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
};

static void put_u_escape(dbuf *b, unsigned v)
{
    static const char hex[] = "0123456789abcdef";
    char e[6] = { '\\', 'u', hex[(v >> 12) & 15], hex[(v >> 8) & 15],
                  hex[(v >> 4) & 15], hex[v & 15] };
    dbuf_append(b, e, 6);
}

static void put_ascii_escape(dbuf *b, uint8_t c)
{
    switch (c) {
    case '"':  dbuf_append(b, "\\\"", 2); break;
    case '\\': dbuf_append(b, "\\\\", 2); break;
    case '\n': dbuf_append(b, "\\n", 2); break;
    case '\r': dbuf_append(b, "\\r", 2); break;
    case '\t': dbuf_append(b, "\\t", 2); break;
    case '\b': dbuf_append(b, "\\b", 2); break;
    case '\f': dbuf_append(b, "\\f", 2); break;
    default:   put_u_escape(b, c); break;
    }
}

/* Handles a non-ASCII sequence at s[0..n); returns bytes consumed. */
static size_t put_utf8(dbuf *b, const char *s, size_t n)
{
    uint32_t cp;
    int l = utf8_decode(s, n, &cp);
    if (l < 0) {
        dbuf_append(b, "\xEF\xBF\xBD", 3);   /* U+FFFD, skip one byte */
        return 1;
    }
    if (cp == 0x2028 || cp == 0x2029)
        put_u_escape(b, cp);
    else
        dbuf_append(b, s, (size_t)l);
    return (size_t)l;
}

/* Length of the prefix of s[0..n) that needs no escaping: ASCII that is
 * safe as is, and valid UTF-8 sequences other than U+2028/U+2029. */
static size_t plain_run(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = (uint8_t)s[i];
        if (esc_class[c] == 0) {
            i++;
            continue;
        }
        if (esc_class[c] == 1)
            break;
        uint32_t cp;
        int l = utf8_decode(s + i, n - i, &cp);
        if (l < 0 || cp == 0x2028 || cp == 0x2029)
            break;
        i += (size_t)l;
    }
    return i;
}

void jsonw_str(dbuf *b, const char *s, size_t n)
{
    dbuf_reserve(b, n + 2);
    dbuf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        size_t run = plain_run(s + i, n - i);
        if (run) {
            dbuf_append(b, s + i, run);
            i += run;
            continue;
        }
        uint8_t c = (uint8_t)s[i];
        if (esc_class[c] == 1) {
            put_ascii_escape(b, c);
            i++;
        } else {
            i += put_utf8(b, s + i, n - i);
        }
    }
    dbuf_putc(b, '"');
}

void jsonw_cstr(dbuf *b, const char *s)
{
    if (!s)
        jsonw_str(b, "", 0);
    else
        jsonw_str(b, s, strlen(s));
}

void jsonw_key(dbuf *b, const char *key)
{
    dbuf_putc(b, '"');
    dbuf_puts(b, key);
    dbuf_append(b, "\":", 2);
}

void jsonw_field_u64(dbuf *b, const char *key, uint64_t v)
{
    dbuf_putc(b, ',');
    jsonw_key(b, key);
    dbuf_put_u64(b, v);
}

void jsonw_field_str(dbuf *b, const char *key, const char *s)
{
    dbuf_putc(b, ',');
    jsonw_key(b, key);
    jsonw_cstr(b, s);
}

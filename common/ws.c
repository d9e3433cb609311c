/* ws.c — RFC 6455 frame parsing/building, close payload rules, handshake
 * keys, and the message assembler (fragments, control frames in between,
 * UTF-8 and size checks). No I/O. */
#include "ws.h"
#include "utf8.h"
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
/* Largest frame whose size still fits the int return convention. */
#define WS_MAX_FRAME ((uint64_t)INT_MAX - 14)

static int is_known_opcode(int op)
{
    return op == WS_OP_CONT || op == WS_OP_TEXT || op == WS_OP_BINARY ||
           op == WS_OP_CLOSE || op == WS_OP_PING || op == WS_OP_PONG;
}

static int fail(int *close_code, int code)
{
    if (close_code)
        *close_code = code;
    return -1;
}

/* Checks what the first byte alone can tell: RSV, opcode, control FIN. */
static int check_byte0(uint8_t b0, int *close_code)
{
    int op = b0 & 0x0F;
    if (b0 & 0x70)
        return fail(close_code, WS_CLOSE_PROTOCOL);
    if (!is_known_opcode(op))
        return fail(close_code, WS_CLOSE_PROTOCOL);
    if ((op & 0x8) && !(b0 & 0x80))
        return fail(close_code, WS_CLOSE_PROTOCOL);
    return 0;
}

/* Checks the second byte: masking for the role, control frame length. */
static int check_byte1(uint8_t b0, uint8_t b1, int role, int *close_code)
{
    int masked = (b1 & 0x80) != 0;
    if (masked != (role == WS_ROLE_SERVER))
        return fail(close_code, WS_CLOSE_PROTOCOL);
    if ((b0 & 0x8) && (b1 & 0x7F) > 125)
        return fail(close_code, WS_CLOSE_PROTOCOL);
    return 0;
}

int ws_parse_frame(uint8_t *buf, size_t len, int role, uint64_t max_payload,
                   ws_frame *f, int *close_code)
{
    if (len < 1)
        return -2;
    if (check_byte0(buf[0], close_code) < 0)
        return -1;
    if (len < 2)
        return -2;
    if (check_byte1(buf[0], buf[1], role, close_code) < 0)
        return -1;
    uint64_t plen = buf[1] & 0x7F;
    size_t hlen = 2;
    if (plen == 126) {
        if (len < 4)
            return -2;
        plen = (uint64_t)buf[2] << 8 | buf[3];
        hlen = 4;
    } else if (plen == 127) {
        if (len < 10)
            return -2;
        if (buf[2] & 0x80)
            return fail(close_code, WS_CLOSE_PROTOCOL);
        plen = 0;
        for (int i = 2; i < 10; i++)
            plen = plen << 8 | buf[i];
        hlen = 10;
    }
    if (plen > max_payload || plen > WS_MAX_FRAME)
        return fail(close_code, WS_CLOSE_TOO_BIG);
    int masked = (buf[1] & 0x80) != 0;
    if (masked)
        hlen += 4;
    if (len < hlen || len - hlen < plen)
        return -2;
    f->fin = (buf[0] & 0x80) != 0;
    f->rsv = (buf[0] >> 4) & 7;
    f->opcode = buf[0] & 0x0F;
    f->masked = masked;
    if (masked)
        memcpy(f->mask, buf + hlen - 4, 4);
    else
        memset(f->mask, 0, 4);
    f->header_len = hlen;
    f->payload_len = plen;
    f->payload = buf + hlen;
    return (int)(hlen + plen);
}

void ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], size_t off)
{
    uint8_t m[8];
    for (int i = 0; i < 8; i++)
        m[i] = mask[(off + i) & 3];
    uint64_t w;
    memcpy(&w, m, 8);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        v ^= w;
        memcpy(p + i, &v, 8);
    }
    for (; i < n; i++)
        p[i] ^= m[i & 7];
}

size_t ws_frame_header(uint8_t out[14], int fin, int opcode, uint64_t len,
                       const uint8_t *mask)
{
    size_t h = 2;
    out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0F));
    uint8_t mbit = mask ? 0x80 : 0;
    if (len < 126) {
        out[1] = (uint8_t)(mbit | len);
    } else if (len <= 0xFFFF) {
        out[1] = mbit | 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        h = 4;
    } else {
        out[1] = mbit | 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
        h = 10;
    }
    if (mask) {
        memcpy(out + h, mask, 4);
        h += 4;
    }
    return h;
}

/* Length of the longest prefix of s[0..n) (n <= max) that ends on a UTF-8
 * code point boundary and is valid. */
static size_t utf8_prefix(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        int l = utf8_decode(s + i, n - i, &cp);
        if (l < 0)
            break;
        i += (size_t)l;
    }
    return i;
}

size_t ws_close_payload(uint8_t out[125], uint16_t code, const char *reason)
{
    out[0] = (uint8_t)(code >> 8);
    out[1] = (uint8_t)code;
    if (!reason)
        return 2;
    size_t n = strlen(reason);
    if (n > 123)
        n = 123;
    n = utf8_prefix(reason, n);   /* never cut a code point in half */
    memcpy(out + 2, reason, n);
    return 2 + n;
}

static int close_code_valid(unsigned c)
{
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) ||
           (c >= 3000 && c <= 4999);
}

int ws_close_parse(const uint8_t *p, size_t n, uint16_t *code)
{
    if (n == 0) {
        *code = WS_CLOSE_NO_STATUS;
        return 0;
    }
    if (n == 1 || n > 125) {
        *code = WS_CLOSE_PROTOCOL;
        return -1;
    }
    unsigned c = (unsigned)p[0] << 8 | p[1];
    if (!close_code_valid(c)) {
        *code = WS_CLOSE_PROTOCOL;
        return -1;
    }
    if (utf8_validate((const char *)p + 2, n - 2, NULL) < 0) {
        *code = WS_CLOSE_BAD_DATA;
        return -1;
    }
    *code = (uint16_t)c;
    return 0;
}

static int is_b64(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int ws_accept_key(const char *key, size_t key_len, char out[29])
{
    if (key_len != 24 || key[22] != '=' || key[23] != '=')
        return -1;
    for (int i = 0; i < 22; i++)
        if (!is_b64((unsigned char)key[i]))
            return -1;
    unsigned char in[24 + sizeof WS_GUID - 1], md[SHA_DIGEST_LENGTH];
    memcpy(in, key, 24);
    memcpy(in + 24, WS_GUID, sizeof WS_GUID - 1);
    SHA1(in, sizeof in, md);
    EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
    out[28] = '\0';
    return 0;
}

void ws_client_key(char out[25])
{
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1 &&
        getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        abort();
    EVP_EncodeBlock((unsigned char *)out, raw, sizeof raw);
    out[24] = '\0';
}

/* ---- message assembler ---- */

void ws_reader_init(ws_reader *r, int role, uint64_t max_msg)
{
    r->role = role;
    r->max_msg = max_msg ? max_msg : WS_MAX_FRAME;
    r->frag_opcode = 0;
    dbuf_init(&r->msg);
    r->close_code = 0;
    r->utf8_checked = 0;
}

void ws_reader_free(ws_reader *r)
{
    dbuf_free(&r->msg);
    r->frag_opcode = 0;
    r->utf8_checked = 0;
}

static int reader_fail(ws_reader *r, int code)
{
    r->close_code = code;
    return -1;
}

static int feed_control(ws_reader *r, ws_frame *f, ws_msg *out)
{
    if (f->opcode == WS_OP_CLOSE) {
        uint16_t code;
        if (ws_close_parse(f->payload, f->payload_len, &code) < 0)
            return reader_fail(r, code);
    }
    out->opcode = f->opcode;
    out->data = f->payload;
    out->len = f->payload_len;
    return 0;
}

/* Delivers a complete message (data) after the UTF-8 check for text. */
static int deliver(ws_reader *r, int opcode, const uint8_t *data, size_t len,
                   ws_msg *out)
{
    if (opcode == WS_OP_TEXT && utf8_validate((const char *)data, len, NULL) < 0)
        return reader_fail(r, WS_CLOSE_BAD_DATA);
    out->opcode = opcode;
    out->data = data;
    out->len = len;
    return 0;
}

/* 1 if s[0..n) (n < 4) can still become a valid UTF-8 sequence. */
static int utf8_incomplete_ok(const uint8_t *s, size_t n)
{
    uint8_t c = s[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3;
    else if (c >= 0xF0 && c <= 0xF4) len = 4;
    else return 0;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    if (n >= len || (n >= 2 && (s[1] < lo || s[1] > hi)))
        return 0;
    return n < 3 || (s[2] >= 0x80 && s[2] <= 0xBF);
}

/* Validates the new part of a fragmented text message, allowing a code
 * point cut at the end; -1 if it can no longer be valid. */
static int check_text_fragment(ws_reader *r)
{
    const uint8_t *s = (const uint8_t *)r->msg.data;
    size_t i = r->utf8_checked, n = r->msg.len;
    while (i < n) {
        uint32_t cp;
        int l = utf8_decode((const char *)s + i, n - i, &cp);
        if (l < 0) {
            if (n - i < 4 && utf8_incomplete_ok(s + i, n - i))
                break;
            return -1;
        }
        i += (size_t)l;
    }
    r->utf8_checked = i;
    return 0;
}

static int feed_data(ws_reader *r, ws_frame *f, ws_msg *out)
{
    if (f->opcode == WS_OP_CONT && !r->frag_opcode)
        return reader_fail(r, WS_CLOSE_PROTOCOL);     /* nothing to continue */
    if (f->opcode != WS_OP_CONT && r->frag_opcode)
        return reader_fail(r, WS_CLOSE_PROTOCOL);     /* new message mid-way */
    if (f->opcode != WS_OP_CONT && f->fin)          /* unfragmented: zero copy */
        return deliver(r, f->opcode, f->payload, f->payload_len, out);
    if (f->payload_len > r->max_msg - r->msg.len)
        return reader_fail(r, WS_CLOSE_TOO_BIG);
    if (f->opcode != WS_OP_CONT)
        r->frag_opcode = f->opcode;
    dbuf_append(&r->msg, f->payload, f->payload_len);
    if (!f->fin) {
        if (r->frag_opcode == WS_OP_TEXT && check_text_fragment(r) < 0)
            return reader_fail(r, WS_CLOSE_BAD_DATA);
        return 0;
    }
    int op = r->frag_opcode;
    r->frag_opcode = 0;   /* msg keeps the bytes until the next feed */
    return deliver(r, op, (const uint8_t *)r->msg.data, r->msg.len, out);
}

int ws_reader_feed(ws_reader *r, uint8_t *buf, size_t len, ws_msg *out)
{
    out->opcode = 0;
    out->data = NULL;
    out->len = 0;
    if (!r->frag_opcode && r->msg.len) {
        dbuf_reset(&r->msg);           /* the previous message was delivered */
        r->utf8_checked = 0;
    }
    ws_frame f;
    int code = 0;
    int n = ws_parse_frame(buf, len, r->role, r->max_msg, &f, &code);
    if (n == -1)
        return reader_fail(r, code);
    if (n < 0)
        return n;
    if (f.masked)
        ws_unmask(f.payload, f.payload_len, f.mask, 0);
    int rc = (f.opcode & 0x8) ? feed_control(r, &f, out) : feed_data(r, &f, out);
    return rc < 0 ? rc : n;
}

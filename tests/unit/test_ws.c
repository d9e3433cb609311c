/* test_ws.c — RFC 6455 codec: every length form both ways, masking,
 * truncation at every byte (-2), every value of the two header bytes
 * against the spec's rules, oversize, close payload rules, handshake keys,
 * and the assembler (fragments, control frames between fragments, UTF-8,
 * limits, byte-by-byte streaming). Inputs sit before a guard page. */
#include "t.h"
#include "guard.h"
#include "ws.h"
#include "dbuf.h"
#include <openssl/evp.h>

static const uint8_t MASK[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* Builds a complete frame into b: masked when mask != NULL. */
static void build(dbuf *b, int fin, int op, const void *p, size_t n, const uint8_t *mask)
{
    uint8_t h[14];
    size_t hl = ws_frame_header(h, fin, op, n, mask);
    dbuf_append(b, h, hl);
    size_t off = b->len;
    dbuf_append(b, p, n);
    if (mask)
        ws_unmask((uint8_t *)b->data + off, n, mask, 0);
}

static int parse_g(const void *p, size_t n, int role, uint64_t max, ws_frame *f, int *code)
{
    guard g;
    uint8_t *q = guard_put(&g, p, n);
    int rc = ws_parse_frame(q, n, role, max, f, code);
    guard_free(&g);
    return rc;
}

static uint8_t *pattern(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31 + 7);
    return p;
}

static const size_t LENS[] = { 0, 1, 125, 126, 127, 65535, 65536, 1 << 20 };
#define NLENS (sizeof LENS / sizeof LENS[0])

static size_t expect_hlen(size_t n, int masked)
{
    return (n < 126 ? 2 : n <= 65535 ? 4 : 10) + (masked ? 4 : 0);
}

/* Server -> client (unmasked) and client -> server (masked), every length form. */
static void test_roundtrip_lengths(void)
{
    for (size_t i = 0; i < NLENS; i++) {
        for (int masked = 0; masked < 2; masked++) {
            size_t n = LENS[i];
            uint8_t *p = pattern(n);
            dbuf b;
            dbuf_init(&b);
            build(&b, 1, WS_OP_BINARY, p, n, masked ? MASK : NULL);
            T_EQ_INT(b.len, expect_hlen(n, masked) + n);
            ws_frame f;
            int code = 0;
            guard g;
            uint8_t *q = guard_put(&g, b.data, b.len);
            int rc = ws_parse_frame(q, b.len, masked ? WS_ROLE_SERVER : WS_ROLE_CLIENT,
                                    UINT64_MAX, &f, &code);
            T_EQ_INT(rc, b.len);
            T_EQ_INT(f.fin, 1);
            T_EQ_INT(f.opcode, WS_OP_BINARY);
            T_EQ_INT(f.masked, masked);
            T_EQ_INT(f.header_len, expect_hlen(n, masked));
            T_EQ_U64(f.payload_len, n);
            T_ASSERT(f.payload == q + f.header_len);
            if (masked) {
                T_EQ_MEM(f.mask, MASK, 4);
                ws_unmask(f.payload, n, f.mask, 0);
            }
            T_EQ_MEM(f.payload, p, n);
            guard_free(&g);
            /* and the wrong role is refused */
            rc = parse_g(b.data, b.len, masked ? WS_ROLE_CLIENT : WS_ROLE_SERVER,
                         UINT64_MAX, &f, &code);
            T_EQ_INT(rc, -1);
            T_EQ_INT(code, WS_CLOSE_PROTOCOL);
            dbuf_free(&b);
            free(p);
        }
    }
}

/* The exact header bytes of each length form (network byte order). */
static void test_header_bytes(void)
{
    uint8_t h[14];
    T_EQ_INT(ws_frame_header(h, 1, WS_OP_TEXT, 0, NULL), 2);
    T_EQ_MEM(h, "\x81\x00", 2);
    T_EQ_INT(ws_frame_header(h, 1, WS_OP_TEXT, 125, NULL), 2);
    T_EQ_MEM(h, "\x81\x7d", 2);
    T_EQ_INT(ws_frame_header(h, 0, WS_OP_BINARY, 126, NULL), 4);
    T_EQ_MEM(h, "\x02\x7e\x00\x7e", 4);
    T_EQ_INT(ws_frame_header(h, 1, WS_OP_BINARY, 65535, NULL), 4);
    T_EQ_MEM(h, "\x82\x7e\xff\xff", 4);
    T_EQ_INT(ws_frame_header(h, 1, WS_OP_BINARY, 65536, NULL), 10);
    T_EQ_MEM(h, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
    T_EQ_INT(ws_frame_header(h, 1, WS_OP_BINARY, 0x0102030405060708ULL, NULL), 10);
    T_EQ_MEM(h, "\x82\x7f\x01\x02\x03\x04\x05\x06\x07\x08", 10);
    T_EQ_INT(ws_frame_header(h, 1, WS_OP_PING, 5, MASK), 6);
    T_EQ_MEM(h, "\x89\x85\x37\xfa\x21\x3d", 6);
    T_EQ_INT(ws_frame_header(h, 1, WS_OP_BINARY, 70000, MASK), 14);
    T_EQ_INT(h[1], 0xff);
    T_EQ_MEM(h + 10, MASK, 4);
}

/* RFC 6455 section 5.7 examples. */
static void test_rfc_examples(void)
{
    ws_frame f;
    int code;
    uint8_t hello[] = { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
    T_EQ_INT(parse_g(hello, sizeof hello, WS_ROLE_CLIENT, 1000, &f, &code), 7);
    uint8_t masked[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
    guard g;
    uint8_t *q = guard_put(&g, masked, sizeof masked);
    T_EQ_INT(ws_parse_frame(q, sizeof masked, WS_ROLE_SERVER, 1000, &f, &code), 11);
    ws_unmask(f.payload, f.payload_len, f.mask, 0);
    T_EQ_MEM(f.payload, "Hello", 5);
    guard_free(&g);
    uint8_t frag1[] = { 0x01, 0x03, 0x48, 0x65, 0x6c };
    T_EQ_INT(parse_g(frag1, sizeof frag1, WS_ROLE_CLIENT, 1000, &f, &code), 5);
    T_EQ_INT(f.fin, 0);
    T_EQ_INT(f.opcode, WS_OP_TEXT);
    uint8_t frag2[] = { 0x80, 0x02, 0x6c, 0x6f };
    T_EQ_INT(parse_g(frag2, sizeof frag2, WS_ROLE_CLIENT, 1000, &f, &code), 4);
    T_EQ_INT(f.fin, 1);
    T_EQ_INT(f.opcode, WS_OP_CONT);
}

/* A valid frame cut at every length is "incomplete", never an over-read. */
static void test_truncated_every_byte(void)
{
    static const size_t lens[] = { 0, 1, 5, 125, 126, 300, 65535, 65536 };
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (int masked = 0; masked < 2; masked++) {
            size_t n = lens[i];
            uint8_t *p = pattern(n);
            dbuf b;
            dbuf_init(&b);
            build(&b, 1, WS_OP_BINARY, p, n, masked ? MASK : NULL);
            int role = masked ? WS_ROLE_SERVER : WS_ROLE_CLIENT;
            /* every cut for small frames; for big ones every header byte
             * and a stride through the payload */
            size_t step = b.len > 1000 ? 997 : 1;
            for (size_t k = 0; k < b.len; k += (k < 16 ? 1 : step)) {
                ws_frame f;
                int code = 0;
                int rc = parse_g(b.data, k, role, UINT64_MAX, &f, &code);
                if (rc != -2) {
                    T_FAIL_("len %zu masked %d cut at %zu: rc %d", n, masked, k, rc);
                    free(p);
                    dbuf_free(&b);
                    return;
                }
            }
            ws_frame f;
            int code;
            T_EQ_INT(parse_g(b.data, b.len - 1, role, UINT64_MAX, &f, &code), -2);
            T_EQ_INT(parse_g(b.data, b.len, role, UINT64_MAX, &f, &code), b.len);
            free(p);
            dbuf_free(&b);
        }
    }
}

static int op_known(int op)
{
    return op == 0 || op == 1 || op == 2 || op == 8 || op == 9 || op == 10;
}

/* Every value of byte 0 (FIN, RSV, opcode) against the spec's rule; the
 * verdict must not need more bytes than the header byte itself. */
static void test_byte0_all_values(void)
{
    for (int role = 0; role < 2; role++) {
        for (int b0 = 0; b0 < 256; b0++) {
            int op = b0 & 15, fin = b0 >> 7, rsv = (b0 >> 4) & 7;
            int valid = rsv == 0 && op_known(op) && (op < 8 || fin);
            uint8_t fr[7] = { (uint8_t)b0, (uint8_t)(role == WS_ROLE_SERVER ? 0x81 : 0x01),
                              0, 0, 0, 0, 'x' };
            size_t full = role == WS_ROLE_SERVER ? 7 : 3;
            if (role == WS_ROLE_CLIENT)
                fr[2] = 'x';
            ws_frame f;
            int code = 0;
            int rc = parse_g(fr, full, role, 1000, &f, &code);
            if (valid) {
                T_EQ_INT(rc, full);
                T_EQ_INT(f.opcode, op);
                T_EQ_INT(f.fin, fin);
            } else {
                T_EQ_INT(rc, -1);
                T_EQ_INT(code, WS_CLOSE_PROTOCOL);
                code = 0;     /* known from byte 0 alone */
                T_EQ_INT(parse_g(fr, 1, role, 1000, &f, &code), -1);
                T_EQ_INT(code, WS_CLOSE_PROTOCOL);
            }
        }
    }
}

/* Every value of byte 1 (MASK bit + 7-bit length) for data and control
 * frames in both roles. */
static void test_byte1_all_values(void)
{
    static const int b0s[] = { 0x82, 0x89, 0x88, 0x8a };
    uint8_t buf[200];
    memset(buf, 0x03, sizeof buf);      /* close payload 0x0303 = 771: bad code */
    for (int role = 0; role < 2; role++) {
        for (size_t j = 0; j < 4; j++) {
            for (int b1 = 0; b1 < 256; b1++) {
                int masked = b1 >> 7, l7 = b1 & 127;
                int control = b0s[j] & 8;
                int valid = masked == (role == WS_ROLE_SERVER) && (!control || l7 <= 125);
                buf[0] = (uint8_t)b0s[j];
                buf[1] = (uint8_t)b1;
                buf[2] = buf[3] = 0;         /* 126 form: length 0 */
                memset(buf + 4, 0, 6);       /* 127 form: length 0 */
                size_t hl = (l7 == 126 ? 4 : l7 == 127 ? 10 : 2) + (masked ? 4 : 0);
                size_t plen = l7 >= 126 ? 0 : (size_t)l7;
                ws_frame f;
                int code = 0;
                int rc = parse_g(buf, hl + plen, role, 1000, &f, &code);
                if (valid) {
                    T_EQ_INT(rc, hl + plen);
                    T_EQ_U64(f.payload_len, plen);
                    T_EQ_INT(parse_g(buf, hl + plen - 1, role, 1000, &f, &code), -2);
                } else {
                    T_EQ_INT(rc, -1);
                    T_EQ_INT(code, WS_CLOSE_PROTOCOL);
                    T_EQ_INT(parse_g(buf, 2, role, 1000, &f, &code), -1);
                }
            }
        }
    }
}

static void test_length_limits(void)
{
    ws_frame f;
    int code = 0;
    /* 64-bit length with the top bit set */
    uint8_t big[10] = { 0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1 };
    T_EQ_INT(parse_g(big, 10, WS_ROLE_CLIENT, UINT64_MAX, &f, &code), -1);
    T_EQ_INT(code, WS_CLOSE_PROTOCOL);
    /* not decided before the byte arrives */
    T_EQ_INT(parse_g(big, 2, WS_ROLE_CLIENT, UINT64_MAX, &f, &code), -2);
    /* 2^62: valid encoding, too big for us */
    uint8_t huge[10] = { 0x82, 0x7f, 0x40, 0, 0, 0, 0, 0, 0, 0 };
    code = 0;
    T_EQ_INT(parse_g(huge, 10, WS_ROLE_CLIENT, UINT64_MAX, &f, &code), -1);
    T_EQ_INT(code, WS_CLOSE_TOO_BIG);
    /* over max_payload: refused from the header, before the payload */
    uint8_t hdr[14];
    size_t hl = ws_frame_header(hdr, 1, WS_OP_TEXT, 1001, MASK);
    code = 0;
    T_EQ_INT(parse_g(hdr, hl, WS_ROLE_SERVER, 1000, &f, &code), -1);
    T_EQ_INT(code, WS_CLOSE_TOO_BIG);
    hl = ws_frame_header(hdr, 1, WS_OP_TEXT, 1000, MASK);
    T_EQ_INT(parse_g(hdr, hl, WS_ROLE_SERVER, 1000, &f, &code), -2);
    /* non-minimal length forms are accepted (liberal reader) */
    uint8_t nm[4] = { 0x82, 0x7e, 0x00, 0x00 };
    T_EQ_INT(parse_g(nm, 4, WS_ROLE_CLIENT, 1000, &f, &code), 4);
}

static void naive_mask(uint8_t *p, size_t n, const uint8_t m[4], size_t off)
{
    for (size_t i = 0; i < n; i++)
        p[i] ^= m[(off + i) & 3];
}

static void test_unmask(void)
{
    for (size_t n = 0; n < 70; n++) {
        for (size_t off = 0; off < 5; off++) {
            uint8_t *a = pattern(n), *b = pattern(n);
            ws_unmask(a, n, MASK, off);
            naive_mask(b, n, MASK, off);
            T_EQ_MEM(a, b, n);
            free(a);
            free(b);
        }
    }
    /* streaming in uneven chunks equals one shot, and masking twice is identity */
    size_t n = 1000;
    uint8_t *a = pattern(n), *b = pattern(n), *orig = pattern(n);
    ws_unmask(a, n, MASK, 0);
    size_t pos = 0, chunk = 1;
    while (pos < n) {
        size_t c = chunk < n - pos ? chunk : n - pos;
        ws_unmask(b + pos, c, MASK, pos);
        pos += c;
        chunk = chunk * 3 % 17 + 1;
    }
    T_EQ_MEM(a, b, n);
    ws_unmask(a, n, MASK, 0);
    T_EQ_MEM(a, orig, n);
    free(a);
    free(b);
    free(orig);
}

static void test_close_codes_table(void)
{
    for (unsigned c = 0; c < 70000; c++) {
        if (c > 5100 && c < 65530)
            continue;
        uint8_t p[2] = { (uint8_t)(c >> 8), (uint8_t)c };
        uint16_t code = 0;
        int valid = (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1011) ||
                    (c >= 1012 && c <= 1014) || (c >= 3000 && c <= 4999);
        if (c > 0xffff)
            break;
        int rc = ws_close_parse(p, 2, &code);
        if (valid) {
            T_EQ_INT(rc, 0);
            T_EQ_INT(code, c);
        } else {
            T_EQ_INT(rc, -1);
            T_EQ_INT(code, WS_CLOSE_PROTOCOL);
        }
    }
    uint16_t code;
    T_EQ_INT(ws_close_parse(NULL, 0, &code), 0);
    T_EQ_INT(code, 1005);
    T_EQ_INT(ws_close_parse((const uint8_t *)"\x03", 1, &code), -1);
    T_EQ_INT(code, 1002);
    T_EQ_INT(ws_close_parse((const uint8_t *)"\x03\xe8ok", 4, &code), 0);
    T_EQ_INT(code, 1000);
    T_EQ_INT(ws_close_parse((const uint8_t *)"\x03\xe8\xc3\x28", 4, &code), -1);
    T_EQ_INT(code, 1007);
    T_EQ_INT(ws_close_parse((const uint8_t *)"\x03\xe8\xe4\xbd", 4, &code), -1);  /* cut CJK */
    T_EQ_INT(code, 1007);
    T_EQ_INT(ws_close_parse((const uint8_t *)"\x0f\xa0\xe4\xbd\xa0", 5, &code), 0);
    T_EQ_INT(code, 4000);
}

static void test_close_payload_build(void)
{
    uint8_t out[125];
    size_t n = ws_close_payload(out, 1000, NULL);
    T_EQ_INT(n, 2);
    T_EQ_MEM(out, "\x03\xe8", 2);
    n = ws_close_payload(out, 4429, "slow");
    T_EQ_INT(n, 6);
    T_EQ_MEM(out, "\x11\x4d" "slow", 6);
    char longr[400];
    memset(longr, 'a', sizeof longr - 1);
    longr[sizeof longr - 1] = 0;
    n = ws_close_payload(out, 1001, longr);
    T_EQ_INT(n, 125);
    /* 3-byte CJK chars: 123 = 41 * 3 exactly; 4-byte emoji: cut to 120 */
    char cjk[400] = "", emoji[400] = "";
    for (int i = 0; i < 60; i++) strcat(cjk, "\xe5\xbc\xb9");
    for (int i = 0; i < 40; i++) strcat(emoji, "\xf0\x9f\x98\x80");
    n = ws_close_payload(out, 1000, cjk);
    T_EQ_INT(n, 125);
    uint16_t code;
    T_EQ_INT(ws_close_parse(out, n, &code), 0);
    n = ws_close_payload(out, 1000, emoji);
    T_EQ_INT(n, 2 + 120);
    T_EQ_INT(ws_close_parse(out, n, &code), 0);
    T_EQ_INT(code, 1000);
}

static void test_accept_key(void)
{
    char out[29];
    /* RFC 6455 section 1.3 */
    T_EQ_INT(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, out), 0);
    T_EQ_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    T_EQ_INT(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=", 23, out), -1);
    T_EQ_INT(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ===", 25, out), -1);
    T_EQ_INT(ws_accept_key("dGhlIHNhbXBsZSBub25jZQAA", 24, out), -1);
    T_EQ_INT(ws_accept_key("dGhlIHNhbXBsZSBub25j!Q==", 24, out), -1);
    T_EQ_INT(ws_accept_key("", 0, out), -1);
    char k1[25], k2[25];
    ws_client_key(k1);
    ws_client_key(k2);
    T_EQ_INT(strlen(k1), 24);
    T_ASSERT(strcmp(k1, k2) != 0);
    unsigned char raw[20];
    T_EQ_INT(EVP_DecodeBlock(raw, (const unsigned char *)k1, 24), 18); /* 16 + 2 pad */
    T_EQ_INT(ws_accept_key(k1, 24, out), 0);
    T_EQ_INT(strlen(out), 28);
}

/* ---- assembler ---- */

typedef struct feeder {
    ws_reader r;
    dbuf in;         /* wire bytes */
    size_t pos;
} feeder;

/* Feeds the stream one more byte at a time (partial reads), collecting
 * each yielded message as "op:payload;" into got. Returns the last rc. */
static int feed_all(feeder *fd, dbuf *got, int bytewise)
{
    size_t avail = bytewise ? 0 : fd->in.len;
    for (int guard_iter = 0; guard_iter < 10000000; guard_iter++) {
        if (bytewise && avail < fd->in.len)
            avail++;
        if (fd->pos == fd->in.len)
            return 0;
        guard g;
        uint8_t *q = guard_put(&g, fd->in.data + fd->pos, avail - fd->pos);
        ws_msg m;
        int rc = ws_reader_feed(&fd->r, q, avail - fd->pos, &m);
        if (rc > 0) {
            memcpy(fd->in.data + fd->pos, q, (size_t)rc);  /* keep unmasked bytes */
            fd->pos += (size_t)rc;
            if (m.opcode) {
                dbuf_printf(got, "%d:", m.opcode);
                dbuf_append(got, m.data, m.len);
                dbuf_putc(got, ';');
            }
        }
        guard_free(&g);
        if (rc == -1)
            return -1;
        if (rc == -2 && avail == fd->in.len)
            return -2;
    }
    return -3;
}

static void feeder_init(feeder *fd, int role, uint64_t max)
{
    ws_reader_init(&fd->r, role, max);
    dbuf_init(&fd->in);
    fd->pos = 0;
}

static void feeder_free(feeder *fd)
{
    ws_reader_free(&fd->r);
    dbuf_free(&fd->in);
}

static void frame_s(feeder *fd, int fin, int op, const char *s)
{
    build(&fd->in, fin, op, s, strlen(s), fd->r.role == WS_ROLE_SERVER ? MASK : NULL);
}

static void test_reader_fragments_with_control(void)
{
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        for (int role = 0; role < 2; role++) {
            feeder fd;
            feeder_init(&fd, role, 1 << 20);
            frame_s(&fd, 1, WS_OP_TEXT, "one");
            frame_s(&fd, 0, WS_OP_TEXT, "Hel");
            frame_s(&fd, 1, WS_OP_PING, "p1");
            frame_s(&fd, 0, WS_OP_CONT, "lo \xe5\xbc");   /* CJK split over fragments */
            frame_s(&fd, 1, WS_OP_PONG, "");
            frame_s(&fd, 0, WS_OP_CONT, "");
            frame_s(&fd, 1, WS_OP_CONT, "\xb9 world");
            build(&fd.in, 0, WS_OP_BINARY, "\xff\x00", 2, role == WS_ROLE_SERVER ? MASK : NULL);
            frame_s(&fd, 1, WS_OP_CONT, "\xfe");
            frame_s(&fd, 1, WS_OP_CLOSE, "\x03\xe8" "bye");
            dbuf got;
            dbuf_init(&got);
            T_EQ_INT(feed_all(&fd, &got, bytewise), 0);
            const char want[] = "1:one;9:p1;10:;1:Hello \xe5\xbc\xb9 world;2:\xff\x00\xfe;8:\x03\xe8" "bye;";
            T_EQ_INT(got.len, sizeof want - 1);
            T_EQ_MEM(got.data, want, sizeof want - 1);
            dbuf_free(&got);
            feeder_free(&fd);
        }
    }
}

static int run_bad(int role, uint64_t max, void (*setup)(feeder *), int *code)
{
    feeder fd;
    feeder_init(&fd, role, max);
    setup(&fd);
    dbuf got;
    dbuf_init(&got);
    int rc = feed_all(&fd, &got, 0);
    *code = fd.r.close_code;
    dbuf_free(&got);
    feeder_free(&fd);
    return rc;
}

static void s_cont_first(feeder *fd) { frame_s(fd, 1, WS_OP_CONT, "x"); }
static void s_text_in_frag(feeder *fd) { frame_s(fd, 0, WS_OP_TEXT, "a"); frame_s(fd, 1, WS_OP_TEXT, "b"); }
static void s_bad_utf8(feeder *fd) { frame_s(fd, 1, WS_OP_TEXT, "ok \xed\xa0\x80"); }
static void s_bad_utf8_frag(feeder *fd) { frame_s(fd, 0, WS_OP_TEXT, "\xf0\x9f"); frame_s(fd, 1, WS_OP_CONT, "\x98"); }
static void s_binary_any(feeder *fd) { frame_s(fd, 1, WS_OP_BINARY, "\xed\xa0\x80"); }
static void s_too_big_frag(feeder *fd)
{
    char s[700];
    memset(s, 'a', sizeof s - 1);
    s[sizeof s - 1] = 0;
    frame_s(fd, 0, WS_OP_BINARY, s);
    frame_s(fd, 1, WS_OP_CONT, s);
}
static void s_too_big_one(feeder *fd)
{
    char s[1100];
    memset(s, 'a', sizeof s - 1);
    s[sizeof s - 1] = 0;
    frame_s(fd, 1, WS_OP_BINARY, s);
}
static void s_close_1byte(feeder *fd) { build(&fd->in, 1, WS_OP_CLOSE, "\x03", 1, fd->r.role ? NULL : MASK); }
static void s_close_1005(feeder *fd) { frame_s(fd, 1, WS_OP_CLOSE, "\x03\xed"); }
static void s_close_999(feeder *fd) { frame_s(fd, 1, WS_OP_CLOSE, "\x03\xe7"); }
static void s_close_badutf8(feeder *fd) { frame_s(fd, 1, WS_OP_CLOSE, "\x03\xe8\xff"); }
static void s_ping_frag(feeder *fd) { frame_s(fd, 0, WS_OP_PING, "x"); }
static void s_ping_long(feeder *fd)
{
    char s[127];
    memset(s, 'p', 126);
    s[126] = 0;
    frame_s(fd, 1, WS_OP_PING, s);
}
static void s_rsv(feeder *fd) { frame_s(fd, 1, WS_OP_TEXT, "x"); fd->in.data[0] |= 0x40; }
static void s_op3(feeder *fd) { frame_s(fd, 1, 3, "x"); }
static void s_opB(feeder *fd) { frame_s(fd, 1, 0xB, "x"); }
static void s_unmasked(feeder *fd) { build(&fd->in, 1, WS_OP_TEXT, "x", 1, NULL); }
static void s_masked(feeder *fd) { build(&fd->in, 1, WS_OP_TEXT, "x", 1, MASK); }

static void test_reader_errors(void)
{
    struct { int role; void (*s)(feeder *); int code; } cases[] = {
        { WS_ROLE_SERVER, s_cont_first, 1002 },
        { WS_ROLE_CLIENT, s_cont_first, 1002 },
        { WS_ROLE_SERVER, s_text_in_frag, 1002 },
        { WS_ROLE_SERVER, s_bad_utf8, 1007 },
        { WS_ROLE_CLIENT, s_bad_utf8, 1007 },
        { WS_ROLE_SERVER, s_bad_utf8_frag, 1007 },
        { WS_ROLE_SERVER, s_too_big_frag, 1009 },
        { WS_ROLE_SERVER, s_too_big_one, 1009 },
        { WS_ROLE_SERVER, s_close_1byte, 1002 },
        { WS_ROLE_CLIENT, s_close_1byte, 1002 },
        { WS_ROLE_SERVER, s_close_1005, 1002 },
        { WS_ROLE_SERVER, s_close_999, 1002 },
        { WS_ROLE_SERVER, s_close_badutf8, 1007 },
        { WS_ROLE_SERVER, s_ping_frag, 1002 },
        { WS_ROLE_SERVER, s_ping_long, 1002 },
        { WS_ROLE_SERVER, s_rsv, 1002 },
        { WS_ROLE_SERVER, s_op3, 1002 },
        { WS_ROLE_SERVER, s_opB, 1002 },
        { WS_ROLE_SERVER, s_unmasked, 1002 },
        { WS_ROLE_CLIENT, s_masked, 1002 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int code = 0;
        int rc = run_bad(cases[i].role, 1000, cases[i].s, &code);
        if (rc != -1 || code != cases[i].code) {
            T_FAIL_("case %zu: rc %d code %d, expected -1 code %d", i, rc, code, cases[i].code);
            return;
        }
    }
    int code = 0;
    T_EQ_INT(run_bad(WS_ROLE_SERVER, 1000, s_binary_any, &code), 0);
}

/* Feeds frames one call each; returns the index of the frame that failed
 * (-1 if none) and the message delivered at the end in got. */
static int feed_frames(int role, const char *const *frags, const size_t *lens, size_t n,
                       dbuf *got, int *code)
{
    feeder fd;
    feeder_init(&fd, role, 1 << 20);
    int failed = -1;
    for (size_t i = 0; i < n && failed < 0; i++) {
        dbuf_reset(&fd.in);
        fd.pos = 0;
        build(&fd.in, i + 1 == n, i ? WS_OP_CONT : WS_OP_TEXT, frags[i], lens[i],
              role == WS_ROLE_SERVER ? MASK : NULL);
        if (feed_all(&fd, got, 0) < 0)
            failed = (int)i;
    }
    *code = fd.r.close_code;
    feeder_free(&fd);
    return failed;
}

/* A fragmented text message fails at the first fragment that makes it
 * invalid, not at the end; code points cut between fragments are fine. */
static void test_reader_utf8_fail_fast(void)
{
    static const struct { const char *a, *b; int fail_at; } cases[] = {
        { "\xff", "ok", 0 },
        { "ab\xed\xa0", "\x80", 0 },         /* surrogate prefix */
        { "\xe0\x80", "\x80", 0 },           /* overlong prefix */
        { "\xf4\x90", "\x80\x80", 0 },       /* above U+10FFFF */
        { "\xc3", "\x28", 1 },
        { "\xf0\x9f", "\x98\x28", 1 },
        { "\xf0\x9f\x98", "\x80", -1 },
        { "ab\xe5", "\xbc\xb9", -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *fr[3] = { cases[i].a, cases[i].b, "tail" };
        size_t ln[3] = { strlen(cases[i].a), strlen(cases[i].b), 4 };
        dbuf got;
        dbuf_init(&got);
        int code = 0;
        int at = feed_frames(WS_ROLE_SERVER, fr, ln, 3, &got, &code);
        dbuf_free(&got);
        if (at != cases[i].fail_at || (at >= 0 && code != 1007)) {
            T_FAIL_("case %zu: failed at %d (code %d), expected %d", i, at, code, cases[i].fail_at);
            return;
        }
    }
    /* a CJK + emoji text split at every byte into two fragments */
    const char *t = "\xe5\xbc\xb9\xe5\xb9\x95 \xf0\x9f\x98\x80!";
    size_t n = strlen(t);
    for (size_t k = 0; k <= n; k++) {
        const char *fr[2] = { t, t + k };
        size_t ln[2] = { k, n - k };
        dbuf got;
        dbuf_init(&got);
        int code = 0;
        int at = feed_frames(WS_ROLE_CLIENT, fr, ln, 2, &got, &code);
        int ok = at == -1 && got.len == n + 3 && !memcmp(got.data + 2, t, n);
        dbuf_free(&got);
        if (!ok) {
            T_FAIL_("split at %zu: failed at %d", k, at);
            return;
        }
    }
}

/* A 1 MiB binary message in uneven fragments, checked byte for byte. */
static void test_reader_large(void)
{
    size_t n = 1 << 20;
    uint8_t *p = pattern(n);
    feeder fd;
    feeder_init(&fd, WS_ROLE_SERVER, n);
    build(&fd.in, 0, WS_OP_BINARY, p, 100, MASK);
    build(&fd.in, 0, WS_OP_CONT, p + 100, 65536, MASK);
    build(&fd.in, 1, WS_OP_CONT, p + 100 + 65536, n - 100 - 65536, MASK);
    size_t pos = 0;
    ws_msg m = { 0 };
    for (int i = 0; i < 3; i++) {
        int rc = ws_reader_feed(&fd.r, (uint8_t *)fd.in.data + pos, fd.in.len - pos, &m);
        T_ASSERT(rc > 0);
        pos += (size_t)rc;
    }
    T_EQ_INT(pos, fd.in.len);
    T_EQ_INT(m.opcode, WS_OP_BINARY);
    T_EQ_INT(m.len, n);
    T_EQ_MEM(m.data, p, n);
    /* next message: one more byte than the limit in two fragments */
    dbuf_reset(&fd.in);
    build(&fd.in, 0, WS_OP_BINARY, p, n, MASK);
    build(&fd.in, 1, WS_OP_CONT, p, 1, MASK);
    pos = 0;
    int rc = ws_reader_feed(&fd.r, (uint8_t *)fd.in.data, fd.in.len, &m);
    T_ASSERT(rc > 0);
    T_EQ_INT(m.opcode, 0);
    rc = ws_reader_feed(&fd.r, (uint8_t *)fd.in.data + rc, fd.in.len - rc, &m);
    T_EQ_INT(rc, -1);
    T_EQ_INT(fd.r.close_code, 1009);
    feeder_free(&fd);
    free(p);
}

/* Corrupting any single header byte of a masked text frame gives either a
 * valid parse, -2, or -1 with 1002/1009 — and never reads past the input. */
static void test_corrupt_every_header_byte(void)
{
    const char *txt = "hello, \xe5\xbc\xb9\xe5\xb9\x95";
    dbuf b;
    dbuf_init(&b);
    build(&b, 1, WS_OP_TEXT, txt, strlen(txt), MASK);
    size_t hl = 6;
    for (size_t i = 0; i < hl; i++) {
        for (int v = 0; v < 256; v++) {
            uint8_t tmp[64];
            memcpy(tmp, b.data, b.len);
            tmp[i] = (uint8_t)v;
            ws_reader r;
            ws_reader_init(&r, WS_ROLE_SERVER, 1000);
            guard g;
            uint8_t *q = guard_put(&g, tmp, b.len);
            ws_msg m;
            int rc = ws_reader_feed(&r, q, b.len, &m);
            guard_free(&g);
            int code = r.close_code;
            ws_reader_free(&r);
            if (!(rc == -2 || rc > 0 || (rc == -1 && (code == 1002 || code == 1007 || code == 1009)))) {
                T_FAIL_("byte %zu = 0x%02x: rc %d code %d", i, v, rc, code);
                dbuf_free(&b);
                return;
            }
        }
    }
    dbuf_free(&b);
}

int main(void)
{
    T_RUN(test_roundtrip_lengths);
    T_RUN(test_header_bytes);
    T_RUN(test_rfc_examples);
    T_RUN(test_truncated_every_byte);
    T_RUN(test_byte0_all_values);
    T_RUN(test_byte1_all_values);
    T_RUN(test_length_limits);
    T_RUN(test_unmask);
    T_RUN(test_close_codes_table);
    T_RUN(test_close_payload_build);
    T_RUN(test_accept_key);
    T_RUN(test_reader_fragments_with_control);
    T_RUN(test_reader_errors);
    T_RUN(test_reader_utf8_fail_fast);
    T_RUN(test_reader_large);
    T_RUN(test_corrupt_every_header_byte);
    return T_DONE();
}

/* test_utf8.c — strict UTF-8: exhaustive 1-3 byte sequences against the
 * RFC 3629 rules, every code point round trip, overlongs, surrogates,
 * > U+10FFFF, truncation at every byte, the ASCII fast path, and code-point
 * counts for CJK and emoji. Inputs sit before a guard page. */
#include "t.h"
#include "guard.h"
#include "utf8.h"

static int val_g(const char *s, size_t n, size_t *cps)
{
    guard g;
    char *q = (char *)guard_put(&g, s, n);
    int rc = utf8_validate(q, n, cps);
    guard_free(&g);
    return rc;
}

static void test_counts(void)
{
    size_t cps = 99;
    T_EQ_INT(val_g("", 0, &cps), 0);
    T_EQ_INT(cps, 0);
    T_EQ_INT(val_g("hello", 5, &cps), 0);
    T_EQ_INT(cps, 5);
    const char *cjk = "\xe5\xbc\xb9\xe5\xb9\x95\xe6\xb5\x8b\xe8\xaf\x95";     /* 弹幕测试 */
    T_EQ_INT(val_g(cjk, strlen(cjk), &cps), 0);
    T_EQ_INT(cps, 4);
    const char *emoji = "\xf0\x9f\x98\x80";                                   /* 😀 */
    T_EQ_INT(val_g(emoji, 4, &cps), 0);
    T_EQ_INT(cps, 1);
    /* family: man ZWJ woman ZWJ girl = 5 code points */
    const char *fam = "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7";
    T_EQ_INT(val_g(fam, strlen(fam), &cps), 0);
    T_EQ_INT(cps, 5);
    const char *mix = "ab\xc3\xa9\xe5\xbc\xb9\xf0\x9f\x8e\x89 long ascii run here!";
    T_EQ_INT(val_g(mix, strlen(mix), &cps), 0);
    T_EQ_INT(cps, 2 + 1 + 1 + 1 + 21);
    T_EQ_INT(val_g("a\0b", 3, &cps), 0);     /* NUL is a valid code point */
    T_EQ_INT(cps, 3);
    T_EQ_INT(utf8_validate("abc", 3, NULL), 0);
}

static void test_invalid_cases(void)
{
    static const char *const bad[] = {
        "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf",
        "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
        "\xed\xa0\xbd\xed\xb8\x80" /* CESU-8 emoji */, "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80", "\xf7\xbf\xbf\xbf", "\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80",
        "\xfe", "\xff", "\xc3", "\xc3\x28", "\xe5\xbc", "\xe5\x28\xb9", "\xe5\xbc\x28",
        "\xf0\x9f\x98", "\xf0\x9f\x98\x28", "a\xc3", "abcdefgh\xff", "abcdefghijklmnop\x80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (val_g(bad[i], strlen(bad[i]), NULL) != -1) {
            T_FAIL_("bad case %zu accepted", i);
            return;
        }
    }
    static const char *const good[] = {
        "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
        "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\xef\xbb\xbf", "\x7f",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        size_t cps;
        if (val_g(good[i], strlen(good[i]), &cps) != 0 || cps != 1) {
            T_FAIL_("good case %zu rejected", i);
            return;
        }
    }
}

/* Every strict prefix of a 4-byte emoji is invalid, alone, followed by
 * ASCII, or in the middle of text; any corrupted continuation is too. */
static void test_emoji_truncated_every_byte(void)
{
    const char e[] = "\xf0\x9f\x98\x80";
    for (size_t k = 1; k < 4; k++) {
        char buf[32];
        T_EQ_INT(val_g(e, k, NULL), -1);
        memcpy(buf, e, k);
        buf[k] = 'x';
        T_EQ_INT(val_g(buf, k + 1, NULL), -1);
        memcpy(buf, "hello world ", 12);
        memcpy(buf + 12, e, k);
        memcpy(buf + 12 + k, "\xe5\xbc\xb9", 3);
        T_EQ_INT(val_g(buf, 15 + k, NULL), -1);
        uint32_t cp;
        T_EQ_INT(utf8_decode(e, k, &cp), -1);
    }
    for (size_t i = 1; i < 4; i++) {
        for (int v = 0; v < 256; v++) {
            char buf[4];
            memcpy(buf, e, 4);
            buf[i] = (char)v;
            int ok = v >= 0x80 && v <= 0xbf && !(i == 1 && v < 0x90);
            if ((val_g(buf, 4, NULL) == 0) != ok) {
                T_FAIL_("byte %zu = 0x%02x", i, v);
                return;
            }
        }
    }
}

/* All 1-, 2- and 3-byte sequences against the rule stated independently. */
static void test_exhaustive_short(void)
{
    for (int a = 0; a < 256; a++) {
        char s[1] = { (char)a };
        T_EQ_INT(utf8_validate(s, 1, NULL), a < 0x80 ? 0 : -1);
    }
    for (int a = 0; a < 256; a++) {
        for (int b = 0; b < 256; b++) {
            char s[2] = { (char)a, (char)b };
            int ok = (a < 0x80 && b < 0x80) ||
                     (a >= 0xc2 && a <= 0xdf && b >= 0x80 && b <= 0xbf);
            if ((utf8_validate(s, 2, NULL) == 0) != ok) {
                T_FAIL_("2-byte %02x %02x", a, b);
                return;
            }
        }
    }
    long valid3 = 0;
    for (int a = 0xe0; a <= 0xef; a++) {
        for (int b = 0; b < 256; b++) {
            for (int c = 0; c < 256; c++) {
                char s[3] = { (char)a, (char)b, (char)c };
                uint32_t cp = (uint32_t)(a & 0x0f) << 12 | (uint32_t)(b & 0x3f) << 6 | (c & 0x3f);
                int ok = b >= 0x80 && b <= 0xbf && c >= 0x80 && c <= 0xbf &&
                         cp >= 0x800 && !(cp >= 0xd800 && cp <= 0xdfff);
                valid3 += ok;
                if ((utf8_validate(s, 3, NULL) == 0) != ok) {
                    T_FAIL_("3-byte %02x %02x %02x", a, b, c);
                    return;
                }
            }
        }
    }
    T_EQ_INT(valid3, 0x10000 - 0x800 - 0x800);
}

/* Every scalar value encodes, validates and decodes back; surrogates and
 * values above U+10FFFF never come out of a decode. */
static void test_every_code_point(void)
{
    for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff)
            continue;
        char buf[4];
        int n = utf8_encode(cp, buf);
        int want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        uint32_t back;
        size_t cps;
        if (n != want || utf8_decode(buf, (size_t)n, &back) != n || back != cp ||
            utf8_validate(buf, (size_t)n, &cps) != 0 || cps != 1) {
            T_FAIL_("code point U+%04X", cp);
            return;
        }
    }
    /* 4-byte lead F4 with second byte above 8F is beyond U+10FFFF */
    for (int b = 0x90; b <= 0xbf; b++) {
        char s[4] = { (char)0xf4, (char)b, (char)0x80, (char)0x80 };
        T_EQ_INT(utf8_validate(s, 4, NULL), -1);
    }
}

/* The 8-byte ASCII fast path must not skip a bad byte at any position. */
static void test_fast_path_positions(void)
{
    for (size_t len = 1; len < 40; len++) {
        for (size_t pos = 0; pos < len; pos++) {
            char buf[40];
            memset(buf, 'a', len);
            buf[pos] = (char)0x80;
            size_t cps;
            if (val_g(buf, len, &cps) != -1) {
                T_FAIL_("len %zu bad byte at %zu accepted", len, pos);
                return;
            }
            memcpy(buf + pos, "\xc3\xa9", pos + 2 <= len ? 2 : 1);
            int rc = val_g(buf, len, &cps);
            if (pos + 2 <= len) {
                T_EQ_INT(rc, 0);
                T_EQ_INT(cps, len - 1);
            } else {
                T_EQ_INT(rc, -1);
            }
        }
    }
}

int main(void)
{
    T_RUN(test_counts);
    T_RUN(test_invalid_cases);
    T_RUN(test_emoji_truncated_every_byte);
    T_RUN(test_exhaustive_short);
    T_RUN(test_every_code_point);
    T_RUN(test_fast_path_positions);
    return T_DONE();
}

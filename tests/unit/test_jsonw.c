/* test_jsonw.c — JSON string escaping: exact output for quotes, backslash,
 * every control character, </script>, U+2028/2029, CJK and emoji passing
 * through, invalid UTF-8 replaced; and every output parses back with
 * jansson to the original string. */
#include "t.h"
#include "jsonw.h"
#include "utf8.h"
#include <jansson.h>

static char *esc(const char *s, size_t n)
{
    dbuf b;
    dbuf_init(&b);
    jsonw_str(&b, s, n);
    return dbuf_steal(&b, NULL);
}

/* Output parses with jansson (as a bare JSON string) to exactly want. */
static int parses_back(const char *json, const char *want, size_t want_len)
{
    json_error_t err;
    json_t *j = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!j || !json_is_string(j)) {
        fprintf(stderr, "  jansson: %s in %s\n", j ? "not a string" : err.text, json);
        json_decref(j);
        return 0;
    }
    int ok = json_string_length(j) == want_len && !memcmp(json_string_value(j), want, want_len);
    json_decref(j);
    return ok;
}

static void test_exact(void)
{
    static const struct { const char *in; size_t n; const char *out; } cases[] = {
        { "", 0, "\"\"" },
        { "plain", 5, "\"plain\"" },
        { "say \"hi\"", 8, "\"say \\\"hi\\\"\"" },
        { "a\\b", 3, "\"a\\\\b\"" },
        { "\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"" },
        { "\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"" },
        { "a\0b", 3, "\"a\\u0000b\"" },
        { "</script>", 9, "\"\\u003c/script\\u003e\"" },
        { "a&b", 3, "\"a\\u0026b\"" },
        { "'/", 2, "\"'/\"" },
        { "\xe2\x80\xa8\xe2\x80\xa9", 6, "\"\\u2028\\u2029\"" },
        { "\xe5\xbc\xb9\xe5\xb9\x95", 6, "\"\xe5\xbc\xb9\xe5\xb9\x95\"" },
        { "\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"" },
        { "\xe2\x80\xa7", 3, "\"\xe2\x80\xa7\"" },          /* U+2027 untouched */
        { "a\xffz", 3, "\"a\xef\xbf\xbdz\"" },
        { "\xf0\x9f\x98", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
        { "\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *o = esc(cases[i].in, cases[i].n);
        if (strcmp(o, cases[i].out)) {
            T_FAIL_("case %zu: got %s want %s", i, o, cases[i].out);
            free(o);
            return;
        }
        free(o);
    }
}

static void test_every_ascii_roundtrip(void)
{
    char all[128];
    for (int i = 0; i < 128; i++)
        all[i] = (char)i;
    char *o = esc(all, 128);
    T_ASSERT(parses_back(o, all, 128));
    for (const char *p = o; *p; p++)          /* no raw control byte */
        T_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
    T_ASSERT(!strchr(o, '<') && !strchr(o, '>') && !strchr(o, '&'));
    free(o);
    for (int i = 0; i < 128; i++) {
        char s[3] = { 'x', (char)i, 'y' };
        char *e = esc(s, 3);
        int ok = parses_back(e, s, 3);
        free(e);
        if (!ok) {
            T_FAIL_("byte 0x%02x", i);
            return;
        }
    }
}

/* Danmaku-like texts with everything at once round-trip exactly. */
static void test_mixed_roundtrip(void)
{
    static const char *const texts[] = {
        "\xe5\xa5\xbd\xe7\x9c\x8b \"quoted\" \\back\\ </script><script>alert(1)</script>",
        "\xf0\x9f\x98\x82\xf0\x9f\x98\x82\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbb 666 \xe2\x80\xa8 line\xe2\x80\xa9sep",
        "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 \xd8\xa7\xd9\x84\xd8\xb9 tab\there\r\nnew",
        "\xef\xbc\xa1\xef\xbc\x91 full-width & <b>",
        "\xf4\x8f\xbf\xbf max",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        T_EQ_INT(utf8_validate(texts[i], strlen(texts[i]), NULL), 0);
        char *o = esc(texts[i], strlen(texts[i]));
        int ok = parses_back(o, texts[i], strlen(texts[i])) && !strstr(o, "</script>") &&
                 !strstr(o, "\xe2\x80\xa8") && !strstr(o, "\xe2\x80\xa9");
        free(o);
        if (!ok) {
            T_FAIL_("text %zu", i);
            return;
        }
    }
}

/* Every code point in its own string parses back (CJK, emoji, all planes). */
static void test_every_code_point_roundtrip(void)
{
    for (uint32_t cp = 0; cp <= 0x10ffff; cp += (cp < 0x3000 ? 1 : 7)) {
        if (cp >= 0xd800 && cp <= 0xdfff)
            continue;
        char s[4];
        int n = utf8_encode(cp, s);
        char *o = esc(s, (size_t)n);
        int ok = parses_back(o, s, (size_t)n);
        free(o);
        if (!ok) {
            T_FAIL_("U+%04X", cp);
            return;
        }
    }
}

static void test_helpers(void)
{
    dbuf b;
    dbuf_init(&b);
    dbuf_putc(&b, '{');
    jsonw_key(&b, "text");
    jsonw_cstr(&b, "x\"y");
    dbuf_putc(&b, ',');
    jsonw_key(&b, "nick");
    jsonw_cstr(&b, NULL);
    dbuf_putc(&b, '}');
    T_EQ_STR(b.data, "{\"text\":\"x\\\"y\",\"nick\":\"\"}");
    json_t *j = json_loads(b.data, 0, NULL);
    T_ASSERT(j);
    T_EQ_STR(json_string_value(json_object_get(j, "text")), "x\"y");
    json_decref(j);
    dbuf_free(&b);
}

static void test_fields(void)
{
    dbuf b;
    dbuf_init(&b);
    dbuf_putc(&b, '{');
    jsonw_key(&b, "type");
    jsonw_cstr(&b, "batch");
    jsonw_field_u64(&b, "seq", UINT64_MAX);
    jsonw_field_str(&b, "text", "a\"</script>");
    jsonw_field_str(&b, "none", NULL);
    dbuf_putc(&b, '}');
    T_EQ_STR(b.data, "{\"type\":\"batch\",\"seq\":18446744073709551615,"
                     "\"text\":\"a\\\"\\u003c/script\\u003e\",\"none\":\"\"}");
    dbuf_free(&b);
}

int main(void)
{
    T_RUN(test_exact);
    T_RUN(test_every_ascii_roundtrip);
    T_RUN(test_mixed_roundtrip);
    T_RUN(test_every_code_point_roundtrip);
    T_RUN(test_helpers);
    T_RUN(test_fields);
    return T_DONE();
}

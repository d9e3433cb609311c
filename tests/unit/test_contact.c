/* test_contact.c — contact-info detection: positives of every kind (with
 * full-width, circled digits, separators, zero-width dodges) and the
 * danmaku near-misses that must stay clean (233..., times, prices, years),
 * plus a sweep over the real corpus that bounds the false-positive rate. */
#include "t.h"
#include "../../broadcaster/contact.h"
#include <jansson.h>
#include <unistd.h>

typedef struct tc { const char *text; unsigned want; } tc;

static int check(const tc *cases, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned got = contact_scan(cases[i].text, strlen(cases[i].text));
        if (got != cases[i].want) {
            dbuf a, b; dbuf_init(&a); dbuf_init(&b);
            contact_kinds_str(got, &a); contact_kinds_str(cases[i].want, &b);
            fprintf(stderr, "  \"%s\": got {%s}, want {%s}\n", cases[i].text,
                    a.data ? a.data : "", b.data ? b.data : "");
            dbuf_free(&a); dbuf_free(&b);
            bad++;
        }
    }
    return bad;
}
#define CHECK(arr) T_EQ_INT(check(arr, sizeof arr / sizeof arr[0]), 0)

static void test_phone_cn(void)
{
    static const tc c[] = {
        { "13800138000", CONTACT_PHONE_CN },
        { "call 138 0013 8000 now", CONTACT_PHONE_CN },
        { "138-0013-8000", CONTACT_PHONE_CN },
        { "138.0013.8000", CONTACT_PHONE_CN },
        { "+86 13800138000", CONTACT_PHONE_CN },
        { "+86-138-0013-8000", CONTACT_PHONE_CN },
        { "008613800138000", CONTACT_PHONE_CN },
        { "电话：15912345678", CONTACT_PHONE_CN },
        { "打给我19987654321哦", CONTACT_PHONE_CN },
        { "\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x98\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC\x91"
          "\xEF\xBC\x93\xEF\xBC\x98\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC\x90", CONTACT_PHONE_CN }, /* full-width */
        { "①③⑧0013８000", CONTACT_PHONE_CN },                      /* circled + full-width */
        { "1 3 8 0 0 1 3 8 0 0 0", CONTACT_PHONE_CN },                /* spaced out */
        { "138\xE2\x80\x8B" "0013\xE2\x80\x8B" "8000", CONTACT_PHONE_CN },  /* zero-width */
        { "138\xE3\x80\x80" "0013\xE3\x80\x80" "8000", CONTACT_PHONE_CN }, /* U+3000 */
        { "第12 138 0013 8000", CONTACT_PHONE_CN },                   /* preceded by a number */
        { "tel13800138000", CONTACT_PHONE_CN },
    };
    CHECK(c);
}

static void test_phone_intl(void)
{
    static const tc c[] = {
        { "+1 415 555 2671", CONTACT_PHONE_INTL },
        { "+44 20 7946 0958", CONTACT_PHONE_INTL },
        { "+81-3-1234-5678", CONTACT_PHONE_INTL },
        { "whatsapp +6591234567", CONTACT_PHONE_INTL },
        { "0044 20 7946 0958", CONTACT_PHONE_INTL },
        { "\xEF\xBC\x8B" "852 6123 4567", CONTACT_PHONE_INTL },      /* full-width plus */
    };
    CHECK(c);
}

static void test_ids(void)
{
    static const tc c[] = {
        { "加我微信abc12345", CONTACT_WECHAT },
        { "微信号：wxid_abc123", CONTACT_WECHAT },
        { "vx: hello_2024", CONTACT_WECHAT },
        { "VX 18812345678", CONTACT_WECHAT | CONTACT_PHONE_CN },
        { "v信 abc-123-xyz", CONTACT_WECHAT },
        { "wx：a1b2c3d4", CONTACT_WECHAT },
        { "威信 liu_888999", CONTACT_WECHAT },
        { "加v：zhang2024", CONTACT_WECHAT },
        { "qq 12345678", CONTACT_QQ },
        { "QQ号：987654321", CONTACT_QQ },
        { "QQ群123456789", CONTACT_QQ },
        { "扣扣 10086123", CONTACT_QQ },
        { "企鹅：55667788", CONTACT_QQ },
        { "加我 8848123", CONTACT_QQ },
        { "ｑｑ：１２３４５６７", CONTACT_QQ },                        /* full-width */
        { "微信 id: abc_1234", CONTACT_WECHAT },
    };
    CHECK(c);
}

static void test_urls_emails(void)
{
    static const tc c[] = {
        { "http://example.com/x", CONTACT_URL },
        { "看这个 https://t.cn/abc", CONTACT_URL },
        { "HTTPS://EXAMPLE.ORG", CONTACT_URL },
        { "www.example.net", CONTACT_URL },
        { "上bilibili.com看", CONTACT_URL },
        { "baidu点com", CONTACT_URL },
        { "example。com", CONTACT_URL },                              /* ideographic full stop */
        { "shop.taobao.com/item", CONTACT_URL },
        { "abc@example.com", CONTACT_EMAIL },
        { "12345678@qq.com", CONTACT_EMAIL },
        { "mail me: first.last+tag@mail.example.co.uk!", CONTACT_EMAIL },
        { "ａｂｃ＠ｅｘａｍｐｌｅ．ｃｏｍ", CONTACT_EMAIL },            /* full-width */
        { "abc@example.dev", CONTACT_EMAIL },                         /* any TLD for e-mail */
    };
    CHECK(c);
}

static void test_near_misses(void)
{
    static const tc c[] = {
        { "233", 0 }, { "2333", 0 }, { "2333333333", 0 }, { "23333333333", 0 },
        { "23333333333333333333", 0 }, { "2333333333333333", 0 }, { "233 2333 23333", 0 },
        { "13333333333", 0 },                      /* 1333... laughter, not a number */
        { "12:30", 0 }, { "12:30:45", 0 }, { "2024-11-21 13:05", 0 }, { "2024.11.21", 0 },
        { "2017年3月", 0 }, { "1998", 0 }, { "08:00-18:00", 0 },
        { "￥1380.00", 0 }, { "1,380,000元", 0 }, { "价格138元", 0 }, { "3.14159", 0 },
        { "1.5倍速", 0 }, { "v1.2.3", 0 }, { "e.g. this", 0 }, { "i.e.", 0 }, { "...", 0 },
        { "第1集 第2集", 0 }, { "10 11 12 13 14 15", 0 }, { "666666", 0 }, { "88888888", 0 },
        { "qq飞车", 0 }, { "QQ音乐真好听", 0 }, { "微信支付", 0 }, { "加我一个", 0 },
        { "vx 233", 0 }, { "wx 666666", 0 }, { "qq 2333", 0 }, { "加我好友", 0 },
        { "微信红包", 0 }, { "box", 0 }, { "wxyz", 0 }, { "qqqqq", 0 },
        { "@UP主 好厉害", 0 }, { "@全体成员", 0 }, { "a@b", 0 },
        { "ok.", 0 }, { "hello.world", 0 }, { "1.cn", 0 }, { "AV12345678", 0 },
        { "BV1xx411c7mD", 0 }, { "2333333333333+1", 0 }, { "+1", 0 }, { "+10086", 0 },
        { "哈哈哈哈哈哈哈哈", 0 }, { "", 0 }, { "前方高能", 0 }, { "1080P", 0 }, { "4K 60fps", 0 },
        { "第一！！！", 0 }, { "00:13:37", 0 }, { "1:23:45", 0 }, { "100000000000", 0 },
    };
    CHECK(c);
}

static void test_invalid_and_huge(void)
{
    const char bad[] = "\xff\xfe" "13800138000\xc3";
    T_EQ_INT(contact_scan(bad, sizeof bad - 1), CONTACT_PHONE_CN);
    size_t n = 1 << 20;
    char *t = malloc(n);
    memset(t, '3', n);
    t[0] = '2';
    T_EQ_INT(contact_scan(t, n), 0);
    memcpy(t + n - 12, " 13800138000", 12);
    T_EQ_INT(contact_scan(t, n), CONTACT_PHONE_CN);
    free(t);
    T_EQ_STR(contact_risk(CONTACT_URL), "contact");
    T_ASSERT(contact_risk(0) == NULL);
    dbuf b; dbuf_init(&b);
    contact_kinds_str(CONTACT_PHONE_CN | CONTACT_EMAIL | CONTACT_QQ, &b);
    T_EQ_STR(b.data, "phone_cn,qq,email");
    dbuf_free(&b);
}

/* fuzz_contact found it: a run whose only group cannot take the next group
 * within MAX_DIGITS dropped "group 0" using gs[1], which did not exist. */
static void test_regression_drop_only_group(void)
{
    static const char crash[] =
        ".5555555X5555555555555511111115%5555555555555555.555555555555555"
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" "5\xcb\xca\xca\xca\xca\xca\xca\xc7" "5";
    T_EQ_INT(contact_scan(crash, sizeof crash - 1), 0);
    /* 16 digits, then 17: the second group alone is checked afresh */
    T_EQ_INT(contact_scan("5555555555555555 13800138000", 28), CONTACT_PHONE_CN);
    T_EQ_INT(contact_scan("1234567890123456.12345678901234567", 34), 0);
}

/* Real danmaku are almost all clean: a sweep bounds the false-positive rate. */
static void test_corpus_false_positives(void)
{
    const char *path = "../shared/data/danmaku/bilibili_video_danmaku.jsonl";
    FILE *f = fopen(path, "r");
    if (!f) { printf("# skipped: no %s\n", path); return; }
    char *line = NULL; size_t cap = 0; ssize_t n;
    size_t total = 0, hits = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        json_t *j = json_loadb(line, (size_t)n, 0, NULL);
        json_t *tx = json_object_get(j, "text");
        if (json_is_string(tx)) {
            total++;
            if (contact_scan(json_string_value(tx), json_string_length(tx))) {
                hits++;
                if (hits <= 10) fprintf(stderr, "  # flagged: %s\n", json_string_value(tx));
            }
        }
        json_decref(j);
    }
    free(line);
    fclose(f);
    printf("# corpus: %zu of %zu flagged\n", hits, total);
    T_ASSERT(total > 10000);
    T_ASSERT(hits * 1000 < total);   /* under 0.1 % */
}

int main(void)
{
    T_RUN(test_phone_cn);
    T_RUN(test_phone_intl);
    T_RUN(test_ids);
    T_RUN(test_urls_emails);
    T_RUN(test_near_misses);
    T_RUN(test_invalid_and_huge);
    T_RUN(test_regression_drop_only_group);
    T_RUN(test_corpus_false_positives);
    return T_DONE();
}

/* test_kw.c — keyword filter: CJK, mixed scripts, overlapping patterns,
 * evasion variants (spaces, dots, zero-width, full-width, case), allow-list,
 * word boundaries, categories/actions, empty and huge inputs, the real
 * lexicons from ../shared/data, and file loading. */
#include "t.h"
#include "../../broadcaster/kw.h"
#include <unistd.h>

static const char LEX[] =
    "# test lexicon\n"
    "word\tcategories\n"
    "坏蛋\tinsult\n"
    "坏蛋王\tinsult\n"
    "蛋王\tother\n"
    "法轮\tpolitics\n"
    "fuck\tprofanity\n"
    "ass\tprofanity\n"
    "shit\tprofanity,insult\n"
    "x\tprofanity\n"
    "spam link\tads\n"
    "快乐\tother\n"
    "加微信\tads\n"
    "Ünter\tother\n";
static const char ALLOW[] = "生日快乐\nclass\n";
static const char ACTIONS[] = "politics=reject,ads=flag,other=replace,insult=replace,profanity=replace";

static kw_set *mk(void)
{
    kw_opts o = { .actions = ACTIONS };
    char err[128] = "";
    kw_set *s = kw_build(LEX, sizeof LEX - 1, ALLOW, sizeof ALLOW - 1, &o, err, sizeof err);
    if (!s) fprintf(stderr, "kw_build: %s\n", err);
    return s;
}

/* Scans and returns the masked text (or the input when not masked). */
static const char *scan(kw_set *s, kw_result *r, const char *t)
{
    kw_scan(s, t, strlen(t), r);
    return r->masked_set ? r->masked.data : t;
}

static void test_cjk_replace(void)
{
    kw_set *s = mk(); T_ASSERT(s);
    kw_result r; kw_result_init(&r);
    T_EQ_STR(scan(s, &r, "你是坏蛋吗"), "你是**吗");
    T_EQ_INT(r.action, KW_REPLACE);
    T_EQ_INT(r.nmatch, 1);
    T_EQ_STR(scan(s, &r, "今天天气很好"), "今天天气很好");
    T_EQ_INT(r.action, KW_NONE);
    T_EQ_INT(r.masked_set, 0);
    kw_result_free(&r); kw_free(s);
}

static void test_overlapping(void)
{
    kw_set *s = mk(); T_ASSERT(s);
    kw_result r; kw_result_init(&r);
    /* 坏蛋, 坏蛋王 and 蛋王 all match and overlap: the union is masked */
    T_EQ_STR(scan(s, &r, "大坏蛋王来了"), "大***来了");
    T_EQ_INT(r.nmatch, 3);
    dbuf c; dbuf_init(&c);
    kw_result_cats(s, &r, &c);
    T_EQ_STR(c.data, "insult,other");
    dbuf_free(&c);
    T_EQ_STR(scan(s, &r, "坏蛋坏蛋"), "****");
    kw_result_free(&r); kw_free(s);
}

static void test_reject_and_flag(void)
{
    kw_set *s = mk(); T_ASSERT(s);
    kw_result r; kw_result_init(&r);
    T_EQ_INT(kw_scan(s, "法轮大法", strlen("法轮大法"), &r), KW_REJECT);
    /* reject beats replace when both match */
    T_EQ_INT(kw_scan(s, "坏蛋法轮", strlen("坏蛋法轮"), &r), KW_REJECT);
    T_EQ_INT(kw_scan(s, "快来加微信", strlen("快来加微信"), &r), KW_FLAG);
    T_EQ_INT(r.masked_set, 0);
    T_EQ_STR(scan(s, &r, "SPAM LINK here"), "SPAM LINK here");
    T_EQ_INT(r.action, KW_FLAG);
    kw_result_free(&r); kw_free(s);
}

static void test_evasion(void)
{
    kw_set *s = mk(); T_ASSERT(s);
    kw_result r; kw_result_init(&r);
    T_EQ_STR(scan(s, &r, "坏 蛋"), "***");                      /* space */
    T_EQ_STR(scan(s, &r, "坏.蛋!"), "***!");                    /* dot */
    T_EQ_STR(scan(s, &r, "坏\xE2\x80\x8B蛋"), "***");            /* U+200B */
    T_EQ_STR(scan(s, &r, "坏\xEF\xBB\xBF蛋"), "***");            /* U+FEFF */
    T_EQ_STR(scan(s, &r, "坏\xE3\x80\x80蛋"), "***");           /* U+3000 */
    T_EQ_STR(scan(s, &r, "FuCk you"), "**** you");              /* case */
    T_EQ_STR(scan(s, &r, "f.u.c.k"), "*******");                /* dots */
    T_EQ_STR(scan(s, &r, "f u c k!"), "*******!");              /* spaces */
    T_EQ_STR(scan(s, &r, "\xEF\xBD\x86\xEF\xBC\xB5\xEF\xBD\x83\xEF\xBD\x8B"), "****"); /* ｆＵｃｋ */
    T_EQ_STR(scan(s, &r, "s_h-i*t"), "*******");
    T_EQ_STR(scan(s, &r, "ünter"), "*****");                    /* Latin-1 folding */
    T_EQ_STR(scan(s, &r, "ÜNTER"), "*****");
    /* an unknown character between is not a separator: no match */
    T_EQ_STR(scan(s, &r, "坏X蛋"), "坏X蛋");
    kw_result_free(&r); kw_free(s);
}

static void test_separators_configurable(void)
{
    kw_opts o = { .separators = "" };
    kw_set *s = kw_build("坏蛋\n", 7, NULL, 0, &o, NULL, 0);
    T_ASSERT(s);
    kw_result r; kw_result_init(&r);
    T_EQ_INT(kw_scan(s, "坏 蛋", strlen("坏 蛋"), &r), KW_NONE);
    T_EQ_INT(kw_scan(s, "坏\xE2\x80\x8B蛋", strlen("坏\xE2\x80\x8B蛋"), &r), KW_REPLACE); /* zero-width always */
    kw_result_free(&r); kw_free(s);
    o.separators = "#";
    s = kw_build("坏蛋\n", 7, NULL, 0, &o, NULL, 0);
    T_ASSERT(s);
    kw_result_init(&r);
    T_EQ_INT(kw_scan(s, "坏#蛋", strlen("坏#蛋"), &r), KW_REPLACE);
    T_EQ_INT(kw_scan(s, "坏.蛋", strlen("坏.蛋"), &r), KW_NONE);
    kw_result_free(&r); kw_free(s);
}

static void test_word_boundaries(void)
{
    kw_set *s = mk(); T_ASSERT(s);
    kw_result r; kw_result_init(&r);
    T_EQ_STR(scan(s, &r, "assume the passage"), "assume the passage");
    T_EQ_INT(r.action, KW_NONE);
    T_EQ_STR(scan(s, &r, "this hit, thishit"), "this hit, thishit");
    T_EQ_STR(scan(s, &r, "an ass."), "an ***.");
    T_EQ_STR(scan(s, &r, "我ass你"), "我***你");        /* CJK neighbours are boundaries */
    T_EQ_STR(scan(s, &r, "ass1"), "ass1");              /* digits are word chars */
    /* single-letter entries are skipped by default (min_latin_len 2) */
    T_EQ_STR(scan(s, &r, "x marks the spot"), "x marks the spot");
    kw_opts o = { .min_latin_len = 1 };
    kw_set *s1 = kw_build("x\n", 2, NULL, 0, &o, NULL, 0);
    T_ASSERT(s1);
    T_EQ_INT(kw_scan(s1, "box xylophone", 13, &r), KW_NONE);
    T_EQ_INT(kw_scan(s1, "x marks", 7, &r), KW_REPLACE);
    kw_free(s1);
    /* CJK entries match anywhere, even inside runs of letters */
    T_EQ_STR(scan(s, &r, "abc坏蛋def"), "abc**def");
    kw_result_free(&r); kw_free(s);
}

static void test_allow_list(void)
{
    kw_set *s = mk(); T_ASSERT(s);
    kw_result r; kw_result_init(&r);
    T_EQ_STR(scan(s, &r, "祝你生日快乐"), "祝你生日快乐");     /* 快乐 covered by 生日快乐 */
    T_EQ_INT(r.action, KW_NONE);
    T_EQ_STR(scan(s, &r, "快乐星球"), "**星球");
    T_EQ_STR(scan(s, &r, "生日快乐，快乐"), "生日快乐，**");
    /* "class" allowed: would not match ass anyway (boundary), but an allow
     * entry in the same text must not hide a real match elsewhere */
    T_EQ_STR(scan(s, &r, "class ass"), "class ***");
    kw_result_free(&r); kw_free(s);
}

static void test_mixed_scripts(void)
{
    kw_set *s = mk(); T_ASSERT(s);
    kw_result r; kw_result_init(&r);
    T_EQ_STR(scan(s, &r, "😀坏蛋😀 shit 🎉"), "😀**😀 **** 🎉");
    T_EQ_STR(scan(s, &r, "ｓｈｉｔ与坏蛋"), "****与**");
    kw_result_free(&r); kw_free(s);
}

static void test_empty_and_invalid(void)
{
    kw_set *s = mk(); T_ASSERT(s);
    kw_result r; kw_result_init(&r);
    T_EQ_INT(kw_scan(s, "", 0, &r), KW_NONE);
    T_EQ_INT(kw_scan(NULL, "坏蛋", 6, &r), KW_NONE);
    const char bad[] = "\xff\xfe坏蛋\xc3";   /* invalid bytes around a match */
    kw_scan(s, bad, sizeof bad - 1, &r);
    T_EQ_INT(r.action, KW_REPLACE);
    T_EQ_INT(r.masked.len, 5);
    T_EQ_MEM(r.masked.data, "\xff\xfe**\xc3", 5);
    /* empty lexicon */
    kw_set *e = kw_build("", 0, NULL, 0, NULL, NULL, 0);
    T_ASSERT(e);
    T_EQ_INT(kw_entries(e), 0);
    T_EQ_INT(kw_scan(e, "坏蛋", 6, &r), KW_NONE);
    kw_free(e);
    kw_result_free(&r); kw_free(s);
}

static void test_huge_input(void)
{
    kw_set *s = mk(); T_ASSERT(s);
    kw_result r; kw_result_init(&r);
    size_t n = 4 << 20;
    char *t = malloc(n + 1);
    for (size_t i = 0; i < n; i++) t[i] = "abcdefgh "[i % 9];
    memcpy(t + n / 2, "shit", 4);
    t[n / 2 - 1] = ' '; t[n / 2 + 4] = ' ';
    T_EQ_INT(kw_scan(s, t, n, &r), KW_REPLACE);
    T_EQ_INT(r.nmatch, 1);
    T_EQ_INT(r.masked.len, n);
    T_EQ_MEM(r.masked.data + n / 2, "****", 4);
    /* a text made of nothing but matches */
    for (size_t i = 0; i + 6 <= n; i += 6) memcpy(t + i, "坏蛋", 6);
    size_t m = n - n % 6;
    T_EQ_INT(kw_scan(s, t, m, &r), KW_REPLACE);
    T_EQ_INT(r.masked.len, m / 3);
    free(t);
    kw_result_free(&r); kw_free(s);
}

static void test_bad_options(void)
{
    char err[128] = "";
    kw_opts o = { .actions = "insult=explode" };
    T_ASSERT(!kw_build(LEX, sizeof LEX - 1, NULL, 0, &o, err, sizeof err));
    T_ASSERT(strstr(err, "unknown action"));
    o.actions = "noequals";
    T_ASSERT(!kw_build(LEX, sizeof LEX - 1, NULL, 0, &o, err, sizeof err));
    T_ASSERT(!kw_load("/nonexistent/lexicon.txt", NULL, NULL, err, sizeof err));
    T_ASSERT(strstr(err, "/nonexistent/lexicon.txt"));
    /* 65 categories is one too many */
    dbuf b; dbuf_init(&b);
    for (int i = 0; i < 65; i++) dbuf_printf(&b, "w%d\tc%d\n", i, i);
    T_ASSERT(!kw_build(b.data, b.len, NULL, 0, NULL, err, sizeof err));
    dbuf_free(&b);
}

static void test_load_files(void)
{
    char dir[] = "/tmp/kwtestXXXXXX";
    T_ASSERT(mkdtemp(dir));
    char p1[64], p2[64], pa[64], both[140];
    snprintf(p1, sizeof p1, "%s/a.txt", dir);
    snprintf(p2, sizeof p2, "%s/b.tsv", dir);
    snprintf(pa, sizeof pa, "%s/allow.txt", dir);
    FILE *f = fopen(p1, "w"); fputs("坏蛋\r\n\n  shit  \n", f); fclose(f);
    f = fopen(p2, "w"); fputs("法轮\tpolitics\n", f); fclose(f);
    f = fopen(pa, "w"); fputs("坏蛋蛋\n", f); fclose(f);
    snprintf(both, sizeof both, "%s:%s", p1, p2);
    kw_opts o = { .actions = "politics=reject" };
    char err[128];
    kw_set *s = kw_load(both, pa, &o, err, sizeof err);
    T_ASSERT(s);
    T_EQ_INT(kw_entries(s), 4);
    T_EQ_INT(kw_ncats(s), 2);
    kw_result r; kw_result_init(&r);
    T_EQ_STR(scan(s, &r, "坏蛋 shit"), "** ****");
    T_EQ_STR(scan(s, &r, "坏蛋蛋"), "坏蛋蛋");
    T_EQ_INT(kw_scan(s, "法轮", 6, &r), KW_REJECT);
    kw_result_free(&r); kw_free(s);
    unlink(p1); unlink(p2); unlink(pa); rmdir(dir);
}

static void test_reload_swap(void)
{
    /* a reload builds a new immutable set; the caller swaps and frees the
     * old one; one kw_result serves both (it holds no pointer into a set) */
    kw_set *a = kw_build("坏蛋\n", 7, NULL, 0, NULL, NULL, 0);
    kw_result r; kw_result_init(&r);
    T_EQ_STR(scan(a, &r, "坏蛋笨蛋"), "**笨蛋");
    kw_set *b = kw_build("笨蛋\n", 7, NULL, 0, NULL, NULL, 0);
    kw_free(a);
    T_EQ_STR(scan(b, &r, "坏蛋笨蛋"), "坏蛋**");
    kw_free(b);
    kw_result_free(&r);
}

static void test_other_scripts_and_mixed_entries(void)
{
    kw_set *s = kw_build("привет\nΣΟΦΙΑ\n0售k粉qq\n", strlen("привет\nΣΟΦΙΑ\n0售k粉qq\n"),
                         NULL, 0, NULL, NULL, 0);
    T_ASSERT(s);
    kw_result r; kw_result_init(&r);
    T_EQ_STR(scan(s, &r, "ПРИВЕТ мир"), "****** мир");           /* Cyrillic case */
    T_EQ_STR(scan(s, &r, "σοφια!"), "*****!");                    /* Greek case */
    T_EQ_STR(scan(s, &r, "x0售K粉QQy"), "x******y");             /* CJK entry: anywhere */
    T_EQ_STR(scan(s, &r, "приветствую"), "приветствую");          /* Cyrillic is Latin-like: boundaries */
    kw_result_free(&r); kw_free(s);
    /* spaced-out Latin matches when the ends are boundaries */
    kw_set *e = kw_build("ass\n", 4, NULL, 0, NULL, NULL, 0);
    kw_result_init(&r);
    T_EQ_STR(scan(e, &r, "a s s"), "*****");
    T_EQ_STR(scan(e, &r, "glass s"), "glass s");
    T_EQ_INT(kw_action_parse("reject", 6), KW_REJECT);
    T_EQ_INT(kw_action_parse("rejectx", 7), -1);
    T_EQ_STR(kw_action_name(KW_FLAG), "flag");
    kw_result_free(&r); kw_free(e);
}

#define ZH "../shared/data/lexicon/zh/"
#define EN "../shared/data/lexicon/en/"

static void test_real_lexicons(void)
{
    if (access(ZH "houbb_sensitive_word_dict.txt", R_OK) != 0) {
        printf("# skipped: no ../shared/data\n");
        return;
    }
    char err[256] = "";
    kw_set *s = kw_load(ZH "houbb_sensitive_word_dict.txt:" ZH "konsheng_zh_core.tsv:" EN "ldnoobwv2_en.txt",
                        ZH "houbb_sensitive_word_allow.txt", NULL, err, sizeof err);
    T_ASSERT(s);
    T_ASSERT(kw_entries(s) > 70000);
    kw_result r; kw_result_init(&r);
    /* benign danmaku: nothing flagged */
    const char *ok[] = { "生日快乐", "23333333333", "哈哈哈哈哈哈", "前方高能", "I love this song",
                         "the quick brown fox jumps over the lazy dog", "合影", "谢谢" };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        kw_scan(s, ok[i], strlen(ok[i]), &r);
        if (r.action != KW_NONE) {
            dbuf c; dbuf_init(&c); kw_result_cats(s, &r, &c);
            T_FAIL_("'%s' flagged (%s)", ok[i], c.data ? c.data : "");
            dbuf_free(&c);
            return;
        }
    }
    T_EQ_INT(kw_scan(s, "what the fuck", 13, &r), KW_REPLACE);
    T_EQ_STR(r.masked.data, "what the ****");
    T_EQ_INT(kw_scan(s, "fuck you", 8, &r), KW_REPLACE);     /* "fuck you" is an entry */
    T_EQ_STR(r.masked.data, "********");
    T_EQ_INT(kw_scan(s, "08宪章", strlen("08宪章"), &r), KW_REPLACE);
    kw_result_free(&r); kw_free(s);
}

int main(void)
{
    T_RUN(test_cjk_replace);
    T_RUN(test_overlapping);
    T_RUN(test_reject_and_flag);
    T_RUN(test_evasion);
    T_RUN(test_separators_configurable);
    T_RUN(test_word_boundaries);
    T_RUN(test_allow_list);
    T_RUN(test_mixed_scripts);
    T_RUN(test_empty_and_invalid);
    T_RUN(test_huge_input);
    T_RUN(test_bad_options);
    T_RUN(test_load_files);
    T_RUN(test_reload_swap);
    T_RUN(test_other_scripts_and_mixed_entries);
    T_RUN(test_real_lexicons);
    return T_DONE();
}

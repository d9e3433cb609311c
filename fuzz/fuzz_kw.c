/* fuzz_kw.c — libFuzzer target for broadcaster/kw.h: kw_scan over a small
 * built-in lexicon (CJK, Latin with word boundaries, overlapping entries,
 * an allow-list, every action), checking the masked text's invariants.
 * Inputs starting with '\x01' build a lexicon from the input instead. */
#include "../broadcaster/kw.h"
#include <stdlib.h>
#include <string.h>

static const char LEX[] =
    "坏蛋\tinsult\n坏蛋王\tinsult\n蛋王\tother\n法轮\tpolitics\nfuck\tprofanity\n"
    "ass\tprofanity\nshit\tprofanity,insult\nspam link\tads\n快乐\tother\n加微信\tads\n"
    "aaa\tother\naa\tother\nÜnter\tother\n😀😀\tother\n";
static const char ALLOW[] = "生日快乐\nclass\n";
static kw_set *set;
static kw_result res;

static void scan(const kw_set *s, const uint8_t *data, size_t size)
{
    char *t = malloc(size ? size : 1);
    memcpy(t, data, size);
    int a = kw_scan(s, t, size, &res);
    if (a < KW_NONE || a > KW_REJECT) abort();
    if (res.masked_set) {
        if (res.masked.len > size || res.masked.data[res.masked.len] != '\0') abort();
    }
    free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!set) {
        kw_opts o = { .actions = "politics=reject,ads=flag" };
        set = kw_build(LEX, sizeof LEX - 1, ALLOW, sizeof ALLOW - 1, &o, NULL, 0);
        kw_result_init(&res);
        if (!set) abort();
    }
    if (size > 1 && data[0] == 1) {               /* lexicon | text */
        const uint8_t *bar = memchr(data + 1, '|', size - 1);
        size_t ll = bar ? (size_t)(bar - data - 1) : size - 1;
        kw_opts o = { .min_latin_len = 1, .separators = size > 2 && data[1] == '#' ? "#" : NULL };
        kw_set *s = kw_build((const char *)data + 1, ll, NULL, 0, &o, NULL, 0);
        if (s && bar) scan(s, bar + 1, size - ll - 2);
        kw_free(s);
        return 0;
    }
    scan(set, data, size);
    return 0;
}

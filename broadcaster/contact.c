/* contact.c — contact-information detection: folds the text to lowercase
 * ASCII-like code points, then runs four small recognisers over it (digit
 * runs for phones, keyword + ID, URLs/domains, e-mail). */
#include "contact.h"
#include "utf8.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STACK_CPS 1024
#define MAX_GAP 3        /* separator characters allowed between phone digits */
#define MAX_DIGITS 32     /* digits kept per run (oldest groups dropped) */
#define MAX_GROUPS 16
#define MAX_PHONE 17      /* longest phone form: 00 + 15 digits */

typedef struct text { const uint32_t *c; size_t n; } text;

/* ---------- folding ---------- */

static uint32_t fold(uint32_t c)
{
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c >= 0xFF01 && c <= 0xFF5E) return fold(c - 0xFEE0);     /* full-width */
    if (c == 0x3000) return ' ';
    if (c == 0x3002 || c == 0xFF61 || c == 0x2024) return '.';   /* 。｡ ․ */
    if (c >= 0x2460 && c <= 0x2468) return '1' + (c - 0x2460);   /* ①..⑨ */
    if (c >= 0x2776 && c <= 0x277E) return '1' + (c - 0x2776);   /* ❶..❾ */
    if (c >= 0x2010 && c <= 0x2015) return '-';
    if (c == 0x2212 || c == 0x30FC || c == 0x2014) return '-';
    if (c == 0x24EA || c == 0x24FF) return '0';
    return c;
}

static int zero_width(uint32_t c)
{
    return (c >= 0x200B && c <= 0x200F) || c == 0x2060 || c == 0xFEFF || c == 0xAD;
}

/* Decodes and folds into out (capacity cap); returns the count. */
static size_t fold_text(const char *s, size_t len, uint32_t *out, size_t cap)
{
    size_t n = 0, i = 0;
    while (i < len && n < cap) {
        uint32_t cp;
        int l = utf8_decode(s + i, len - i, &cp);
        if (l < 0) { i++; continue; }
        i += (size_t)l;
        if (!zero_width(cp))
            out[n++] = fold(cp);
    }
    /* "baidu点com": an ideograph 点 between ASCII alnums is a dot */
    for (size_t k = 1; k + 1 < n; k++)
        if (out[k] == 0x70B9 && out[k - 1] < 0x80 && out[k + 1] >= 'a' && out[k + 1] <= 'z')
            out[k] = '.';
    return n;
}

static int is_digit(uint32_t c) { return c >= '0' && c <= '9'; }
static int is_alpha(uint32_t c) { return c >= 'a' && c <= 'z'; }
static int is_alnum(uint32_t c) { return is_digit(c) || is_alpha(c); }
static uint32_t at(const text *t, size_t i) { return i < t->n ? t->c[i] : 0; }

/* ---------- phones ---------- */

static int phone_sep(uint32_t c)
{
    return c == ' ' || c == '-' || c == '.' || c == '_' || c == '/' || c == '(' || c == ')' || c == '\t';
}

static int cn_mobile(const char *d, size_t n)
{
    if (n != 11 || d[0] != '1' || d[1] < '3' || d[1] > '9')
        return 0;
    for (size_t i = 3; i < 11; i++)        /* 13333333333 is laughter, not a phone */
        if (d[i] != d[2]) return 1;
    return 0;
}

static int repetitive(const char *d, size_t n)
{
    size_t same = 0;
    for (size_t i = 1; i < n; i++) same += d[i] == d[i - 1];
    return same * 4 >= n * 3;
}

/* A CN mobile number, possibly behind +86 (plus) or 86 / 0086. */
static unsigned mobile(const char *d, size_t n, int plus)
{
    if (!plus && cn_mobile(d, n)) return CONTACT_PHONE_CN;
    if (n == 13 && d[0] == '8' && d[1] == '6' && cn_mobile(d + 2, 11)) return CONTACT_PHONE_CN;
    if (!plus && n == 15 && !memcmp(d, "0086", 4) && cn_mobile(d + 4, 11)) return CONTACT_PHONE_CN;
    return 0;
}

/* International forms, only for a whole run: +CC... or 00CC... */
static unsigned intl(const char *d, size_t n, int plus)
{
    if (plus)
        return (n >= 8 && n <= 15 && d[0] != '0' && !repetitive(d, n)) ? CONTACT_PHONE_INTL : 0;
    if (n >= 10 && n <= 17 && d[0] == '0' && d[1] == '0' && d[2] != '0' && !repetitive(d + 2, n - 2))
        return CONTACT_PHONE_INTL;
    return 0;
}

/* Digit groups of one run (separated by at most MAX_GAP separators). Only
 * ranges of at most MAX_PHONE digits matter, so the oldest groups are
 * dropped when the buffer fills; a group longer than that ends everything. */
typedef struct run {
    char d[MAX_DIGITS];
    size_t nd, ng, gs[MAX_GROUPS];
    int plus, whole;                 /* whole: group 0 is the run's first group */
    unsigned k;
} run;

static void run_reset(run *r, int plus)
{
    r->nd = r->ng = 0;
    r->plus = plus;
    r->whole = 1;
}

/* A group d[0..n) has ended: check every range of groups ending with it. */
static void run_group(run *r, const char *d, size_t n)
{
    if (n > MAX_PHONE) { run_reset(r, 0); r->whole = 0; return; }
    while (r->ng == MAX_GROUPS || r->nd + n > MAX_DIGITS) {   /* drop group 0 */
        size_t g1 = r->ng > 1 ? r->gs[1] : r->nd;             /* end of group 0 */
        memmove(r->d, r->d + g1, r->nd - g1);
        r->nd -= g1;
        for (size_t i = 1; i < r->ng; i++) r->gs[i - 1] = r->gs[i] - g1;
        r->ng--;
        r->whole = 0;
    }
    r->gs[r->ng++] = r->nd;
    memcpy(r->d + r->nd, d, n);
    r->nd += n;
    for (size_t a = 0; a < r->ng; a++)
        if (r->nd - r->gs[a] <= MAX_PHONE)
            r->k |= mobile(r->d + r->gs[a], r->nd - r->gs[a], r->plus && a == 0 && r->whole);
}

/* Reads the run starting at i; returns the index after its last digit. */
static size_t digit_run(const text *t, size_t i, run *r)
{
    size_t end = i;
    char g[MAX_PHONE + 1];
    size_t gn = 0;
    while (i < t->n) {
        if (is_digit(t->c[i])) {
            if (gn <= MAX_PHONE) g[gn] = (char)t->c[i];
            gn++;
            end = ++i;
            continue;
        }
        size_t s = i;
        while (s < t->n && s - i <= MAX_GAP && phone_sep(t->c[s])) s++;
        if (s == i || s - i > MAX_GAP || !is_digit(at(t, s)))
            break;
        run_group(r, g, gn);
        gn = 0;
        i = s;
    }
    if (gn)
        run_group(r, g, gn);
    if (r->whole && r->ng && !mobile(r->d, r->nd, r->plus))   /* +86 mobile is CN */
        r->k |= intl(r->d, r->nd, r->plus);
    return end;
}

static unsigned find_phones(const text *t)
{
    unsigned k = 0;
    size_t i = 0;
    while (i < t->n) {
        int plus = t->c[i] == '+' && is_digit(at(t, i + 1));
        if (!(plus || is_digit(t->c[i])) || (i > 0 && is_digit(t->c[i - 1]))) { i++; continue; }
        run r;
        run_reset(&r, plus);
        r.k = 0;
        size_t end = digit_run(t, i + (size_t)plus, &r);
        k |= r.k;
        i = end > i ? end : i + 1;
    }
    return k;
}

/* ---------- keyword + ID ---------- */

enum { KW_WECHAT = 1, KW_QQ = 2, KW_ANY = 3 };

typedef struct idkw { const char *w; int kind; } idkw;
static const idkw ID_KEYWORDS[] = {
    { "微信", KW_WECHAT }, { "威信", KW_WECHAT }, { "薇信", KW_WECHAT }, { "徽信", KW_WECHAT },
    { "微新", KW_WECHAT }, { "v信", KW_WECHAT }, { "vx", KW_WECHAT }, { "wx", KW_WECHAT },
    { "wechat", KW_WECHAT }, { "weixin", KW_WECHAT }, { "加v", KW_WECHAT }, { "+v", KW_WECHAT },
    { "加微", KW_WECHAT }, { "qq", KW_QQ }, { "扣扣", KW_QQ }, { "企鹅", KW_QQ }, { "q号", KW_QQ },
    { "球球", KW_QQ }, { "加我", KW_ANY }, { "联系", KW_ANY }, { "私聊", KW_ANY }, { "私信", KW_ANY },
};

#define NKW (sizeof ID_KEYWORDS / sizeof ID_KEYWORDS[0])
typedef struct kwcp { uint32_t c[8]; size_t n; } kwcp;
static kwcp kw_cps[NKW];     /* ID_KEYWORDS decoded once */
static int kw_ready;

static void kw_init(void)
{
    for (size_t w = 0; w < NKW; w++) {
        const char *s = ID_KEYWORDS[w].w;
        size_t n = strlen(s), i = 0;
        while (i < n && kw_cps[w].n < 8) {
            uint32_t cp;
            int l = utf8_decode(s + i, n - i, &cp);
            i += l > 0 ? (size_t)l : 1;
            kw_cps[w].c[kw_cps[w].n++] = cp;
        }
    }
    kw_ready = 1;
}

/* Length in code points if keyword w matches at i, else 0. */
static size_t kw_at(const text *t, size_t i, size_t w)
{
    const kwcp *k = &kw_cps[w];
    if (i + k->n > t->n) return 0;
    for (size_t j = 0; j < k->n; j++)
        if (t->c[i + j] != k->c[j]) return 0;
    return k->n;
}

static int filler(uint32_t c)
{
    static const uint32_t f[] = { ' ', ':', '=', '-', '_', ',', '.', '/', '(', ')', '[', ']',
        0x53F7 /*号*/, 0x662F /*是*/, 0x4E3A /*为*/, 0x7801 /*码*/, 0x641C /*搜*/, 0x7D22 /*索*/,
        0x52A0 /*加*/, 0x6211 /*我*/, 0x7684 /*的*/, 0x7FA4 /*群*/, 0x3010, 0x3011, 0x300C, 0x300D,
        0xFF1A /*：*/, 0x3001 };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (c == f[i]) return 1;
    return 0;
}

static int id_char(uint32_t c) { return is_alnum(c) || c == '_' || c == '-'; }

static unsigned classify_id(const uint32_t *id, size_t n, int kind)
{
    size_t digits = 0, letters = 0;
    for (size_t i = 0; i < n; i++) { digits += is_digit(id[i]); letters += is_alpha(id[i]); }
    if (digits == n && n >= 5 && n <= 11) {
        char d[12];
        for (size_t i = 0; i < n; i++) d[i] = (char)id[i];
        if (repetitive(d, n)) return 0;                 /* vx 666666, qq 233333 */
        return kind == KW_WECHAT ? CONTACT_WECHAT : CONTACT_QQ;
    }
    if (kind == KW_QQ || !is_alpha(id[0]) || n < 6 || n > 20)
        return 0;
    return (digits || letters < n) ? CONTACT_WECHAT : 0;  /* needs a digit, _ or - */
}

/* After a keyword ending at i: skips fillers (and a literal "id"), reads an ID. */
static unsigned id_after(const text *t, size_t i, int kind)
{
    size_t lim = i + 8;
    for (;;) {
        while (i < t->n && i < lim && filler(t->c[i])) i++;
        if (at(t, i) == 'i' && at(t, i + 1) == 'd' && !id_char(at(t, i + 2)) ) { i += 2; continue; }
        break;
    }
    size_t s = i;
    while (i < t->n && id_char(t->c[i]) && i - s < 32) i++;
    if (i == s || id_char(at(t, i)))
        return 0;
    return classify_id(t->c + s, i - s, kind);
}

static unsigned find_ids(const text *t)
{
    unsigned k = 0;
    if (!kw_ready) kw_init();
    for (size_t i = 0; i < t->n; i++) {
        uint32_t c = t->c[i];
        if (c < 0x80 ? !is_alpha(c) && c != '+' : c < 0x4E00)
            continue;                                      /* no keyword starts here */
        for (size_t w = 0; w < NKW; w++) {
            if (kw_cps[w].c[0] != c) continue;
            size_t n = kw_at(t, i, w);
            if (!n) continue;
            if (is_alpha(c) && i > 0 && is_alpha(t->c[i - 1]))
                continue;                                  /* "box" is not "bo"+"x" */
            k |= id_after(t, i + n, ID_KEYWORDS[w].kind);
        }
    }
    return k;
}

/* ---------- URLs, domains, e-mail ---------- */

static const char *const TLDS[] = {
    "com", "net", "org", "cn", "io", "me", "tv", "cc", "xyz", "top", "info", "biz", "co",
    "uk", "jp", "ru", "de", "app", "vip", "club", "site", "online", "shop", "link", "live",
    "fun", "icu", "ltd", "store", "tech", "wang", "work", "kr", "hk", "tw", "us", "la", "ws",
    "pw", "gg", "ly", "to", "fm", "su", "asia", "mobi", "pro", "edu", "gov", "ink", "win", "bid",
};

static int tld_known(const uint32_t *c, size_t n)
{
    for (size_t i = 0; i < sizeof TLDS / sizeof TLDS[0]; i++) {
        size_t l = strlen(TLDS[i]), k = 0;
        if (l != n) continue;
        while (k < l && c[k] == (uint32_t)TLDS[i][k]) k++;
        if (k == l) return 1;
    }
    return 0;
}

static int host_char(uint32_t c) { return is_alnum(c) || c == '-' || c == '.'; }

/* A dotted host at [s, e): at least two non-empty labels; returns 1 if the
 * last label is alphabetic and (known TLD, or any_tld and >= 2 letters). */
static int host_ok(const text *t, size_t s, size_t e, int any_tld)
{
    while (e > s && t->c[e - 1] == '.') e--;     /* "see abc.com." */
    size_t last = e, labels = 0, len = 0;
    for (size_t i = s; i <= e; i++) {
        if (i == e || t->c[i] == '.') {
            if (len == 0) return 0;
            labels++;
            last = i - len;
            len = 0;
        } else {
            len++;
        }
    }
    if (labels < 2) return 0;
    size_t tl = e - last;
    for (size_t i = last; i < e; i++)
        if (!is_alpha(t->c[i])) return 0;
    int sld_alpha = 0;                              /* "1.5.cn" stays a number */
    for (size_t i = s; i < last; i++) sld_alpha |= is_alpha(t->c[i]);
    if (!sld_alpha) return 0;
    return tld_known(t->c + last, tl) || (any_tld && tl >= 2);
}

static int starts(const text *t, size_t i, const char *w)
{
    for (size_t k = 0; w[k]; k++)
        if (at(t, i + k) != (uint32_t)(unsigned char)w[k]) return 0;
    return 1;
}

static int local_char(uint32_t c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static unsigned find_links(const text *t)
{
    unsigned k = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint32_t c = t->c[i];
        if (c == '@') {                                    /* e-mail */
            size_t s = i, e = i + 1;
            while (s > 0 && local_char(t->c[s - 1])) s--;
            while (e < t->n && host_char(t->c[e])) e++;
            if (s < i && host_ok(t, i + 1, e, 1)) k |= CONTACT_EMAIL;
            continue;
        }
        if (!is_alnum(c) || (i > 0 && (host_char(t->c[i - 1]) || t->c[i - 1] == '@')))
            continue;                                      /* token starts only */
        if (starts(t, i, "http://") || starts(t, i, "https://")) {
            size_t h = i + (t->c[i + 4] == 's' ? 8 : 7);
            if (is_alnum(at(t, h))) k |= CONTACT_URL;
            continue;
        }
        size_t e = i;
        while (e < t->n && host_char(t->c[e])) e++;
        if (at(t, e) == '@') continue;                     /* the local part of an e-mail */
        if (starts(t, i, "www.") && e - i > 6) { k |= CONTACT_URL; continue; }
        if (host_ok(t, i, e, 0)) k |= CONTACT_URL;
    }
    return k;
}

/* ---------- API ---------- */

unsigned contact_scan(const char *s, size_t len)
{
    uint32_t stack[STACK_CPS], *buf = stack;
    if (len > STACK_CPS)
        buf = xmalloc(len * sizeof(uint32_t));
    text t = { buf, fold_text(s, len, buf, len > STACK_CPS ? len : STACK_CPS) };
    unsigned k = find_phones(&t) | find_ids(&t) | find_links(&t);
    if (buf != stack)
        free(buf);
    return k;
}

const char *contact_risk(unsigned kinds)
{
    return kinds ? "contact" : NULL;
}

void contact_kinds_str(unsigned kinds, dbuf *out)
{
    static const char *names[] = { "phone_cn", "phone_intl", "wechat", "qq", "url", "email" };
    int first = 1;
    for (int i = 0; i < 6; i++)
        if (kinds >> i & 1) {
            if (!first) dbuf_putc(out, ',');
            dbuf_puts(out, names[i]);
            first = 0;
        }
}

/* kw.c — keyword filter, scan side: one pass of the Aho-Corasick automaton
 * built by kw_build.c over the normalised text, mapping matches back to byte
 * spans of the original, word boundaries, the allow-list, and masking. */
#include "kw.h"
#include "kw_int.h"
#include "utf8.h"
#include <stdlib.h>
#include <string.h>

/* ---------- scan ---------- */

void kw_result_init(kw_result *r)
{
    memset(r, 0, sizeof *r);
    dbuf_init(&r->masked);
}

void kw_result_free(kw_result *r)
{
    dbuf_free(&r->masked);
    free(r->spans);
    memset(r, 0, sizeof *r);
}


/* Fast UTF-8 decode for the scan: invalid input yields one byte, cp = 0xFFFFFFFF. */
static inline int next_cp(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint8_t c = p[0];
    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xE0 && c <= 0xEF && n >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
        uint32_t v = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
        if (v >= 0x800 && (v < 0xD800 || v > 0xDFFF)) { *cp = v; return 3; }   /* CJK fast path */
    }
    int l = utf8_decode((const char *)p, n, cp);
    if (l < 0) { *cp = 0xFFFFFFFFu; return 1; }
    return l;
}

static inline uint32_t step(const kw_set *s, uint32_t st, uint16_t sym)
{
    for (;;) {
        uint32_t to = child_of(s, st, sym);
        if (to || st == 0)
            return to;
        st = s->nodes[st].fail;
    }
}

static void push_span(kw_result *r, uint32_t start, uint32_t end, uint32_t pat)
{
    if (r->nspans == r->capspans) {
        r->capspans = r->capspans ? r->capspans * 2 : 64;
        r->spans = xrealloc(r->spans, r->capspans * sizeof *r->spans);
    }
    r->spans[r->nspans++] = (kw_span){ start, end, pat };
}

/* Code point just before byte offset `at` (0 at the start of the text). */
static uint32_t cp_before(const char *t, size_t at)
{
    if (at == 0) return 0;
    size_t i = at - 1, lim = at > 4 ? at - 4 : 0;
    while (i > lim && ((uint8_t)t[i] & 0xC0) == 0x80) i--;
    uint32_t cp;
    return utf8_decode(t + i, at - i, &cp) == (int)(at - i) ? cp : 0;
}

static uint32_t cp_at(const char *t, size_t len, size_t at)
{
    uint32_t cp;
    return (at < len && utf8_decode(t + at, len - at, &cp) > 0) ? cp : 0;
}

static int boundary_ok(const kw_set *s, const char *t, size_t len, const kw_span *sp)
{
    uint8_t f = s->pats[sp->pat].flags;
    if ((f & PF_LATIN_L) && is_word_cp(fold_cp(cp_before(t, sp->start))))
        return 0;
    if ((f & PF_LATIN_R) && is_word_cp(fold_cp(cp_at(t, len, sp->end))))
        return 0;
    return 1;
}

static int cmp_span_start(const void *a, const void *b)
{
    const kw_span *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->end > y->end ? -1 : x->end < y->end;
}

/* Splits spans into allowed (sorted by start, with a running max of ends)
 * and bad ones; drops bad spans covered by an allow span, and spans whose
 * Latin word boundaries fail. Kept bad spans end up in r->spans[0..nmatch). */
static void filter_spans(const kw_set *s, const char *t, size_t len, kw_result *r)
{
    size_t n = 0, nallow = 0;
    for (size_t i = 0; i < r->nspans; i++)
        if (boundary_ok(s, t, len, &r->spans[i]))
            r->spans[n++] = r->spans[i];
    for (size_t i = 0; i < n; i++)          /* allow spans to the front */
        if (s->pats[r->spans[i].pat].flags & PF_ALLOW) {
            kw_span tmp = r->spans[i];
            r->spans[i] = r->spans[nallow];
            r->spans[nallow++] = tmp;
        }
    size_t nbad = n - nallow;
    kw_span *allow = r->spans, *bad = r->spans + nallow;
    qsort(allow, nallow, sizeof *allow, cmp_span_start);
    for (size_t i = 1; i < nallow; i++)     /* prefix max of ends, in .pat's place */
        if (allow[i].end < allow[i - 1].end) allow[i].end = allow[i - 1].end;
    size_t kept = 0;
    for (size_t i = 0; i < nbad; i++) {
        size_t lo = 0, hi = nallow;         /* last allow with start <= bad.start */
        while (lo < hi) {
            size_t m = (lo + hi) / 2;
            if (allow[m].start <= bad[i].start) lo = m + 1; else hi = m;
        }
        if (lo && allow[lo - 1].end >= bad[i].end)
            continue;
        r->spans[kept++] = bad[i];
    }
    r->nmatch = kept;
}

static void build_masked(const char *t, size_t len, const kw_set *s, kw_result *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nmatch; i++)
        if (s->pats[r->spans[i].pat].action == KW_REPLACE)
            r->spans[n++] = r->spans[i];
    qsort(r->spans, n, sizeof *r->spans, cmp_span_start);
    dbuf_reset(&r->masked);
    dbuf_reserve(&r->masked, len);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        size_t a = r->spans[i].start, z = r->spans[i].end;
        if (z <= pos) continue;
        if (a < pos) a = pos;
        dbuf_append(&r->masked, t + pos, a - pos);
        while (a < z) {
            a += (size_t)next_cp((const uint8_t *)t + a, len - a, &(uint32_t){0});
            dbuf_putc(&r->masked, '*');
        }
        pos = z;
    }
    dbuf_append(&r->masked, t + pos, len - pos);
    r->masked_set = 1;
}

int kw_scan(const kw_set *s, const char *text, size_t len, kw_result *r)
{
    r->action = KW_NONE;
    r->cats = 0;
    r->nmatch = r->nspans = 0;
    r->masked_set = 0;
    if (!s || !len)
        return KW_NONE;
    const uint8_t *p = (const uint8_t *)text;
    uint32_t ring[RING];
    uint32_t st = 0, j = 0;
    int overflow_action = KW_NONE;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        int l = next_cp(p + i, len - i, &cp);
        uint16_t sym = cp == 0xFFFFFFFFu ? 0 : sym_of(s, cp);
        if (sym == SYM_SEP) { i += (size_t)l; continue; }
        if (sym == 0) { st = 0; i += (size_t)l; continue; }
        ring[j++ & (RING - 1)] = (uint32_t)i;
        i += (size_t)l;
        st = step(s, st, sym);
        uint32_t t = s->nodes[st].out >= 0 ? st : s->nodes[st].dict;
        for (; t; t = s->nodes[t].dict) {
            uint32_t pat = (uint32_t)s->nodes[t].out;
            if (r->nspans < MAX_SPANS)
                push_span(r, ring[(j - s->pats[pat].len) & (RING - 1)], (uint32_t)i, pat);
            else if (s->pats[pat].action > overflow_action)
                overflow_action = s->pats[pat].action;
        }
    }
    if (!r->nspans)
        return KW_NONE;
    filter_spans(s, text, len, r);
    int replace = 0;
    for (size_t k = 0; k < r->nmatch; k++) {
        const kw_pat *pt = &s->pats[r->spans[k].pat];
        r->cats |= pt->cats;
        if (pt->action > r->action) r->action = pt->action;
        replace |= pt->action == KW_REPLACE;
    }
    if (overflow_action > r->action)
        r->action = overflow_action;
    if (replace)
        build_masked(text, len, s, r);
    return r->action;
}

void kw_result_cats(const kw_set *s, const kw_result *r, dbuf *out)
{
    int first = 1;
    for (int i = 0; s && i < s->ncats; i++)
        if (r->cats >> i & 1) {
            if (!first) dbuf_putc(out, ',');
            dbuf_puts(out, s->cat_name[i]);
            first = 0;
        }
}

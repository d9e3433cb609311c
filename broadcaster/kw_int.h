/* kw_int.h — internal to the keyword filter (kw_build.c builds a kw_set,
 * kw.c scans with it): the automaton layout and the normalisation both sides
 * must agree on. Not a public contract: everything else includes kw.h only.
 * It includes nothing of the project (kw.h includes none of it either), so
 * the two stay a tree: kw.c and kw_build.c include both. */
#ifndef DM_KW_INT_H
#define DM_KW_INT_H
#include <stddef.h>
#include <stdint.h>

#define KW_SET_CATS 64         /* == KW_MAX_CATS (checked in kw_build.c) */
typedef struct kw_set kw_set;

#define SYM_SEP 0xFFFFu        /* bmp[] value: ignored separator */
#define SYM_MAX 0xFFFEu        /* symbols are 1..SYM_MAX; 0 = not in any entry */
#define RING 256               /* > KW_MAX_PATTERN, power of two */
#define MAX_SPANS (1u << 20)   /* per scan; beyond it matches are only counted */
#define LINEAR_EDGES 8

enum { PF_LATIN_L = 1, PF_LATIN_R = 2, PF_ALLOW = 4, PF_BAD = 8 };

typedef struct kw_pat {
    uint64_t cats;
    uint8_t len;       /* in symbols */
    uint8_t flags;
    uint8_t action;
} kw_pat;

typedef struct kw_node {
    uint32_t estart, ecount, fail, dict;
    int32_t out;       /* pattern index or -1 */
} kw_node;

struct kw_set {
    uint16_t *bmp;                       /* 65536: cp -> symbol / SYM_SEP / 0 */
    uint32_t *astral_cp; uint16_t *astral_sym; size_t nastral;
    uint32_t nsym;
    uint32_t *root;                      /* nsym + 1 */
    kw_node *nodes; uint32_t nnodes;
    uint16_t *esym; uint32_t *etgt;
    kw_pat *pats; size_t npats;
    int ncats;
    char *cat_name[KW_SET_CATS];
    uint8_t cat_action[KW_SET_CATS];
};

/* ---------- normalisation (shared by build and scan) ---------- */

static inline uint32_t fold_cp(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c >= 0xFF01 && c <= 0xFF5E)
        return fold_cp(c - 0xFEE0);
    if (c == 0x3000)
        return ' ';
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if (c >= 0x100 && c <= 0x17F) {
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
            return (c & 1) ? c + 1 : c;
        if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 || c == 0x178 || c == 0x17F)
            return c == 0x130 ? 'i' : c == 0x178 ? 0xFF : c;
        return c | 1u;
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
        return c + 32;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    return c;
}

/* Latin-ish letters and digits, after folding: what a word boundary separates. */
static inline int is_word_cp(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c >= 0xC0 && c <= 0x24F)
        return c != 0xD7 && c != 0xF7;
    return c >= 0x370 && c <= 0x52F;
}

/* ---------- automaton lookups ---------- */

static inline uint32_t child_of(const kw_set *s, uint32_t st, uint16_t sym)
{
    if (st == 0)
        return s->root[sym];
    const kw_node *n = &s->nodes[st];
    const uint16_t *es = s->esym + n->estart;
    uint32_t cnt = n->ecount;
    if (cnt <= LINEAR_EDGES) {
        for (uint32_t i = 0; i < cnt; i++)
            if (es[i] == sym) return s->etgt[n->estart + i];
        return 0;
    }
    uint32_t lo = 0, hi = cnt;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (es[mid] < sym) lo = mid + 1; else hi = mid;
    }
    return (lo < cnt && es[lo] == sym) ? s->etgt[n->estart + lo] : 0;
}

static inline uint16_t astral_lookup(const kw_set *s, uint32_t cp)
{
    size_t lo = 0, hi = s->nastral;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (s->astral_cp[m] < cp) lo = m + 1; else hi = m;
    }
    return (lo < s->nastral && s->astral_cp[lo] == cp) ? s->astral_sym[lo] : 0;
}

static inline uint16_t sym_of(const kw_set *s, uint32_t cp)
{
    return cp < 0x10000 ? s->bmp[cp] : astral_lookup(s, cp);
}

#endif

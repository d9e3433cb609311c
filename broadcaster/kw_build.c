/* kw_build.c — keyword filter, build side: lexicon and allow-list parsing,
 * category actions, normalisation of entries, the compact symbol alphabet
 * (every distinct normalised code point of the lexicon) and the Aho-Corasick
 * automaton (trie, failure and dictionary links). The scan is in kw.c. */
#define _GNU_SOURCE             /* qsort_r */
#include "kw.h"
#include "kw_int.h"
#include "utf8.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(KW_SET_CATS == KW_MAX_CATS, "kw_int.h and kw.h disagree");

static int is_zero_width(uint32_t c)
{
    return (c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF || c == 0xAD;
}

static const char DEFAULT_SEPS[] =
    " \t\r\n\v\f.,-_*~'\"`^\xC2\xB7"             /* ASCII set, U+00B7 middle dot */
    "\xE3\x80\x81\xE3\x80\x82\xEF\xBC\x8C"      /* 、 。 ， */
    "\xE2\x80\xA6\xE2\x80\xA7\xE3\x83\xBB";     /* … ‧ ・ */


static int is_cjk_cp(uint32_t c) { return c >= 0x2E80; }

/* ---------- small helpers ---------- */

typedef struct u32vec { uint32_t *v; size_t n, cap; } u32vec;
static void u32_push(u32vec *a, uint32_t x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 256;
        a->v = xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = x;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void set_err(char *err, size_t n, const char *fmt, const char *arg)
{
    if (err && n)
        snprintf(err, n, fmt, arg);
}

const char *kw_action_name(int a)
{
    static const char *names[] = { "none", "flag", "replace", "reject" };
    return (a >= 0 && a <= 3) ? names[a] : "none";
}

int kw_action_parse(const char *s, size_t n)
{
    for (int a = KW_FLAG; a <= KW_REJECT; a++)
        if (strlen(kw_action_name(a)) == n && !memcmp(s, kw_action_name(a), n))
            return a;
    return -1;
}

/* ---------- build state ---------- */

typedef struct raw_pat { uint32_t off; uint16_t len; uint8_t flags; uint64_t cats; } raw_pat;

typedef struct builder {
    const kw_opts *opts;
    u32vec seps;               /* sorted folded separator code points */
    u32vec cps;                /* pool of folded code points of all entries */
    raw_pat *raw; size_t nraw, capraw;
    uint16_t *pool;            /* symbols, parallel to cps after mapping */
    kw_set *s;
    int min_latin;
    size_t skipped;
} builder;

static int is_sep(const builder *b, uint32_t c)
{
    if (is_zero_width(c))
        return 1;
    return b->seps.n && bsearch(&c, b->seps.v, b->seps.n, sizeof(uint32_t), cmp_u32) != NULL;
}

static void parse_seps(builder *b)
{
    const char *s = b->opts && b->opts->separators ? b->opts->separators : DEFAULT_SEPS;
    size_t n = strlen(s), i = 0;
    while (i < n) {
        uint32_t cp;
        int l = utf8_decode(s + i, n - i, &cp);
        if (l < 0) { i++; continue; }
        u32_push(&b->seps, fold_cp(cp));
        i += (size_t)l;
    }
    if (b->seps.n)
        qsort(b->seps.v, b->seps.n, sizeof(uint32_t), cmp_u32);
}

static int cat_index(kw_set *s, const char *name, size_t n)
{
    for (int i = 0; i < s->ncats; i++)
        if (strlen(s->cat_name[i]) == n && !memcmp(s->cat_name[i], name, n))
            return i;
    if (s->ncats == KW_MAX_CATS)
        return -1;
    s->cat_name[s->ncats] = xstrndup(name, n);
    s->cat_action[s->ncats] = 0;
    return s->ncats++;
}

static int parse_cats(builder *b, const char *p, size_t n, uint64_t *cats)
{
    *cats = 0;
    if (n == 0) {
        int i = cat_index(b->s, "default", 7);
        if (i < 0) return -1;
        *cats = 1ull << i;
        return 0;
    }
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && p[j] != ',') j++;
        size_t a = i, e = j;
        while (a < e && (p[a] == ' ' || p[a] == '\t')) a++;
        while (e > a && (p[e - 1] == ' ' || p[e - 1] == '\t')) e--;
        if (e > a) {
            int c = cat_index(b->s, p + a, e - a);
            if (c < 0) return -1;
            *cats |= 1ull << c;
        }
        i = j + 1;
    }
    if (!*cats)
        return parse_cats(b, p, 0, cats);
    return 0;
}

/* Normalises one entry into the pool. Returns 1 added, 0 skipped. */
static int add_entry(builder *b, const char *w, size_t n, uint64_t cats, int allow)
{
    size_t start = b->cps.n, i = 0;
    int meaningful = 0, cjk = 0;
    while (i < n) {
        uint32_t cp;
        int l = utf8_decode(w + i, n - i, &cp);
        if (l < 0) { b->cps.n = start; return 0; }
        i += (size_t)l;
        uint32_t f = fold_cp(cp);
        if (is_sep(b, f))
            continue;
        meaningful |= is_word_cp(f) || f >= 0x80;
        cjk |= is_cjk_cp(f);
        u32_push(&b->cps, f);
    }
    size_t len = b->cps.n - start;
    if (!meaningful || len == 0 || len > KW_MAX_PATTERN || (!cjk && (int)len < b->min_latin)) {
        b->cps.n = start;
        b->skipped++;
        return 0;
    }
    if (b->nraw == b->capraw) {
        b->capraw = b->capraw ? b->capraw * 2 : 1024;
        b->raw = xrealloc(b->raw, b->capraw * sizeof *b->raw);
    }
    raw_pat *r = &b->raw[b->nraw++];
    r->off = (uint32_t)start;
    r->len = (uint16_t)len;
    r->cats = allow ? 0 : cats;
    r->flags = allow ? PF_ALLOW : PF_BAD;
    if (!cjk) {
        if (is_word_cp(b->cps.v[start])) r->flags |= PF_LATIN_L;
        if (is_word_cp(b->cps.v[start + len - 1])) r->flags |= PF_LATIN_R;
    }
    return 1;
}

static int parse_list(builder *b, const char *t, size_t n, int allow, char *err, size_t errn)
{
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && t[e] != '\n') e++;
        size_t a = i, z = e;
        i = e + 1;
        while (a < z && (t[a] == ' ' || t[a] == '\r' || t[a] == '\t')) a++;
        while (z > a && (t[z - 1] == ' ' || t[z - 1] == '\r' || t[z - 1] == '\t')) z--;
        if (a == z || t[a] == '#')
            continue;
        const char *tab = memchr(t + a, '\t', z - a);
        size_t wl = tab ? (size_t)(tab - (t + a)) : z - a;
        const char *cp = tab ? tab + 1 : t + z;
        size_t cl = (size_t)(t + z - cp);
        if (tab && wl == 4 && !memcmp(t + a, "word", 4) && cl == 10 && !memcmp(cp, "categories", 10))
            continue;
        uint64_t cats = 0;
        if (!allow && parse_cats(b, cp, cl, &cats) < 0) {
            set_err(err, errn, "more than %s categories", "64");
            return -1;
        }
        add_entry(b, t + a, wl, cats, allow);
    }
    return 0;
}

static int parse_actions(kw_set *s, const kw_opts *o, char *err, size_t errn)
{
    int def = o && o->default_action ? o->default_action : KW_REPLACE;
    for (int i = 0; i < s->ncats; i++)
        s->cat_action[i] = (uint8_t)def;
    const char *p = o ? o->actions : NULL;
    if (!p)
        return 0;
    while (*p) {
        const char *end = strchr(p, ','), *eq;
        size_t n = end ? (size_t)(end - p) : strlen(p);
        eq = memchr(p, '=', n);
        if (!eq) { set_err(err, errn, "bad action spec: %s", p); return -1; }
        int a = kw_action_parse(eq + 1, n - (size_t)(eq + 1 - p));
        if (a < 0) { set_err(err, errn, "unknown action in: %s", p); return -1; }
        for (int i = 0; i < s->ncats; i++)
            if (strlen(s->cat_name[i]) == (size_t)(eq - p) && !memcmp(s->cat_name[i], p, (size_t)(eq - p)))
                s->cat_action[i] = (uint8_t)a;
        p = end ? end + 1 : p + n;
    }
    return 0;
}

/* ---------- alphabet ---------- */

/* Code points that fold_cp() changes: their bmp[] entry copies their folding's. */
static const uint32_t FOLD_RANGES[][2] = {
    { 'A', 'Z' }, { 0xC0, 0xDE }, { 0x100, 0x17F }, { 0x391, 0x3A9 }, { 0x400, 0x42F },
    { 0x3000, 0x3000 }, { 0xFF01, 0xFF5E },
};


/* Numbers every distinct folded code point of the entries (BMP ones in order
 * of appearance, then astral ones in order), maps the pool to symbols and
 * fills the lookup tables: bmp[] for every BMP code point (through its
 * folding), the sorted astral table, separators as SYM_SEP. */
static int build_alphabet(builder *b, char *err, size_t errn)
{
    kw_set *s = b->s;
    s->bmp = xcalloc(0x10000, sizeof(uint16_t));
    uint32_t nsym = 0;
    u32vec astral = { 0 };
    for (size_t i = 0; i < b->cps.n; i++) {
        uint32_t c = b->cps.v[i];
        if (c >= 0x10000) { u32_push(&astral, c); continue; }
        if (s->bmp[c]) continue;
        if (nsym == SYM_MAX) goto too_big;
        s->bmp[c] = (uint16_t)++nsym;
    }
    for (size_t i = 0; i < b->seps.n; i++)
        if (b->seps.v[i] >= 0x10000) u32_push(&astral, b->seps.v[i]);
    if (astral.n)
        qsort(astral.v, astral.n, sizeof(uint32_t), cmp_u32);
    s->astral_cp = xmalloc((astral.n + 1) * sizeof(uint32_t));
    s->astral_sym = xmalloc((astral.n + 1) * sizeof(uint16_t));
    for (size_t i = 0; i < astral.n; i++) {
        uint32_t c = astral.v[i];
        if (s->nastral && s->astral_cp[s->nastral - 1] == c) continue;
        if (!is_sep(b, c) && nsym == SYM_MAX) goto too_big;
        s->astral_cp[s->nastral] = c;
        s->astral_sym[s->nastral++] = is_sep(b, c) ? SYM_SEP : (uint16_t)++nsym;
    }
    free(astral.v);
    s->nsym = nsym;
    b->pool = xmalloc((b->cps.n + 1) * sizeof(uint16_t));
    for (size_t i = 0; i < b->cps.n; i++) {
        uint32_t c = b->cps.v[i];
        b->pool[i] = c < 0x10000 ? s->bmp[c] : astral_lookup(s, c);
    }
    for (size_t i = 0; i < b->seps.n; i++)
        if (b->seps.v[i] < 0x10000) s->bmp[b->seps.v[i]] = SYM_SEP;
    static const uint32_t zw[] = { 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xAD };
    for (size_t i = 0; i < sizeof zw / sizeof zw[0]; i++)
        s->bmp[zw[i]] = SYM_SEP;
    for (size_t r = 0; r < sizeof FOLD_RANGES / sizeof FOLD_RANGES[0]; r++)
        for (uint32_t c = FOLD_RANGES[r][0]; c <= FOLD_RANGES[r][1]; c++) {
            uint32_t f = fold_cp(c);
            if (f != c) s->bmp[c] = s->bmp[f];
        }
    return 0;
too_big:
    free(astral.v);
    set_err(err, errn, "%s", "alphabet too large");
    return -1;
}

/* ---------- trie ---------- */

static int cmp_raw(const void *a, const void *b, void *arg)
{
    const builder *bd = arg;
    const uint16_t *g_pool = bd->pool;
    const raw_pat *x = &bd->raw[*(const uint32_t *)a], *y = &bd->raw[*(const uint32_t *)b];
    size_t n = x->len < y->len ? x->len : y->len;
    for (size_t i = 0; i < n; i++) {
        uint16_t p = g_pool[x->off + i], q = g_pool[y->off + i];
        if (p != q) return p < q ? -1 : 1;
    }
    return x->len < y->len ? -1 : x->len > y->len;
}

static int same_raw(const raw_pat *x, const raw_pat *y, const uint16_t *pool)
{
    return x->len == y->len && !memcmp(pool + x->off, pool + y->off, x->len * sizeof(uint16_t));
}

typedef struct trie_b {
    kw_set *s;
    const uint16_t *pool;
    const raw_pat *raw;
    const uint32_t *ord;       /* sorted unique pattern indices */
    const uint32_t *patid;     /* ord position -> kw_pat index */
    uint32_t nedges;
} trie_b;

static uint32_t new_node(kw_set *s)
{
    kw_node *n = &s->nodes[s->nnodes];
    n->estart = n->ecount = n->fail = n->dict = 0;
    n->out = -1;
    return s->nnodes++;
}

/* Builds the subtree of `node` for sorted unique patterns ord[lo..hi) that
 * share their first `depth` symbols. Children's edges are contiguous. */
static void build_sub(trie_b *t, uint32_t node, size_t lo, size_t hi, uint32_t depth)
{
    kw_set *s = t->s;
    if (lo < hi && t->raw[t->ord[lo]].len == depth) {
        s->nodes[node].out = (int32_t)t->patid[lo];
        lo++;
    }
    uint32_t groups = 0;
    for (size_t i = lo; i < hi; i++)
        if (i == lo || t->pool[t->raw[t->ord[i]].off + depth] != t->pool[t->raw[t->ord[i - 1]].off + depth])
            groups++;
    if (!groups)
        return;
    uint32_t e0 = t->nedges;
    t->nedges += groups;
    s->nodes[node].estart = e0;
    s->nodes[node].ecount = groups;
    uint32_t g = 0;
    size_t i = lo;
    while (i < hi) {
        uint16_t sym = t->pool[t->raw[t->ord[i]].off + depth];
        size_t j = i + 1;
        while (j < hi && t->pool[t->raw[t->ord[j]].off + depth] == sym) j++;
        uint32_t child = new_node(s);
        s->esym[e0 + g] = sym;
        s->etgt[e0 + g] = child;
        g++;
        build_sub(t, child, i, j, depth + 1);
        i = j;
    }
}

static void build_fail(kw_set *s)
{
    uint32_t *queue = xmalloc(s->nnodes * sizeof(uint32_t));
    size_t qh = 0, qt = 0;
    kw_node *r = &s->nodes[0];
    for (uint32_t e = r->estart; e < r->estart + r->ecount; e++) {
        s->root[s->esym[e]] = s->etgt[e];
        queue[qt++] = s->etgt[e];
    }
    while (qh < qt) {
        uint32_t u = queue[qh++];
        kw_node *nu = &s->nodes[u];
        for (uint32_t e = nu->estart; e < nu->estart + nu->ecount; e++) {
            uint16_t sym = s->esym[e];
            uint32_t v = s->etgt[e], f = nu->fail, to;
            for (;;) {
                to = child_of(s, f, sym);
                if (to || f == 0) break;
                f = s->nodes[f].fail;
            }
            kw_node *nv = &s->nodes[v];
            nv->fail = (to == v) ? 0 : to;
            nv->dict = s->nodes[nv->fail].out >= 0 ? nv->fail : s->nodes[nv->fail].dict;
            queue[qt++] = v;
        }
    }
    free(queue);
}

static void build_trie(builder *b)
{
    kw_set *s = b->s;
    uint32_t *ord = xmalloc((b->nraw + 1) * sizeof(uint32_t));
    for (size_t i = 0; i < b->nraw; i++) ord[i] = (uint32_t)i;
    qsort_r(ord, b->nraw, sizeof(uint32_t), cmp_raw, b);
    /* merge duplicates: allow wins; categories and flags unite */
    uint32_t *uniq = xmalloc((b->nraw + 1) * sizeof(uint32_t));
    uint32_t *patid = xmalloc((b->nraw + 1) * sizeof(uint32_t));
    s->pats = xcalloc(b->nraw + 1, sizeof(kw_pat));
    size_t nu = 0;
    for (size_t i = 0; i < b->nraw; i++) {
        raw_pat *r = &b->raw[ord[i]];
        if (nu && same_raw(&b->raw[uniq[nu - 1]], r, b->pool)) {
            kw_pat *p = &s->pats[nu - 1];
            p->cats |= r->cats;
            p->flags |= r->flags;
            continue;
        }
        uniq[nu] = ord[i];
        patid[nu] = (uint32_t)nu;
        s->pats[nu].cats = r->cats;
        s->pats[nu].len = (uint8_t)r->len;
        s->pats[nu].flags = r->flags;
        nu++;
    }
    s->npats = nu;
    for (size_t i = 0; i < nu; i++) {
        kw_pat *p = &s->pats[i];
        if (p->flags & PF_ALLOW) { p->cats = 0; p->flags &= (uint8_t)~PF_BAD; }
        uint8_t a = KW_NONE;
        for (int c = 0; c < s->ncats; c++)
            if ((p->cats >> c & 1) && s->cat_action[c] > a) a = s->cat_action[c];
        p->action = a;
    }
    size_t total = 1;
    for (size_t i = 0; i < nu; i++) total += b->raw[uniq[i]].len;
    s->nodes = xmalloc(total * sizeof(kw_node));
    s->esym = xmalloc(total * sizeof(uint16_t));
    s->etgt = xmalloc(total * sizeof(uint32_t));
    s->root = xcalloc(s->nsym + 1, sizeof(uint32_t));
    trie_b t = { s, b->pool, b->raw, uniq, patid, 0 };
    new_node(s);
    build_sub(&t, 0, 0, nu, 0);
    s->nodes = xrealloc(s->nodes, s->nnodes * sizeof(kw_node));
    s->esym = xrealloc(s->esym, (t.nedges + 1) * sizeof(uint16_t));
    s->etgt = xrealloc(s->etgt, (t.nedges + 1) * sizeof(uint32_t));
    build_fail(s);
    free(ord); free(uniq); free(patid);
}

/* ---------- load ---------- */

kw_set *kw_build(const char *lex, size_t lex_len, const char *allow, size_t allow_len,
                 const kw_opts *opts, char *err, size_t err_size)
{
    builder b;
    memset(&b, 0, sizeof b);
    b.opts = opts;
    b.min_latin = opts && opts->min_latin_len > 0 ? opts->min_latin_len : 2;
    b.s = xcalloc(1, sizeof(kw_set));
    parse_seps(&b);
    kw_set *s = b.s;
    int rc = parse_list(&b, lex, lex_len, 0, err, err_size);
    if (rc == 0 && allow)
        rc = parse_list(&b, allow, allow_len, 1, err, err_size);
    if (rc == 0)
        rc = parse_actions(s, opts, err, err_size);
    if (rc == 0)
        rc = build_alphabet(&b, err, err_size);
    if (rc == 0)
        build_trie(&b);
    free(b.seps.v); free(b.cps.v); free(b.raw); free(b.pool);
    if (rc < 0) {
        kw_free(s);
        return NULL;
    }
    return s;
}

static int read_file(const char *path, size_t plen, dbuf *out, char *err, size_t errn)
{
    char name[4096];
    if (plen >= sizeof name) { set_err(err, errn, "%s", "path too long"); return -1; }
    memcpy(name, path, plen);
    name[plen] = '\0';
    if (dbuf_append_file(out, name) < 0) {
        if (err && errn) snprintf(err, errn, "%s: %s", name, strerror(errno));
        return -1;
    }
    dbuf_putc(out, '\n');
    return 0;
}

kw_set *kw_load(const char *path, const char *allow_path, const kw_opts *opts,
                char *err, size_t err_size)
{
    dbuf lex, al;
    dbuf_init(&lex);
    dbuf_init(&al);
    kw_set *s = NULL;
    const char *p = path;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        if (n && read_file(p, n, &lex, err, err_size) < 0)
            goto out;
        if (!colon) break;
        p = colon + 1;
    }
    if (allow_path && read_file(allow_path, strlen(allow_path), &al, err, err_size) < 0)
        goto out;
    s = kw_build(lex.data ? lex.data : "", lex.len, allow_path ? al.data : NULL, al.len,
                 opts, err, err_size);
out:
    dbuf_free(&lex);
    dbuf_free(&al);
    return s;
}

void kw_free(kw_set *s)
{
    if (!s) return;
    free(s->bmp); free(s->astral_cp); free(s->astral_sym); free(s->root);
    free(s->nodes); free(s->esym); free(s->etgt); free(s->pats);
    for (int i = 0; i < s->ncats; i++) free(s->cat_name[i]);
    free(s);
}

size_t kw_entries(const kw_set *s) { return s ? s->npats : 0; }
size_t kw_states(const kw_set *s) { return s ? s->nnodes : 0; }
int kw_ncats(const kw_set *s) { return s ? s->ncats : 0; }
const char *kw_cat_name(const kw_set *s, int i)
{
    return (s && i >= 0 && i < s->ncats) ? s->cat_name[i] : NULL;
}

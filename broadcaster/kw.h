/* kw.h — keyword filter: an immutable multi-pattern matcher (Aho-Corasick over
 * normalised code points) built from a lexicon file, with per-category actions
 * (replace / reject / flag), an allow-list, evasion-resistant normalisation
 * (case, full-width, ignored separators) and word boundaries for Latin entries.
 * A kw_set never changes after kw_load(): reload builds a new one and the
 * caller swaps the pointer (single-threaded: free the old one when no request
 * still uses it). */
#ifndef DM_KW_H
#define DM_KW_H
#include <stddef.h>
#include <stdint.h>
#include "dbuf.h"

/* Actions, ordered by strength: a text's action is the strongest of its matches. */
enum kw_action { KW_NONE = 0, KW_FLAG = 1, KW_REPLACE = 2, KW_REJECT = 3 };

#define KW_MAX_CATS 64          /* categories per set (bit mask) */
#define KW_MAX_PATTERN 255      /* longer entries (in code points) are skipped */

typedef struct kw_opts {
    /* "cat=action,cat=action" (action: replace|reject|flag); entries without
     * a category belong to category "default". NULL: every category uses
     * default_action. */
    const char *actions;
    int default_action;          /* KW_REPLACE if 0 */
    /* UTF-8 string of characters ignored while matching (dodge separators),
     * NULL for the built-in set (whitespace . , - _ * ~ ' " ` ^ · 、。，…
     * and the zero-width characters U+200B..U+200D, U+2060, U+FEFF);
     * "" ignores nothing. Zero-width characters are always ignored. */
    const char *separators;
    int min_latin_len;           /* Latin entries shorter than this are skipped; 2 if 0 */
} kw_opts;

typedef struct kw_set kw_set;

/* Loads a lexicon (one entry per line, UTF-8; optional TAB then a category
 * or comma-separated categories; '#' comment lines, blank lines and a
 * "word<TAB>categories" header are ignored) and an optional allow-list
 * (allow_path may be NULL; one entry per line, matches it covers are
 * suppressed). Several lexicons: separate paths with ':' in `path`.
 * Returns a new set, or NULL with a reason in err (unreadable file, bad
 * action spec, too many categories). Invalid UTF-8 lines are skipped. */
kw_set *kw_load(const char *path, const char *allow_path, const kw_opts *opts,
                char *err, size_t err_size);
/* The same from memory: lexicon and allow-list texts (allow may be NULL). */
kw_set *kw_build(const char *lex, size_t lex_len, const char *allow, size_t allow_len,
                 const kw_opts *opts, char *err, size_t err_size);
void kw_free(kw_set *s);

/* Size facts, for logging after a (re)load. */
size_t kw_entries(const kw_set *s);     /* distinct normalised patterns */
size_t kw_states(const kw_set *s);      /* automaton states */
int kw_ncats(const kw_set *s);
const char *kw_cat_name(const kw_set *s, int i);   /* 0 <= i < kw_ncats */

typedef struct kw_span { uint32_t start, end; uint32_t pat; } kw_span; /* bytes [start,end) */

/* Scan result; reuse one across calls (kw_result_reset is implicit). */
typedef struct kw_result {
    int action;          /* enum kw_action */
    uint64_t cats;       /* bit i: category i matched (after the allow-list) */
    size_t nmatch;       /* matches kept */
    int masked_set;      /* 1 if `masked` holds the text with replace-spans masked */
    dbuf masked;         /* valid when masked_set; NUL-terminated */
    /* scratch (internal) */
    kw_span *spans; size_t nspans, capspans;
} kw_result;

void kw_result_init(kw_result *r);
void kw_result_free(kw_result *r);

/* Scans text[0..len) (UTF-8, len < 4 GiB; invalid bytes never match and
 * are copied as is) in one pass. Fills r and returns r->action. When any
 * kept match has the replace action, r->masked holds the text where every
 * code point from the first to the last of each such match (separators
 * inside included) is '*' and r->masked_set = 1; r->masked stays valid
 * until the next kw_scan with r. A NULL set matches nothing. */
int kw_scan(const kw_set *s, const char *text, size_t len, kw_result *r);

/* Appends the names of the categories in r->cats, comma-separated. */
void kw_result_cats(const kw_set *s, const kw_result *r, dbuf *out);

const char *kw_action_name(int action);     /* "none" "flag" "replace" "reject" */
int kw_action_parse(const char *s, size_t n); /* -1 if unknown */

#endif

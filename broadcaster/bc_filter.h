/* bc_filter.h — the ingest text filter: the keyword set (kw) loaded from the
 * configured lexicons and allow-list, swapped whole on reload, and the
 * contact-info detector (contact), applied to a comment's text with the
 * configured actions. Single-threaded (one event loop). */
#ifndef BC_FILTER_H
#define BC_FILTER_H
#include <stddef.h>
#include "bc_decode.h"
#include "bc_opt.h"
#include "kw.h"

typedef struct bc_filter {
    kw_set *kw;                 /* NULL: keyword filter off */
    kw_result res;              /* scratch of the last scan */
    const bc_opts *opts;
    unsigned long reloads, reload_errors;
} bc_filter;

/* Loads the lexicons of o (none: filter off). 0, or -1 (logged) when a
 * configured file cannot be loaded. f keeps o. */
int bc_filter_init(bc_filter *f, const bc_opts *o);
/* Builds a new keyword set from the same files and swaps it in; on failure
 * keeps the old set and logs a warning. 0 or -1. */
int bc_filter_reload(bc_filter *f);
void bc_filter_free(bc_filter *f);

/* Scans text[0..len) (valid UTF-8) and fills v. f may be NULL (no filter). */
void bc_filter_text(bc_filter *f, const char *text, size_t len, bc_verdict *v);
/* The same as a bc_text_filter callback (ctx: the bc_filter), for bc_limits. */
void bc_filter_cb(void *ctx, const char *text, size_t len, bc_verdict *v);

#endif

/* bc_filter.c — keyword set life cycle (load, swap on SIGHUP) and the rule
 * that turns kw/contact findings into one verdict per comment text. */
#include "bc_filter.h"
#include "contact.h"
#include "log.h"
#include <string.h>

static kw_set *load_set(const bc_opts *o)
{
    char err[256] = "";
    kw_opts ko;
    memset(&ko, 0, sizeof ko);
    ko.actions = o->kw_actions[0] ? o->kw_actions : NULL;
    ko.default_action = KW_REPLACE;
    ko.separators = o->kw_separators_set ? o->kw_separators : NULL;
    kw_set *s = kw_load(o->lexicon, o->allow_list[0] ? o->allow_list : NULL, &ko, err,
                        sizeof err);
    if (!s)
        LOGW("filter", "cannot load lexicon %s: %s", o->lexicon, err);
    else
        LOGI("filter", "lexicon %s loaded: %zu entries, %d categories, %zu states%s%s",
             o->lexicon, kw_entries(s), kw_ncats(s), kw_states(s),
             o->allow_list[0] ? ", allow-list " : "", o->allow_list);
    return s;
}

int bc_filter_init(bc_filter *f, const bc_opts *o)
{
    memset(f, 0, sizeof *f);
    f->opts = o;
    kw_result_init(&f->res);
    if (!o->lexicon[0])
        return 0;
    f->kw = load_set(o);
    return f->kw ? 0 : -1;
}

int bc_filter_reload(bc_filter *f)
{
    if (!f->opts->lexicon[0])
        return 0;
    kw_set *s = load_set(f->opts);
    if (!s) {
        f->reload_errors++;
        LOGW("filter", "reload failed: keeping the previous keyword set");
        return -1;
    }
    /* No request holds the old set across loop turns (scans are synchronous). */
    kw_free(f->kw);
    f->kw = s;
    f->reloads++;
    return 0;
}

void bc_filter_free(bc_filter *f)
{
    kw_free(f->kw);
    f->kw = NULL;
    kw_result_free(&f->res);
}

void bc_filter_cb(void *ctx, const char *text, size_t len, bc_verdict *v)
{
    bc_filter_text(ctx, text, len, v);
}

void bc_filter_text(bc_filter *f, const char *text, size_t len, bc_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->text = text;
    v->len = len;
    if (!f)
        return;
    if (f->kw) {
        int a = kw_scan(f->kw, text, len, &f->res);
        if (a == KW_REJECT) {
            v->reject = 1;
            return;
        }
        if (a == KW_FLAG)
            v->flags |= BC_FLAG_KEYWORD;
        if (f->res.masked_set) {
            v->flags |= BC_FLAG_MASKED;
            v->text = f->res.masked.data;
            v->len = f->res.masked.len;
        }
    }
    if (f->opts->contact_action != BC_CONTACT_OFF && contact_scan(text, len)) {
        if (f->opts->contact_action == BC_CONTACT_REJECT) {
            v->reject = 2;
            return;
        }
        v->flags |= BC_FLAG_CONTACT;
    }
}

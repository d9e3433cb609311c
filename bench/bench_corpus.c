/* bench_corpus.c — corpus loader (jansson per line; load time is not on a hot
 * path) and the derived identities used by the dictionaries and publishers. */
#include "bench_corpus.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dbuf.h"

const char *const corpus_heldout[] = {
    "cid130614", "cid926410", "cid13150931", "cid90825", NULL
};

int corpus_is_heldout(const char *name)
{
    for (int i = 0; corpus_heldout[i]; i++)
        if (!strcmp(corpus_heldout[i], name)) return 1;
    return 0;
}

static int video_index(corpus *c, const char *name)
{
    int i = corpus_find_video(c, name);
    if (i >= 0) return i;
    c->videos = xrealloc(c->videos, (c->nvideos + 1) * sizeof *c->videos);
    c->videos[c->nvideos] = (corpus_video){ .name = xstrdup(name) };
    return (int)c->nvideos++;
}

int corpus_find_video(const corpus *c, const char *name)
{
    for (size_t i = 0; i < c->nvideos; i++)
        if (!strcmp(c->videos[i].name, name)) return (int)i;
    return -1;
}

static uint32_t parse_uhash(const char *s)
{
    if (*s == 'D' || *s == 'd') {   /* leading D marks old guest ids */
        if (strlen(s) > 8) s++;
    }
    return (uint32_t)strtoul(s, NULL, 16);
}

static int add_line(corpus *c, const char *line, size_t *cap)
{
    json_error_t je;
    json_t *o = json_loads(line, 0, &je);
    if (!o) return -1;
    json_t *v = json_object_get(o, "v"), *tx = json_object_get(o, "text");
    if (!json_is_object(o) || !json_is_string(v) || !json_is_string(tx)
        || json_string_length(tx) == 0) { json_decref(o); return -1; }
    if (c->nmsgs == *cap) {
        *cap = *cap ? *cap * 2 : 4096;
        c->msgs = xrealloc(c->msgs, *cap * sizeof *c->msgs);
    }
    corpus_msg *m = &c->msgs[c->nmsgs++];
    json_t *uh = json_object_get(o, "uhash");
    m->video = video_index(c, json_string_value(v));
    m->t = json_number_value(json_object_get(o, "t"));
    m->mode = (int)json_integer_value(json_object_get(o, "mode"));
    m->size = (uint32_t)json_integer_value(json_object_get(o, "size"));
    m->color = (uint32_t)json_integer_value(json_object_get(o, "color"));
    m->uhash = json_is_string(uh) ? parse_uhash(json_string_value(uh)) : 0;
    m->text_len = json_string_length(tx);
    m->text = xstrndup(json_string_value(tx), m->text_len);
    if (!m->size) m->size = 25;
    json_decref(o);
    return 0;
}

static int cmp_msg(const void *a, const void *b)
{
    const corpus_msg *x = a, *y = b;
    if (x->video != y->video) return x->video < y->video ? -1 : 1;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x < y ? -1 : (x > y);   /* stable: keep file order */
}

static void index_videos(corpus *c)
{
    qsort(c->msgs, c->nmsgs, sizeof *c->msgs, cmp_msg);
    for (size_t i = 0; i < c->nmsgs; i++) {
        corpus_video *v = &c->videos[c->msgs[i].video];
        if (!v->count) v->first = i;
        v->count++;
    }
}

int corpus_load(corpus *c, const char *path, size_t *skipped, char *err, size_t errsz)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "r");
    if (!f) { snprintf(err, errsz, "cannot open %s", path); return -1; }
    char *line = NULL; size_t lcap = 0, cap = 0, bad = 0;
    ssize_t n;
    while ((n = getline(&line, &lcap, f)) > 0) {
        if (n <= 1) continue;
        if (add_line(c, line, &cap) < 0) bad++;
    }
    free(line);
    fclose(f);
    if (skipped) *skipped = bad;
    if (!c->nmsgs) { snprintf(err, errsz, "%s holds no message", path); corpus_free(c); return -1; }
    index_videos(c);
    return 0;
}

void corpus_free(corpus *c)
{
    for (size_t i = 0; i < c->nmsgs; i++) free(c->msgs[i].text);
    for (size_t i = 0; i < c->nvideos; i++) free(c->videos[i].name);
    free(c->msgs); free(c->videos);
    memset(c, 0, sizeof *c);
}

void corpus_user_id(uint32_t uhash, char *out, size_t n)
{
    /* Bilibili-like numeric uids: 1..~700M */
    snprintf(out, n, "u%u", 1 + (unsigned)(uhash % 700000000u));
}

void corpus_nick(uint32_t h, char *out, size_t n)
{
    static const char *const pre[] = { "小", "阿", "大", "老", "萌", "夜", "星", "白",
                                       "蓝", "橘", "月", "风", "Mr", "Kuro", "Neko", "sakura" };
    static const char *const mid[] = { "猫", "鱼", "兔", "熊", "狐", "喵", "糖", "雨",
                                       "光", "云", "_", "酱", "君", "桑", "丸", "" };
    static const char *const suf[] = { "", "", "", "子", "呀", "233", "_", "qwq" };
    uint32_t x = h * 2654435761u;
    unsigned num = (x >> 16) % 10000;
    if ((x & 3) == 0)
        snprintf(out, n, "%s%s%s", pre[(x >> 2) & 15], mid[(x >> 6) & 15], suf[(x >> 10) & 7]);
    else
        snprintf(out, n, "%s%s%s%u", pre[(x >> 2) & 15], mid[(x >> 6) & 15], suf[(x >> 10) & 7], num);
}

const char *corpus_mode_name(int mode)
{
    return mode == 4 ? "bottom" : mode == 5 ? "top" : "scroll";
}

int corpus_mode_pb(int mode)
{
    return mode == 4 ? 2 : mode == 5 ? 1 : 0;
}

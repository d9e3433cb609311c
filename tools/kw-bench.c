/* kw-bench.c — keyword-filter throughput benchmark and probe. Loads a lexicon
 * (default: the 64k-entry Chinese list in ../shared/data) and scans every
 * "text" of a danmaku JSONL corpus one message at a time, as the broadcaster
 * does, repeatedly for --seconds of CPU time; prints MB/s and messages/s per
 * core (bytes per CPU-second: fair on a shared machine) and the wall rate.
 * With --text T it scans T once and prints the action, categories and the
 * masked text instead (handy to check what a lexicon does to a sentence). */
#include "../broadcaster/kw.h"
#include "dbuf.h"
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DATA "../shared/data/"

typedef struct corpus { char **text; size_t *len; size_t n, cap, bytes; } corpus;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static int load_corpus(const char *path, corpus *c)
{
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); return -1; }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        json_t *j = json_loadb(line, (size_t)n, 0, NULL);
        const char *t = j ? json_string_value(json_object_get(j, "text")) : NULL;
        if (t) {
            if (c->n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 1024;
                c->text = xrealloc(c->text, c->cap * sizeof *c->text);
                c->len = xrealloc(c->len, c->cap * sizeof *c->len);
            }
            size_t len = json_string_length(json_object_get(j, "text"));
            c->text[c->n] = xmalloc(len + 1);
            memcpy(c->text[c->n], t, len + 1);
            c->len[c->n++] = len;
            c->bytes += len;
        }
        json_decref(j);
    }
    free(line);
    fclose(f);
    return c->n ? 0 : -1;
}

static void usage(void)
{
    fprintf(stderr,
        "usage: kw-bench [--lexicon PATH[:PATH...]] [--allow PATH] [--corpus JSONL]\n"
        "                [--seconds S] [--actions cat=act,...] [--text T]\n"
        "  defaults: --lexicon " DATA "lexicon/zh/houbb_sensitive_word_dict.txt\n"
        "            --corpus  " DATA "danmaku/bilibili_video_danmaku.jsonl --seconds 3\n");
}

static void probe(const kw_set *s, const char *text)
{
    kw_result r;
    kw_result_init(&r);
    kw_scan(s, text, strlen(text), &r);
    dbuf cats;
    dbuf_init(&cats);
    kw_result_cats(s, &r, &cats);
    printf("action=%s matches=%zu cats=%s\nmasked=%s\n", kw_action_name(r.action), r.nmatch,
           cats.data ? cats.data : "", r.masked_set ? r.masked.data : text);
    dbuf_free(&cats);
    kw_result_free(&r);
}

static int bench(const kw_set *s, const corpus *c, double seconds)
{
    kw_result r;
    kw_result_init(&r);
    size_t hits = 0, bytes = 0, msgs = 0;
    double w0 = now_s(), c0 = cpu_s(), t, w;
    do {                                   /* whole passes, until `seconds` of CPU */
        for (size_t i = 0; i < c->n; i++)
            hits += kw_scan(s, c->text[i], c->len[i], &r) != KW_NONE;
        bytes += c->bytes;
        msgs += c->n;
        t = cpu_s() - c0;
        w = now_s() - w0;
    } while (t < seconds && w < seconds * 10);
    /* per core: bytes per CPU-second of this (single-threaded) process, so
     * other load on a shared machine does not count against it */
    printf("kw-bench: %zu messages (%zu bytes) per pass; %.1f MB/s per core, %.2f M msgs/s, "
           "%.2f%% messages matched, %.2fs CPU in %.2fs wall (%.1f MB/s wall)\n", c->n, c->bytes,
           bytes / t / 1e6, msgs / t / 1e6, 100.0 * hits / msgs, t, w, bytes / w / 1e6);
    kw_result_free(&r);
    return 0;
}

int main(int argc, char **argv)
{
    const char *lex = DATA "lexicon/zh/houbb_sensitive_word_dict.txt", *allow = NULL;
    const char *corp = DATA "danmaku/bilibili_video_danmaku.jsonl", *text = NULL;
    double seconds = 3;
    kw_opts o = { 0 };
    static const struct option lo[] = {
        { "lexicon", 1, 0, 'l' }, { "allow", 1, 0, 'a' }, { "corpus", 1, 0, 'c' },
        { "seconds", 1, 0, 's' }, { "actions", 1, 0, 'A' }, { "text", 1, 0, 't' },
        { "help", 0, 0, 'h' }, { 0, 0, 0, 0 } };
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'l': lex = optarg; break;
        case 'a': allow = optarg; break;
        case 'c': corp = optarg; break;
        case 's': seconds = atof(optarg); break;
        case 'A': o.actions = optarg; break;
        case 't': text = optarg; break;
        default: usage(); return ch == 'h' ? 0 : 2;
        }
    }
    if (seconds <= 0 || seconds > 600) { usage(); return 2; }
    char err[256];
    double t0 = now_s();
    kw_set *s = kw_load(lex, allow, &o, err, sizeof err);
    if (!s) { fprintf(stderr, "kw-bench: %s\n", err); return 1; }
    fprintf(stderr, "kw-bench: %zu entries, %zu states, %d categories, built in %.0f ms\n",
            kw_entries(s), kw_states(s), kw_ncats(s), (now_s() - t0) * 1e3);
    int rc = 0;
    if (text) {
        probe(s, text);
    } else {
        corpus c = { 0 };
        rc = load_corpus(corp, &c) < 0 ? 1 : bench(s, &c, seconds);
        for (size_t i = 0; i < c.n; i++) free(c.text[i]);
        free(c.text);
        free(c.len);
    }
    kw_free(s);
    return rc;
}

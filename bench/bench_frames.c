/* bench_frames.c — JSON lines in, hex frames out, through bench_enc. */
#include "bench_frames.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "bench_enc.h"

#define MAX_FLAGS 8

typedef struct ev_in { const char *flags[MAX_FLAGS]; } ev_in;

static const char *str_or(json_t *o, const char *k, const char *def)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : def;
}

static uint64_t num(json_t *o, const char *k, uint64_t def)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (uint64_t)json_integer_value(v) : def;
}

static int mode_of(const char *m)
{
    return !strcmp(m, "top") ? 1 : !strcmp(m, "bottom") ? 2 : 0;
}

/* Fills e from the JSON object o (strings point into o). 0 / -1. */
static int parse_event(json_t *o, bev *e, ev_in *x)
{
    const char *kind = str_or(o, "kind", "");
    memset(e, 0, sizeof *e);
    e->kind = !strcmp(kind, "gift") ? BEV_GIFT : !strcmp(kind, "like") ? BEV_LIKE : BEV_COMMENT;
    if (strcmp(kind, "comment") && e->kind == BEV_COMMENT)
        return -1;
    e->seq = num(o, "seq", 0);
    e->ts_ms = (int64_t)num(o, "ts_ms", 0);
    e->user_id = str_or(o, "user_id", "");
    e->nick = str_or(o, "nick", NULL);
    e->client_msg_id = str_or(o, "client_msg_id", NULL);
    e->text = str_or(o, "text", "");
    e->text_len = strlen(e->text);
    e->color = (uint32_t)num(o, "color", 16777215);
    e->mode = mode_of(str_or(o, "mode", "scroll"));
    e->size = (uint32_t)num(o, "size", 25);
    e->gift_id = str_or(o, "gift_id", "");
    e->gift_name = str_or(o, "gift_name", "");
    e->count = (uint32_t)num(o, "count", 1);
    e->unit_value = num(o, "unit_value", 0);
    e->risk = str_or(o, "risk", NULL);
    json_t *fl = json_object_get(o, "flags");
    for (size_t i = 0; json_is_array(fl) && i < json_array_size(fl) && i < MAX_FLAGS; i++)
        if (json_is_string(json_array_get(fl, i)))
            x->flags[e->nflags++] = json_string_value(json_array_get(fl, i));
    e->flags = x->flags;
    return e->seq ? 0 : -1;
}

static void put_hex(FILE *out, const dbuf *b)
{
    for (size_t i = 0; i < b->len; i++)
        fprintf(out, "%02x", (unsigned char)b->data[i]);
    fputc('\n', out);
}

/* One batch line into a frame on out. 0 / -1. */
static int one_line(benc *be, const char *line, FILE *out, int fmt, int zstd, dbuf *frame)
{
    json_error_t je;
    json_t *root = json_loads(line, 0, &je);
    json_t *evs = root ? json_object_get(root, "events") : NULL;
    size_t n = json_array_size(evs);
    int rc = -1;
    bev *e = n ? xcalloc(n, sizeof *e) : NULL;
    ev_in *x = n ? xcalloc(n, sizeof *x) : NULL;
    for (size_t i = 0; i < n; i++)
        if (parse_event(json_array_get(evs, i), &e[i], &x[i]))
            goto out;
    if (n) {
        dbuf_reset(frame);
        benc_frame(be, frame, fmt, zstd, str_or(root, "room", ""), str_or(root, "epoch", ""), e, n);
        put_hex(out, frame);
        rc = 0;
    }
out:
    free(e);
    free(x);
    json_decref(root);
    return rc;
}

int bframes_run(FILE *in, FILE *out, int fmt, int zstd, const char *dict_dir, int level, FILE *err)
{
    benc be;
    if (benc_init(&be, dict_dir, level) < 0) {
        fprintf(err, "--frames: cannot load the dictionaries in %s\n", dict_dir ? dict_dir : "-");
        benc_free(&be);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = 0;
    dbuf frame;
    dbuf_init(&frame);
    while (!rc && getline(&line, &cap, in) > 0) {
        lineno++;
        if (line[0] == '\n')
            continue;
        if (one_line(&be, line, out, fmt, zstd, &frame)) {
            fprintf(err, "--frames: line %zu: not a batch of valid events\n", lineno);
            rc = -1;
        }
    }
    free(line);
    dbuf_free(&frame);
    benc_free(&be);
    return rc;
}

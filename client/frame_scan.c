/* frame_scan.c — fast frame scanning for viewers (see frame_scan.h). */
#define _GNU_SOURCE
#include "frame_scan.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dbuf.h"
#include "zdec.h"

void scan_frame_free(scan_frame *f) { free(f->ev); memset(f, 0, sizeof *f); }

static scan_ev *push_ev(scan_frame *f)
{
    if (f->nev == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 64;
        f->ev = xrealloc(f->ev, f->cap * sizeof *f->ev);
    }
    scan_ev *e = &f->ev[f->nev++];
    e->seq = 0; e->send_us = -1; e->ts_ms = 0; e->kind = SK_COMMENT;
    return e;
}

static uint64_t parse_u64(const uint8_t *p, const uint8_t *end, const uint8_t **stop)
{
    uint64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (uint64_t)(*p++ - '0');
    if (stop) *stop = p;
    return v;
}

int64_t scan_cmid(const char *s, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (n <= pl || memcmp(s, prefix, pl)) return -1;
    const char *dash = memrchr(s + pl, '-', n - pl);
    if (!dash || dash + 1 >= s + n) return -1;
    const uint8_t *stop;
    uint64_t v = parse_u64((const uint8_t *)dash + 1, (const uint8_t *)s + n, &stop);
    return stop == (const uint8_t *)s + n ? (int64_t)v : -1;
}

static const uint8_t *find(const uint8_t *p, const uint8_t *end, const char *lit)
{
    size_t l = strlen(lit);
    if (p >= end) return NULL;
    return memmem(p, (size_t)(end - p), lit, l);
}

static int scan_u64_field(const uint8_t *p, const uint8_t *end, const char *key, uint64_t *v)
{
    const uint8_t *q = find(p, end, key);
    if (!q) return -1;
    *v = parse_u64(q + strlen(key), end, NULL);
    return 0;
}

#define CMID_KEY "\"client_msg_id\":\""

/* Event body is [p, e) where e points at its closing '}'. */
static void json_cmid(const uint8_t *p, const uint8_t *e, const char *prefix, scan_ev *ev)
{
    /* fast path: client_msg_id is the last field: ..."client_msg_id":"VALUE"} */
    if (e - p > 20 && e[-1] == '"') {
        const uint8_t *v = e - 1;
        while (v > p && v[-1] != '"') v--;
        size_t kl = sizeof CMID_KEY - 1;
        if (v - p >= (ptrdiff_t)kl && !memcmp(v - kl, CMID_KEY, kl)) {
            ev->send_us = scan_cmid((const char *)v, (size_t)(e - 1 - v), prefix);
            return;
        }
    }
    const uint8_t *k = find(p, e, CMID_KEY);
    if (!k) return;
    k += sizeof CMID_KEY - 1;
    const uint8_t *q = memchr(k, '"', (size_t)(e - k));
    if (q) ev->send_us = scan_cmid((const char *)k, (size_t)(q - k), prefix);
}

static int json_events(const uint8_t *p, const uint8_t *end, const char *prefix, scan_frame *out)
{
    static const char EV[] = "{\"seq\":";
    const uint8_t *cur = find(p, end, EV);
    while (cur) {
        scan_ev *ev = push_ev(out);
        const uint8_t *q;
        ev->seq = parse_u64(cur + sizeof EV - 1, end, &q);
        if (end - q > 10 && !memcmp(q, ",\"kind\":\"", 9)) {
            ev->kind = q[9] == 'g' ? SK_GIFT : q[9] == 'l' ? SK_LIKE : SK_COMMENT;
            const uint8_t *t = memchr(q + 10, ',', (size_t)(end - q - 10));   /* ,"ts_ms":N follows */
            if (t && end - t > 9 && !memcmp(t, ",\"ts_ms\":", 9)) ev->ts_ms = (int64_t)parse_u64(t + 9, end, NULL);
        }
        const uint8_t *next = find(q, end, ",{\"seq\":");
        const uint8_t *close = next ? next - 1 : end - 3;   /* ...}]} at the end */
        while (close > q && *close != '}') close--;
        json_cmid(q, close, prefix, ev);
        cur = next ? next + 1 : NULL;
    }
    return 0;
}

int scan_json(const uint8_t *p, size_t n, const char *prefix, scan_frame *out)
{
    const uint8_t *end = p + n;
    out->nev = 0; out->from = out->to = 0;
    static const char T[] = "{\"type\":\"";
    if (n < sizeof T || memcmp(p, T, sizeof T - 1)) return -1;
    const uint8_t *body = p + sizeof T - 1;
    if (*body == 'b') {
        out->type = SCAN_BATCH;
        scan_u64_field(body, end, "\"from_seq\":", &out->from);
        scan_u64_field(body, end, "\"to_seq\":", &out->to);
        const uint8_t *evs = find(body, end, "\"events\":[");
        return evs ? json_events(evs, end, prefix, out) : -1;
    }
    if (*body == 'r') {
        out->type = SCAN_RESET;
        return scan_u64_field(body, end, "\"from_seq\":", &out->from);
    }
    if (*body == 'g') {
        out->type = SCAN_GAP;
        if (scan_u64_field(body, end, "\"from_seq\":", &out->from) < 0) return -1;
        return scan_u64_field(body, end, "\"to_seq\":", &out->to);
    }
    out->type = SCAN_OTHER;
    return 0;
}

/* ---- protobuf ---------------------------------------------------------- */

static int varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    uint64_t r = 0;
    for (int s = 0; s < 64 && p < end; s += 7) {
        uint8_t b = *p++;
        r |= (uint64_t)(b & 0x7f) << s;
        if (!(b & 0x80)) { *v = r; *pp = p; return 0; }
    }
    return -1;
}

/* Reads one field: number, wire type; for LEN sets [*dp, *dp+*dl); for
 * VARINT sets *v. Skips I64/I32. 0 / -1. */
static int pb_field(const uint8_t **pp, const uint8_t *end, uint32_t *num,
                    uint64_t *v, const uint8_t **dp, size_t *dl)
{
    uint64_t key;
    if (varint(pp, end, &key) < 0) return -1;
    *num = (uint32_t)(key >> 3);
    switch (key & 7) {
    case 0: return varint(pp, end, v);
    case 1: if (end - *pp < 8) return -1; *pp += 8; return 0;
    case 5: if (end - *pp < 4) return -1; *pp += 4; return 0;
    case 2:
        if (varint(pp, end, v) < 0 || *v > (uint64_t)(end - *pp)) return -1;
        *dp = *pp; *dl = (size_t)*v; *pp += *v;
        return 0;
    default: return -1;
    }
}

static int pb_event(const uint8_t *p, const uint8_t *end, const char *prefix, scan_ev *ev)
{
    while (p < end) {
        uint32_t num; uint64_t v = 0; const uint8_t *d = NULL; size_t dl = 0;
        if (pb_field(&p, end, &num, &v, &d, &dl) < 0) return -1;
        if (num == 1) ev->seq = v;
        else if (num == 2) ev->ts_ms = (int64_t)v;
        else if (num == 5 && d) ev->send_us = scan_cmid((const char *)d, dl, prefix);
        else if (num == 11) ev->kind = SK_GIFT;
        else if (num == 12) ev->kind = SK_LIKE;
    }
    return 0;
}

static int pb_batch(const uint8_t *p, const uint8_t *end, const char *prefix, scan_frame *out)
{
    while (p < end) {
        uint32_t num; uint64_t v = 0; const uint8_t *d = NULL; size_t dl = 0;
        if (pb_field(&p, end, &num, &v, &d, &dl) < 0) return -1;
        if (num == 3) out->from = v;
        else if (num == 4) out->to = v;
        else if (num == 5 && d && pb_event(d, d + dl, prefix, push_ev(out)) < 0) return -1;
    }
    return 0;
}

/* v2 CompactEvent: seq and ts_ms from the previous event's (prev) plus the
 * deltas; no client_msg_id, so send_us stays -1. */
static int pb2_event(const uint8_t *p, const uint8_t *end, const scan_ev *prev, scan_ev *ev)
{
    uint64_t skip = 0, dts = 0;
    while (p < end) {
        uint32_t num; uint64_t v = 0; const uint8_t *d = NULL; size_t dl = 0;
        if (pb_field(&p, end, &num, &v, &d, &dl) < 0) return -1;
        if (num == 1) skip = v;
        else if (num == 2) dts = v;
        else if (num == 11) ev->kind = SK_GIFT;
        else if (num == 12) ev->kind = SK_LIKE;
    }
    ev->seq = prev->seq + 1 + skip;
    ev->ts_ms = prev->ts_ms + (int64_t)((dts >> 1) ^ (~(dts & 1) + 1));
    return 0;
}

static int pb2_batch(const uint8_t *p, const uint8_t *end, scan_frame *out)
{
    scan_ev prev = { 0, -1, 0, 0 };
    while (p < end) {
        uint32_t num; uint64_t v = 0; const uint8_t *d = NULL; size_t dl = 0;
        if (pb_field(&p, end, &num, &v, &d, &dl) < 0) return -1;
        if (num == 3) { out->from = v; prev.seq = v - 1; }
        else if (num == 4) prev.ts_ms = (int64_t)v;
        else if (num == 5 && d) {
            scan_ev *e = push_ev(out);
            if (pb2_event(d, d + dl, &prev, e) < 0) return -1;
            prev = *e;
        }
    }
    out->to = out->nev ? out->ev[out->nev - 1].seq : out->from;
    return 0;
}

static int pb_range(const uint8_t *p, const uint8_t *end, scan_frame *out)
{
    while (p < end) {
        uint32_t num; uint64_t v = 0; const uint8_t *d = NULL; size_t dl = 0;
        if (pb_field(&p, end, &num, &v, &d, &dl) < 0) return -1;
        if (num == (out->type == SCAN_RESET ? 2u : 1u)) out->from = v;
        else if (num == 2 && out->type == SCAN_GAP) out->to = v;
    }
    return 0;
}

int scan_pb(const uint8_t *p, size_t n, const char *prefix, scan_frame *out)
{
    const uint8_t *end = p + n;
    out->nev = 0; out->from = out->to = 0; out->type = SCAN_OTHER;
    while (p < end) {
        uint32_t num; uint64_t v = 0; const uint8_t *d = NULL; size_t dl = 0;
        if (pb_field(&p, end, &num, &v, &d, &dl) < 0 || !d) return -1;
        if (num == 1) { out->type = SCAN_BATCH; if (pb_batch(d, d + dl, prefix, out) < 0) return -1; }
        else if (num == 2) { out->type = SCAN_RESET; if (pb_range(d, d + dl, out) < 0) return -1; }
        else if (num == 3) { out->type = SCAN_GAP; if (pb_range(d, d + dl, out) < 0) return -1; }
        else if (num == 4) { out->type = SCAN_BATCH; if (pb2_batch(d, d + dl, out) < 0) return -1; }
    }
    return 0;
}

/* ---- context: zstd + cache -------------------------------------------- */

typedef struct cache_slot {
    uint64_t hash;
    uint8_t *msg; size_t len;
    scan_frame f;
    int valid;
} cache_slot;

struct scan_ctx {
    int format;
    char prefix[48];
    zdec z;
    dbuf out;
    cache_slot *slots; size_t nslots;
    scan_frame tmp;
    uint64_t hits, misses, errors;
};

scan_ctx *scan_ctx_new(int format, const char *dict_dir, const char *prefix, size_t cache_slots)
{
    scan_ctx *c = xcalloc(1, sizeof *c);
    c->format = format;
    snprintf(c->prefix, sizeof c->prefix, "%s", prefix);
    zdec_init(&c->z);
    dbuf_init(&c->out);
    c->nslots = cache_slots ? cache_slots : 1;
    c->slots = xcalloc(c->nslots, sizeof *c->slots);
    if (dict_dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/danmaku-%s.zdict", dict_dir,
                 format == 2 ? "pb2" : format ? "pb" : "json");
        zdec_add_file(&c->z, path);
    }
    return c;
}

void scan_ctx_free(scan_ctx *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->nslots; i++) { free(c->slots[i].msg); scan_frame_free(&c->slots[i].f); }
    free(c->slots);
    scan_frame_free(&c->tmp);
    dbuf_free(&c->out);
    zdec_free(&c->z);
    free(c);
}

/* Cache key: length and up to 64 sampled 8-byte words (head, tail and
 * evenly spread). A hit is confirmed with memcmp, so the key only has to
 * spread frames over slots, cheaply. */
static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    if (n < 8) {
        uint64_t w = 0; memcpy(&w, p, n);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
        return h ^ (h >> 29);
    }
    size_t words = n / 8, step = words > 64 ? words / 64 : 1;
    for (size_t i = 0; i < words; i += step) {
        uint64_t w; memcpy(&w, p + i * 8, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull; h ^= h >> 32;
    }
    uint64_t w; memcpy(&w, p + n - 8, 8);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

static int decode_into(scan_ctx *c, const uint8_t *msg, size_t len, scan_frame *f)
{
    if (len >= 4 && msg[0] == 0x28 && msg[1] == 0xb5 && msg[2] == 0x2f && msg[3] == 0xfd) {
        if (zdec_decompress(&c->z, msg, len, &c->out, NULL, 0) < 0) return -1;
        msg = (const uint8_t *)c->out.data; len = c->out.len;
    }
    return c->format ? scan_pb(msg, len, c->prefix, f) : scan_json(msg, len, c->prefix, f);
}

const scan_frame *scan_decode(scan_ctx *c, const uint8_t *msg, size_t len)
{
    uint64_t h = hash_bytes(msg, len);
    cache_slot *s = &c->slots[h % c->nslots];
    if (s->valid && s->hash == h && s->len == len && !memcmp(s->msg, msg, len)) {
        c->hits++;
        return &s->f;
    }
    c->misses++;
    s->valid = 0;
    if (decode_into(c, msg, len, &s->f) < 0) { c->errors++; return NULL; }
    free(s->msg);
    s->msg = xmalloc(len ? len : 1);
    memcpy(s->msg, msg, len);
    s->len = len; s->hash = h; s->valid = 1;
    return &s->f;
}

void scan_stats(const scan_ctx *c, uint64_t *hits, uint64_t *misses, uint64_t *errors)
{
    *hits = c->hits; *misses = c->misses; *errors = c->errors;
}

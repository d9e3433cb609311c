/* metrics.c — the shared-memory metric table and its Prometheus text
 * rendering (see metrics.h). Layout of one slot: for each family, for each
 * label value, either one 8-byte cell (counter: uint64, gauge: double) or
 * nbounds + 1 bucket counts, a count and a sum (double). */
#include "metrics.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

const double mx_latency_bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
const size_t mx_latency_nbounds = sizeof mx_latency_bounds / sizeof mx_latency_bounds[0];
const double mx_size_bounds[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096 };
const size_t mx_size_nbounds = sizeof mx_size_bounds / sizeof mx_size_bounds[0];

typedef union cell { uint64_t u; double d; } cell;

static const mx_def *defs;
static size_t ndefs;
static size_t *offs;        /* first cell of each family within a slot */
static size_t slot_cells;   /* cells per slot */
static int nslots = 1;
static cell *region;        /* nslots * slot_cells cells, MAP_SHARED */
static cell *mine;          /* the bound slot */
static size_t offs_store[256];

static size_t nlabels(const mx_def *d)
{
    size_t n = 0;
    if (!d->label || !d->values)
        return 1;
    while (d->values[n])
        n++;
    return n ? n : 1;
}

static size_t family_cells(const mx_def *d)
{
    size_t per = d->type == MX_HISTOGRAM ? d->nbounds + 3 : 1;
    return per * nlabels(d);
}

static int check_def(const mx_def *d)
{
    if (!d->name || !d->help || d->type < MX_COUNTER || d->type > MX_HISTOGRAM)
        return -1;
    if (d->type != MX_HISTOGRAM)
        return 0;
    if (!d->bounds || !d->nbounds)
        return -1;
    for (size_t i = 1; i < d->nbounds; i++)
        if (!(d->bounds[i] > d->bounds[i - 1]))
            return -1;
    return 0;
}

int mx_setup(const mx_def *table, size_t n, int slots)
{
    if (slots < 1 || n > sizeof offs_store / sizeof offs_store[0])
        return -1;
    size_t cells = 0;
    for (size_t i = 0; i < n; i++) {
        if (check_def(&table[i]))
            return -1;
        offs_store[i] = cells;
        cells += family_cells(&table[i]);
    }
    if (region)
        munmap(region, (size_t)nslots * slot_cells * sizeof(cell));
    size_t bytes = (size_t)slots * (cells ? cells : 1) * sizeof(cell);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        region = mine = NULL;
        return -1;
    }
    defs = table;
    ndefs = n;
    offs = offs_store;
    slot_cells = cells ? cells : 1;
    nslots = slots;
    region = mine = p;
    return 0;
}

int mx_bind(int slot)
{
    if (!region || slot < 0 || slot >= nslots)
        return -1;
    mine = region + (size_t)slot * slot_cells;
    return 0;
}

void mx_clear_slot(int slot)
{
    if (region && slot >= 0 && slot < nslots)
        memset(region + (size_t)slot * slot_cells, 0, slot_cells * sizeof(cell));
}

int mx_label(int id, const char *value)
{
    if (id < 0 || (size_t)id >= ndefs || !defs[id].label || !value)
        return -1;
    for (int i = 0; defs[id].values[i]; i++)
        if (!strcmp(defs[id].values[i], value))
            return i;
    return -1;
}

/* The first cell of series `label` of family `id` in the bound slot, or NULL. */
static cell *series(int id, int type, int label)
{
    if (!mine || id < 0 || (size_t)id >= ndefs || defs[id].type != type)
        return NULL;
    const mx_def *d = &defs[id];
    if (label < 0 || (size_t)label >= nlabels(d))
        return NULL;
    size_t per = d->type == MX_HISTOGRAM ? d->nbounds + 3 : 1;
    return mine + offs[id] + (size_t)label * per;
}

void mx_add(int id, int label, uint64_t v)
{
    cell *c = series(id, MX_COUNTER, label);
    if (c)
        c->u += v;
}

void mx_set(int id, int label, double v)
{
    cell *c = series(id, MX_GAUGE, label);
    if (c)
        c->d = v;
}

void mx_observe(int id, int label, double v)
{
    cell *c = series(id, MX_HISTOGRAM, label);
    if (!c)
        return;
    const mx_def *d = &defs[id];
    size_t b = 0;
    while (b < d->nbounds && v > d->bounds[b])
        b++;
    c[b].u++;                        /* non-cumulative; rendering sums */
    c[d->nbounds + 1].u++;           /* count */
    c[d->nbounds + 2].d += v;        /* sum */
}

double mx_get(int id, int label)
{
    if (id < 0 || (size_t)id >= ndefs || defs[id].type == MX_HISTOGRAM)
        return 0;
    cell *c = series(id, defs[id].type, label);
    if (!c)
        return 0;
    return defs[id].type == MX_COUNTER ? (double)c->u : c->d;
}

/* ---- rendering ---------------------------------------------------------- */

/* Label values and help text are ours (tables), but escape anyway. */
static void put_escaped(dbuf *out, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            dbuf_puts(out, "\\\\");
        else if (*s == '\n')
            dbuf_puts(out, "\\n");
        else if (quote && *s == '"')
            dbuf_puts(out, "\\\"");
        else
            dbuf_putc(out, *s);
    }
}

/* The shortest %g text that reads back as exactly v. */
static void fmt_double(char *buf, size_t n, double v)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static void put_num(dbuf *out, double v)
{
    if (isinf(v))
        dbuf_puts(out, v > 0 ? "+Inf" : "-Inf");
    else if (isnan(v))
        dbuf_puts(out, "NaN");
    else if (v == (double)(int64_t)v && fabs(v) < 9e15)
        dbuf_put_i64(out, (int64_t)v);
    else {
        char buf[40];
        fmt_double(buf, sizeof buf, v);
        dbuf_puts(out, buf);
    }
}

/* name{worker="w",label="v",le="b"} — each part optional. */
static void put_series(dbuf *out, const char *name, const char *suffix, int slot,
                       const mx_def *d, size_t l, const char *le)
{
    dbuf_puts(out, name);
    dbuf_puts(out, suffix);
    int any = 0;
    if (nslots > 1) {
        dbuf_printf(out, "{worker=\"%d\"", slot);
        any = 1;
    }
    if (d->label && d->values && d->values[0]) {
        dbuf_puts(out, any ? "," : "{");
        dbuf_puts(out, d->label);
        dbuf_puts(out, "=\"");
        put_escaped(out, d->values[l], 1);
        dbuf_putc(out, '"');
        any = 1;
    }
    if (le) {
        dbuf_puts(out, any ? "," : "{");
        dbuf_printf(out, "le=\"%s\"", le);
        any = 1;
    }
    if (any)
        dbuf_putc(out, '}');
    dbuf_putc(out, ' ');
}

static void render_histogram(dbuf *out, const mx_def *d, const cell *c, int slot, size_t l)
{
    uint64_t cum = 0;
    char le[40];
    for (size_t b = 0; b < d->nbounds; b++) {
        cum += c[b].u;
        fmt_double(le, sizeof le, d->bounds[b]);
        put_series(out, d->name, "_bucket", slot, d, l, le);
        dbuf_put_u64(out, cum);
        dbuf_putc(out, '\n');
    }
    cum += c[d->nbounds].u;
    put_series(out, d->name, "_bucket", slot, d, l, "+Inf");
    dbuf_put_u64(out, cum);
    dbuf_putc(out, '\n');
    put_series(out, d->name, "_sum", slot, d, l, NULL);
    put_num(out, c[d->nbounds + 2].d);
    dbuf_putc(out, '\n');
    put_series(out, d->name, "_count", slot, d, l, NULL);
    dbuf_put_u64(out, cum);         /* == count; derived from buckets so they agree */
    dbuf_putc(out, '\n');
}

static const char *const type_names[] = { "counter", "gauge", "histogram" };

void mx_render(dbuf *out)
{
    if (!region)
        return;
    for (size_t i = 0; i < ndefs; i++) {
        const mx_def *d = &defs[i];
        dbuf_printf(out, "# HELP %s ", d->name);
        put_escaped(out, d->help, 0);
        dbuf_printf(out, "\n# TYPE %s %s\n", d->name, type_names[d->type]);
        size_t per = d->type == MX_HISTOGRAM ? d->nbounds + 3 : 1;
        for (int s = 0; s < nslots; s++) {
            const cell *base = region + (size_t)s * slot_cells + offs[i];
            for (size_t l = 0; l < nlabels(d); l++) {
                const cell *c = base + l * per;
                if (d->type == MX_HISTOGRAM) {
                    render_histogram(out, d, c, s, l);
                    continue;
                }
                put_series(out, d->name, "", s, d, l, NULL);
                if (d->type == MX_COUNTER)
                    dbuf_put_u64(out, c->u);
                else
                    put_num(out, c->d);
                dbuf_putc(out, '\n');
            }
        }
    }
}

/* bench_hist.c — the log-linear histogram. */
#include "bench_hist.h"
#include <stdlib.h>
#include <string.h>
#include "dbuf.h"

void hist_init(hist *h, int sub_bits)
{
    memset(h, 0, sizeof *h);
    h->sub_bits = sub_bits;
    /* exact part (2^sub) + one group of 2^sub buckets per octave above */
    h->nbuckets = ((size_t)1 << sub_bits) * (size_t)(64 - sub_bits + 1);
    h->counts = xcalloc(h->nbuckets, sizeof *h->counts);
    h->min = UINT64_MAX;
}

void hist_free(hist *h) { free(h->counts); memset(h, 0, sizeof *h); }

void hist_reset(hist *h)
{
    memset(h->counts, 0, h->nbuckets * sizeof *h->counts);
    h->total = 0; h->max = 0; h->min = UINT64_MAX; h->sum = 0;
}

size_t hist_index(const hist *h, uint64_t v)
{
    uint64_t sub = (uint64_t)1 << h->sub_bits;
    if (v < sub) return (size_t)v;
    int k = 63 - __builtin_clzll(v);            /* v in [2^k, 2^(k+1)), k >= sub_bits */
    uint64_t s = (v >> (k - h->sub_bits)) - sub; /* 0 .. sub-1 */
    return (size_t)(sub + (uint64_t)(k - h->sub_bits) * sub + s);
}

void hist_bucket_range(const hist *h, size_t i, uint64_t *lo, uint64_t *hi)
{
    uint64_t sub = (uint64_t)1 << h->sub_bits;
    if (i < sub) { *lo = *hi = i; return; }
    uint64_t g = (i - sub) / sub, s = (i - sub) % sub;
    int k = (int)g + h->sub_bits;
    uint64_t w = (uint64_t)1 << (k - h->sub_bits);
    *lo = (sub + s) * w;
    *hi = *lo + (w - 1);
}

void hist_add_n(hist *h, uint64_t v, uint64_t n)
{
    if (!n) return;
    h->counts[hist_index(h, v)] += n;
    h->total += n;
    h->sum += (double)v * (double)n;
    if (v < h->min) h->min = v;
    if (v > h->max) h->max = v;
}

void hist_add(hist *h, uint64_t v) { hist_add_n(h, v, 1); }

int hist_merge(hist *dst, const hist *src)
{
    if (dst->sub_bits != src->sub_bits) return -1;
    for (size_t i = 0; i < dst->nbuckets; i++) dst->counts[i] += src->counts[i];
    dst->total += src->total;
    dst->sum += src->sum;
    if (src->total) {
        if (src->min < dst->min) dst->min = src->min;
        if (src->max > dst->max) dst->max = src->max;
    }
    return 0;
}

uint64_t hist_quantile(const hist *h, double q)
{
    if (!h->total) return 0;
    if (q >= 1.0) return h->max;
    if (q < 0) q = 0;
    uint64_t rank = (uint64_t)(q * (double)h->total);
    if ((double)rank < q * (double)h->total || rank == 0) rank++;
    uint64_t seen = 0;
    for (size_t i = 0; i < h->nbuckets; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t lo, hi;
            hist_bucket_range(h, i, &lo, &hi);
            uint64_t mid = lo + (hi - lo) / 2;
            return mid < h->min ? h->min : mid > h->max ? h->max : mid;
        }
    }
    return h->max;
}

double hist_mean(const hist *h) { return h->total ? h->sum / (double)h->total : 0; }

int hist_write(const hist *h, FILE *f)
{
    uint64_t nz = 0;
    for (size_t i = 0; i < h->nbuckets; i++) nz += h->counts[i] != 0;
    uint64_t hdr[5] = { (uint64_t)h->sub_bits, h->total, h->min, h->max, nz };
    if (fwrite(hdr, sizeof hdr, 1, f) != 1 || fwrite(&h->sum, sizeof h->sum, 1, f) != 1) return -1;
    for (size_t i = 0; i < h->nbuckets; i++) {
        if (!h->counts[i]) continue;
        uint64_t pair[2] = { i, h->counts[i] };
        if (fwrite(pair, sizeof pair, 1, f) != 1) return -1;
    }
    return 0;
}

int hist_read(hist *h, FILE *f)
{
    uint64_t hdr[5];
    double sum;
    if (fread(hdr, sizeof hdr, 1, f) != 1 || fread(&sum, sizeof sum, 1, f) != 1) return -1;
    if (hdr[0] < 1 || hdr[0] > 10) return -1;
    hist_init(h, (int)hdr[0]);
    h->total = hdr[1]; h->min = hdr[2]; h->max = hdr[3]; h->sum = sum;
    for (uint64_t j = 0; j < hdr[4]; j++) {
        uint64_t pair[2];
        if (fread(pair, sizeof pair, 1, f) != 1 || pair[0] >= h->nbuckets) { hist_free(h); return -1; }
        h->counts[pair[0]] = pair[1];
    }
    return 0;
}

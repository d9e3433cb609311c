/* bench_report.c — summary table, JSON result (jansson; end of run, not a
 * hot path) and gnuplot plots. */
#include "bench_report.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench_viewer.h"

static const char *const kind_names[SK_NKINDS] = { "comment", "gift", "like" };
static const char *const fail_names[8] = { "none", "connect", "handshake", "timeout", "reset", "socket", "", "" };

static double ms(uint64_t us) { return (double)us / 1000.0; }

/* Bytes the viewers received per viewer per second of the measured window. */
static double egress_per_viewer_s(const bench_agg *a)
{
    return a->connected_peak && a->measure_s > 0
        ? (double)a->window_bytes / (double)a->connected_peak / a->measure_s : 0.0;
}

static void lat_line(FILE *f, const char *name, const hist *h)
{
    fprintf(f, "  %-10s %10llu %9.1f %9.1f %9.1f %9.1f %9.1f\n", name, (unsigned long long)h->total,
            ms(hist_quantile(h, 0.5)), ms(hist_quantile(h, 0.9)), ms(hist_quantile(h, 0.99)),
            ms(hist_quantile(h, 0.999)), ms(h->max));
}

static uint64_t http_errors(const pub_stats *ps)
{
    uint64_t n = 0;
    if (ps) for (int s = 0; s < 600; s++) if (!pub_status_ok(s)) n += ps->by_status[s];
    return n;
}

/* Mean machine busy % and load over the publishing window (self series). */
static void machine_stats(const sysmon *m, double from_t, double *busy, double *load)
{
    double b = 0, l = 0; size_t n = 0;
    *busy = *load = 0;
    for (size_t i = 1; m && i < m->n; i++) {
        if (m->s[i].t < from_t) continue;
        b += m->s[i].machine_pct; l += m->s[i].load1; n++;
    }
    if (n) { *busy = b / (double)n; *load = l / (double)n; }
}

static void sys_stats(const sysmon *m, double from_t, double *cpu_mean, double *cpu_max, uint64_t *rss_max)
{
    double sum = 0; size_t n = 0;
    *cpu_mean = *cpu_max = 0; *rss_max = 0;
    for (size_t i = 1; i < m->n; i++) {
        if (m->s[i].rss_bytes > *rss_max) *rss_max = m->s[i].rss_bytes;
        if (m->s[i].t < from_t) continue;
        sum += m->s[i].cpu_pct; n++;
        if (m->s[i].cpu_pct > *cpu_max) *cpu_max = m->s[i].cpu_pct;
    }
    if (n) *cpu_mean = sum / (double)n;
}

void report_summary(const bench_agg *a, FILE *f)
{
    const bench_cfg *c = a->cfg;
    const pub_stats *ps = a->pub;
    fprintf(f, "== danmaku-bench%s%s: target %s, %zu viewers / %zu rooms (%s), %s%s, %.0f ev/s for %.0f s (+%.0f s warmup), %zu procs\n",
            c->label[0] ? " " : "", c->label, cfg_target_name(c->target), c->viewers, c->rooms, c->popularity,
            cfg_format_name(c->format), c->compress ? "+zstd" : "", c->rate, c->duration, c->warmup, a->nprocs);
    fprintf(f, "connections: %zu open at end, peak %zu, %zu failed, %zu closed by server; connect p50 %.1f ms p99 %.1f ms max %.1f ms (ramp %.1f s)\n",
            a->connected, a->connected_peak, a->failed, a->closed, ms(hist_quantile(&a->conn, 0.5)),
            ms(hist_quantile(&a->conn, 0.99)), ms(a->conn.max), a->ramp_s);
    if (ps) {
        uint64_t acked = ps->acked[0] + ps->acked[1] + ps->acked[2];
        uint64_t offered = ps->offered[0] + ps->offered[1] + ps->offered[2];
        fprintf(f, "publish: offered %llu, acked %llu (%.0f/s), http errors %llu, conn errors %llu, unanswered %llu; "
                "publish latency p50 %.2f ms p99 %.2f ms max %.1f ms\n",
                (unsigned long long)offered, (unsigned long long)acked, (double)acked / a->publish_s,
                (unsigned long long)http_errors(ps), (unsigned long long)ps->conn_errors,
                (unsigned long long)ps->unanswered, ms(hist_quantile(&ps->lat, 0.5)),
                ms(hist_quantile(&ps->lat, 0.99)), ms(ps->lat.max));
        for (int s = 0; s < 600; s++)
            if (!pub_status_ok(s) && ps->by_status[s]) fprintf(f, "  http %d: %llu\n", s, (unsigned long long)ps->by_status[s]);
        for (size_t i = 0; i < ps->nerr_sample; i++) fprintf(f, "  e.g. %s\n", ps->err_sample[i]);
    }
    uint64_t ev = a->events[0] + a->events[1] + a->events[2];
    if (!c->viewers) goto servers;
    fprintf(f, "delivery: %.0f events/s, %.0f frames/s (%.1f events/frame), %.1f wire bytes/event, %llu decode errors\n",
            a->events_per_s, a->frames_per_s, a->frames ? (double)ev / (double)a->frames : 0,
            ev ? (double)a->bytes / (double)ev : 0, (unsigned long long)a->decode_err);
    fprintf(f, "egress: %.0f bytes/s per viewer (measured window, %zu viewers), %.1f bytes per delivered event\n",
            egress_per_viewer_s(a), a->connected_peak, ev ? (double)a->bytes / (double)ev : 0);
    fprintf(f, "latency (ms, events sent in the measured %.0f s):\n  %-10s %10s %9s %9s %9s %9s %9s\n",
            a->measure_s, "kind", "count", "p50", "p90", "p99", "p99.9", "max");
    for (int k = 0; k < SK_NKINDS; k++) if (a->lat[k].total) lat_line(f, kind_names[k], &a->lat[k]);
    lat_line(f, "all", &a->lat_all);
    lat_line(f, "fan-out", &a->fan);   /* sequencer ts_ms -> receive: the edge's part */
    fprintf(f, "completeness: %zu/%zu viewers complete; missing %llu (silent losses), undelivered at end %llu, duplicates %llu, "
            "out-of-order %llu, gaps %llu events in %llu frames, reset-skipped %llu (%llu resets)\n",
            a->complete, a->checked, (unsigned long long)a->missing, (unsigned long long)a->missing_tail, (unsigned long long)a->dup,
            (unsigned long long)a->ooo, (unsigned long long)a->gap_events, (unsigned long long)a->gap_frames,
            (unsigned long long)a->reset_events, (unsigned long long)a->resets);
    if (a->closed_checked) {
        fprintf(f, "  %zu viewers closed by the server missed %llu events after their close; close codes:",
                a->closed_checked, (unsigned long long)a->missing_closed);
        for (size_t i = 0; i < a->nclose; i++) fprintf(f, " %u x%llu", a->close_code[i], (unsigned long long)a->close_n[i]);
        fputc('\n', f);
    }
    for (size_t i = 0; i < a->nworst && i < 5; i++)
        fprintf(f, "  viewer %zu (room %u) missed %llu\n", a->worst[i].viewer, a->worst[i].room,
                (unsigned long long)a->worst[i].missing);
servers:
    if (a->sys && a->sys->npids) {
        double cm, cx; uint64_t rm;
        sys_stats(a->sys, a->pub_start_t, &cm, &cx, &rm);
        fprintf(f, "servers: cpu mean %.0f%% max %.0f%% (publishing); rss idle %.1f MB, connected %.1f MB, max %.1f MB",
                cm, cx, (double)a->rss_idle / 1048576.0, (double)a->rss_connected / 1048576.0, (double)rm / 1048576.0);
        if (a->connected && a->rss_connected > a->rss_idle)
            fprintf(f, "; %.0f bytes/viewer", (double)(a->rss_connected - a->rss_idle) / (double)a->connected_peak);
        fputc('\n', f);
    }
    if (a->self && a->self->n > 1) {
        double cm, cx; uint64_t rm;
        sys_stats(a->self, a->pub_start_t, &cm, &cx, &rm);
        double mb, ml;
        machine_stats(a->self, a->pub_start_t, &mb, &ml);
        fprintf(f, "bench itself: cpu mean %.0f%% max %.0f%% (publishing), rss max %.1f MB; whole machine busy %.0f%% of %ld00%%, load %.1f\n",
                cm, cx, (double)rm / 1048576.0, mb, sysconf(_SC_NPROCESSORS_ONLN), ml);
    }
    fprintf(f, "result: %s\n", a->ok ? "OK (complete)" : "ERRORS (see above)");
}

/* ---- JSON -------------------------------------------------------------- */

static json_t *jlat(const hist *h)
{
    return json_pack("{s:I,s:f,s:f,s:f,s:f,s:f,s:f}", "count", (json_int_t)h->total,
                     "p50", ms(hist_quantile(h, 0.5)), "p90", ms(hist_quantile(h, 0.9)),
                     "p99", ms(hist_quantile(h, 0.99)), "p999", ms(hist_quantile(h, 0.999)),
                     "max", ms(h->max), "mean", hist_mean(h) / 1000.0);
}

static json_t *jaddrs(const hostport *hp, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_sprintf("%s:%d", hp[i].host, hp[i].port));
    return a;
}

static json_t *jconfig(const bench_cfg *c)
{
    json_t *o = json_pack("{s:o,s:o,s:I,s:I,s:s,s:s,s:s,s:f,s:f,s:{s:f,s:f,s:f},s:s,s:f,s:f,s:f,s:s,s:I,s:i}",
        "edges", jaddrs(c->edges, c->nedges), "broadcasters", jaddrs(c->bcs, c->nbcs),
        "viewers", (json_int_t)c->viewers, "rooms", (json_int_t)c->rooms, "popularity", c->popularity,
        "format", cfg_format_name(c->format), "compress", c->compress ? "zstd" : "none",
        "ramp_per_s", c->ramp, "rate", c->rate,
        "mix", "comments", c->mix[0], "gifts", c->mix[1], "likes", c->mix[2],
        "arrivals", c->arrivals ? "poisson" : "constant", "duration_s", c->duration,
        "warmup_s", c->warmup, "drain_s", c->drain, "corpus", c->corpus,
        "pub_conns", (json_int_t)c->pub_conns, "history", c->history);
    json_object_set_new(o, "label", json_string(c->label));
    json_object_set_new(o, "target", json_string(cfg_target_name(c->target)));
    return o;
}

static json_t *jpublish(const bench_agg *a)
{
    const pub_stats *ps = a->pub;
    if (!ps) return json_null();
    json_t *st = json_object();
    for (int s = 0; s < 600; s++)
        if (ps->by_status[s]) { char k[16]; snprintf(k, sizeof k, "%d", s); json_object_set_new(st, k, json_integer((json_int_t)ps->by_status[s])); }
    json_t *o = json_object(), *off = json_object(), *sent = json_object(), *ack = json_object();
    for (int k = 0; k < SK_NKINDS; k++) {
        json_object_set_new(off, kind_names[k], json_integer((json_int_t)ps->offered[k]));
        json_object_set_new(sent, kind_names[k], json_integer((json_int_t)ps->sent[k]));
        json_object_set_new(ack, kind_names[k], json_integer((json_int_t)ps->acked[k]));
    }
    uint64_t acked = ps->acked[0] + ps->acked[1] + ps->acked[2];
    json_object_set_new(o, "offered", off);
    json_object_set_new(o, "sent", sent);
    json_object_set_new(o, "acked", ack);
    json_object_set_new(o, "acked_per_s", json_real((double)acked / a->publish_s));
    json_object_set_new(o, "http_status", st);
    json_object_set_new(o, "http_errors", json_integer((json_int_t)http_errors(ps)));
    json_object_set_new(o, "conn_errors", json_integer((json_int_t)ps->conn_errors));
    json_object_set_new(o, "unanswered", json_integer((json_int_t)ps->unanswered));
    json_object_set_new(o, "latency_ms", jlat(&ps->lat));
    json_t *es = json_array();
    for (size_t i = 0; i < ps->nerr_sample; i++) json_array_append_new(es, json_string(ps->err_sample[i]));
    json_object_set_new(o, "error_samples", es);
    return o;
}

static json_t *jegress(const bench_agg *a)
{
    uint64_t ev = a->events[0] + a->events[1] + a->events[2];
    return json_pack("{s:f,s:f,s:I}", "bytes_per_viewer_s", egress_per_viewer_s(a),
                     "bytes_per_event", ev ? (double)a->bytes / (double)ev : 0.0,
                     "window_bytes", (json_int_t)a->window_bytes);
}

static json_t *jdelivery(const bench_agg *a)
{
    uint64_t ev = a->events[0] + a->events[1] + a->events[2];
    json_t *bk = json_object();
    for (int k = 0; k < SK_NKINDS; k++)
        json_object_set_new(bk, kind_names[k], json_pack("{s:I,s:o}", "received", (json_int_t)a->events[k], "latency_ms", jlat(&a->lat[k])));
    return json_pack("{s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:I,s:I,s:I,s:o,s:o}",
        "expected", (json_int_t)a->expected, "received", (json_int_t)ev,
        "measured_events", (json_int_t)a->measured_events, "events_per_s", a->events_per_s,
        "frames_per_s", a->frames_per_s, "events_per_frame", a->frames ? (double)ev / (double)a->frames : 0.0,
        "wire_bytes_per_event", ev ? (double)a->bytes / (double)ev : 0.0,
        "frames", (json_int_t)a->frames, "bytes", (json_int_t)a->bytes, "decode_errors", (json_int_t)a->decode_err,
        "by_kind", bk, "latency_ms", jlat(&a->lat_all));
}

static json_t *jfan(const bench_agg *a)
{
    return jlat(&a->fan);
}

static json_t *jcompleteness(const bench_agg *a)
{
    json_t *w = json_array();
    for (size_t i = 0; i < a->nworst; i++)
        json_array_append_new(w, json_pack("{s:I,s:I,s:I}", "viewer", (json_int_t)a->worst[i].viewer,
                                           "room", (json_int_t)a->worst[i].room, "missing", (json_int_t)a->worst[i].missing));
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
        "viewers_checked", (json_int_t)a->checked, "viewers_complete", (json_int_t)a->complete,
        "missing", (json_int_t)a->missing, "undelivered_at_end", (json_int_t)a->missing_tail, "duplicates", (json_int_t)a->dup, "out_of_order", (json_int_t)a->ooo,
        "gap_events", (json_int_t)a->gap_events, "gap_frames", (json_int_t)a->gap_frames,
        "reset_events", (json_int_t)a->reset_events, "resets", (json_int_t)a->resets,
        "epoch_resets", (json_int_t)a->epoch_resets, "received_distinct", (json_int_t)a->received,
        "viewers_closed_by_server", (json_int_t)a->closed_checked, "missing_after_close", (json_int_t)a->missing_closed,
        "worst", w);
}

static json_t *jservers(const bench_agg *a)
{
    const sysmon *m = a->sys;
    if (!m || !m->npids) return json_null();
    json_t *pids = json_array(), *samples = json_array();
    for (size_t i = 0; i < m->npids; i++) json_array_append_new(pids, json_integer(m->pids[i]));
    for (size_t i = 0; i < m->n; i++)
        json_array_append_new(samples, json_pack("[f,f,I,i]", m->s[i].t, m->s[i].cpu_pct,
                                                 (json_int_t)m->s[i].rss_bytes, m->s[i].nprocs));
    double cm, cx; uint64_t rm;
    sys_stats(m, a->pub_start_t, &cm, &cx, &rm);
    double per = a->connected_peak && a->rss_connected > a->rss_idle
        ? (double)(a->rss_connected - a->rss_idle) / (double)a->connected_peak : 0;
    return json_pack("{s:o,s:f,s:f,s:I,s:I,s:I,s:f,s:o}", "pids", pids, "cpu_pct_mean", cm, "cpu_pct_max", cx,
                     "rss_idle_bytes", (json_int_t)a->rss_idle, "rss_connected_bytes", (json_int_t)a->rss_connected,
                     "rss_max_bytes", (json_int_t)rm, "rss_per_viewer_bytes", per,
                     "samples_t_cpu_rss_nprocs", samples);
}

static json_t *jseries(const bench_agg *a)
{
    json_t *s = json_array();
    for (size_t i = 0; i < a->nseries; i++) {
        const hist *h = &a->series[i];
        if (!h->total) continue;
        json_array_append_new(s, json_pack("{s:f,s:I,s:f,s:f,s:f}", "t", (double)i - a->pub_start_t,
            "n", (json_int_t)h->total, "p50_ms", ms(hist_quantile(h, 0.5)),
            "p99_ms", ms(hist_quantile(h, 0.99)), "max_ms", ms(h->max)));
    }
    return s;
}

static json_t *jcdf(const hist *h)
{
    json_t *a = json_array();
    static const double qs[] = { 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999, 1.0 };
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        json_array_append_new(a, json_pack("[f,f]", qs[i], ms(hist_quantile(h, qs[i]))));
    return a;
}

int report_json(const bench_agg *a, const char *path)
{
    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    long long mem = (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
    json_t *o = json_object();
    json_object_set_new(o, "ok", json_boolean(a->ok));
    json_object_set_new(o, "config", jconfig(a->cfg));
    json_object_set_new(o, "machine", json_pack("{s:I,s:I}", "nproc", (json_int_t)nproc, "mem_bytes", (json_int_t)mem));
    json_object_set_new(o, "phases", json_pack("{s:f,s:f,s:f,s:I}", "ramp_s", a->ramp_s, "publish_s", a->publish_s,
                                               "measure_s", a->measure_s, "viewer_procs", (json_int_t)a->nprocs));
    json_t *fb = json_object();
    for (int k = 1; k < 6; k++) json_object_set_new(fb, fail_names[k], json_integer((json_int_t)a->fail_by[k]));
    json_t *cc = json_object();
    for (size_t i = 0; i < a->nclose; i++) {
        char k[16]; snprintf(k, sizeof k, "%u", a->close_code[i]);
        json_object_set_new(cc, k, json_integer((json_int_t)a->close_n[i]));
    }
    json_object_set_new(fb, "close_codes", cc);
    json_object_set_new(o, "connections", json_pack("{s:I,s:I,s:I,s:I,s:I,s:o,s:o}",
        "viewers", (json_int_t)a->cfg->viewers, "open_at_end", (json_int_t)a->connected,
        "peak", (json_int_t)a->connected_peak, "failed", (json_int_t)a->failed,
        "closed_by_server", (json_int_t)a->closed, "failed_by", fb, "connect_ms", jlat(&a->conn)));
    json_object_set_new(o, "publish", jpublish(a));
    json_object_set_new(o, "delivery", jdelivery(a));
    json_object_set_new(o, "egress", jegress(a));
    json_object_set_new(o, "fanout_latency_ms", jfan(a));
    json_object_set_new(o, "completeness", jcompleteness(a));
    json_object_set_new(o, "servers", jservers(a));
    if (a->self && a->self->n > 1) {
        double cm, cx; uint64_t rm;
        sys_stats(a->self, a->pub_start_t, &cm, &cx, &rm);
        double mb, ml;
        machine_stats(a->self, a->pub_start_t, &mb, &ml);
        json_object_set_new(o, "bench_self", json_pack("{s:f,s:f,s:I}", "cpu_pct_mean", cm, "cpu_pct_max", cx,
                                                        "rss_max_bytes", (json_int_t)rm));
        json_object_set_new(o, "machine_busy", json_pack("{s:f,s:f}", "cpu_pct_mean", mb, "load1_mean", ml));
    }
    json_object_set_new(o, "latency_series", jseries(a));
    json_object_set_new(o, "latency_cdf_ms", jcdf(&a->lat_all));
    int rc = json_dump_file(o, path, JSON_INDENT(1) | JSON_REAL_PRECISION(6));
    json_decref(o);
    return rc;
}

/* ---- plots ------------------------------------------------------------- */

int report_plots(const bench_agg *a, const char *prefix)
{
    char p1[1100], p2[1100], gp[1100], cmd[1200];
    snprintf(p1, sizeof p1, "%s-latency.dat", prefix);
    snprintf(p2, sizeof p2, "%s-cdf.dat", prefix);
    snprintf(gp, sizeof gp, "%s.gp", prefix);
    FILE *f = fopen(p1, "w");
    if (!f) return -1;
    for (size_t i = 0; i < a->nseries; i++) {
        const hist *h = &a->series[i];
        if (h->total) fprintf(f, "%.0f %.2f %.2f %.2f\n", (double)i - a->pub_start_t, ms(hist_quantile(h, 0.5)),
                              ms(hist_quantile(h, 0.99)), ms(h->max));
    }
    fclose(f);
    if (!(f = fopen(p2, "w"))) return -1;
    uint64_t seen = 0;
    for (size_t i = 0; i < a->lat_all.nbuckets; i++) {
        if (!a->lat_all.counts[i]) continue;
        seen += a->lat_all.counts[i];
        uint64_t lo, hi; hist_bucket_range(&a->lat_all, i, &lo, &hi);
        fprintf(f, "%.3f %.6f\n", ms(lo + (hi - lo) / 2), (double)seen / (double)a->lat_all.total);
    }
    fclose(f);
    if (!(f = fopen(gp, "w"))) return -1;
    const char *t = a->cfg->label[0] ? a->cfg->label : "danmaku-bench";
    fprintf(f, "set terminal png size 900,500\nset grid\n"
            "set output '%s-latency.png'\nset title '%s: end-to-end latency per second'\n"
            "set xlabel 'seconds since publishing started'\nset ylabel 'ms'\n"
            "plot '%s' using 1:2 with lines title 'p50', '' using 1:3 with lines title 'p99', '' using 1:4 with lines title 'max'\n"
            "set output '%s-cdf.png'\nset title '%s: latency CDF (measured window)'\nset logscale x\n"
            "set xlabel 'ms'\nset ylabel 'fraction of deliveries'\nset key bottom right\n"
            "plot '%s' using 1:2 with lines title 'all kinds'\n",
            prefix, t, p1, prefix, t, p2);
    fclose(f);
    if (!a->lat_all.total) return 0;
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>/dev/null", gp);
    return system(cmd) == 0 ? 0 : -1;
}

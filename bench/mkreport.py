#!/usr/bin/python3
"""mkreport.py ROOT — renders docs/BENCHMARKS.md from the results that
scripts/bench.sh left in docs/bench/ (danmaku-bench --json files, the raw
baseline, the wire-size table, the exact commands) plus the hand-written
analysis in docs/bench/analysis.md. The hand-written sections of the
existing file ("Edge optimisation", "Peers", "Dictionaries") are kept as
they are. `mkreport.py ROOT --peers` prints the peer comparison
(docs/bench/PEERS-*.json of scripts/bench.sh's PEERS step) as Markdown."""
import glob, json, os, platform, re, statistics, subprocess, sys, time

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
B = os.path.join(ROOT, "docs", "bench")
MD = os.path.join(ROOT, "docs", "BENCHMARKS.md")


def load(name):
    p = os.path.join(B, name + ".json")
    if not os.path.exists(p):
        return None
    try:
        return json.load(open(p))
    except ValueError:
        return None


def read(name):
    p = os.path.join(B, name)
    return open(p).read() if os.path.exists(p) else ""


def machine():
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem = int(line.split()[1]) // 1024
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip()
    except OSError:
        rev = "?"
    return ("%d cores (%s), %d MiB RAM, Linux %s; commit %s; run %s UTC"
            % (os.cpu_count(), cpu, mem, platform.release(), rev, time.strftime("%Y-%m-%d %H:%M", time.gmtime())))


def f0(x):
    return "—" if x is None else "{:,.0f}".format(x)


def f1(x):
    return "—" if x is None else "{:,.1f}".format(x)


def lat(r):
    return r["delivery"]["latency_ms"] if r else None


def busy(r):
    m = r.get("machine_busy")
    return "%s (%.1f)" % (f0(m["cpu_pct_mean"]), m["load1_mean"]) if m else "—"


def complete_str(r):
    c = r["completeness"]
    s = "%d/%d viewers complete" % (c["viewers_complete"], c["viewers_checked"])
    extra = []
    for k, name in (("missing", "silently missing"), ("undelivered_at_end", "undelivered at end"),
                    ("duplicates", "duplicates"), ("out_of_order", "out of order"),
                    ("gap_events", "explicitly skipped (gap)"), ("reset_events", "reset-skipped")):
        if c.get(k):
            extra.append("%s %s" % (f0(c[k]), name))
    if c.get("viewers_closed_by_server"):
        extra.append("%d viewers closed by the edge" % c["viewers_closed_by_server"])
    if r["connections"]["failed"]:
        extra.append("%d connects failed" % r["connections"]["failed"])
    return s + ("; " + ", ".join(extra) if extra else "")


def run_table(rows):
    out = ["| run | viewers/rooms | format | offered ev/s | acked ev/s | deliveries/s | frames/s | ev/frame "
           "| p50 ms | p99 ms | p99.9 ms | max ms | publish p99 ms | fan-out p99 ms | completeness | egress B/viewer/s | egress B/event "
           "| edge+bc+redis CPU % | bench CPU % | machine busy % (load) |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    for rid, r in rows:
        if not r:
            continue
        cfg, d, l = r["config"], r["delivery"], r["delivery"]["latency_ms"]
        srv = r.get("servers") or {}
        me = r.get("bench_self") or {}
        acked = r["publish"]["acked_per_s"] if r.get("publish") else 0
        fan = (r.get("fanout_latency_ms") or {}).get("p99")
        pub = r["publish"]["latency_ms"]["p99"] if r.get("publish") else None
        eg = r.get("egress") or {}
        out.append("| %s | %s/%s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            rid, f0(cfg["viewers"]), f0(cfg["rooms"]), cfg["format"], "+zstd" if cfg["compress"] == "zstd" else "",
            f0(cfg["rate"]), f0(acked), f0(d["events_per_s"]), f0(d["frames_per_s"]), f1(d["events_per_frame"]),
            f1(l["p50"]), f1(l["p99"]), f1(l["p999"]), f1(l["max"]), f1(pub), f1(fan), complete_str(r),
            f0(eg.get("bytes_per_viewer_s")), f1(eg.get("bytes_per_event", d.get("wire_bytes_per_event"))),
            f0(srv.get("cpu_pct_mean")), f0(me.get("cpu_pct_mean")), busy(r)))
    return "\n".join(out)


def section(sid, title, goal, body, analysis):
    s = "### %s — %s\n\nGoal: %s\n\n%s\n" % (sid, title, goal, body)
    if analysis:
        s += "\n" + analysis.strip() + "\n"
    return s


def plots(rid):
    out = []
    for kind in ("latency", "cdf"):
        if os.path.exists(os.path.join(B, "%s-%s.png" % (rid, kind))):
            out.append("![%s %s](bench/%s-%s.png)" % (rid, kind, rid, kind))
    return "\n".join(out)


def analysis_parts():
    text = read("analysis.md")
    parts, cur, key = {}, [], None
    for line in text.splitlines():
        m = re.match(r"^<!-- (S\d|general) -->$", line.strip())
        if m:
            if key:
                parts[key] = "\n".join(cur)
            key, cur = m.group(1), []
        else:
            cur.append(line)
    if key:
        parts[key] = "\n".join(cur)
    return parts


def s1(A):
    r, rj = load("S1"), load("S1-json")
    if not r and not rj:
        return ""
    body = run_table([("S1 (pb+zstd)", r), ("S1 (json)", rj)])
    if r:
        l = lat(r)
        body += "\n\nMeasured (pb+zstd): %s event deliveries/s (goal 20.4M/s), p99 %s ms (goal ≤ 300 ms): **%s**." % (
            f0(r["delivery"]["events_per_s"]), f1(l["p99"]),
            "met" if l["p99"] <= 300 and r["ok"] else "not met")
    body += "\n\n" + plots("S1")
    return section("S1", "hot room: 20,000 viewers in one room, 1,000 comments/s + 20 gifts/s",
                   "every event to every viewer (20M event deliveries/s); p99 ≤ 300 ms", body, A.get("S1"))


def s2(A):
    r = load("S2")
    if not r:
        return ""
    l = lat(r)
    body = run_table([("S2", r)]) + "\n\nMeasured: p99 %s ms (goal ≤ 250 ms), %s: **%s**.\n\n%s" % (
        f1(l["p99"]), complete_str(r), "met" if l["p99"] <= 250 and r["ok"] else "not met", plots("S2"))
    return section("S2", "many rooms: 2,000 rooms, 20,000 viewers (Zipf 1.0), 5,000 events/s",
                   "complete; p99 ≤ 250 ms", body, A.get("S2"))


def s3(A):
    r = load("S3")
    if not r:
        return ""
    l, srv, c = lat(r), r.get("servers") or {}, r["connections"]
    per = srv.get("rss_per_viewer_bytes")
    body = run_table([("S3", r)])
    body += ("\n\nConnections: %s of %s open (peak %s), %s failed, connect p99 %s ms, ramp %s s. "
             "Edge + broadcaster + redis RSS: %s MB idle, %s MB with every viewer connected → %s bytes per viewer "
             "(goal ≤ 2,048). p99 %s ms (goal ≤ 1,500 ms): **%s**.\n\n%s") % (
        f0(c["open_at_end"]), f0(c["viewers"]), f0(c["peak"]), f0(c["failed"]), f1(c["connect_ms"]["p99"]),
        f1(r["phases"]["ramp_s"]), f1((srv.get("rss_idle_bytes") or 0) / 1048576),
        f1((srv.get("rss_connected_bytes") or 0) / 1048576), f0(per), f1(l["p99"]),
        "met" if r["ok"] and l["p99"] <= 1500 and per is not None and per <= 2048 else "not met", plots("S3"))
    return section("S3", "scale: 100,000 viewers over 10 rooms, 100 events/s",
                   "all connected; complete; p99 ≤ 1.5 s; edge user-space memory ≤ 2 KiB per viewer", body, A.get("S3"))


def s4(A):
    runs = {}
    for p in sorted(glob.glob(os.path.join(B, "S4-*.json"))):
        rid = os.path.basename(p)[:-5]
        m = re.match(r"S4-(\d+)-(\d+)$", rid)
        if m:
            runs.setdefault(int(m.group(1)), []).append(json.load(open(p)))
    if not runs:
        return ""
    out = ["| offered ev/s | runs | acked ev/s (median, replies incl. drain) | publish p50 ms | p99 ms (median) | p99.9 ms | max ms | HTTP errors | broadcaster+redis CPU % | bench CPU % | machine busy % (load) |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    best = None
    for rate in sorted(runs):
        rs = runs[rate]
        ack = statistics.median(r["publish"]["acked_per_s"] for r in rs)
        p99 = statistics.median(r["publish"]["latency_ms"]["p99"] for r in rs)
        med = sorted(rs, key=lambda r: r["publish"]["latency_ms"]["p99"])[len(rs) // 2]
        pl = med["publish"]["latency_ms"]
        errs = sum(r["publish"]["http_errors"] + r["publish"]["unanswered"] for r in rs)
        cpu = statistics.median((r.get("servers") or {}).get("cpu_pct_mean") or 0 for r in rs)
        me = statistics.median((r.get("bench_self") or {}).get("cpu_pct_mean") or 0 for r in rs)
        out.append("| %s | %d | %s | %s | %s | %s | %s | %d | %s | %s | %s |" % (
            f0(rate), len(rs), f0(ack), f1(pl["p50"]), f1(p99), f1(pl["p999"]), f1(pl["max"]), errs, f0(cpu), f0(me),
            busy(med)))
        if ack >= 0.99 * rate and p99 <= 20 and errs == 0:
            best = (rate, ack, p99)
    body = "\n".join(out)
    if best:
        body += "\n\nHighest offered rate sustained with p99 ≤ 20 ms and no errors: %s events/s (acked %s/s, p99 %s ms): %s." % (
            f0(best[0]), f0(best[1]), f1(best[2]), "**met**" if best[1] >= 50000 else "**not met** (goal ≥ 50,000/s)")
    else:
        body += "\n\nNo offered rate met p99 ≤ 20 ms without errors: **not met**."
    return section("S4", "ingest: one broadcaster + one redis-server, 1,000 rooms",
                   "≥ 50,000 events/s; p99 publish ≤ 20 ms", body, A.get("S4"))


def s5(A):
    raws = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(B, "S5-raw-*.json")))]
    raw = sorted(raws, key=lambda r: r["writes_per_s"])[len(raws) // 2] if raws else None
    runs = []
    for p in sorted(glob.glob(os.path.join(B, "S5-*.json")), key=lambda p: (len(p), p)):
        rid = os.path.basename(p)[:-5]
        if not rid.startswith("S5-raw"):
            runs.append((rid, json.load(open(p))))
    if not raw and not runs:
        return ""
    body = ""
    if raw:
        body += ("Bare-write baseline (same run, median of %d: %s writes/s): %s connections, %d-byte frames, "
                 "%d writer processes: **%s writes/s**, latency p50 %s ms, p99 %s ms.\n\n") % (
            len(raws), ", ".join(f0(r["writes_per_s"]) for r in raws), f0(raw["conns"]), raw["frame_bytes"],
            raw.get("writer_procs", 1), f0(raw["writes_per_s"]), f1(raw["latency_ms"]["p50"]), f1(raw["latency_ms"]["p99"]))
    body += run_table(runs)
    ok = [(rid, r) for rid, r in runs if r["delivery"]["latency_ms"]["p99"] < 200 and r["ok"]]
    if raw and ok:
        rid, r = max(ok, key=lambda x: x[1]["delivery"]["frames_per_s"])
        ratio = r["delivery"]["frames_per_s"] / raw["writes_per_s"]
        body += "\n\nBest edge frames/s with p99 < 200 ms and complete delivery: %s (%s) = **%.2f × baseline** (goal ≥ 0.85): %s." % (
            f0(r["delivery"]["frames_per_s"]), rid, ratio, "met" if ratio >= 0.85 else "not met")
    elif raw:
        body += "\n\nNo step had p99 < 200 ms with complete delivery: **not met**."
    return section("S5", "efficiency: edge frames/s at p99 < 200 ms, 20k viewers, vs the bare-write baseline",
                   "≥ 0.85 × baseline", body, A.get("S5"))


def wire_rows(text):
    """{name: {batch: (bytes per comment, us per frame or None)}} from --wire-size output."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^(\S+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)(?:\s+([\d.]+|-))?$", line.strip())
        if m:
            us = m.group(5)
            rows.setdefault(m.group(1), {})[int(m.group(2))] = (float(m.group(3)),
                                                                 float(us) if us and us != "-" else None)
    return rows


def wire_goals(rows, level):
    """Issue 15's goals on one --wire-size table, as a sentence."""
    b = lambda n, k: rows[n][k][0]
    if "pb2+zstd+dict" not in rows:
        return ""
    d, j = "pb2+zstd+dict", "json"
    checks = [
        ("pb2+zstd+dict ≤ 1/4 of json at 10", b(j, 10) / b(d, 10), 4.0),
        ("≤ 1/5 at 50", b(j, 50) / b(d, 50), 5.0),
        ("≥ 1.25× smaller than gzip at 10 (pb2+gzip; v1 pb+gzip %.2f×)" % (b("pb+gzip", 10) / b(d, 10)),
         b("pb2+gzip", 10) / b(d, 10), 1.25),
        ("≥ 1.15× at 50 (pb2+gzip; v1 pb+gzip %.2f×)" % (b("pb+gzip", 50) / b(d, 50)),
         b("pb2+gzip", 50) / b(d, 50), 1.15),
        ("json+zstd+dict ≤ 1/4 of json at 10", b(j, 10) / b("json+zstd+dict", 10), 4.0),
    ]
    return "At zstd level %d: " % level + "; ".join(
        "%s: %.2f× %s" % (t, v, "met" if v >= goal else "**not met**") for t, v, goal in checks) + "."


def s6(A):
    t = read("S6.txt")
    if not t:
        return ""
    rows, rows6 = wire_rows(t), wire_rows(read("S6-l6.txt"))
    out = ["| format | batch 1 | batch 10 | batch 50 | json / this at 10 | µs/frame at 10 | at 50 |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    names = [n + c for n in ("json", "pb", "pb2") for c in ("", "+zstd", "+zstd+dict", "+gzip")]
    us = lambda r, k: "—" if r.get(k, (0, None))[1] is None else f1(r[k][1])
    for name in names:
        if name in rows:
            r = rows[name]
            out.append("| %s | %s | %s | %s | %.2f | %s | %s |" % (
                name, f1(r.get(1, (None,))[0]), f1(r.get(10, (None,))[0]), f1(r.get(50, (None,))[0]),
                rows["json"][10][0] / r[10][0], us(r, 10), us(r, 50)))
    body = ("Bytes on the wire per delivered comment (WebSocket header + payload / events) and the edge's CPU "
            "to compress and frame one batch (fastest of 3), held-out videos, zstd level 3 (the edge's "
            "default). pb2 = `format=pb&v=2` (docs/PROTOCOL.md §3.2):\n\n" + "\n".join(out))
    body += "\n\n" + wire_goals(rows, 3)
    if rows6:
        body += "\n\n" + wire_goals(rows6, 6)
        body += (" Level 6 (`bin/edge --zstd-level 6`) costs %s / %s µs per pb2 batch of 10 / 50 "
                 "(level 3: %s / %s); the edge compresses once per room tick and variant, not per viewer.") % (
            us(rows6["pb2+zstd+dict"], 10), us(rows6["pb2+zstd+dict"], 50),
            us(rows["pb2+zstd+dict"], 10), us(rows["pb2+zstd+dict"], 50))
    return section("S6", "wire size on the real corpus",
                   "pb+zstd+dict ≤ 1/4 of json at 10 and ≤ 1/5 at 50; ≥ 1.25× smaller than gzip at 10 and "
                   "≥ 1.15× at 50; json+zstd+dict ≤ 1/4 of json at 10 (issue 15)", body, A.get("S6"))


def main():
    old = open(MD).read() if os.path.exists(MD) else ""
    kept = []   # hand-written sections carried over verbatim
    for title in ("Edge optimisation", "Sequencer optimisation", "Peers", "Dictionaries"):
        m = re.search(r"^## " + re.escape(title) + r".*?(?=^## |\Z)", old, re.S | re.M)
        if m:
            kept.append(m.group(0).rstrip() + "\n")
    A = analysis_parts()
    cmds = "\n".join(read(s + ".cmds").strip() for s in ("S1", "S2", "S3", "S4", "S5", "S6")
                      if read(s + ".cmds").strip())
    parts = ["# Benchmarks\n",
             "Rewritten by `make bench` (`scripts/bench.sh` → `bench/mkreport.py`) from the results in "
             "`docs/bench/` (one JSON per run, plots, the raw baseline and the wire-size table). "
             "The \"Edge optimisation\", \"Sequencer optimisation\" and \"Dictionaries\" sections are kept.\n",
             "Machine: " + machine() + ". All load runs on loopback, with the load generator on the same "
             "2 cores as redis-server, the broadcaster and the edge, so every figure includes the bench's own CPU "
             "(reported per run), and the machine was shared with other work while these ran: "
             "'machine busy' is the whole machine's CPU (200 % = both cores) and load average during publishing.\n",
             "How each figure is measured: latency = viewer receive time − the publisher's *intended* send time "
             "(open-loop schedule; carried in client_msg_id), CLOCK_REALTIME on one machine, log-linear histogram "
             "(≤ 1 % bucket error), only events sent after the warm-up; it splits into publish (send → 200 reply) "
             "and fan-out (the sequencer's ts_ms → viewer receive, ms resolution), shown per run; completeness = each viewer's received seqs "
             "against the seqs the broadcaster acknowledged for its room (missing / duplicated / out-of-order / "
             "explicit gap or reset counted apart; a viewer still behind at the end is 'undelivered at end'); "
             "CPU % (100 = one core) and RSS from /proc for the server process trees.\n"]
    if A.get("general"):
        parts.append(A["general"].strip() + "\n")
    parts.append("## Scenarios\n")
    for fn in (s1, s2, s3, s4, s5, s6):
        s = fn(A)
        if s:
            parts.append(s)
    if cmds:
        parts.append("## Exact commands\n\nPorts and pids are chosen at run time by `scripts/bench.sh`.\n\n```\n" + cmds + "\n```\n")
    parts.extend(kept)
    open(MD, "w").write("\n".join(parts))


PEER_NAMES = {"dm": "dm (pb+zstd, edge 2 workers)", "redis": "Redis pub/sub", "nchan": "nginx + Nchan (2 workers)"}
PEER_SC = {"P1": "one room (S1-like)", "P2": "2,000 rooms x 10 viewers, uniform (S2-like)"}


def peer_runs():
    """{(sc, target): {rate: [result, ...]}} from docs/bench/PEERS-SC-T-RATE[-REP].json,
    the search's own run first, then the repeats."""
    out = {}
    for path in sorted(glob.glob(os.path.join(B, "PEERS-*.json"))):
        m = re.match(r"PEERS-(P\d)-(dm|redis|nchan)-(\d+)(?:-(\d))?\.json$", os.path.basename(path))
        if not m:
            continue
        try:
            r = json.load(open(path))
        except ValueError:
            continue
        out.setdefault((m.group(1), m.group(2)), {}).setdefault(int(m.group(3)), []).append((int(m.group(4) or 1), r))
    return {k: {rate: [r for _, r in sorted(rs, key=lambda x: x[0])] for rate, rs in v.items()} for k, v in out.items()}


def passed(r):
    return bool(r["ok"]) and r["delivery"]["latency_ms"]["p99"] < 1000


def peers():
    runs = peer_runs()
    rows, best = [], {}
    for sc in ("P1", "P2"):
        for t in ("dm", "redis", "nchan"):
            byrate = runs.get((sc, t), {})
            ok = [rate for rate, rs in byrate.items() if passed(rs[0])]
            tried = ", ".join("%d%s" % (rate, "✓" if passed(byrate[rate][0]) else "✗") for rate in sorted(byrate))
            if not ok:
                rows.append("| %s | %s | none | — | — | — | — | %s |" % (sc, PEER_NAMES[t], tried or "not run"))
                continue
            rate = max(ok)
            rs = byrate[rate]
            med = lambda f: statistics.median(f(r) for r in rs)
            dps = med(lambda r: r["delivery"]["events_per_s"])
            best[(sc, t)] = (rate, dps)
            rows.append("| %s | %s | %s | %s | %s | %d/%d | %s / %s / %s | %s |" % (
                sc, PEER_NAMES[t] + (" (%s viewers)" % f0(rs[0]["config"]["viewers"]) if rs[0]["config"]["viewers"] != 20000 else ""),
                f0(rate), f0(dps), f1(med(lambda r: r["delivery"]["latency_ms"]["p99"])),
                sum(passed(r) for r in rs), len(rs), f0(med(lambda r: r["servers"]["cpu_pct_mean"])),
                f0(med(lambda r: r["bench_self"]["cpu_pct_mean"])) if "bench_self" in rs[0] else "—",
                f0(med(lambda r: r["machine_busy"]["cpu_pct_mean"])) if "machine_busy" in rs[0] else "—", tried))
    out = ["| scenario | target | highest passing ev/s | deliveries/s (median) | p99 ms (median) | runs passing at that rate | CPU % server / bench / machine | rates tried (✓ pass, ✗ fail) |",
           "|---|---|---:|---:|---:|---:|---:|---|"] + rows
    out.append("")
    for sc in ("P1", "P2"):
        if (sc, "dm") not in best:
            continue
        for t in ("redis", "nchan"):
            if (sc, t) in best:
                out.append("- %s: dm / %s = %.2f× the passing rate, %.2f× the deliveries/s" % (
                    PEER_SC[sc], PEER_NAMES[t], best[(sc, "dm")][0] / best[(sc, t)][0],
                    best[(sc, "dm")][1] / max(best[(sc, t)][1], 1)))
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] == "--peers":
        peers()
    else:
        main()

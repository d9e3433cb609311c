"""test_bench.py — danmaku-bench end to end against the real stack
(redis-server + broadcaster + edge with 2 workers, ASan builds from DM_BIN):
a small run (200 viewers, 5 rooms, 10 s) must report complete delivery and
a valid JSON result whose counts agree with what Redis sequenced; and a run
whose edge goes away mid-way must be reported as failed (the bench's checks
can fail)."""
import json, os, random, signal, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, ROOT, SAN_ENV, BAD_LOG, test, main

CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "data", "danmaku", "bilibili_video_danmaku.jsonl")


def bench_argv(st, b, e, out, prefix, extra=()):
    argv = [os.path.join(BIN, "danmaku-bench"), "--edge", "127.0.0.1:%d" % e.port,
            "--broadcaster", "127.0.0.1:%d" % b.port, "--viewers", "200", "--rooms", "5",
            "--rate", "100", "--mix", "comments:0.9,gifts:0.05,likes:0.05", "--duration", "10",
            "--warmup", "1", "--drain", "3", "--ramp", "1000", "--room-prefix", prefix,
            "--server-pids", "%d,%d" % (e.pid, b.pid), "--json", out, "--quiet"]
    if os.path.exists(CORPUS):
        argv += ["--corpus", CORPUS]
    return argv + list(extra)


def run_env():
    env = dict(os.environ)
    env.update(SAN_ENV)
    return env


def check_san(text):
    for line in text.splitlines():
        if BAD_LOG.search(line):
            raise AssertionError("bench output: " + line)


@test
def test_bench_small_run_complete(st):
    st.redis(); b = st.broadcaster("--rate-limits", "off"); e = st.edge("--workers", "2")
    out = os.path.join(st.dir, "bench.json")
    prefix = "tb%d-" % random.randrange(10**6)
    argv = bench_argv(st, b, e, out, prefix, ["--format", "json", "--plot", os.path.join(st.dir, "p")])
    p = subprocess.run(argv, capture_output=True, timeout=180, env=run_env())
    text = (p.stdout + p.stderr).decode("utf-8", "replace")
    print(text)
    check_san(text)
    assert p.returncode == 0, "bench exited %d" % p.returncode
    r = json.load(open(out))
    assert r["ok"] is True
    assert r["connections"]["viewers"] == 200 and r["connections"]["open_at_end"] == 200
    assert r["connections"]["failed"] == 0
    c = r["completeness"]
    assert c["viewers_checked"] == 200 and c["viewers_complete"] == 200, c
    assert c["missing"] == 0 and c["duplicates"] == 0 and c["out_of_order"] == 0, c
    pub = r["publish"]
    acked = sum(pub["acked"].values())
    assert 1000 <= acked <= 1100, pub          # 100 ev/s for 11 s, open loop
    assert pub["http_errors"] == 0 and pub["unanswered"] == 0
    # cross-check with what Redis actually sequenced, independently of the bench
    rc = st.rc()
    seqs = [int(rc.cmd("HGET", "dm:{%s%d}:meta" % (prefix, k), "seq") or 0) for k in range(5)]
    assert sum(seqs) == acked, (seqs, acked)
    assert c["received_distinct"] == 40 * sum(seqs), (c["received_distinct"], seqs)
    d = r["delivery"]
    assert d["received"] == 40 * sum(seqs) and d["decode_errors"] == 0
    eg = r["egress"]                   # bytes each viewer received per second, per delivered event
    assert abs(eg["bytes_per_event"] - d["bytes"] / d["received"]) < 0.01 and 30 < eg["bytes_per_event"] < 2000, (eg, d)
    assert 0 < eg["window_bytes"] <= d["bytes"], eg
    assert abs(eg["bytes_per_viewer_s"] - eg["window_bytes"] / 200 / 10) < 0.01, eg
    assert d["latency_ms"]["count"] > 0 and 0 < d["latency_ms"]["p50"] <= d["latency_ms"]["p99"] <= d["latency_ms"]["max"]
    assert d["by_kind"]["gift"]["received"] > 0 and d["by_kind"]["like"]["received"] > 0
    assert r["servers"]["cpu_pct_max"] >= 0 and r["servers"]["rss_max_bytes"] > 0
    assert len(r["latency_series"]) >= 8
    assert os.path.getsize(os.path.join(st.dir, "p-cdf.dat")) > 0


@test
def test_bench_reports_lost_viewers(st):
    st.redis(); b = st.broadcaster("--rate-limits", "off"); e = st.edge("--workers", "2")
    out = os.path.join(st.dir, "bench.json")
    argv = bench_argv(st, b, e, out, "tl%d-" % random.randrange(10**6), ["--format", "pb", "--compress", "zstd"])
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=run_env())
    time.sleep(7)                      # ramp + settle + a few seconds of publishing
    e.stop()                           # the edge goes away: viewers are cut off
    text = p.communicate(timeout=180)[0].decode("utf-8", "replace")
    print(text)
    check_san(text)
    assert p.returncode == 1, "bench must fail a run with lost viewers, got %d" % p.returncode
    r = json.load(open(out))
    assert r["ok"] is False
    lost = r["connections"]["closed_by_server"]
    c = r["completeness"]
    assert lost == 200, r["connections"]
    assert c["missing_after_close"] > 0, c


if __name__ == "__main__":
    main()

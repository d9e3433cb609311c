"""test_metrics.py — GET /metrics on the real broadcaster and edge (issue 11):
publish through the broadcaster, watch through the edge, then fetch /metrics
from each process, check the text with `promtool check metrics`, and assert
the counters moved: edge events in == published, frames out > 0, requests
and 200 answers counted, a worker="N" label with --workers 2."""
import os, re, shutil, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, test, main, http, wait_until
from edge_client import Viewer

COMMENT = {"user_id": "u1", "nick": "n", "text": "hello", "color": 255, "mode": "scroll", "size": 25}


def scrape(port):
    st, h, body = http("GET", port, "/metrics")
    assert st == 200, st
    assert h.get("content-type", "").startswith("text/plain"), h
    text = body.decode()
    promtool = shutil.which("promtool")
    assert promtool, "promtool not installed (scripts/deps.sh: prometheus)"
    p = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True)
    # promtool exits 1 on lint hints too; only "error" lines are failures
    assert p.returncode == 0 or b"error" not in (p.stdout + p.stderr).lower(), p.stdout + p.stderr
    return text


def total(text, name, **labels):
    """Sum of every series of `name` whose labels include `labels`."""
    s = 0.0
    for line in text.splitlines():
        m = re.match(r'^(%s)(\{[^}]*\})? (\S+)$' % re.escape(name), line)
        if not m:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            s += float(m.group(3))
    return s


@test
async def test_metrics_counters_and_format(st):
    st.redis()
    b = st.broadcaster("--workers", "2")
    e = st.edge("--workers", "2")
    v = await Viewer(e.port, "mx", history=0).connect()
    n = 12
    for i in range(n):
        s, _, body = http("POST", b.port, "/v1/rooms/mx/comments", dict(COMMENT, client_msg_id="m%d" % i))
        assert s == 200, (s, body)
    await v.wait_seq(n)
    await v.close()
    bt = scrape(b.port)
    assert 'worker="0"' in bt and 'worker="1"' in bt, bt[:400]
    assert total(bt, "dm_bc_build_info") == 2
    assert total(bt, "dm_bc_requests_total", endpoint="publish") == n
    assert total(bt, "dm_bc_responses_total", status="200") >= n
    assert total(bt, "dm_bc_events_sequenced_total", kind="comment") == n
    assert total(bt, "dm_bc_sequencer_seconds_count") == n
    # edge: counters are synced each second; the answering worker syncs itself
    def edge_ok():
        t = scrape(e.port)
        return total(t, "dm_edge_events_in_total", kind="event") == n and \
            total(t, "dm_edge_frames_out_total") > 0
    wait_until(edge_ok, timeout=5, what="edge counters")
    et = scrape(e.port)
    assert 'worker="0"' in et and 'worker="1"' in et
    assert total(et, "dm_edge_bytes_out_total") > 0
    assert total(et, "dm_edge_batch_events_count") > 0
    assert total(et, "dm_edge_flush_seconds_count") > 0
    assert total(et, "dm_edge_closes_total", code="1000") >= 1
    for fam in ("dm_edge_connections", "dm_edge_rooms", "dm_edge_build_info"):
        assert re.search(r"^# TYPE %s gauge$" % fam, et, re.M), fam


@test
async def test_readyz(st):
    """/readyz: 200 while Redis is reachable, 503 JSON once it is gone, on both."""
    r = st.redis()
    b = st.broadcaster()
    e = st.edge()
    for port in (b.port, e.port):
        s, _, body = http("GET", port, "/readyz")
        assert s == 200, (port, s, body)
    s, _, _ = http("POST", e.port, "/readyz")
    assert s == 405, s
    r.kill()
    for port in (b.port, e.port):
        wait_until(lambda: http("GET", port, "/readyz")[0] == 503, timeout=10, what="503")
        s, h, body = http("GET", port, "/readyz")
        assert h.get("content-type") == "application/json" and b"redis_unavailable" in body, body
        assert http("GET", port, "/metrics")[0] == 200

if __name__ == "__main__":
    main()

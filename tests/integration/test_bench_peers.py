"""test_bench_peers.py — danmaku-bench's peer targets (issue 10) against the
real peer servers: Redis pub/sub (a redis-server started by the harness, and
one started by the bench itself with --peer-start) and nginx + nchan
(--peer-start). A few hundred viewers for a few seconds must be reported
complete, with counts that agree with what the server itself saw (Redis
commandstats); a peer server killed mid-run must be reported as a failure;
the bench must leave no server process and no temp dir behind."""
import json, os, random, re, signal, shutil, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness
from harness import BIN, test, main
from test_bench import CORPUS, check_san, run_env as bench_env
harness._tests[:] = []        # the helpers above, not test_bench's tests

VIEWERS, ROOMS, RATE = 300, 10, 100


def bench_argv(st, out, target, extra=()):
    argv = [os.path.join(BIN, "danmaku-bench"), "--target", target, "--viewers", str(VIEWERS),
            "--rooms", str(ROOMS), "--rate", str(RATE), "--mix", "comments:0.9,gifts:0.05,likes:0.05",
            "--duration", "4", "--warmup", "1", "--drain", "2", "--ramp", "1000",
            "--room-prefix", "tp%d-" % random.randrange(10**6), "--json", out, "--quiet"]
    if os.path.exists(CORPUS):
        argv += ["--corpus", CORPUS]
    return argv + list(extra)


def run_env():
    env = bench_env()
    env["PATH"] = env.get("PATH", "") + ":/usr/sbin"     # nginx
    return env


def run(argv):
    p = subprocess.run(argv, capture_output=True, timeout=120, env=run_env())
    text = (p.stdout + p.stderr).decode("utf-8", "replace")
    print(text)
    check_san(text)
    return p.returncode, text


def peer_of(text):
    m = re.search(r"^peer (\S+) pid=(\d+) addr=\S+ dir=(\S+)$", text, re.M)
    assert m, "no 'peer ... pid=' line"
    return m.group(1), int(m.group(2)), m.group(3)


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def assert_complete(r, target):
    assert r["ok"] is True, r
    assert r["config"]["target"] == target
    conn = r["connections"]
    assert conn["open_at_end"] == VIEWERS and conn["failed"] == 0, conn
    c = r["completeness"]
    assert c["viewers_checked"] == VIEWERS and c["viewers_complete"] == VIEWERS, c
    assert c["missing"] == 0 and c["duplicates"] == 0 and c["out_of_order"] == 0, c
    pub = r["publish"]
    acked = sum(pub["acked"].values())
    assert RATE * 5 <= acked <= RATE * 5 + 5, pub          # open loop: 100 ev/s for 5 s
    assert pub["http_errors"] == 0 and pub["unanswered"] == 0, pub
    # uniform: 30 viewers per room, each must have received every event of its room
    assert c["received_distinct"] == (VIEWERS // ROOMS) * acked, (c["received_distinct"], acked)
    d = r["delivery"]
    assert d["decode_errors"] == 0 and d["latency_ms"]["count"] > 0
    assert d["by_kind"]["gift"]["received"] > 0 and d["by_kind"]["like"]["received"] > 0
    return acked


@test
def test_peer_redis_external_complete(st):
    rp = st.redis()
    out = os.path.join(st.dir, "bench.json")
    rc, text = run(bench_argv(st, out, "redis", ["--redis", "127.0.0.1:%d" % rp.port,
                                                  "--server-pids", str(rp.pid)]))
    assert rc == 0, "bench exited %d" % rc
    r = json.load(open(out))
    acked = assert_complete(r, "redis")
    # the server's own count of PUBLISH calls, independent of the bench
    stats = st.rc().cmd("INFO", "commandstats")
    stats = stats.decode() if isinstance(stats, bytes) else stats
    calls = int(re.search(r"cmdstat_publish:calls=(\d+)", stats).group(1))
    assert calls == acked, (calls, acked)
    assert r["servers"]["rss_max_bytes"] > 0


@test
def test_peer_redis_started_complete(st):
    out = os.path.join(st.dir, "bench.json")
    rc, text = run(bench_argv(st, out, "redis", ["--peer-start"]))
    assert rc == 0, "bench exited %d" % rc
    assert_complete(json.load(open(out)), "redis")
    name, pid, d = peer_of(text)
    assert name == "redis-server" and gone(pid) and not os.path.exists(d), (pid, d)


@test
def test_peer_nchan_complete(st):
    if not shutil.which("nginx", path=run_env()["PATH"]):
        raise AssertionError("nginx is not installed (scripts/deps.sh installs nginx + libnginx-mod-nchan)")
    out = os.path.join(st.dir, "bench.json")
    rc, text = run(bench_argv(st, out, "nchan", ["--peer-start"]))
    assert rc == 0, "bench exited %d" % rc
    r = json.load(open(out))
    assert_complete(r, "nchan")
    name, pid, d = peer_of(text)
    assert name == "nginx" and gone(pid) and not os.path.exists(d), (pid, d)
    assert r["servers"]["rss_max_bytes"] > 0      # master + workers were sampled


def killed_run(st, target, kill):
    out = os.path.join(st.dir, "bench.json")
    p = subprocess.Popen(bench_argv(st, out, target, ["--peer-start", "--duration", "6"]),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=run_env())
    first = p.stdout.readline().decode()
    while first.startswith("corpus "):
        first = p.stdout.readline().decode()
    name, pid, d = peer_of(first.strip())
    time.sleep(4.5)                              # ramp + settle + publishing
    kill(pid)
    text = first + p.communicate(timeout=120)[0].decode("utf-8", "replace")
    print(text)
    check_san(text)
    assert p.returncode == 1, "a run whose peer died must fail, got %d" % p.returncode
    r = json.load(open(out))
    assert r["ok"] is False
    assert r["connections"]["closed_by_server"] == VIEWERS, r["connections"]
    assert r["publish"]["http_errors"] > 0, r["publish"]
    assert "exited during the run" in text
    assert "result: OK" not in text
    assert gone(pid) and not os.path.exists(d)


@test
def test_peer_redis_killed_is_failure(st):
    killed_run(st, "redis", lambda pid: os.kill(pid, signal.SIGKILL))


@test
def test_peer_nchan_killed_is_failure(st):
    # the master and its workers: the nginx process group the bench made
    killed_run(st, "nchan", lambda pid: os.killpg(pid, signal.SIGKILL))


if __name__ == "__main__":
    main()

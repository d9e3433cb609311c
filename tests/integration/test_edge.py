"""test_edge.py — the edge against a real redis-server: events written with
the Redis contract (no broadcaster) reach python3-websockets viewers in every
format, once, in order; subscriptions follow viewers; bad handshakes and bad
frames get the right status / close code without disturbing other viewers;
pings, idle timeout, SIGTERM and --workers 2."""
import asyncio, os, signal, struct, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, test, main, http, http_json, wait_until
from edge_client import Feeder, Viewer, RawWS, Decoder, sample_event, check_batches

VARIANTS = [("json", "none"), ("json", "zstd"), ("pb", "none"), ("pb", "zstd")]


def numsub(st, room):
    r = st.rc().cmd("PUBSUB", "NUMSUB", "dm:{%s}:n" % room)
    return int(r[1])


async def publish_all(feeder, events, burst=25, pause=0.01):
    for i, ev in enumerate(events):
        feeder.publish(ev)
        if i % burst == burst - 1:
            await asyncio.sleep(pause)


@test
async def test_every_format_gets_every_event_in_order(st):
    st.redis()
    e = st.edge()
    st_, _, dj = http("GET", e.port, "/v1/zstd-dict?format=json")
    st2, _, dp = http("GET", e.port, "/v1/zstd-dict?format=pb")
    dicts = {"json": dj if st_ == 200 else None, "pb": dp if st2 == 200 else None}
    viewers = []
    for fmt, comp in VARIANTS:
        viewers.append(await Viewer(e.port, "r1", fmt, comp, dicts[fmt] if comp == "zstd" else None).connect())
    # two more of each json variant: shared frames must not be consumed by one viewer
    viewers.append(await Viewer(e.port, "r1", "json", "none").connect())
    viewers.append(await Viewer(e.port, "r1", "pb", "zstd", dicts["pb"]).connect())
    wait_until(lambda: numsub(st, "r1") == 1, 5, what="subscription")
    await asyncio.sleep(0.3)
    f = Feeder(st.rc(), "r1")
    events = [sample_event(i) for i in range(400)]
    await publish_all(f, events)
    for v in viewers:
        await v.wait_seq(400)
    await asyncio.sleep(0.2)
    for v in viewers:
        got = v.events()
        assert [x["seq"] for x in got] == list(range(1, 401)), (v.fmt, v.compress, [x["seq"] for x in got][:20])
        for a, b in zip(got, f.sent):
            assert a == b, (v.fmt, v.compress, a, b)
        check_batches(v.frames, "r1", f.epoch)
        assert len(v.frames) < 200, "events were not batched per tick: %d frames" % len(v.frames)
    for v in viewers:
        await v.close()


def stat(st, key):
    import re
    for p in st.procs:
        if p.name == "edge":
            vals = re.findall(r"INFO stats: .*\b%s=(\d+)" % key, open(p.log, encoding="utf-8", errors="replace").read())
            return int(vals[-1]) if vals else None


@test
async def test_encoded_once_per_room_tick_variant(st):
    st.redis()
    e = st.edge("--stats-interval-s", "1", "--history-default", "0")
    viewers = [await Viewer(e.port, "once", ("json", "pb")[i % 2], ("none", "zstd")[i // 2 % 2]).connect()
               for i in range(40)]
    wait_until(lambda: numsub(st, "once") == 1, 5, what="subscription")
    await asyncio.sleep(0.2)
    f = Feeder(st.rc(), "once")
    for burst in range(10):
        for i in range(20):
            f.publish(sample_event(burst * 20 + i))
        await asyncio.sleep(0.12)
    for v in viewers:
        await v.wait_seq(200)
        assert v.events() == f.sent
    wait_until(lambda: stat(st, "frames") == sum(len(v.frames) for v in viewers), 5, what="stats line")
    frames, enc = stat(st, "frames"), stat(st, "encodes")
    flushes = len(viewers[0].frames)
    # one encoding per flush and variant in use (4), each shared by 10 viewers
    assert enc == 4 * flushes, (enc, flushes, frames)
    assert frames == 40 * flushes and stat(st, "own_encodes") == 0
    for v in viewers:
        await v.close()


@test
async def test_escaping_in_json_text(st):
    st.redis()
    e = st.edge()
    v = await Viewer(e.port, "esc").connect()
    wait_until(lambda: numsub(st, "esc") == 1, 5, what="subscription")
    f = Feeder(st.rc(), "esc")
    f.publish({"kind": "comment", "user_id": "u", "nick": "n", "text": 'a"b\\c</script>\x01\u2028😀中'})
    await v.wait_seq(1)
    raw = v.ws  # check the wire text, not just the decoded value
    await v.close()
    # fetch the raw text again through a second viewer with history
    import websockets
    async with websockets.connect("ws://127.0.0.1:%d/v1/rooms/esc/ws?history=1" % e.port) as ws:
        txt = await asyncio.wait_for(ws.recv(), 5)
    assert "</script>" not in txt and "\\u003c/script\\u003e" in txt, txt
    assert "\\u2028" in txt and "\\u0001" in txt and '\\"' in txt and "\\\\" in txt, txt
    assert "😀中" in txt, txt
    assert v.events()[0]["text"] == 'a"b\\c</script>\x01\u2028😀中'


@test
async def test_no_frame_for_idle_room(st):
    st.redis()
    e = st.edge()
    busy = await Viewer(e.port, "busy").connect()
    idle = await Viewer(e.port, "idle").connect()
    wait_until(lambda: numsub(st, "busy") == 1 and numsub(st, "idle") == 1, 5, what="subscriptions")
    f = Feeder(st.rc(), "busy")
    for i in range(30):
        f.publish(sample_event(i))
        await asyncio.sleep(0.03)
    await busy.wait_seq(30)
    await asyncio.sleep(0.5)
    assert idle.frames == [], idle.frames
    await busy.close()
    await idle.close()


@test
async def test_subscription_follows_viewers(st):
    st.redis()
    e = st.edge()
    assert numsub(st, "sub1") == 0
    a = await Viewer(e.port, "sub1").connect()
    b = await Viewer(e.port, "sub1").connect()
    wait_until(lambda: numsub(st, "sub1") == 1, 5, what="subscribe")
    await a.close()
    await asyncio.sleep(0.3)
    assert numsub(st, "sub1") == 1, "unsubscribed while a viewer remains"
    await b.close()
    wait_until(lambda: numsub(st, "sub1") == 0, 5, what="unsubscribe after the last viewer")
    # and back: a new viewer subscribes again and receives
    c = await Viewer(e.port, "sub1").connect()
    wait_until(lambda: numsub(st, "sub1") == 1, 5, what="re-subscribe")
    f = Feeder(st.rc(), "sub1")
    f.publish(sample_event(1))
    await c.wait_seq(1)
    await c.close()


@test
async def test_subscription_churn(st):
    """Viewers come and go faster than SUBSCRIBE/UNSUBSCRIBE round trips."""
    st.redis()
    e = st.edge("--log-level", "debug")
    f = Feeder(st.rc(), "churn")
    v = await Viewer(e.port, "churn", history=0).connect()
    for k in range(40):
        # the next viewer connects while the previous one leaves: the room
        # often comes back while its UNSUBSCRIBE is in flight
        nxt = asyncio.ensure_future(Viewer(e.port, "churn", history=0).connect())
        if k % 3 == 0:
            f.publish(sample_event(k))
        await v.close()
        v = await nxt
        await v.close()
        v = await Viewer(e.port, "churn", history=0).connect()
        await asyncio.sleep(0.003 * (k % 5))
    await v.close()
    last = await Viewer(e.port, "churn", history=0).connect()
    wait_until(lambda: numsub(st, "churn") == 1, 5, what="subscribed once")
    await asyncio.sleep(0.2)
    first = f.seq + 1
    for i in range(20):
        f.publish(sample_event(100 + i))
    await last.wait_seq(f.seq)
    assert last.seqs() == list(range(first, f.seq + 1)), last.seqs()
    await last.close()
    wait_until(lambda: numsub(st, "churn") == 0, 5, what="unsubscribed")
    log = open(e.log, encoding="utf-8", errors="replace").read()
    print("# re-subscribed during UNSUBSCRIBE: %d times" % log.count("came back while unsubscribing"))


async def keep_receiving(st, port, room, coro):
    """Runs coro while a good viewer of `room` keeps receiving events."""
    good = await Viewer(port, room).connect()
    wait_until(lambda: numsub(st, room) == 1, 5, what="subscription")
    f = Feeder(st.rc(), room)
    f.publish(sample_event(0))
    await good.wait_seq(1)
    await coro()
    for i in range(1, 20):
        f.publish(sample_event(i))
    await good.wait_seq(f.seq)
    assert good.seqs() == list(range(1, f.seq + 1))
    assert good.closed_code is None
    await good.close()


@test
async def test_bad_handshakes(st):
    st.redis()
    e = st.edge()

    async def bad():
        cases = [
            (dict(key=b""), 400, "bad_handshake"),
            (dict(version=b"8"), 400, "bad_version"),
            (dict(version=b""), 400, "bad_version"),
            (dict(key=b"short"), 400, "bad_handshake"),
        ]
        for kw, status, code in cases:
            c = RawWS(e.port, "/v1/rooms/good/ws", **kw)
            assert c.status == status, (kw, c.head)
            assert ('"code":"%s"' % code) in c.buf.decode() or code in c.head + c.buf.decode(), (kw, c.buf)
            c.close()
        for path, status, code in [("/v1/rooms/bad!room/ws", 400, "bad_room"),
                                   ("/v1/rooms/" + "x" * 65 + "/ws", 400, "bad_room"),
                                   ("/v1/nowhere", 404, "not_found"),
                                   ("/v1/rooms/good/ws?format=xml", 400, "bad_param"),
                                   ("/v1/rooms/good/ws?compress=gzip", 400, "bad_param")]:
            c = RawWS(e.port, path)
            assert c.status == status, (path, c.head)
            c.close()
        s, body = http_json("GET", e.port, "/v1/rooms/good/ws")       # no Upgrade
        assert s == 426 and body["error"]["code"] == "upgrade_required", (s, body)
        s, body = http_json("POST", e.port, "/v1/rooms/good/ws", body={})
        assert s == 405 and body["error"]["code"] == "method_not_allowed", (s, body)
        import socket
        k = socket.create_connection(("127.0.0.1", e.port))
        k.sendall(b"garbage\r\n\r\n")
        assert k.recv(100).startswith(b"HTTP/1.1 400"), "malformed request line"
        k.close()
    await keep_receiving(st, e.port, "good", bad)


@test
async def test_bad_client_frames(st):
    st.redis()
    e = st.edge("--max-msg", "4096")

    async def bad():
        cases = [
            ("unmasked", lambda c: c.send_frame(1, b"hi", mask=False), 1002),
            ("oversized", lambda c: c.send_frame(2, b"x" * 5000), 1009),
            ("bad opcode", lambda c: c.send_frame(3, b"x"), 1002),
            ("rsv bits", lambda c: c.send_frame(1, b"x", rsv=4), 1002),
            ("invalid utf-8", lambda c: c.send_frame(1, b"\xc3\x28"), 1007),
            ("fragmented ping", lambda c: c.send_frame(9, b"p", fin=False), 1002),
            ("continuation first", lambda c: c.send_frame(0, b"x"), 1002),
            ("long ping", lambda c: c.send_frame(9, b"p" * 126), 1002),
        ]
        for name, act, want in cases:
            c = RawWS(e.port, "/v1/rooms/good/ws?history=0")
            assert c.status == 101, c.head
            act(c)
            code, _ = c.read_until_close()
            assert code == want, (name, code, want)
            c.close()
    await keep_receiving(st, e.port, "good", bad)


@test
def test_ping_pong_and_close_echo(st):
    st.redis()
    e = st.edge("--ping-interval-s", "1")
    c = RawWS(e.port, "/v1/rooms/pp/ws")
    assert c.status == 101 and "X-Edge-Worker" in c.head
    c.send_frame(9, b"hello")
    op, p = c.read_frame()
    assert (op, p) == (0xA, b"hello"), (op, p)
    t0 = time.time()
    op, p = c.read_frame()              # server ping within ~1-2 s
    assert op == 9 and time.time() - t0 < 3, (op, p)
    c.send_frame(0xA, p)
    c.send_frame(8, struct.pack("!H", 1000) + b"bye")
    code, _ = c.read_until_close()
    assert code == 1000, code
    assert c.s.recv(10) == b"", "socket not closed after the close handshake"
    c.close()


@test
async def test_idle_timeout(st):
    st.redis()
    e = st.edge("--idle-timeout-s", "3", "--ping-interval-s", "1")
    alive = await Viewer(e.port, "idle").connect()      # answers pings: stays
    c = RawWS(e.port, "/v1/rooms/idle/ws")              # never answers: closed
    t0 = time.time()
    # read in a thread: the websockets viewer must keep answering pings
    code, _ = await asyncio.get_running_loop().run_in_executor(None, c.read_until_close)
    assert code == 4408 and 2.5 < time.time() - t0 < 6, (code, time.time() - t0)
    c.close()
    await asyncio.sleep(1.0)
    assert alive.closed_code is None and not alive.task.done(), alive.closed_code
    await alive.close()


@test
async def test_sigterm_closes_viewers_with_1001(st):
    st.redis()
    e = st.edge()
    v = await Viewer(e.port, "bye").connect()
    await asyncio.sleep(0.2)
    e.signal(signal.SIGTERM)
    await asyncio.wait_for(v.task, 10)
    assert v.closed_code == 1001, v.closed_code
    e.p.wait(15)
    assert e.p.returncode == 0, e.p.returncode


@test
async def test_workers_2_spread_and_deliver(st):
    st.redis()
    e = st.edge("--workers", "2")
    dp = http("GET", e.port, "/v1/zstd-dict?format=pb")
    viewers = []
    for i in range(40):
        fmt, comp = [("json", "none"), ("pb", "zstd")][i % 2]
        d = dp[2] if comp == "zstd" and dp[0] == 200 else None
        viewers.append(await Viewer(e.port, "w%d" % (i % 2), fmt, comp, d).connect())
    pids = {v.worker for v in viewers}
    assert len(pids) == 2, "viewers not spread over 2 workers: %s" % pids
    wait_until(lambda: numsub(st, "w0") == 2 and numsub(st, "w1") == 2, 5, what="both workers subscribed")
    feeders = [Feeder(st.rc(), "w0"), Feeder(st.rc(), "w1")]
    for i in range(200):
        feeders[i % 2].publish(sample_event(i))
    for v in viewers:
        await v.wait_seq(100)
    for i, v in enumerate(viewers):
        assert v.events() == feeders[i % 2].sent, (v.worker, v.seqs()[:10])
    for v in viewers:
        await v.close()


@test
async def test_worker_viewer_cap(st):
    st.redis()
    e = st.edge("--max-viewers-per-worker", "2")
    a = await Viewer(e.port, "cap").connect()
    b = await Viewer(e.port, "cap").connect()
    c = RawWS(e.port, "/v1/rooms/cap/ws")
    assert c.status == 503 and b"over_capacity" in c.buf, (c.head, c.buf)
    c.close()
    await a.close()
    await asyncio.sleep(0.3)
    d = await Viewer(e.port, "cap").connect()        # a slot is free again
    await b.close()
    await d.close()


@test
def test_edge_exits_when_port_taken(st):
    import socket
    st.redis()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))                          # no SO_REUSEPORT: edge cannot share it
    s.listen(1)
    e = st.edge(port=s.getsockname()[1], wait=False)
    e.p.wait(15)
    s.close()
    assert e.p.returncode == 1, e.p.returncode
    st.expected_exit[e] = (1,)
    st.expect_log("edge", r"ERROR edge: listen on 127\.0\.0\.1:%d: Address already in use" % e.port)


@test
def test_help_lists_every_option(st):
    import subprocess
    from harness import BIN
    out = subprocess.run([os.path.join(BIN, "edge"), "--help"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0
    for opt in ("--listen", "--redis", "--workers", "--tick-ms", "--max-viewers-per-worker", "--idle-timeout-s",
                "--ping-interval-s", "--max-msg", "--zstd-level", "--zstd-dict-dir", "--log-level",
                "--history-max", "--slow-soft-bytes", "--slow-hard-age-ms"):
        assert opt in out.stdout, opt
    bad = subprocess.run([os.path.join(BIN, "edge"), "--workers", "zero"], capture_output=True, text=True, timeout=10)
    assert bad.returncode == 2 and "--workers" in bad.stderr


@test
def test_healthz_needs_a_real_redis(st):
    """A TCP peer that is not Redis (here: answers like an HTTP server) is not
    a healthy link: the edge checks PING."""
    import socket, threading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.2)
    stop = threading.Event()

    def fake():
        conns = []
        while not stop.is_set():
            try:
                c, _ = srv.accept()
                c.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                conns.append(c)
            except OSError:
                pass
        for c in conns:
            c.close()
    t = threading.Thread(target=fake)
    t.start()
    try:
        st.redis_port = srv.getsockname()[1]
        e = st.edge(wait=False)
        wait_until(lambda: http("GET", e.port, "/healthz")[0] == 503, 10, what="edge answering")
        time.sleep(1.0)
        assert http("GET", e.port, "/healthz")[0] == 503
        st_, _, body = http("GET", e.port, "/healthz")
        assert b"redis_unavailable" in body, body
        e.stop()
    finally:
        stop.set()
        t.join(5)
        srv.close()


@test
def test_healthz_follows_redis(st):
    r = st.redis()
    e = st.edge()
    assert http("GET", e.port, "/healthz")[0] == 200
    r.stop()
    wait_until(lambda: http("GET", e.port, "/healthz")[0] == 503, 10, what="healthz 503")
    st.redis(port=r.port)
    wait_until(lambda: http("GET", e.port, "/healthz")[0] == 200, 15, what="healthz back to 200")


if __name__ == "__main__":
    main()

"""test_e2e.py — the whole pipeline with real processes: redis-server, two
broadcaster processes, an edge with two workers, and viewers of two
independent implementations (Python websockets, and our bin/danmaku-watch).

3 rooms x 20 viewers; 1,000 events (comments with CJK/emoji/quotes/control
characters, gifts, likes) published concurrently through both broadcasters.
Every viewer must receive every event of its room exactly once, in seq order,
seq 1..N gap-free, with contents identical to what was sent."""
import asyncio, json, os, random, subprocess, sys, threading, time, http.client
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, Stack, http as http_req, main, test, wait_until
import websockets
import zstandard

ROOMS = ["alpha", "beta-2", "gamma_3"]
TEXTS = [
    "前方高能预警！！！", "233333333", "哈哈哈哈哈哈哈哈哈哈", 'quote " and \\ backslash',
    "</script><script>alert(1)</script>", "emoji 🎉🔥😂 and 👨‍👩‍👧", "tab\tnew\nline\rcr",
    "ctl \x01\x02\x1f end", "\u2028line sep\u2029", "日本語テキスト、한국어", "a" * 300,
    "混合 mixed テキスト 123", "{\"json\":\"in text\"}", "&amp; <b>bold</b>",
]


def make_events(n, seed=7):
    rnd = random.Random(seed)
    evs = []
    for i in range(n):
        room = ROOMS[i % len(ROOMS)]
        k = rnd.random()
        uid = "u%d" % rnd.randrange(50)
        if k < 0.8:
            body = {"user_id": uid, "nick": "观众%s" % uid, "text": rnd.choice(TEXTS) + " #%d" % i,
                    "color": rnd.choice([16777215, 0xff0000, 0x00ff00]),
                    "mode": rnd.choice(["scroll", "top", "bottom"]), "size": rnd.choice([18, 25, 36]),
                    "client_msg_id": "c%d" % i}
            evs.append((room, "comment", body))
        elif k < 0.9:
            body = {"user_id": uid, "nick": "土豪\"%s\"" % uid, "gift_id": "g%d" % rnd.randrange(5),
                    "gift_name": rnd.choice(["小电视", "辣条 🌶", "rocket"]), "count": rnd.randrange(1, 10),
                    "unit_value": rnd.choice([100, 1000, 245000]), "client_msg_id": "c%d" % i}
            evs.append((room, "gift", body))
        else:
            evs.append((room, "like", {"user_id": uid, "count": rnd.randrange(1, 20)}))
    return evs


def publisher(port, items, acks, errors):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    for room, kind, body in items:
        data = json.dumps(body, ensure_ascii=False).encode()
        c.request("POST", "/v1/rooms/%s/%ss" % (room, kind), body=data,
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        raw = r.read()
        if r.status != 200:
            errors.append((r.status, raw))
            continue
        rep = json.loads(raw)
        acks.append((room, rep["seq"], kind, body))
    c.close()


def expected_event(seq, kind, body):
    e = {"seq": seq, "kind": kind, "user_id": body["user_id"]}
    if kind == "comment":
        e.update(nick=body["nick"], text=body["text"], color=body["color"], mode=body["mode"],
                 size=body["size"], client_msg_id=body["client_msg_id"])
    elif kind == "gift":
        e.update({k: body[k] for k in ("nick", "gift_id", "gift_name", "count", "unit_value",
                                        "client_msg_id")})
    else:
        e["count"] = body["count"]
    return e


def check_stream(name, frames, want):
    """frames: decoded JSON frames of one viewer; want: {seq: expected event}."""
    got = []
    for f in frames:
        if f.get("type") != "batch":
            raise AssertionError("%s: unexpected frame type %r" % (name, f.get("type")))
        seqs = [e["seq"] for e in f["events"]]
        assert f["from_seq"] == seqs[0] and f["to_seq"] == seqs[-1], "%s: batch bounds %r" % (name, f)
        got.extend(f["events"])
    seqs = [e["seq"] for e in got]
    assert seqs == list(range(1, len(want) + 1)), \
        "%s: seqs not 1..%d exactly once in order: %s..." % (name, len(want), seqs[:20])
    for e in got:
        exp = want[e["seq"]]
        for k, v in exp.items():
            assert e.get(k) == v, "%s: seq %d field %s = %r, sent %r" % (name, e["seq"], k, e.get(k), v)
        assert isinstance(e.get("ts_ms"), int) and e["ts_ms"] > 1.6e12, "%s: ts_ms %r" % (name, e.get("ts_ms"))


async def py_viewer(port, room, compress, total, out, headers_out):
    url = "ws://127.0.0.1:%d/v1/rooms/%s/ws?format=json&compress=%s" % (port, room, compress)
    dctx = None
    if compress == "zstd":
        st, _, d = http_req("GET", port, "/v1/zstd-dict?format=json")
        dctx = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(d)) if st == 200 \
            else zstandard.ZstdDecompressor()
    frames = []
    async with websockets.connect(url, max_size=2**22, compression=None) as ws:
        headers_out.append(ws.response_headers.get("X-Edge-Worker"))
        out.append(frames)
        n = 0
        while n < total:
            msg = await ws.recv()
            if compress == "zstd":
                assert isinstance(msg, bytes), "zstd frames must be binary"
                msg = dctx.decompressobj().decompress(msg)
            else:
                assert isinstance(msg, str), "json frames must be text"
            f = json.loads(msg)
            frames.append(f)
            n += len(f.get("events", []))


def c_viewer(st, port, room, fmt, compress, total):
    url = "ws://127.0.0.1:%d/v1/rooms/%s/ws" % (port, room)
    argv = [os.path.join(BIN, "danmaku-watch"), "--raw", "--format", fmt, "--compress", compress,
            "--count", str(total), "--timeout", "60", url]
    c_viewer.n += 1
    log = os.path.join(st.dir, "watch-%s-%s-%s-%d.out" % (room, fmt, compress, c_viewer.n))
    f = open(log, "wb")
    p = subprocess.Popen(argv, stdout=f, stderr=subprocess.PIPE)
    return p, log, f


c_viewer.n = 0


@test
def test_three_rooms_two_broadcasters_two_workers(st):
    st.redis()
    b1 = st.broadcaster("--rate-limits", "off")
    b2 = st.broadcaster("--rate-limits", "off")
    e = st.edge("--workers", "2")
    events = make_events(1000)
    per_room = {r: sum(1 for ev in events if ev[0] == r) for r in ROOMS}

    async def run():
        outs = {r: [] for r in ROOMS}
        hdrs = []
        tasks = []
        cprocs = []
        combos = [("pb", "none"), ("pb", "none"), ("pb", "zstd"), ("pb", "zstd"), ("pb", "zstd"),
                  ("json", "none"), ("json", "zstd"), ("json", "zstd")]
        for r in ROOMS:
            for i in range(12):   # 12 independent (Python websockets) viewers per room
                tasks.append(asyncio.create_task(
                    py_viewer(e.port, r, "zstd" if i % 3 == 0 else "none", per_room[r], outs[r], hdrs)))
            for fmt, comp in combos:   # 8 of our own viewers per room
                cprocs.append((r, fmt, comp) + c_viewer(st, e.port, r, fmt, comp, per_room[r]))
        # all viewers connected and every room subscribed by the edge
        await asyncio.sleep(0)
        deadline = time.time() + 20
        while sum(len(v) for v in outs.values()) < 36 and time.time() < deadline:
            await asyncio.sleep(0.05)
        assert sum(len(v) for v in outs.values()) == 36, "python viewers did not connect"
        rc = st.rc()
        for r in ROOMS:
            wait_until(lambda: rc.cmd("PUBSUB", "NUMSUB", "dm:{%s}:n" % r)[1] >= 1, 10,
                       what="edge subscription of " + r)
        await asyncio.sleep(1.0)  # let the C viewers finish their handshakes
        workers = set(hdrs)
        # publish concurrently through both broadcasters, 2 connections each
        acks, errors = [], []
        threads = []
        for i, port in enumerate([b1.port, b2.port, b1.port, b2.port]):
            t = threading.Thread(target=publisher, args=(port, events[i::4], acks, errors))
            t.start()
            threads.append(t)
        for t in threads:
            await asyncio.get_running_loop().run_in_executor(None, t.join)
        assert not errors, "publish errors: %r" % errors[:5]
        assert len(acks) == 1000
        want = {r: {} for r in ROOMS}
        for room, seq, kind, body in acks:
            assert seq not in want[room], "seq %d assigned twice in %s" % (seq, room)
            want[room][seq] = expected_event(seq, kind, body)
        for r in ROOMS:
            assert sorted(want[r]) == list(range(1, per_room[r] + 1)), "acked seqs of %s not 1..N" % r
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
        for r in ROOMS:
            for i, frames in enumerate(outs[r]):
                check_stream("py viewer %s/%d" % (r, i), frames, want[r])
        for r, fmt, comp, p, log, f in cprocs:
            rc_ = await asyncio.get_running_loop().run_in_executor(None, p.wait, 90)
            err = p.stderr.read().decode("utf-8", "replace")
            f.close()
            assert rc_ == 0, "danmaku-watch %s %s/%s exited %s: %s" % (r, fmt, comp, rc_, err[-500:])
            raw = open(log, "rb").read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as ex:
                raise AssertionError("watch %s %s/%s printed invalid UTF-8 at %d: %r" % (
                    r, fmt, comp, ex.start, raw[max(0, ex.start - 120):ex.end + 60]))
            frames = [json.loads(l) for l in text.splitlines() if l.strip()]
            check_stream("watch %s %s/%s" % (r, fmt, comp), frames, want[r])
        assert None not in workers, "edge did not name its worker (X-Edge-Worker)"
        assert len(workers) == 2, "viewers did not spread over both workers: %r" % workers
        return workers
    return run()


if __name__ == "__main__":
    main()

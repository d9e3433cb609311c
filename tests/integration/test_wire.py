"""test_wire.py — one wire contract: the frames danmaku-bench builds (its
payload builder, the one that trains the zstd dictionaries and measures
--wire-size, run as `danmaku-bench --frames`) are byte-identical to the
frames a real edge delivers.

Events (comments with hostile texts, masked / keyword / contact moderation,
client_msg_ids, gifts, likes with and without nick) are published through
the real stack (redis-server + broadcaster with a lexicon + edge); raw
viewers in every variant (json|pb x none|zstd) record each WebSocket frame
as it came off the socket, header included, live and as history on a later
join (multi-event batches). The batch boundaries are read back from the
frames (decoded independently by edge_client), but the events given to the
bench are what the test published — with the seq/epoch/ts_ms of the publish
replies and the moderation verdict the test expects — so the comparison
fails if the bench's stored-event bytes, its JSON rendering, batch framing,
dictionary or compression drift from the edge's."""
import json, os, subprocess, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, ROOT, SAN_ENV, http, test, main  # noqa: E402
from edge_client import TEXTS, Decoder, RawWS, pb_parse  # noqa: E402
import zstandard  # noqa: E402

ROOM = "wire1"
VARIANTS = [("json", "none"), ("json", "zstd"), ("pb", "none"), ("pb", "zstd"), ("pb2", "none"), ("pb2", "zstd")]
QUERY = {"json": "format=json", "pb": "format=pb", "pb2": "format=pb&v=2"}
DICT_DIR = os.path.join(ROOT, "proto", "zdict")


def events_to_publish():
    """(kind, body, expected stored fields beyond the body) in publish order."""
    out = []
    for i in range(30):
        k = i % 6
        if k == 4:
            body = {"user_id": "g%d" % i, "nick": "送礼者%d" % i, "gift_id": "31036",
                    "gift_name": "小花花", "count": 1 + i % 3, "unit_value": 100 + i}
            if i % 4 == 0:
                body["client_msg_id"] = "gift-%d" % i
            out.append(("gifts", body, {}))
        elif k == 5:
            body = {"user_id": "l%d" % i, "count": 1 + i % 5}
            if i % 2:
                body["nick"] = "点赞%d" % i
            out.append(("likes", body, {}))
        else:
            body = {"user_id": "u%d" % (i % 7), "nick": "观众\"%d\"" % (i % 7),
                    "text": TEXTS[i % len(TEXTS)]}
            if i % 3 == 0:
                body.update(color=(i * 2654435761) & 0xFFFFFF, mode=["scroll", "top", "bottom"][i % 3],
                            size=18 + i % 10)
            if i % 4 == 1:
                body["client_msg_id"] = "c-%d" % i
            out.append(("comments", body, {}))
    # moderation: the verdict the broadcaster stores (see test_protect.py)
    out.append(("comments", {"user_id": "m1", "nick": "小傻瓜", "text": "你是傻瓜吗"},
                {"nick": "小**", "text": "你是**吗", "flags": ["masked"]}))
    out.append(("comments", {"user_id": "m2", "nick": "n", "text": "flagme please"},
                {"flags": ["keyword"]}))
    out.append(("comments", {"user_id": "m3", "nick": "n", "text": "加我微信 abc12345 谢谢",
                             "client_msg_id": "c-contact"},
                {"flags": ["contact"], "risk": "contact"}))
    out.append(("comments", {"user_id": "m4", "nick": "n", "text": "傻瓜 13812345678"},
                {"text": "** 13812345678", "flags": ["masked", "contact"], "risk": "contact"}))
    return out


def publish_all(b, evs):
    """Publishes from 6 threads at once (so that live batches hold several
    events); returns {seq: (kind, body, extra, reply)} and the epoch."""
    got, lock, errors = {}, threading.Lock(), []

    def worker(part):
        for kind, body, extra in part:
            s, _, data = http("POST", b.port, "/v1/rooms/%s/%s" % (ROOM, kind), body)
            if s != 200:
                errors.append((s, data))
                continue
            r = json.loads(data)
            with lock:
                got[r["seq"]] = (kind, body, extra, r)
    ts = [threading.Thread(target=worker, args=(evs[k::6],)) for k in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors, errors
    assert sorted(got) == list(range(1, len(evs) + 1)), sorted(got)
    epochs = {v[3]["epoch"] for v in got.values()}
    assert len(epochs) == 1, epochs
    return got, epochs.pop()


def bench_event(seq, kind, body, extra, reply):
    """The event as the bench's --frames reads it: what was published, with
    the sequencer's seq/ts_ms and the moderation verdict."""
    e = {"kind": kind[:-1], "seq": seq, "ts_ms": reply["ts_ms"]}
    e.update(body)
    e.update(extra)
    return e


def record(port, fmt, comp, params):
    """Connects a raw viewer of the room in one variant."""
    q = "%s&compress=%s&%s" % (QUERY[fmt], comp, params)
    ws = RawWS(port, "/v1/rooms/%s/ws?%s" % (ROOM, q))
    assert ws.status == 101, ws.head
    return ws


def unzigzag(v):
    return (v >> 1) ^ -(v & 1)


def batch2_seqs(msg):
    """(from_seq, to_seq, seqs) of a v2 Frame.batch2, decoded here from
    docs/PROTOCOL.md §3.2 (not by our C decoder)."""
    (field, _, b2), = pb_parse(msg)
    assert field == 4, field
    seq = ts = None
    seqs, first = [], None
    for f, _, v in pb_parse(b2):
        if f == 3:
            first, seq = v, v - 1
        elif f == 4:
            ts = v
        elif f == 5:
            d = {g: x for g, _, x in pb_parse(v)}
            assert 5 not in d, "client_msg_id in a v2 event"
            seq += 1 + d.get(1, 0)
            ts += unzigzag(d.get(2, 0))
            seqs.append(seq)
    return first, seqs[-1], seqs


def read_batches(ws, fmt, comp, want, dicts):
    """Reads frames until every seq in want arrived in a batch. Returns
    [(raw frame bytes, from_seq, to_seq)]."""
    dec = Decoder("pb" if fmt == "pb2" else fmt, comp, dicts.get(fmt))
    seen, frames = set(), []
    while not want <= seen:
        f = ws.read_frame()
        assert f is not None, "edge closed the viewer (%s/%s), seen %s" % (fmt, comp, sorted(seen))
        (op, payload), raw = f, ws.last_raw
        if op not in (1, 2):
            continue                      # ping
        msg = payload.decode("utf-8") if op == 1 else payload
        if fmt == "pb2":
            a, z, seqs = batch2_seqs(dec.z.decompress(msg) if comp == "zstd" else msg)
        else:
            d = dec.decode(msg)
            assert d["type"] == "batch", d
            a, z, seqs = d["from_seq"], d["to_seq"], [e["seq"] for e in d["events"]]
        assert seqs == list(range(a, z + 1)), (a, z, seqs)
        seen.update(seqs)
        frames.append((raw, a, z))
    return frames


def bench_frames(st, fmt, comp, lines):
    path = os.path.join(st.dir, "frames-%s-%s.jsonl" % (fmt, comp))
    with open(path, "w", encoding="utf-8") as f:
        for ln in lines:
            f.write(json.dumps(ln, ensure_ascii=False) + "\n")
    env = dict(os.environ)
    env.update(SAN_ENV)
    p = subprocess.run([os.path.join(BIN, "danmaku-bench"), "--frames", path, "--format", fmt,
                        "--compress", comp, "--dict-dir", DICT_DIR, "--zstd-level", "3"],
                       capture_output=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")
    return [bytes.fromhex(h) for h in p.stdout.decode().split()]


def compare(st, fmt, comp, frames, published, epoch):
    lines = [{"room": ROOM, "epoch": epoch,
              "events": [bench_event(s, *published[s]) for s in range(a, z + 1)]}
             for _, a, z in frames]
    built = bench_frames(st, fmt, comp, lines)
    assert len(built) == len(frames), (len(built), len(frames))
    for (raw, a, z), mine in zip(frames, built):
        assert mine == raw, "%s/%s batch %d..%d: bench %d bytes %s\n  edge %d bytes %s" % (
            fmt, comp, a, z, len(mine), mine[:80].hex(), len(raw), raw[:80].hex())


def lexicon(st):
    p = os.path.join(st.dir, "lex.txt")
    with open(p, "w", encoding="utf-8") as f:
        f.write("傻瓜\nflagme\twatch\n")
    return p


@test
def test_bench_frames_equal_edge_frames(st):
    st.redis()
    b = st.broadcaster("--rate-limits", "off", "--lexicon", lexicon(st), "--kw-action", "watch=flag")
    e = st.edge("--zstd-level", "3", "--zstd-dict-dir", DICT_DIR)
    dicts = {}
    for fmt in ("json", "pb", "pb2"):
        s, _, d = http("GET", e.port, "/v1/zstd-dict?" + QUERY[fmt])
        assert s == 200 and d, s
        with open(os.path.join(DICT_DIR, "danmaku-%s.zdict" % fmt), "rb") as f:
            assert d == f.read(), fmt
        dicts[fmt] = d
    evs = events_to_publish()
    want = set(range(1, len(evs) + 1))
    live = {v: record(e.port, v[0], v[1], "history=0") for v in VARIANTS}
    time.sleep(0.5)                       # the viewers join the room (history=0)
    published, epoch = publish_all(b, evs)
    multi = 0
    for (fmt, comp), ws in live.items():
        frames = read_batches(ws, fmt, comp, want, dicts)
        ws.close()
        multi += sum(1 for _, a, z in frames if z > a)
        compare(st, fmt, comp, frames, published, epoch)
    # a late join gets the whole room as history: batches of many events
    for fmt, comp in VARIANTS:
        ws = record(e.port, fmt, comp, "history=100")
        frames = read_batches(ws, fmt, comp, want, dicts)
        ws.close()
        assert any(z - a >= 9 for _, a, z in frames), [(a, z) for _, a, z in frames]
        compare(st, fmt, comp, frames, published, epoch)
    print("# live frames with several events: %d" % multi)


@test
def test_bench_frames_detects_drift(st):
    """The comparison can fail: one changed field (a flag the broadcaster did
    not store) gives different bytes in every variant."""
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    e = st.edge("--zstd-dict-dir", DICT_DIR)
    s, _, d = http("POST", b.port, "/v1/rooms/%s/comments" % ROOM, {"user_id": "u1", "nick": "n", "text": "hi"})
    assert s == 200
    r = json.loads(d)
    dicts = {f: http("GET", e.port, "/v1/zstd-dict?" + QUERY[f])[2] for f in ("json", "pb", "pb2")}
    for fmt, comp in VARIANTS:
        ws = record(e.port, fmt, comp, "history=1")
        frames = read_batches(ws, fmt, comp, {1}, dicts)
        ws.close()
        ev = {"kind": "comment", "seq": 1, "ts_ms": r["ts_ms"], "user_id": "u1", "nick": "n", "text": "hi"}
        same = bench_frames(st, fmt, comp, [{"room": ROOM, "epoch": r["epoch"], "events": [ev]}])
        assert same == [frames[0][0]], (fmt, comp)
        ev["flags"] = ["masked"]
        drift = bench_frames(st, fmt, comp, [{"room": ROOM, "epoch": r["epoch"], "events": [ev]}])
        assert drift != same, (fmt, comp)


def dict_id(d):
    return zstandard.ZstdCompressionDict(d).dict_id()


@test
def test_dictionary_rollover(st):
    """A new dictionary rolls out while the previous one is still served: a
    viewer that names the previous one (?zdict=ID, it cached it) gets frames
    under it and decodes them with that dictionary alone; a viewer naming
    none or an unknown ID gets the current one; both files are served by ID;
    danmaku-watch, holding only the current one, fetches the other by the ID
    in the frame header."""
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    e = st.edge("--zstd-dict-dir", DICT_DIR)
    prev_dir = os.path.join(DICT_DIR, "previous")
    with open(os.path.join(DICT_DIR, "danmaku-pb.zdict"), "rb") as f:
        cur = f.read()
    with open(os.path.join(prev_dir, "danmaku-pb.zdict"), "rb") as f:
        old = f.read()
    new_id, old_id = dict_id(cur), dict_id(old)
    assert new_id != old_id
    assert http("GET", e.port, "/v1/zstd-dict?id=%d" % old_id)[2] == old
    assert http("GET", e.port, "/v1/zstd-dict?id=%d" % new_id)[2] == cur
    assert http("GET", e.port, "/v1/zstd-dict?format=pb")[2] == cur
    assert http("GET", e.port, "/v1/zstd-dict?id=12345")[0] == 404
    assert http("GET", e.port, "/v1/zstd-dict?id=x")[0] == 400
    assert RawWS(e.port, "/v1/rooms/%s/ws?compress=zstd&zdict=-3" % ROOM).status == 400
    assert RawWS(e.port, "/v1/rooms/%s/ws?format=pb&v=3" % ROOM).status == 400
    assert http("GET", e.port, "/v1/zstd-dict?format=pb&v=2")[2] != cur       # v2 has its own
    views = {"old": "&zdict=%d" % old_id, "none": "", "unknown": "&zdict=12345", "new": "&zdict=%d" % new_id}
    wss = {k: record(e.port, "pb", "zstd", "history=0" + q) for k, q in views.items()}
    watch = subprocess.Popen([os.path.join(BIN, "danmaku-watch"), "--count", "5", "--timeout", "20",
                              "ws://127.0.0.1:%d/v1/rooms/%s/ws?format=pb&compress=zstd&history=0&zdict=%d"
                              % (e.port, ROOM, old_id)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=dict(os.environ, **SAN_ENV))
    time.sleep(0.8)
    for i in range(5):
        s, _, _ = http("POST", b.port, "/v1/rooms/%s/comments" % ROOM,
                       {"user_id": "u%d" % i, "nick": "n", "text": "换字典 %d" % i})
        assert s == 200
    only_old = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(old))
    for k, ws in wss.items():
        seen = []
        while len(seen) < 5:
            f = ws.read_frame()
            assert f is not None, k
            if f[0] != 2:
                continue
            fid = zstandard.get_frame_parameters(f[1]).dict_id
            assert fid == (old_id if k == "old" else new_id), (k, fid)
            if k == "old":
                (field, _, batch), = pb_parse(only_old.decompress(f[1]))
                seen += [x for g, _, x in pb_parse(batch) if g == 5]
            else:
                seen += [0] * batch_count(f[1], cur)
        ws.close()
    out, err = watch.communicate(timeout=30)
    assert watch.returncode == 0, err.decode("utf-8", "replace")
    assert out.decode().count("换字典") == 5, out


def batch_count(msg, d):
    """Events in a v1 batch frame compressed with dictionary d."""
    z = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(d))
    (field, _, batch), = pb_parse(z.decompress(msg))
    return sum(1 for g, _, _ in pb_parse(batch) if g == 5)


def wire_size(st, corpus, *extra):
    env = dict(os.environ)
    env.update(SAN_ENV)
    p = subprocess.run([os.path.join(BIN, "danmaku-bench"), "--wire-size", "--corpus", corpus,
                        "--dict-dir", DICT_DIR] + list(extra), capture_output=True, timeout=120, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


@test
def test_wire_size_says_what_it_measured(st):
    """--wire-size measures any corpus (all videos, or --heldout), names the
    videos and message count, and fails loudly on an empty selection."""
    corpus = os.path.join(st.dir, "c.jsonl")
    with open(corpus, "w", encoding="utf-8") as f:
        for v, n in (("cidA", 30), ("cid130614", 20)):      # cid130614 is held out
            for i in range(n):
                f.write(json.dumps({"v": v, "t": i * 0.5, "mode": 1, "size": 25, "color": 16777215,
                                    "uhash": "%08x" % (i * 7919), "text": "弹幕 %d 前方高能" % i},
                                   ensure_ascii=False) + "\n")
    rc, out, err = wire_size(st, corpus)
    assert rc == 0, err
    assert "all videos" in err and "cidA(30)" in err and "cid130614(20)" in err and "50 messages" in err, err
    rows = [ln.split() for ln in out.splitlines()[1:]]
    assert len(rows) == 36 and {r[0] for r in rows} >= {"json", "pb+zstd+dict", "pb2+zstd+dict", "json+zstd+dict"}, out
    assert all(float(r[2]) > 0 for r in rows), out
    rc, out, err = wire_size(st, corpus, "--heldout")
    assert rc == 0 and "held-out" in err and "cidA" not in err and "20 messages" in err, err
    with open(corpus, "w", encoding="utf-8") as f:
        f.write(json.dumps({"v": "cidA", "t": 0, "mode": 1, "size": 25, "color": 1, "uhash": "1", "text": "x"}) + "\n")
    rc, out, err = wire_size(st, corpus, "--heldout")
    assert rc != 0 and "nothing to measure" in err and not out.strip(), (rc, out, err)


if __name__ == "__main__":
    main()

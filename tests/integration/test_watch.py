"""test_watch.py — bin/danmaku-watch against an independent WebSocket server
(python3-websockets playing a scripted edge): handshake, every format
(json, json+zstd with the trained dictionary served at /v1/zstd-dict, pb,
pb+zstd, dictionary 404), --raw output equal to the edge's JSON, pings
answered, reset/gap lines, --count / --timeout / --check exit codes and
close codes other than 1000. Does not need redis or our servers."""
import asyncio, http as _http, json, os, subprocess, threading
import websockets, zstandard
from harness import BIN, ROOT, SAN_ENV, BAD_LOG, free_port, test, main

WATCH = os.path.join(BIN, "danmaku-watch")
ZDIR = os.path.join(ROOT, "proto", "zdict")

EVENTS = [
    {"seq": 1, "kind": "comment", "ts_ms": 1700000000000, "user_id": "u1", "nick": "\u5f39\u5e55",
     "text": "hi \"there\" \\ </script> \U0001F600 \u4f60\u597d\n", "color": 16777215, "mode": "scroll",
     "size": 25, "client_msg_id": "c-1"},
    {"seq": 2, "kind": "gift", "ts_ms": 1700000000001, "user_id": "u2", "nick": "n2",
     "gift_id": "rocket", "gift_name": "\u706b\u7bad", "count": 2, "unit_value": 100},
    {"seq": 3, "kind": "like", "ts_ms": 1700000000002, "user_id": "u3", "count": 3},
    {"seq": 4, "kind": "comment", "ts_ms": 1700000000003, "user_id": "u1", "nick": "n",
     "text": "***", "color": 255, "mode": "top", "size": 18, "flags": ["masked", "contact"],
     "risk": "contact"},
]


def batch(evs, room="r1"):
    return {"type": "batch", "room": room, "epoch": "9f2c00aa11bb22cc",
            "from_seq": evs[0]["seq"], "to_seq": evs[-1]["seq"], "events": evs}


# -- a tiny protobuf encoder for danmaku.Frame (python has no protobuf here) --
def _varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def _f(num, val):
    if isinstance(val, int):
        return _varint(num << 3) + _varint(val & ((1 << 64) - 1))
    if isinstance(val, str):
        val = val.encode()
    return _varint(num << 3 | 2) + _varint(len(val)) + val


def pb_event(e):
    out = _f(1, e["seq"]) + _f(2, e["ts_ms"]) + _f(3, e["user_id"])
    if "nick" in e:
        out += _f(4, e["nick"])
    if "client_msg_id" in e:
        out += _f(5, e["client_msg_id"])
    modes = {"scroll": 0, "top": 1, "bottom": 2}
    if e["kind"] == "comment":
        body = _f(1, e["text"]) + _f(2, e["color"]) + _f(3, modes[e["mode"]]) + _f(4, e["size"])
        out += _f(10, body)
    elif e["kind"] == "gift":
        out += _f(11, _f(1, e["gift_id"]) + _f(2, e["gift_name"]) + _f(3, e["count"]) + _f(4, e["unit_value"]))
    else:
        out += _f(12, _f(1, e["count"]))
    for fl in e.get("flags", []):
        out += _f(20, fl)
    if "risk" in e:
        out += _f(21, e["risk"])
    return out


def pb_frame(msg):
    if msg["type"] == "batch":
        b = _f(1, msg["room"]) + _f(2, msg["epoch"]) + _f(3, msg["from_seq"]) + _f(4, msg["to_seq"])
        for e in msg["events"]:
            b += _f(5, pb_event(e))
        return _f(1, b)
    if msg["type"] == "reset":
        return _f(2, _f(1, msg["epoch"]) + _f(2, msg["from_seq"]) + _f(3, msg["reason"]) + _f(4, msg["room"]))
    return _f(3, _f(1, msg["from_seq"]) + _f(2, msg["to_seq"]) + _f(3, msg["reason"]) + _f(4, msg["room"]))


def load_dict(fmt):
    p = os.path.join(ZDIR, "danmaku-%s.zdict" % fmt)
    return open(p, "rb").read() if os.path.exists(p) else None


class FakeEdge:
    """Scripted edge: the room name in the path picks the script."""
    def __init__(self, serve_dict=True):
        self.port = free_port()
        self.serve_dict = serve_dict
        self.pongs = 0
        self.paths = []
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()
        assert self.ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.stop = self.loop.create_future()
        self.loop.run_until_complete(self._serve())

    async def _serve(self):
        async with websockets.serve(self.handler, "127.0.0.1", self.port,
                                    process_request=self.http, compression=None):
            self.ready.set()
            await self.stop

    def close(self):
        self.loop.call_soon_threadsafe(self.stop.set_result, None)
        self.t.join(10)

    async def http(self, path, headers):
        if path.startswith("/v1/zstd-dict"):
            fmt = "pb" if "format=pb" in path else "json"
            d = load_dict(fmt) if self.serve_dict else None
            if d is None:
                return (_http.HTTPStatus.NOT_FOUND, [("Content-Type", "application/json")], b'{"error":{"code":"not_found","message":"no dictionary"}}')
            return (_http.HTTPStatus.OK, [("Content-Type", "application/octet-stream")], d)
        return None

    def encode(self, msg, fmt, z):
        if fmt == "pb":
            data = pb_frame(msg)
        else:
            data = json.dumps(msg, ensure_ascii=False).encode()
        if z:
            d = load_dict(fmt) if self.serve_dict else None
            c = zstandard.ZstdCompressor(dict_data=zstandard.ZstdCompressionDict(d)) if d \
                else zstandard.ZstdCompressor()
            return c.compress(data)
        return data.decode() if fmt == "json" else data

    async def handler(self, ws, path=None):
        path = ws.path
        self.paths.append(path)
        fmt = "pb" if "format=pb" in path else "json"
        z = "compress=zstd" in path
        room = path.split("/")[3]
        send = lambda m: ws.send(self.encode(m, fmt, z))
        if room == "basic":
            await send(batch(EVENTS[:3]))
            pong = await ws.ping(b"hb")
            await asyncio.wait_for(pong, 5)
            self.pongs += 1
            await send({"type": "gap", "room": "basic", "from_seq": 5, "to_seq": 6, "reason": "slow"})
            await send(batch(EVENTS[3:]))
            await send({"type": "reset", "room": "basic", "epoch": "ffff", "from_seq": 7, "reason": "trimmed"})
            await asyncio.sleep(5)
        elif room == "close4429":
            await send(batch(EVENTS[:1]))
            await ws.close(4429, "slow viewer")
        elif room == "close1000":
            await send(batch(EVENTS[:2]))
            await ws.close(1000, "bye")
        elif room == "hole":
            await send(batch(EVENTS[:2]))
            await send(batch(EVENTS[3:]))
            await asyncio.sleep(5)
        elif room == "gapok":
            await send(batch(EVENTS[:2]))
            await send({"type": "gap", "room": "gapok", "from_seq": 3, "to_seq": 3, "reason": "slow"})
            await send(batch(EVENTS[3:]))
            await asyncio.sleep(5)
        else:
            await asyncio.sleep(10)


def watch(args, timeout=30):
    r = subprocess.run([WATCH] + args, capture_output=True, timeout=timeout,
                       env=dict(os.environ, **SAN_ENV))
    err = r.stderr.decode("utf-8", "replace")
    assert not BAD_LOG.search(err), err
    return r.returncode, r.stdout.decode("utf-8"), err


def _raw_all_formats(serve_dict):
    fe = FakeEdge(serve_dict=serve_dict)
    try:
        outs = []
        for fmt in ("json", "pb"):
            for comp in ("none", "zstd"):
                url = "ws://127.0.0.1:%d/v1/rooms/basic/ws" % fe.port
                rc, out, err = watch(["--format", fmt, "--compress", comp, "--raw", "--count", "4",
                                      "--timeout", "20", url])
                assert rc == 0, (fmt, comp, rc, err)
                lines = [json.loads(l) for l in out.splitlines()]
                assert lines[0] == batch(EVENTS[:3]), lines[0]
                assert lines[1] == {"type": "gap", "room": "basic", "from_seq": 5, "to_seq": 6, "reason": "slow"}
                assert lines[2] == batch(EVENTS[3:]), lines[2]
                outs.append(out)
        assert len(set(outs)) == 1, "formats disagree"
        assert fe.pongs == 4, fe.pongs
        assert all("history" not in p for p in fe.paths)
    finally:
        fe.close()


@test
def test_watch_raw_every_format(st):
    _raw_all_formats(True)


@test
def test_watch_zstd_without_dictionary(st):
    _raw_all_formats(False)


@test
def test_watch_lines_and_reset(st):
    fe = FakeEdge()
    try:
        url = "ws://127.0.0.1:%d/v1/rooms/basic/ws?history=5&format=pb" % fe.port
        rc, out, err = watch(["--timeout", "3", "--check", url])
        assert rc == 0, (rc, err)
        lines = out.splitlines()
        assert lines[0].startswith('1 comment u1: hi "there" \\ </script> \U0001F600 \u4f60\u597d'), lines[0]
        assert lines[1] == "2 gift u2: \u706b\u7bad x2 (rocket, 100 each)", lines[1]
        assert lines[2] == "3 like u3: x3", lines[2]
        assert lines[3] == "# gap 5..6 reason=slow", lines[3]
        assert lines[4] == "4 comment u1: *** [risk: contact]", lines[4]
        assert lines[5] == "# reset epoch=ffff from_seq=7 reason=trimmed", lines[5]
        assert "history=5" in fe.paths[0] and "format=pb" in fe.paths[0], fe.paths
        # options override URL parameters instead of duplicating them
        rc, out, err = watch(["--timeout", "3", "--history", "0", "--format", "json", url])
        assert rc == 0
        assert fe.paths[1].count("history=") == 1 and "history=0" in fe.paths[1], fe.paths[1]
        assert fe.paths[1].count("format=") == 1 and "format=json" in fe.paths[1], fe.paths[1]
    finally:
        fe.close()


@test
def test_watch_exit_codes(st):
    fe = FakeEdge()
    try:
        base = "ws://127.0.0.1:%d/v1/rooms/" % fe.port
        rc, out, err = watch(["--timeout", "10", base + "close4429/ws"])
        assert rc == 4 and "4429" in err, (rc, err)
        rc, out, err = watch(["--timeout", "10", base + "close1000/ws"])
        assert rc == 0, (rc, err)
        rc, out, err = watch(["--timeout", "10", "--count", "5", base + "close1000/ws"])
        assert rc == 2, (rc, err)
        rc, out, err = watch(["--count", "1", "--timeout", "1", base + "silent/ws"])
        assert rc == 2 and "timeout" in err, (rc, err)
        rc, out, err = watch(["--check", "--timeout", "3", base + "hole/ws"])
        assert rc == 3 and "seq 4 after 2" in err, (rc, err)
        rc, out, err = watch(["--timeout", "3", base + "hole/ws"])       # no --check: fine
        assert rc == 0, (rc, err)
        rc, out, err = watch(["--check", "--count", "3", "--timeout", "5", base + "gapok/ws"])
        assert rc == 0, (rc, err)   # announced gap is not a hole
        rc, out, err = watch(["--timeout", "3", "http://127.0.0.1:1/x"])
        assert rc == 1
        rc, out, err = watch(["--timeout", "3", "ws://127.0.0.1:%d/v1/rooms/r1/ws" % free_port()])
        assert rc == 1 and "connect" in err, err
    finally:
        fe.close()


if __name__ == "__main__":
    main()

"""edge_client.py — helpers for the edge integration tests: write events the
way the broadcaster's sequencer does (the Redis contract of
docs/ARCHITECTURE.md: meta hash, stream entry <seq>-0 with field e, PUBLISH
"<epoch>:<Event bytes>"), an independent decoder of every edge frame format
(protobuf parsed by hand here, zstd by python3-zstandard), WebSocket viewers on
python3-websockets, and a raw-socket client for malformed frames.
"""
import asyncio, base64, json, os, random, socket, struct, time
import websockets
import zstandard


# -- protobuf by hand (independent of our C code) ---------------------------
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_varint(field, v):
    return varint(field << 3) + varint(v)


def f_bytes(field, b):
    if isinstance(b, str):
        b = b.encode()
    return varint(field << 3 | 2) + varint(len(b)) + b


def pb_parse(buf):
    """-> list of (field, wiretype, value) where value is int or bytes."""
    i, out = 0, []
    while i < len(buf):
        key, i = _rd_varint(buf, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _rd_varint(buf, i)
        elif wt == 2:
            n, i = _rd_varint(buf, i)
            v = bytes(buf[i:i + n])
            if len(v) != n:
                raise ValueError("truncated")
            i += n
        else:
            raise ValueError("wire type %d" % wt)
        out.append((f, wt, v))
    return out


def _rd_varint(b, i):
    shift = n = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        if not c & 0x80:
            return n, i
        shift += 7


MODES = {"scroll": 0, "top": 1, "bottom": 2}
MODE_NAMES = {v: k for k, v in MODES.items()}


def event_bytes(ev, seq, ts_ms):
    """Protobuf danmaku.Event for an event dict (as the edge's JSON shows it)."""
    b = f_varint(1, seq) + f_varint(2, ts_ms) + f_bytes(3, ev["user_id"])
    if "nick" in ev:
        b += f_bytes(4, ev["nick"])
    if ev.get("client_msg_id"):
        b += f_bytes(5, ev["client_msg_id"])
    k = ev["kind"]
    if k == "comment":
        body = (f_bytes(1, ev["text"]) + f_varint(2, ev.get("color", 16777215))
                + f_varint(3, MODES[ev.get("mode", "scroll")]) + f_varint(4, ev.get("size", 25)))
        b += f_bytes(10, body)
    elif k == "gift":
        body = (f_bytes(1, ev["gift_id"]) + f_bytes(2, ev["gift_name"]) + f_varint(3, ev.get("count", 1))
                + f_varint(4, ev.get("unit_value", 0)))
        b += f_bytes(11, body)
    elif k == "like":
        b += f_bytes(12, f_varint(1, ev.get("count", 1)))
    for fl in ev.get("flags", []):
        b += f_bytes(20, fl)
    if ev.get("risk"):
        b += f_bytes(21, ev["risk"])
    return b


def expected_json(ev, seq, ts_ms):
    """The JSON object the edge must send for ev (docs/PROTOCOL.md)."""
    o = {"seq": seq, "kind": ev["kind"], "ts_ms": ts_ms, "user_id": ev["user_id"]}
    if ev["kind"] != "like" or ev.get("nick"):
        o["nick"] = ev.get("nick", "")
    if ev["kind"] == "comment":
        o.update(text=ev["text"], color=ev.get("color", 16777215), mode=ev.get("mode", "scroll"),
                 size=ev.get("size", 25))
    elif ev["kind"] == "gift":
        o.update(gift_id=ev["gift_id"], gift_name=ev["gift_name"], count=ev.get("count", 1),
                 unit_value=ev.get("unit_value", 0))
    elif ev["kind"] == "like":
        o["count"] = ev.get("count", 1)
    if ev.get("client_msg_id"):
        o["client_msg_id"] = ev["client_msg_id"]
    if ev.get("flags"):
        o["flags"] = list(ev["flags"])
    if ev.get("risk"):
        o["risk"] = ev["risk"]
    return o


def pb_event_to_json(b):
    o, body, kind, flags = {}, None, "unknown", []
    for f, wt, v in pb_parse(b):
        if f == 1: o["seq"] = v
        elif f == 2: o["ts_ms"] = v
        elif f == 3: o["user_id"] = v.decode()
        elif f == 4: o["nick"] = v.decode()
        elif f == 5: o["client_msg_id"] = v.decode()
        elif f == 10: kind, body = "comment", v
        elif f == 11: kind, body = "gift", v
        elif f == 12: kind, body = "like", v
        elif f == 20: flags.append(v.decode())
        elif f == 21: o["risk"] = v.decode()
    o["kind"] = kind
    names = {"comment": {1: "text", 2: "color", 3: "mode", 4: "size"},
             "gift": {1: "gift_id", 2: "gift_name", 3: "count", 4: "unit_value"},
             "like": {1: "count"}}.get(kind, {})
    for f, wt, v in pb_parse(body or b""):
        if f in names:
            o[names[f]] = v.decode() if wt == 2 else v
    if "mode" in o:
        o["mode"] = MODE_NAMES[o["mode"]]
    if flags:
        o["flags"] = flags
    return o


def pb_frame_to_json(b):
    (f, wt, v), = pb_parse(b)
    d = {}
    if f == 1:
        d["type"], evs = "batch", []
        for g, _, x in pb_parse(v):
            if g == 1: d["room"] = x.decode()
            elif g == 2: d["epoch"] = x.decode()
            elif g == 3: d["from_seq"] = x
            elif g == 4: d["to_seq"] = x
            elif g == 5: evs.append(pb_event_to_json(x))
        d["events"] = evs
    else:
        d["type"] = "reset" if f == 2 else "gap"
        names = {2: {1: "epoch", 2: "from_seq", 3: "reason", 4: "room"},
                 3: {1: "from_seq", 2: "to_seq", 3: "reason", 4: "room"}}[f]
        for g, wt2, x in pb_parse(v):
            d[names[g]] = x.decode() if wt2 == 2 else x
    return d


class Decoder:
    """Decodes edge messages of one (format, compress) into JSON-shaped dicts."""
    def __init__(self, fmt="json", compress="none", dict_bytes=None):
        self.fmt, self.compress = fmt, compress
        if dict_bytes:
            d = zstandard.ZstdCompressionDict(dict_bytes)
            self.z = zstandard.ZstdDecompressor(dict_data=d)
        else:
            self.z = zstandard.ZstdDecompressor()

    def decode(self, msg):
        if self.compress == "zstd":
            assert isinstance(msg, bytes), "zstd frames must be binary"
            msg = self.z.decompress(msg)
        elif self.fmt == "json":
            assert isinstance(msg, str), "json frames must be text"
            return json.loads(msg)
        else:
            assert isinstance(msg, bytes), "pb frames must be binary"
        if self.fmt == "json":
            return json.loads(msg.decode("utf-8"))
        return pb_frame_to_json(msg)


# -- writing the Redis contract directly ------------------------------------
class Feeder:
    """Sequences events into a room exactly as broadcaster/seq.lua does."""
    def __init__(self, resp, room, retention=10000, epoch=None):
        self.r, self.room, self.retention = resp, room, retention
        self.epoch = epoch or "%016x" % random.getrandbits(64)
        self.sent = []          # expected JSON objects, seq order
        meta = resp.cmd("HMGET", "dm:{%s}:meta" % room, "epoch", "seq")
        if meta[0]:
            self.epoch = meta[0].decode()
            self.seq = int(meta[1] or 0)
        else:
            self.seq = 0
            resp.cmd("HSET", "dm:{%s}:meta" % room, "epoch", self.epoch, "seq", 0)

    def _write(self, ev, publish):
        # one MULTI/EXEC, atomic like the sequencer script: nobody sees the
        # meta seq ahead of the stream
        self.seq += 1
        ts = int(time.time() * 1000)
        b = event_bytes(ev, self.seq, ts)
        self.r.cmd("MULTI")
        self.r.cmd("HSET", "dm:{%s}:meta" % self.room, "seq", self.seq)
        self.r.cmd("XADD", "dm:{%s}:s" % self.room, "MAXLEN", "=", self.retention, "%d-0" % self.seq, "e", b)
        if publish:
            self.r.cmd("PUBLISH", "dm:{%s}:n" % self.room, self.epoch.encode() + b":" + b)
        self.r.cmd("EXEC")
        self.sent.append(expected_json(ev, self.seq, ts))
        return self.seq

    def store(self, ev):
        """Appends to the stream and meta without PUBLISH (a lost notification)."""
        return self._write(ev, False)

    def publish(self, ev):
        return self._write(ev, True)


TEXTS = ["hello", "你好，世界", "emoji 😀🎉👍", 'quotes "double" \'single\' back\\slash',
         "</script><script>alert(1)</script>", "ctl \x01\x02\x1f tab\tnl\n", "line\u2028sep\u2029para",
         "mixed 弹幕 ✨ 🚀 <b>&amp;</b>", "a" * 300]


def sample_event(i):
    k = i % 7
    if k == 5:
        return {"kind": "gift", "user_id": "g%d" % i, "nick": "送礼者%d" % i, "gift_id": "rocket",
                "gift_name": "火箭 🚀", "count": 1 + i % 3, "unit_value": 50000 + i}
    if k == 6:
        return {"kind": "like", "user_id": "l%d" % i, "count": 1 + i % 5}
    ev = {"kind": "comment", "user_id": "u%d" % i, "nick": "nick\"%d\"" % i, "text": TEXTS[i % len(TEXTS)],
          "color": (i * 2654435761) & 0xFFFFFF, "mode": ["scroll", "top", "bottom"][i % 3], "size": 18 + i % 10}
    if i % 4 == 0:
        ev["client_msg_id"] = "m-%d" % i
    if i % 11 == 0:
        ev["flags"] = ["masked"]
        ev["risk"] = "contact"
    return ev


# -- viewers ------------------------------------------------------------------
def ws_url(port, room, **params):
    q = "&".join("%s=%s" % kv for kv in params.items())
    return "ws://127.0.0.1:%d/v1/rooms/%s/ws%s" % (port, room, "?" + q if q else "")


class Viewer:
    """A python3-websockets viewer that decodes and keeps every frame."""
    def __init__(self, port, room, fmt="json", compress="none", dict_bytes=None, **params):
        self.port, self.room, self.fmt, self.compress = port, room, fmt, compress
        self.params = dict(params, format=fmt, compress=compress)
        self.dict_bytes = dict_bytes   # None: fetched from /v1/zstd-dict on connect
        self.dec = Decoder(fmt, compress, dict_bytes)
        self.ws, self.task, self.worker = None, None, None
        self._raw, self._frames = [], []   # received / decoded so far
        self.recv_times = []       # time.time() at which each frame arrived
        self.closed_code = None

    async def connect(self):
        if self.compress == "zstd" and self.dict_bytes is None:
            import http.client
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            c.request("GET", "/v1/zstd-dict?format=" + self.fmt)
            r = c.getresponse()
            body = r.read()
            c.close()
            self.dict_bytes = body if r.status == 200 else b""
            self.dec = Decoder(self.fmt, self.compress, self.dict_bytes or None)
        self.ws = await websockets.connect(ws_url(self.port, self.room, **self.params),
                                           max_size=None, ping_interval=None, open_timeout=10)
        self.worker = self.ws.response_headers.get("X-Edge-Worker")
        self.task = asyncio.ensure_future(self._run())
        return self

    async def _run(self):
        try:
            async for m in self.ws:     # decoding is deferred: keep this loop light
                self.recv_times.append(time.time())
                self._raw.append(m)
        except websockets.ConnectionClosed:
            pass
        self.closed_code = self.ws.close_code

    @property
    def frames(self):
        """Every frame received so far, decoded (lazily, in order)."""
        while len(self._frames) < len(self._raw):
            self._frames.append(self.dec.decode(self._raw[len(self._frames)]))
        return self._frames

    @frames.setter
    def frames(self, value):
        """Only `v.frames = []`: forget what was received so far."""
        assert value == []
        n = len(self._raw)
        del self._raw[:n]
        del self.recv_times[:n]
        self._frames = []

    def events(self):
        out = []
        for f in self.frames:
            if f["type"] == "batch":
                out.extend(f["events"])
        return out

    def seqs(self):
        return [e["seq"] for e in self.events()]

    def max_latency(self):
        """Largest receive time - event ts_ms (the feeder stamps ts_ms)."""
        worst = 0.0
        for t, f in zip(self.recv_times, self.frames):
            for e in f.get("events", []):
                worst = max(worst, t - e["ts_ms"] / 1000.0)
        return worst

    async def wait_seq(self, seq, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            s = self.seqs()
            if s and s[-1] >= seq:
                return
            if self.task.done():
                break
            await asyncio.sleep(0.02)
        raise AssertionError("viewer %s/%s/%s: waited for seq %d, have %s (last frames %r)"
                             % (self.room, self.fmt, self.compress, seq, self.seqs()[-5:], self.frames[-2:]))

    async def wait_for(self, pred, timeout=10, what="condition"):
        end = time.time() + timeout
        while time.time() < end:
            if pred(self):
                return
            if self.task.done():
                break
            await asyncio.sleep(0.02)
        raise AssertionError("viewer %s/%s/%s: timed out waiting for %s (last frames %r)"
                             % (self.room, self.fmt, self.compress, what, self.frames[-3:]))

    async def close(self):
        if self.ws:
            await self.ws.close()
        if self.task:
            await asyncio.wait_for(self.task, 10)


def check_batches(frames, room, epoch):
    """Every batch frame is well formed: from/to match its events."""
    for f in frames:
        if f["type"] != "batch":
            continue
        assert f["room"] == room and f["epoch"] == epoch, f
        assert f["events"] and f["from_seq"] == f["events"][0]["seq"] and f["to_seq"] == f["events"][-1]["seq"], f


# -- raw socket client (for malformed frames) ---------------------------------
class RawWS:
    def __init__(self, port, path, extra=b"", key=None, version=b"13", timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = key if key is not None else base64.b64encode(os.urandom(16))
        req = b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        if key:
            req += b"Sec-WebSocket-Key: " + key + b"\r\n"
        if version:
            req += b"Sec-WebSocket-Version: " + version + b"\r\n"
        self.s.sendall(req + extra + b"\r\n")
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                break
            self.buf += d
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.head = head.decode("latin-1")
        self.status = int(self.head.split(" ")[1]) if self.head else 0

    def send_frame(self, opcode, payload=b"", fin=True, mask=True, rsv=0):
        b0 = (0x80 if fin else 0) | rsv << 4 | opcode
        n = len(payload)
        if n < 126:
            hdr = bytes([b0, (0x80 if mask else 0) | n])
        elif n < 65536:
            hdr = bytes([b0, (0x80 if mask else 0) | 126]) + struct.pack("!H", n)
        else:
            hdr = bytes([b0, (0x80 if mask else 0) | 127]) + struct.pack("!Q", n)
        if mask:
            m = os.urandom(4)
            payload = bytes(c ^ m[i % 4] for i, c in enumerate(payload))
            hdr += m
        self.s.sendall(hdr + payload)

    def read_frame(self):
        """-> (opcode, payload) or None on EOF; the frame's exact bytes
        (header included) stay in self.last_raw."""
        def need(n):
            while len(self.buf) < n:
                d = self.s.recv(65536)
                if not d:
                    return False
                self.buf += d
            return True
        if not need(2):
            return None
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            if not need(4): return None
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            if not need(10): return None
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        if not need(off + n):
            return None
        self.last_raw = self.buf[:off + n]
        p = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return b0 & 0x0F, p

    def read_until_close(self, limit=10000):
        """Reads frames until a close frame; returns (close code, frames before)."""
        frames = []
        for _ in range(limit):
            f = self.read_frame()
            if f is None:
                return None, frames
            if f[0] == 8:
                code = struct.unpack("!H", f[1][:2])[0] if len(f[1]) >= 2 else 1005
                return code, frames
            frames.append(f)
        return None, frames

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

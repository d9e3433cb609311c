"""test_ingest.py — the broadcaster (HTTP ingest) and the Redis sequencer with
real processes: every bad-input class (status, code, nothing sequenced), JSON
and protobuf publishing of each kind (stream entry and PUBLISH checked byte by
byte), keep-alive and pipelining, two broadcasters into one room (gap-free),
idempotent retries, Redis killed and restarted on its AOF, and a broadcaster
SIGKILLed under load (no acknowledged event lost, nothing half-visible)."""
import http.client as httpc
import json, os, signal, socket, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Resp, Stack, http, http_json, main, test, wait_until

JSON_H = {"Content-Type": "application/json"}
PB_H = {"Content-Type": "application/x-protobuf"}


# -- protobuf by hand (edge_client.py's encoder/parser, independent of our C code)
from edge_client import varint as pb_varint, f_varint as pb_uint, f_bytes as pb_str
from edge_client import pb_parse as _pb_list


def pb_parse(b):
    """{field: [values]}: ints for varints, bytes for length-delimited."""
    out = {}
    for f, _wt, v in _pb_list(b):
        out.setdefault(f, []).append(v)
    return out


# -- helpers -------------------------------------------------------------------
def meta(rc, room):
    """(seq, epoch, stream length) of a room; (0, None, 0) if it does not exist."""
    m = rc.cmd("HGETALL", "dm:{%s}:meta" % room)
    d = dict(zip(m[::2], m[1::2]))
    seq = int(d.get(b"seq", 0))
    ep = d.get(b"epoch")
    return seq, ep.decode() if ep else None, rc.cmd("XLEN", "dm:{%s}:s" % room)


def stream(rc, room):
    """[(seq from the ID, Event bytes)] of the whole stream."""
    out = []
    for eid, fields in rc.cmd("XRANGE", "dm:{%s}:s" % room, "-", "+"):
        a, b = eid.decode().split("-")
        assert b == "0" and fields[0] == b"e", (eid, fields[:1])
        out.append((int(a), fields[1]))
    return out


def comment(text, uid="u1", **kw):
    d = {"user_id": uid, "nick": "观众" + uid, "text": text}
    d.update(kw)
    return d


def pub(port, room, kind, body, headers=JSON_H):
    if isinstance(body, (dict, list)):
        body = json.dumps(body, ensure_ascii=False).encode()
    st, h, data = http("POST", port, "/v1/rooms/%s/%s" % (room, kind), body=body, headers=headers)
    return st, h, data


def pub_json(port, room, kind, body, headers=JSON_H):
    st, h, data = pub(port, room, kind, body, headers)
    return st, (json.loads(data) if data else None)


class Sub:
    """A raw RESP subscriber of a room's channel."""
    def __init__(self, port, room):
        self.r = Resp(port)
        rep = self.r.cmd("SUBSCRIBE", "dm:{%s}:n" % room)
        assert rep[0] == b"subscribe", rep

    def next(self):
        m = self.r._read()
        assert m[0] == b"message", m
        return m[2]

    def close(self):
        self.r.close()


# -- bad input ---------------------------------------------------------------------
BAD_CASES = [
    # (name, method, path, body bytes or dict, headers, status, code)
    ("bad_json", "POST", "comments", b'{"user_id":"u1",', JSON_H, 400, "bad_json"),
    ("json_array", "POST", "comments", b'[1,2,3]', JSON_H, 400, "bad_json"),
    ("bad_protobuf", "POST", "comments", b"\x0a\x7fabc", PB_H, 400, "bad_protobuf"),
    ("missing_text", "POST", "comments", {"user_id": "u1", "nick": "n"}, JSON_H, 400, "missing_field"),
    ("missing_user", "POST", "likes", {"count": 1}, JSON_H, 400, "missing_field"),
    ("missing_unit_value", "POST", "gifts", {"user_id": "u", "nick": "n", "gift_id": "g",
                                             "gift_name": "x", "count": 1}, JSON_H, 400, "missing_field"),
    ("mistyped_text", "POST", "comments", comment(5), JSON_H, 400, "bad_field_type"),
    ("mistyped_count", "POST", "likes", {"user_id": "u1", "count": "3"}, JSON_H, 400, "bad_field_type"),
    ("float_size", "POST", "comments", comment("a", size=25.5), JSON_H, 400, "bad_field_type"),
    ("too_large", "POST", "comments", comment("x" * 20000), JSON_H, 413, "body_too_large"),
    ("media_type", "POST", "comments", comment("a"), {"Content-Type": "text/plain"}, 415,
     "unsupported_media_type"),
    ("form_media_type", "POST", "comments", b"a=b",
     {"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
    ("invalid_utf8", "POST", "comments",
     b'{"user_id":"u1","nick":"n","text":"bad \xc3\x28 text"}', JSON_H, 422, "invalid_utf8"),
    ("surrogate_escape", "POST", "comments",
     b'{"user_id":"u1","nick":"n","text":"\\udc00"}', JSON_H, 422, "invalid_utf8"),
    ("invalid_utf8_pb", "POST", "comments",
     pb_str(1, "u1") + pb_str(2, "n") + pb_str(3, b"\xff\xfe"), PB_H, 422, "invalid_utf8"),
    ("empty_text", "POST", "comments", comment(""), JSON_H, 422, "empty_text"),
    ("text_too_long", "POST", "comments", comment("字" * 1001), JSON_H, 422, "text_too_long"),
    ("count_zero", "POST", "gifts", {"user_id": "u", "nick": "n", "gift_id": "g", "gift_name": "x",
                                     "count": 0, "unit_value": 1}, JSON_H, 422, "out_of_range"),
    ("count_huge", "POST", "likes", {"user_id": "u", "count": 10 ** 30}, JSON_H, 422, "out_of_range"),
    ("count_negative", "POST", "likes", {"user_id": "u", "count": -1}, JSON_H, 422, "out_of_range"),
    ("unit_value_huge", "POST", "gifts", {"user_id": "u", "nick": "n", "gift_id": "g",
                                          "gift_name": "x", "count": 1, "unit_value": 10 ** 12 + 1},
     JSON_H, 422, "out_of_range"),
    ("size_range", "POST", "comments", comment("a", size=0), JSON_H, 422, "out_of_range"),
    ("color_range", "POST", "comments", comment("a", color=0x1000000), JSON_H, 422, "out_of_range"),
    ("bad_mode", "POST", "comments", comment("a", mode="sideways"), JSON_H, 422, "out_of_range"),
    ("empty_user", "POST", "comments", comment("a", uid=""), JSON_H, 422, "out_of_range"),
    ("long_user", "POST", "comments", comment("a", uid="u" * 65), JSON_H, 422, "out_of_range"),
    ("long_nick", "POST", "comments", dict(comment("a"), nick="n" * 65), JSON_H, 422, "out_of_range"),
    ("pb_mode_range", "POST", "comments", pb_str(1, "u1") + pb_str(2, "n") + pb_str(3, "a") +
     pb_uint(5, 9), PB_H, 422, "out_of_range"),
    ("bad_cmid", "POST", "comments", comment("a", client_msg_id="a:b"), JSON_H, 422, "bad_value"),
    ("not_found", "POST", "nope", comment("a"), JSON_H, 404, "not_found"),
    ("get_comments", "GET", "comments", None, {}, 405, "method_not_allowed"),
    ("put_likes", "PUT", "likes", {"user_id": "u", "count": 1}, JSON_H, 405, "method_not_allowed"),
]


@test
def test_bad_input_sequences_nothing(st):
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    rc = st.rc()
    s, _ = pub_json(b.port, "r1", "comments", comment("first"))
    assert s == 200
    before = meta(rc, "r1")
    assert before[0] == 1 and before[2] == 1, before
    for name, method, path, body, headers, want_st, want_code in BAD_CASES:
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False).encode()
        status, h, data = http(method, b.port, "/v1/rooms/r1/" + path, body=body, headers=headers)
        assert status == want_st, "%s: status %d, expected %d (%r)" % (name, status, want_st, data)
        assert h.get("content-type", "").startswith("application/json"), (name, h)
        err = json.loads(data)["error"]
        assert err["code"] == want_code and err["message"], "%s: %r" % (name, err)
        if want_st == 405:
            assert h.get("allow") == "POST", (name, h)
        assert meta(rc, "r1") == before, "%s sequenced something: %r" % (name, meta(rc, "r1"))
    # bad room names: 422 and no state created for them
    for room in ("bad.room", "x" * 65, "sp%20ace", "%E6%88%BF"):
        status, _, data = pub(b.port, room, "comments", comment("a"))
        assert status == 422 and json.loads(data)["error"]["code"] == "bad_room", (room, status, data)
    assert rc.cmd("KEYS", "dm:*") == [b"dm:{r1}:meta", b"dm:{r1}:s"] or \
        sorted(rc.cmd("KEYS", "dm:*")) == [b"dm:{r1}:meta", b"dm:{r1}:s"]
    for path, want in (("/", 404), ("/v1/rooms/r1", 404), ("/v1/rooms/r1/comments/", 404),
                       ("/v1/rooms//comments", 422)):
        status, _, _ = http("POST", b.port, path, body=b"{}", headers=JSON_H)
        assert status == want, (path, status)
    status, h, _ = http("POST", b.port, "/healthz")
    assert status == 405 and "GET" in h.get("allow", ""), (status, h)
    assert meta(rc, "r1") == before
    # the next good event gets the very next seq: nothing was consumed
    s, rep = pub_json(b.port, "r1", "comments", comment("second"))
    assert s == 200 and rep["seq"] == 2, rep


@test
def test_limits_are_configurable(st):
    st.redis()
    b = st.broadcaster("--rate-limits", "off", "--max-body", "200", "--max-text-cps", "5")
    rc = st.rc()
    assert pub_json(b.port, "r", "comments", comment("一二三四五"))[0] == 200
    s, rep = pub_json(b.port, "r", "comments", comment("一二三四五六"))
    assert s == 422 and rep["error"]["code"] == "text_too_long", rep
    s, rep = pub_json(b.port, "r", "comments", dict(comment("a"), nick="n" * 200))
    assert s == 413 and rep["error"]["code"] == "body_too_large", rep
    assert meta(rc, "r")[0] == 1


# -- publishing --------------------------------------------------------------------
def check_event(ev, seq, user, nick=None):
    f = pb_parse(ev)
    assert f[1] == [seq], ("seq", f.get(1), seq)
    assert len(f[2]) == 1 and abs(f[2][0] - time.time() * 1000) < 60000, ("ts_ms", f.get(2))
    assert f[3] == [user.encode()]
    if nick is not None:
        assert f[4] == [nick.encode()]
    return f


@test
def test_publish_json_and_protobuf(st):
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    rc = st.rc()
    sub = Sub(st.redis_port, "live")
    text = '前方高能 🎉 "quoted" \\ </script>'
    s, rep = pub_json(b.port, "live", "comments",
                      comment(text, color=0xFF0000, mode="top", size=36, client_msg_id="m1"))
    assert s == 200 and rep["room"] == "live" and rep["seq"] == 1, rep
    assert len(rep["epoch"]) == 16 and int(rep["epoch"], 16) >= 0 and isinstance(rep["ts_ms"], int)
    epoch = rep["epoch"]
    s, rep = pub_json(b.port, "live", "gifts", {"user_id": "u2", "nick": "土豪", "gift_id": "g7",
                                                "gift_name": "小电视", "count": 3, "unit_value": 245000})
    assert s == 200 and rep["seq"] == 2 and rep["epoch"] == epoch, rep
    s, rep = pub_json(b.port, "live", "likes", {"user_id": "u3", "count": 12})
    assert s == 200 and rep["seq"] == 3, rep
    # protobuf requests, JSON and protobuf replies
    creq = pb_str(1, "u4") + pb_str(2, "pb") + pb_str(3, "日本語テキスト") + pb_uint(5, 2)
    s, _, data = pub(b.port, "live", "comments", creq, PB_H)
    assert s == 200 and json.loads(data)["seq"] == 4, data
    greq = pb_str(1, "u5") + pb_str(2, "n") + pb_str(3, "g1") + pb_str(4, "rocket") + \
        pb_uint(5, 2) + pb_uint(6, 10 ** 12)
    s, h, data = pub(b.port, "live", "gifts", greq,
                     dict(PB_H, Accept="application/x-protobuf"))
    assert s == 200 and h["content-type"] == "application/x-protobuf", (s, h)
    r = pb_parse(data)
    assert r[1] == [b"live"] and r[2] == [5] and r[3] == [epoch.encode()] and r[4][0] > 0, r
    s, _, data = pub(b.port, "live", "likes", pb_str(1, "u6") + pb_uint(2, 1000), PB_H)
    assert s == 200 and json.loads(data)["seq"] == 6

    entries = stream(rc, "live")
    assert [e[0] for e in entries] == [1, 2, 3, 4, 5, 6], entries
    f = check_event(entries[0][1], 1, "u1", "观众u1")
    assert f[5] == [b"m1"]
    c = pb_parse(f[10][0])
    assert c[1] == [text.encode()] and c[2] == [0xFF0000] and c[3] == [1] and c[4] == [36], c
    g = pb_parse(check_event(entries[1][1], 2, "u2", "土豪")[11][0])
    assert g == {1: [b"g7"], 2: ["小电视".encode()], 3: [3], 4: [245000]}, g
    assert pb_parse(check_event(entries[2][1], 3, "u3")[12][0]) == {1: [12]}
    c = pb_parse(check_event(entries[3][1], 4, "u4", "pb")[10][0])
    assert c == {1: ["日本語テキスト".encode()], 2: [0xFFFFFF], 3: [2], 4: [25]}, c
    g = pb_parse(check_event(entries[4][1], 5, "u5", "n")[11][0])
    assert g[4] == [10 ** 12]
    assert pb_parse(check_event(entries[5][1], 6, "u6")[12][0]) == {1: [1000]}
    # every event was published once, in order, as "<epoch>:<the stream bytes>"
    for seq, ev in entries:
        msg = sub.next()
        assert msg == epoch.encode() + b":" + ev, (seq, msg[:40])
    sub.close()
    assert meta(rc, "live") == (6, epoch, 6)
    s, rep = http_json("GET", b.port, "/healthz")
    assert s == 200 and rep == {"status": "ok"}, rep


ID_BAD = [
    # (field, value): each is a 400 bad_field_type whose message names the field
    ("user_id", -1), ("user_id", 7.5), ("user_id", 7.0), ("user_id", 2 ** 53),
    ("user_id", 2 ** 64), ("user_id", 10 ** 30), ("gift_id", -7), ("gift_id", 0.5),
    ("gift_id", 2 ** 63 - 1), ("gift_id", 10 ** 25),
]


@test
def test_numeric_ids(st):
    """Issue 9: JSON integer user_id / gift_id are stored and delivered as
    their decimal strings; negatives, reals and integers over 2^53-1 are
    refused with a 400 naming the field, and sequence nothing."""
    import asyncio
    from edge_client import Viewer
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    e = st.edge()
    rc = st.rc()
    gift = {"user_id": 10086, "nick": "土豪", "gift_id": 7, "gift_name": "小电视",
            "count": 1, "unit_value": 100}

    async def run():
        v = await Viewer(e.port, "nid").connect()
        await asyncio.sleep(0.3)              # subscribed before the first publish
        loop = asyncio.get_running_loop()
        acks = []
        for body, kind in ((gift, "gifts"), (dict(gift, user_id="10086", gift_id="7"), "gifts"),
                           ({"user_id": 2 ** 53 - 1, "count": 2}, "likes"),
                           ({"user_id": 0, "nick": "n", "text": "hi"}, "comments")):
            acks.append(await loop.run_in_executor(None, pub_json, b.port, "nid", kind, body))
        assert [a[0] for a in acks] == [200] * 4, acks
        before = meta(rc, "nid")
        for field, value in ID_BAD:
            body = dict(gift, **{field: value})
            bad = json.dumps(body).encode()
            s, rep = await loop.run_in_executor(None, pub_json, b.port, "nid", "gifts", bad)
            assert s == 400 and rep["error"]["code"] == "bad_field_type", (field, value, s, rep)
            assert "'%s'" % field in rep["error"]["message"], (field, value, rep)
        assert meta(rc, "nid") == before
        await v.wait_seq(4)
        await asyncio.sleep(0.2)
        evs = v.events()
        await v.close()
        return evs

    evs = asyncio.run(run())
    assert [x["seq"] for x in evs] == [1, 2, 3, 4], evs
    assert evs[0]["user_id"] == "10086" and evs[0]["gift_id"] == "7", evs[0]
    assert {k: evs[0][k] for k in ("user_id", "gift_id")} == \
        {k: evs[1][k] for k in ("user_id", "gift_id")}
    assert evs[2]["user_id"] == "9007199254740991" and evs[3]["user_id"] == "0", evs[2:]
    entries = stream(rc, "nid")
    assert len(entries) == 4
    g = pb_parse(check_event(entries[0][1], 1, "10086", "土豪")[11][0])
    assert g[1] == [b"7"], g
    # the numeric and string forms give the same stored bytes (but for seq/ts_ms)
    strip = lambda ev: {k: v for k, v in pb_parse(ev).items() if k not in (1, 2)}
    assert strip(entries[0][1]) == strip(entries[1][1])
    check_event(entries[3][1], 4, "0")


@test
def test_retention_caps_stream(st):
    st.redis()
    b = st.broadcaster("--rate-limits", "off", "--retention", "5")
    rc = st.rc()
    c = httpc.HTTPConnection("127.0.0.1", b.port, timeout=10)
    for i in range(12):
        c.request("POST", "/v1/rooms/cap/likes", body=b'{"user_id":"u","count":1}', headers=JSON_H)
        r = c.getresponse()
        assert r.status == 200 and json.loads(r.read())["seq"] == i + 1
    c.close()
    assert [e[0] for e in stream(rc, "cap")] == [8, 9, 10, 11, 12]
    assert meta(rc, "cap")[0] == 12


@test
def test_script_flushed_is_reloaded(st):
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    rc = st.rc()
    assert pub_json(b.port, "nf", "likes", {"user_id": "u", "count": 1})[0] == 200
    for i in range(3):
        assert rc.cmd("SCRIPT", "FLUSH") == "OK"
        s, rep = pub_json(b.port, "nf", "likes", {"user_id": "u", "count": 1})
        assert s == 200 and rep["seq"] == i + 2, (s, rep)
    assert meta(rc, "nf")[0] == 4


@test
def test_sequencer_error_answers_503_and_stores_nothing(st):
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    rc = st.rc()
    for i in range(3):
        assert pub_json(b.port, "bad", "likes", {"user_id": "u", "count": 1})[0] == 200
    rc.cmd("HSET", "dm:{bad}:meta", "seq", 1)        # break the invariant by hand
    s, rep = pub_json(b.port, "bad", "likes", {"user_id": "u", "count": 1, "client_msg_id": "x"})
    assert s == 503 and rep["error"]["code"] == "redis_unavailable", (s, rep)
    assert rc.cmd("EXISTS", "dm:{bad}:dd:u:x") == 0, "dedupe claim left behind"
    seq, _, xlen = meta(rc, "bad")
    assert seq == 1 and xlen == 3, (seq, xlen)
    rc.cmd("HSET", "dm:{bad}:meta", "seq", 3)
    s, rep = pub_json(b.port, "bad", "likes", {"user_id": "u", "count": 1, "client_msg_id": "x"})
    assert s == 200 and rep["seq"] == 4 and "duplicate" not in rep, rep
    assert http("GET", b.port, "/healthz")[0] == 200


# -- connections -------------------------------------------------------------------
def raw_req(room, body, extra=b""):
    b = json.dumps(body, ensure_ascii=False).encode() if isinstance(body, dict) else body
    return (b"POST /v1/rooms/%s/comments HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"%sContent-Length: %d\r\n\r\n" % (room.encode(), extra, len(b))) + b


def read_responses(sock, n, timeout=10):
    """Reads n HTTP responses from a socket: [(status, headers, body)]."""
    sock.settimeout(timeout)
    buf, out = b"", []
    while len(out) < n:
        while b"\r\n\r\n" not in buf:
            d = sock.recv(65536)
            assert d, "connection closed after %d responses" % len(out)
            buf += d
        head, rest = buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        n_body = int(hdrs.get("content-length", 0))
        while len(rest) < n_body:
            d = sock.recv(65536)
            assert d, "connection closed in a body"
            rest += d
        out.append((status, hdrs, rest[:n_body]))
        buf = rest[n_body:]
    return out, buf


@test
def test_keepalive_and_pipelining(st):
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    # many requests on one keep-alive connection
    c = httpc.HTTPConnection("127.0.0.1", b.port, timeout=10)
    for i in range(200):
        c.request("POST", "/v1/rooms/ka/comments", body=json.dumps(comment("ka %d" % i)).encode(),
                  headers=JSON_H)
        r = c.getresponse()
        assert r.status == 200 and json.loads(r.read())["seq"] == i + 1
        assert r.getheader("connection", "keep-alive").lower() == "keep-alive"
    c.close()
    # pipelined: good and bad requests in one write, answered in order
    s = socket.create_connection(("127.0.0.1", b.port))
    reqs, want = b"", []
    for i in range(60):
        if i % 3 == 1:
            reqs += raw_req("pl", comment(""))
            want.append(("err", "empty_text"))
        elif i % 7 == 3:
            reqs += b"GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n"
            want.append(("err", "not_found"))
        else:
            reqs += raw_req("pl", comment("pipe %d" % i, client_msg_id="p%d" % i))
            want.append(("ok", None))
    s.sendall(reqs)
    resps, _ = read_responses(s, len(want))
    seq = 0
    for (kind, code), (status, hdrs, body) in zip(want, resps):
        d = json.loads(body)
        if kind == "ok":
            seq += 1
            assert status == 200 and d["seq"] == seq, (status, d, seq)
        else:
            assert d["error"]["code"] == code, d
    # byte-at-a-time delivery of a request, then Connection: close
    one = raw_req("pl", comment("slow"), b"Connection: close\r\n")
    for i in range(len(one)):
        s.send(one[i:i + 1])
    (resp,), rest = read_responses(s, 1)
    assert resp[0] == 200 and json.loads(resp[2])["seq"] == seq + 1, resp
    assert resp[1].get("connection") == "close"
    s.settimeout(5)
    assert rest == b"" and s.recv(100) == b"", "connection not closed after Connection: close"
    s.close()
    # Expect: 100-continue gets an interim response before the body is sent
    s = socket.create_connection(("127.0.0.1", b.port))
    body = json.dumps(comment("expect")).encode()
    s.sendall(b"POST /v1/rooms/pl/comments HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
              b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
    s.settimeout(5)
    assert s.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    s.sendall(body)
    (resp,), _ = read_responses(s, 1)
    assert resp[0] == 200, resp
    # a malformed request line: 400 and the connection is closed
    s.sendall(b"BLAH\r\n\r\n")
    (resp,), _ = read_responses(s, 1)
    assert resp[0] == 400 and json.loads(resp[2])["error"]["code"] == "bad_request", resp
    assert s.recv(100) == b""
    s.close()
    # chunked bodies (extension, trailer, split across writes) followed by a pipelined request
    s = socket.create_connection(("127.0.0.1", b.port))
    body = json.dumps(comment("chunked 分块", client_msg_id="ch-1"), ensure_ascii=False).encode()
    chunked = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7])
                       for i in range(0, len(body), 7)) + b"0\r\nX-Trailer: 1\r\n\r\n"
    msg = (b"POST /v1/rooms/ch/comments HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n" + chunked + b"GET /healthz HTTP/1.1\r\n\r\n")
    for i in range(0, len(msg), 13):
        s.send(msg[i:i + 13])
        time.sleep(0.001)
    resps, _ = read_responses(s, 2)
    assert resps[0][0] == 200 and json.loads(resps[0][2])["seq"] == 1, resps[0]
    assert resps[1][0] == 200 and json.loads(resps[1][2]) == {"status": "ok"}, resps[1]
    ev = stream(st.rc(), "ch")[0][1]
    assert pb_parse(pb_parse(ev)[10][0])[1] == ["chunked 分块".encode()]
    # an oversized chunked body: 413, closed; a malformed one: 400, closed
    for payload, want in ((b"4000\r\n" + b"x" * 0x4000 + b"\r\n" + b"10\r\n" + b"y" * 16 + b"\r\n0\r\n\r\n", 413),
                          (b"zz\r\nabc\r\n0\r\n\r\n", 400)):
        s = socket.create_connection(("127.0.0.1", b.port))
        s.sendall(b"POST /v1/rooms/ch/comments HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + payload)
        (resp,), _ = read_responses(s, 1)
        assert resp[0] == want and resp[1].get("connection") == "close", resp
        s.close()
    assert meta(st.rc(), "ch")[0] == 1
    # HTTP/1.0 closes after the answer unless it asks for keep-alive
    s = socket.create_connection(("127.0.0.1", b.port))
    s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
    (resp,), rest = read_responses(s, 1)
    assert resp[0] == 200 and resp[1].get("connection") == "close" and s.recv(10) == b""
    s.close()
    s = socket.create_connection(("127.0.0.1", b.port))
    s.sendall(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" * 2)
    resps, _ = read_responses(s, 2)
    assert [r[0] for r in resps] == [200, 200] and resps[0][1].get("connection") == "keep-alive"
    s.close()
    # a client that vanishes with a request in flight does not disturb others
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", b.port))
        s.sendall(raw_req("pl", comment("gone")))
        s.close()
    rc = st.rc()
    wait_until(lambda: meta(rc, "pl")[0] == meta(rc, "pl")[2], 5)
    assert http("GET", b.port, "/healthz")[0] == 200


@test
def test_deep_pipelining_in_order(st):
    """Issue 16: one connection sends 1,500 requests in one go (several rooms,
    bad ones, and an admin mute in the middle); every one is answered, in
    request order, each room's seqs are 1..N in request order, and the mute
    applies exactly from its position on (publishes before it pass, the
    muted user's later ones get 403)."""
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    rc = st.rc()
    reqs, want = [], []
    n = 1500
    for i in range(n):
        room = "dp%d" % (i % 5)
        if i == n // 2:
            reqs.append(b"PUT /v1/rooms/dp1/mutes/mu HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
            want.append(("admin", None))
        elif i % 97 == 5:
            reqs.append(raw_req(room, b'{"user_id":'))
            want.append(("err", "bad_json"))
        elif i % 5 == 1 and i % 2 == 0:
            reqs.append(raw_req(room, comment("m %d" % i, uid="mu")))
            want.append(("muted" if i > n // 2 else "ok", room))
        else:
            reqs.append(raw_req(room, comment("p %d" % i, uid="u%d" % (i % 13))))
            want.append(("ok", room))
    s = socket.create_connection(("127.0.0.1", b.port))
    s.sendall(b"".join(reqs))
    resps, rest = read_responses(s, len(want), timeout=30)
    s.close()
    assert rest == b""
    seqs, ids = {}, []
    for i, ((kind, room), (status, hdrs, body)) in enumerate(zip(want, resps)):
        d = json.loads(body)
        ids.append(int(hdrs["x-request-id"]))
        if kind == "ok":
            seqs[room] = seqs.get(room, 0) + 1
            assert status == 200 and d["room"] == room and d["seq"] == seqs[room], (i, status, d)
        elif kind == "muted":
            assert status == 403 and d["error"]["code"] == "muted", (i, status, d)
        elif kind == "admin":
            assert status == 200 and d["muted"] is True, (i, status, d)
        else:
            assert status == 400 and d["error"]["code"] == room, (i, status, d)
    assert ids == sorted(ids) and len(set(ids)) == len(ids), "answers out of request order"
    for room, last in seqs.items():
        assert meta(rc, room)[0] == last and meta(rc, room)[2] == last, (room, meta(rc, room))


def garbage_inputs(rnd):
    """Malformed and hostile HTTP inputs, each for its own connection."""
    good = raw_req("g", comment("ok"))
    out = [b"\r\n\r\n", b"GET\r\n\r\n", b"POST /v1/rooms/g/comments HTTP/9.9\r\n\r\n",
           b"POST /v1/rooms/g/comments HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
           b"POST /v1/rooms/g/comments HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
           b"POST /v1/rooms/g/comments HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
           b"POST /v1/rooms/g/comments HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
           b"POST /v1/rooms/g/comments HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
           b"X" * 9000, b"GET /healthz HTTP/1.1\r\n" + b"H: v\r\n" * 100 + b"\r\n",
           b"\x00\xff" * 50, good[:len(good) // 2], good[:-3]]
    for _ in range(120):
        b = bytearray(good)
        for _ in range(rnd.randrange(1, 6)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        out.append(bytes(b))
    return out


@test
def test_garbage_does_not_disturb_others(st):
    import random
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    rc = st.rc()
    acks, errors = [], []
    items = [comment("steady %d" % i, client_msg_id="s%d" % i) for i in range(300)]
    t = threading.Thread(target=publisher, args=(b.port, "steady", items, acks, errors))
    t.start()
    for data in garbage_inputs(random.Random(11)):
        s = socket.create_connection(("127.0.0.1", b.port))
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(5)
            while s.recv(65536):
                pass
        except OSError:
            pass
        s.close()
    t.join(60)
    assert not errors and len(acks) == 300, errors[:3]
    check_gapfree(rc, "steady", acks, 300)
    assert http("GET", b.port, "/healthz")[0] == 200

# -- concurrency -------------------------------------------------------------------
def publisher(port, room, items, acks, errors, kind="comments"):
    c = httpc.HTTPConnection("127.0.0.1", port, timeout=30)
    for body in items:
        try:
            c.request("POST", "/v1/rooms/%s/%s" % (room, kind), body=json.dumps(body).encode(),
                      headers=JSON_H)
            r = c.getresponse()
            data = r.read()
        except (OSError, httpc.HTTPException) as e:
            errors.append(repr(e))
            c.close()
            c = httpc.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        if r.status == 200:
            acks.append((json.loads(data), body))
        else:
            errors.append((r.status, data))
    c.close()


def check_gapfree(rc, room, acks, n):
    entries = stream(rc, room)
    assert [e[0] for e in entries] == list(range(1, n + 1)), "stream not 1..%d" % n
    by_seq = {rep["seq"]: body for rep, body in acks}
    assert sorted(by_seq) == list(range(1, n + 1)), "acked seqs not 1..%d each once" % n
    for seq, ev in entries:
        f = pb_parse(ev)
        assert f[1] == [seq]
        assert pb_parse(f[10][0])[1] == [by_seq[seq]["text"].encode()], seq
    assert meta(rc, room)[0] == n


@test
def test_two_broadcasters_one_room_gapfree(st):
    st.redis()
    bs = [st.broadcaster("--rate-limits", "off"), st.broadcaster("--rate-limits", "off")]
    rc = st.rc()
    acks, errors, threads = [], [], []
    per = 150
    for i in range(8):
        items = [comment("b%d t%d #%d 弹幕" % (i % 2, i, k), uid="u%d" % i, client_msg_id="t%d-%d" % (i, k))
                 for k in range(per)]
        threads.append(threading.Thread(target=publisher,
                                        args=(bs[i % 2].port, "shared", items, acks, errors)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:5]
    assert len(acks) == 8 * per
    check_gapfree(rc, "shared", acks, 8 * per)
    epochs = {rep["epoch"] for rep, _ in acks}
    assert len(epochs) == 1, epochs


@test
def test_two_broadcasters_many_rooms_gapfree(st):
    """Batches mixing rooms: every room still gets its own gap-free 1..N."""
    st.redis()
    bs = [st.broadcaster("--rate-limits", "off"), st.broadcaster("--rate-limits", "off")]
    rc = st.rc()
    rooms = ["m-%d" % i for i in range(5)]
    results = {r: ([], []) for r in rooms}
    threads = []
    for i in range(10):
        room = rooms[i % len(rooms)]
        items = [comment("room %s t%d #%d" % (room, i, k), uid="u%d" % i) for k in range(60)]
        acks, errors = results[room]
        threads.append(threading.Thread(target=publisher,
                                        args=(bs[i % 2].port, room, items, acks, errors)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    epochs = set()
    for room, (acks, errors) in results.items():
        assert not errors, errors[:3]
        check_gapfree(rc, room, acks, 120)
        epochs |= {rep["epoch"] for rep, _ in acks}
    assert len(epochs) == len(rooms), "rooms must have distinct epochs: %r" % epochs


def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(x) for x in f.read().split()]


def accepted_by(log):
    """Worker contexts ("w0", "w1") of the connection-accepted debug lines."""
    with open(log, encoding="utf-8", errors="replace") as f:
        return [l.split()[2] for l in f if "conn: peer=" in l and "accepted" in l]


@test
def test_workers_serve_and_stay_gapfree(st):
    """Issue 10: --workers 2 forks two serving processes on one port (each
    with its own SO_REUSEPORT listener, loop and Redis link); both accept
    connections, a room published to through both stays gap-free, a worker
    that is SIGKILLed is restarted by the supervisor, and SIGTERM stops all."""
    st.redis()
    b = st.broadcaster("--rate-limits", "off", "--workers", "2", "--log-level", "debug")
    rc = st.rc()
    wait_until(lambda: len(children(b.pid)) == 2, 10, what="two workers")

    def load(tag, nthreads, per, conns_each):
        acks, errors, threads = [], [], []
        for i in range(nthreads):
            for k in range(conns_each):      # a fresh connection per slice: spread over workers
                items = [comment("%s t%d c%d #%d" % (tag, i, k, j), uid="u%d" % i)
                         for j in range(per)]
                threads.append(threading.Thread(target=publisher,
                                                args=(b.port, "wk", items, acks, errors)))
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors[:5]
        return acks

    acks = load("a", 8, 40, 3)
    check_gapfree(rc, "wk", acks, len(acks))
    who = accepted_by(b.log)
    assert len(who) >= 24 and {"w0", "w1"} <= set(who), sorted(set(who))
    # a worker dies: the other goes on serving, the supervisor restarts it
    old = children(b.pid)
    os.kill(old[0], signal.SIGKILL)
    wait_until(lambda: len(children(b.pid)) == 2 and old[0] not in children(b.pid), 10,
               what="worker restarted")
    new = [p for p in children(b.pid) if p not in old][0]

    def linked():       # the new worker's Redis link is up (until then it answers 503)
        with open(b.log, encoding="utf-8", errors="replace") as f:
            return any("[%d]" % new in l and "sequencer script" in l for l in f)
    wait_until(linked, 10, what="restarted worker linked to Redis")
    acks += load("b", 8, 30, 2)
    check_gapfree(rc, "wk", acks, len(acks))
    with open(b.log, encoding="utf-8", errors="replace") as f:
        assert any("[%d]" % new in l and "accepted" in l for l in f), "restarted worker idle"
    assert b.alive()


@test
def test_many_connections_full_batches(st):
    """Hundreds of requests ready in one loop iteration: full batches of 64
    go out at once, the rest at idle; every request answered, gap-free."""
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    rc = st.rc()
    socks = [socket.create_connection(("127.0.0.1", b.port)) for _ in range(300)]
    for rnd in range(3):
        for i, s in enumerate(socks):
            s.sendall(raw_req("fb", comment("r%d c%d" % (rnd, i), client_msg_id="r%d-%d" % (rnd, i))))
        for s in socks:
            (resp,), _ = read_responses(s, 1)
            assert resp[0] == 200, resp
    for s in socks:
        s.close()
    entries = stream(rc, "fb")
    assert [e[0] for e in entries] == list(range(1, 901))
    texts = {pb_parse(pb_parse(ev)[10][0])[1][0] for _, ev in entries}
    assert len(texts) == 900


@test
def test_idempotent_retries(st):
    st.redis()
    b = st.broadcaster("--rate-limits", "off", "--dedupe-window", "2")
    b2 = st.broadcaster("--rate-limits", "off", "--dedupe-window", "2")
    rc = st.rc()
    s, first = pub_json(b.port, "idem", "comments", comment("once", client_msg_id="abc-1"))
    assert s == 200 and first["seq"] == 1 and "duplicate" not in first
    for port in (b.port, b2.port, b.port):     # retries, through either broadcaster
        st_, h, data = pub(port, "idem", "comments", comment("once", client_msg_id="abc-1"))
        rep = json.loads(data)
        assert st_ == 200 and rep["duplicate"] is True and h.get("dm-duplicate") == "true", rep
        assert (rep["seq"], rep["epoch"], rep["ts_ms"]) == (first["seq"], first["epoch"], first["ts_ms"])
    assert meta(rc, "idem") == (1, first["epoch"], 1)
    # protobuf reply of a duplicate carries the original seq too
    s, h, data = pub(b.port, "idem", "comments", comment("once", client_msg_id="abc-1"),
                     dict(JSON_H, Accept="application/x-protobuf"))
    assert s == 200 and pb_parse(data)[2] == [1] and h.get("dm-duplicate") == "true"
    # other user, same id -> new event; same user, other room -> new event; no id -> new event
    s, rep = pub_json(b.port, "idem", "comments", comment("other", uid="u2", client_msg_id="abc-1"))
    assert s == 200 and rep["seq"] == 2 and "duplicate" not in rep
    s, rep = pub_json(b.port, "idem2", "comments", comment("room", client_msg_id="abc-1"))
    assert s == 200 and rep["seq"] == 1 and "duplicate" not in rep
    for i in range(2):
        s, rep = pub_json(b.port, "idem", "likes", {"user_id": "u1", "count": 1})
        assert s == 200 and rep["seq"] == 3 + i
    # gifts and likes dedupe as well
    g = {"user_id": "u9", "nick": "n", "gift_id": "g", "gift_name": "x", "count": 1,
         "unit_value": 5, "client_msg_id": "gift-1"}
    s1, r1 = pub_json(b.port, "idem", "gifts", g)
    s2, r2 = pub_json(b2.port, "idem", "gifts", g)
    assert s1 == s2 == 200 and r1["seq"] == r2["seq"] == 5 and r2["duplicate"], (r1, r2)
    assert meta(rc, "idem")[0] == 5
    ttl = rc.cmd("TTL", "dm:{idem}:dd:u1:abc-1")
    assert 0 < ttl <= 2, ttl
    # after the window the same id is a new event
    time.sleep(2.5)
    s, rep = pub_json(b.port, "idem", "comments", comment("once", client_msg_id="abc-1"))
    assert s == 200 and rep["seq"] == 6 and "duplicate" not in rep, rep


# -- faults ------------------------------------------------------------------------
class Load:
    """Publishing threads that keep going until stopped, recording every
    answer: acks (200) with their bodies, and other statuses."""
    def __init__(self, port, room, n_threads=4, prefix="L"):
        self.port, self.room, self.stop_flag = port, room, False
        self.acks, self.statuses, self.sent = [], [], []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=("%s%d" % (prefix, i),))
                        for i in range(n_threads)]
        for t in self.threads:
            t.start()

    def run(self, name):
        c, k = None, 0
        while not self.stop_flag and k < 100000:
            body = comment("%s-%d load" % (name, k), uid=name, client_msg_id="%s-%d" % (name, k))
            k += 1
            try:
                if c is None:
                    c = httpc.HTTPConnection("127.0.0.1", self.port, timeout=15)
                c.request("POST", "/v1/rooms/%s/comments" % self.room, body=json.dumps(body).encode(),
                          headers=JSON_H)
                r = c.getresponse()
                data = r.read()
                st = r.status
            except (OSError, httpc.HTTPException):
                st, data = 0, b""
                if c:
                    c.close()
                c = None
                time.sleep(0.02)
            with self.lock:
                self.sent.append(body)
                self.statuses.append(st)
                if st == 200:
                    self.acks.append((json.loads(data), body))
            if st not in (0, 200):
                time.sleep(0.01)
        if c:
            c.close()

    def stop(self):
        self.stop_flag = True
        for t in self.threads:
            t.join(60)


def check_acked_once(rc, room, acks):
    """Every acked event is in the stream exactly once at its seq; the stream is
    gap-free 1..N and its last ID equals the room's seq counter."""
    entries = stream(rc, room)
    seq_ctr, _, xlen = meta(rc, room)
    ids = [e[0] for e in entries]
    assert ids == list(range(1, len(ids) + 1)), "stream has gaps"
    assert seq_ctr == len(ids) == xlen, (seq_ctr, len(ids), xlen)
    texts = {}
    for seq, ev in entries:
        f = pb_parse(ev)
        assert f[1] == [seq], "entry %d carries seq %r" % (seq, f.get(1))
        t = pb_parse(f[10][0])[1][0].decode()
        assert t not in texts, "event %r stored twice (seq %d and %d)" % (t, texts[t], seq)
        texts[t] = seq
    for rep, body in acks:
        assert texts.get(body["text"]) == rep["seq"], "acked %r (seq %d) not in the stream" % (
            body["text"], rep["seq"])
    return texts


@test
def test_redis_killed_and_restarted(st):
    r = st.redis(appendonly=True)
    port = r.port
    b = st.broadcaster("--rate-limits", "off")
    rc = st.rc()
    s, first = pub_json(b.port, "f", "comments", comment("before"))
    assert s == 200
    load = Load(b.port, "f")
    time.sleep(1.0)
    r.kill()
    # within a moment: publishes answer 503 and healthz turns 503
    wait_until(lambda: http("GET", b.port, "/healthz")[0] == 503, 5, what="healthz 503")
    s, rep = pub_json(b.port, "f", "comments", comment("while down"))
    assert s == 503 and rep["error"]["code"] == "redis_unavailable", (s, rep)
    s, rep = http_json("GET", b.port, "/healthz")
    assert s == 503 and rep["error"]["code"] == "redis_unavailable", rep
    time.sleep(0.5)
    n_down = len(load.statuses)
    st.redis(port=port, appendonly=True)        # same port, same data dir (AOF)
    wait_until(lambda: http("GET", b.port, "/healthz")[0] == 200, 10, what="broadcaster reconnect")
    time.sleep(1.0)
    load.stop()
    assert set(load.statuses) <= {200, 503}, set(load.statuses)
    assert 503 in load.statuses[:n_down + 1] or 503 in load.statuses
    assert load.statuses[-1] == 200, "publishing did not recover"
    rc = st.rc()
    check_acked_once(rc, "f", load.acks + [(first, comment("before"))])
    # same data: same epoch, the seq went on
    seq, epoch, _ = meta(rc, "f")
    assert epoch == first["epoch"] and seq >= len(load.acks) + 1
    s, rep = pub_json(b.port, "f", "comments", comment("after"))
    assert s == 200 and rep["seq"] == seq + 1 and rep["epoch"] == first["epoch"]
    # retrying every event that got a 503 with the same client_msg_id stores
    # each exactly once (idempotency across the outage)
    acked = {body["client_msg_id"] for _, body in load.acks}
    retry = [body for body in load.sent if body["client_msg_id"] not in acked]
    print("# redis kill: %d acked, %d answered 503, %d retried" % (
        len(load.acks), load.statuses.count(503), len(retry)))
    errors, racks = [], []
    publisher(b.port, "f", retry, racks, errors)
    assert not errors, errors[:3]
    check_acked_once(rc, "f", load.acks + racks)


@test
def test_redis_restarted_empty_new_epoch(st):
    r = st.redis()
    port = r.port
    b = st.broadcaster("--rate-limits", "off")
    s, first = pub_json(b.port, "e", "comments", comment("old life"))
    assert s == 200 and first["seq"] == 1
    r.kill()
    wait_until(lambda: http("GET", b.port, "/healthz")[0] == 503, 5, what="healthz 503")
    import shutil
    shutil.rmtree(os.path.join(st.dir, "redis-%d" % port), ignore_errors=True)
    st.redis(port=port)
    wait_until(lambda: http("GET", b.port, "/healthz")[0] == 200, 10, what="reconnect")
    s, rep = pub_json(b.port, "e", "comments", comment("new life"))
    assert s == 200 and rep["seq"] == 1 and rep["epoch"] != first["epoch"], (first, rep)


@test
def test_broadcaster_sigkill_under_load(st):
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    rc = st.rc()
    load = Load(b.port, "k", n_threads=6)
    wait_until(lambda: len(load.acks) > 300, 20, what="load")
    b.kill()
    time.sleep(0.3)
    load.stop()
    # nothing half-visible: gap-free, every entry carries its seq, counter == last ID,
    # every acknowledged event present exactly once
    stored = check_acked_once(rc, "k", load.acks)
    assert len(stored) >= len(load.acks)
    # a fresh broadcaster; clients retry what got no answer, with the same ids
    b2 = st.broadcaster("--rate-limits", "off")
    acked = {body["client_msg_id"] for _, body in load.acks}
    retry = [body for body in load.sent if body["client_msg_id"] not in acked]
    racks, errors = [], []
    print("# sigkill: %d acked, %d stored, %d unanswered (%d of them stored) retried" % (
        len(load.acks), len(stored), len(retry), len(stored) - len(load.acks)))
    publisher(b2.port, "k", retry, racks, errors)
    assert not errors, errors[:3]
    texts = check_acked_once(rc, "k", load.acks + racks)
    assert set(texts) == {body["text"] for body in load.sent}


@test
def test_sigterm_under_load_exits_clean(st):
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    rc = st.rc()
    load = Load(b.port, "t", n_threads=6)
    wait_until(lambda: len(load.acks) > 200, 20, what="load")
    assert b.stop() == 0, "broadcaster did not exit 0 on SIGTERM under load"
    load.stop()
    assert set(load.statuses) <= {0, 200, 503}, set(load.statuses)
    check_acked_once(rc, "t", load.acks)


@test
def test_redis_stalled_answers_503(st):
    r = st.redis()
    b = st.broadcaster("--rate-limits", "off")
    assert pub_json(b.port, "s", "likes", {"user_id": "u", "count": 1})[0] == 200
    r.signal(signal.SIGSTOP)
    try:
        t0 = time.time()
        st_, _, data = pub(b.port, "s", "likes", {"user_id": "u", "count": 1, "client_msg_id": "z"})
        waited = time.time() - t0
        assert st_ == 503 and json.loads(data)["error"]["code"] == "redis_unavailable", (st_, data)
        assert 4 < waited < 9.5, waited
        assert http("GET", b.port, "/healthz")[0] == 503
    finally:
        r.signal(signal.SIGCONT)
    wait_until(lambda: http("GET", b.port, "/healthz")[0] == 200, 15, what="reconnect")
    # the stalled call may or may not have run: the retry settles it, once
    s, rep = pub_json(b.port, "s", "likes", {"user_id": "u", "count": 1, "client_msg_id": "z"})
    assert s == 200 and rep["seq"] == 2, rep
    assert meta(st.rc(), "s")[0] == 2

if __name__ == "__main__":
    main()

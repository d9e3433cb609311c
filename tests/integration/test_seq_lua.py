"""test_seq_lua.py — the sequencer script (broadcaster/seq.lua with
limits.lua spliced in, as bc_seq.c loads it) against a real redis-server:
key names as in common/keys.h, the flat reply, seq/ts_ms appended as
protobuf varints, per-call snapshots of buckets and dedupe claims, and the
invariant "HGET meta seq == last stream ID" when a call fails half-way."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Resp, test, main, ROOT  # noqa: E402
from keyfmt import key  # noqa: E402


def _script():
    seq = open(os.path.join(ROOT, "broadcaster", "seq.lua")).read()
    lim = open(os.path.join(ROOT, "broadcaster", "limits.lua")).read()
    mark = "--@@LIMITS@@\n"
    i, j = seq.index(mark), lim.index("-- Standalone entry")
    return seq[:i] + lim[:j] + seq[i + len(mark):]


SCRIPT = _script()
EV = b"\x1a\x03abc"                       # any protobuf bytes without fields 1, 2
NOLIM = "0 0 0 0"


def call(r, events, retention=100, window=60, F=6):
    """events: (room, kind, user, cmid, ev, limits); returns one tuple per event."""
    args = ["EVAL", SCRIPT, 0, retention, window, "0123456789abcdef", F, len(events)]
    for e in events:
        args += list(e)[:F]
    out = r.cmd(*args)
    assert len(out) == 4 * len(events), out
    return [(out[i].decode(), out[i + 1], out[i + 2].decode(), out[i + 3])
            for i in range(0, len(out), 4)]


def ev(room, user="u1", cmid="", limits=NOLIM, kind="c", body=EV):
    return (room, kind, user, cmid, body, limits)


def call_fails(r, events, text):
    """The call returns an error reply containing text."""
    try:
        call(r, events)
    except RuntimeError as e:
        assert text in str(e), e
    else:
        raise AssertionError("the call did not fail with " + text)


def varint(n):
    out = b""
    while n >= 128:
        out += bytes([n % 128 + 128])
        n //= 128
    return out + bytes([n])


def last_id(r, room):
    x = r.cmd("XREVRANGE", key("STREAM", room=room), "+", "-", "COUNT", 1)
    return x[0][0].decode() if x else None


def meta_seq(r, room):
    v = r.cmd("HGET", key("META", room=room), "seq")
    return v.decode() if v is not None else None


@test
def test_keys_and_reply(st):
    st.redis()
    r = st.rc()
    sub = Resp(st.redis_port)
    sub.cmd("SUBSCRIBE", key("CHANNEL", room="r1"))
    res = call(r, [ev("r1", cmid="m1", limits="20 30000 60 30000"), ev("r2"), ev("r1")])
    (s1, q1, e1, ts), (s2, q2, e2, _), (s3, q3, e3, _) = res
    assert (s1, q1, s2, q2, s3, q3) == ("ok", 1, "ok", 1, "ok", 2), res
    assert e1 == e3 != e2 and len(e1) == 16, res
    h = r.cmd("HGETALL", key("META", room="r1"))
    assert dict(zip(h[::2], h[1::2])) == {b"epoch": e1.encode(), b"seq": b"2"}, h
    assert last_id(r, "r1") == "2-0" and last_id(r, "r2") == "1-0"
    assert r.cmd("GET", key("DEDUPE", room="r1", user="u1", cmid="m1")) == \
        ("1:%s:%d" % (e1, ts)).encode()
    assert r.cmd("TYPE", key("ROOM_BUCKET", room="r1", kind="c", user="u1")) == "string"
    assert r.cmd("TYPE", key("USER_BUCKET", kind="c", user="u1")) == "string"
    entry = r.cmd("XRANGE", key("STREAM", room="r1"), "1-0", "1-0")[0][1]
    assert entry == [b"e", EV + b"\x08\x01\x10" + varint(ts)], entry
    msg = sub._read()
    assert msg[0] == b"message" and msg[2] == e1.encode() + b":" + entry[1], msg


@test
def test_global_keys_carry_user_tag(st):
    st.redis()
    r = st.rc()
    r.cmd("SET", key("BAN", user="u7"), "1")
    r.cmd("SET", key("MUTE", room="r1", user="u8"), "1", "PX", 5000)
    res = call(r, [ev("r1", user="u7", cmid="a"), ev("r1", user="u8", cmid="b"), ev("r1", user="u9")])
    assert res[0] == ("banned", -1, "", 0), res
    assert res[1][0] == "muted" and 0 < res[1][1] <= 5000, res
    assert res[2][:2] == ("ok", 1), res
    # refused events release their claims and store nothing
    assert r.cmd("EXISTS", key("DEDUPE", room="r1", user="u7", cmid="a")) == 0
    r.cmd("DEL", key("BAN", user="u7"))
    assert call(r, [ev("r1", user="u7", cmid="a")])[0][:2] == ("ok", 2)


@test
def test_one_call_sees_its_own_writes(st):
    st.redis()
    r = st.rc()
    # two of a user's events in one call draw on the same bucket
    lim = "2 30000 0 0"
    res = call(r, [ev("r1", limits=lim), ev("r1", limits=lim), ev("r1", limits=lim)])
    assert [x[0] for x in res] == ["ok", "ok", "limited"], res
    assert 1 <= res[2][1] <= 15000, res
    # a retry inside the same call is a dup of the first, uncharged
    res = call(r, [ev("r2", cmid="x", limits="1 30000 0 0"), ev("r2", cmid="x", limits="1 30000 0 0")])
    assert res[0][:2] == ("ok", 1) and res[1][:3] == ("dup", 1, res[0][2]), res
    # slow mode read once per call still applies to every event of the room
    r.cmd("HSET", key("LIMITS", room="r3"), "c", "1/10000")
    res = call(r, [ev("r3", user="a", limits="20 30000 0 0"), ev("r3", user="a", limits="20 30000 0 0"),
                   ev("r4", user="a", limits="20 30000 0 0")])
    assert [x[0] for x in res] == ["ok", "limited", "ok"], res


@test
def test_varints_past_two_bytes(st):
    st.redis()
    r = st.rc()
    r.cmd("HSET", key("META", room="big"), "epoch", "00000000000000aa", "seq", 2097150)
    res = call(r, [ev("big"), ev("big")])
    assert [x[1] for x in res] == [2097151, 2097152], res
    for seq, (_, _, _, ts) in zip((2097151, 2097152), res):
        e = r.cmd("XRANGE", key("STREAM", room="big"), "%d-0" % seq, "%d-0" % seq)[0][1][1]
        assert e == EV + b"\x08" + varint(seq) + b"\x10" + varint(ts), (seq, e)
    assert meta_seq(r, "big") == "2097152"


@test
def test_meta_follows_stream_when_xadd_fails(st):
    st.redis()
    r = st.rc()
    call(r, [ev("b"), ev("b")])
    r.cmd("HSET", key("META", room="b"), "seq", 1)     # by hand: below the last ID 2-0
    call_fails(r, [ev("a"), ev("a"), ev("b", cmid="c1"), ev("a")], "SEQ b")
    # room a's two events before the failure are stored, and its meta says so
    assert last_id(r, "a") == "2-0" and meta_seq(r, "a") == "2"
    assert meta_seq(r, "b") == "1"                      # untouched
    assert r.cmd("EXISTS", key("DEDUPE", room="b", user="u1", cmid="c1")) == 0


@test
def test_meta_follows_stream_on_command_error(st):
    st.redis()
    r = st.rc()
    # a slow-mode key of the wrong type makes its HGET fail half-way,
    # after the events of rooms a and c are stored
    r.cmd("SET", key("LIMITS", room="bad"), "not a hash")
    call_fails(r, [ev("a"), ev("c"), ev("bad", limits="20 30000 0 0"), ev("a")], "WRONGTYPE")
    assert last_id(r, "a") == "1-0" and meta_seq(r, "a") == "1"
    assert last_id(r, "c") == "1-0" and meta_seq(r, "c") == "1"
    h = r.cmd("HGET", key("META", room="c"), "epoch")
    assert h and len(h) == 16, h
    # the next call goes on from there
    assert call(r, [ev("a")])[0][:2] == ("ok", 2)


@test
def test_five_fields_skip_checks(st):
    st.redis()
    r = st.rc()
    r.cmd("SET", key("BAN", user="u1"), "1")
    res = call(r, [ev("r1"), ev("r1")], F=5)
    assert [x[:2] for x in res] == [("ok", 1), ("ok", 2)], res


@test
def test_bad_arguments(st):
    st.redis()
    r = st.rc()
    for args in ([100, 60, "0123456789abcdef", 6, 2, "r1", "c", "u1", "", "x", NOLIM],
                 ["x", 60, "0123456789abcdef", 6, 0],
                 [100, 60, "0123456789abcdef", 4, 0]):
        try:
            r.cmd("EVAL", SCRIPT, 0, *args)
        except RuntimeError as e:
            assert "SEQ bad arguments" in str(e), e
        else:
            raise AssertionError("accepted %r" % (args,))
    assert r.cmd("EVAL", SCRIPT, 0, 100, 60, "0123456789abcdef", 6, 0) == []


if __name__ == "__main__":
    main()

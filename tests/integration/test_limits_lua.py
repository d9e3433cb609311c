"""test_limits_lua.py — broadcaster/limits.lua against a real redis-server
(EVAL of the standalone entry): token buckets per user per room and global,
refill, retry-after, per-room slow-mode override, mutes and bans with expiry,
and that a refused event charges nothing. Every key is named through
keyfmt (common/keys.h's formats), so the Lua names are pinned to the header."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, test, main, ROOT  # noqa: E402
from keyfmt import key  # noqa: E402

SCRIPT = open(os.path.join(ROOT, "broadcaster", "limits.lua"), "rb").read()


def redis_ms(r):
    t = r.cmd("TIME")
    return int(t[0]) * 1000 + int(t[1]) // 1000


def rbucket(room, user, kind="c"):
    return key("ROOM_BUCKET", room=room, kind=kind, user=user)


def gbucket(user, kind="c"):
    return key("USER_BUCKET", kind=kind, user=user)


def tokens(r, k, cap, win):
    """Tokens left in bucket k (stored as its GCRA tat, a string; missing = full)."""
    assert r.cmd("TYPE", k) in ("string", "none"), r.cmd("TYPE", k)
    v = r.cmd("GET", k)
    if v is None:
        return cap
    return min(cap, cap * (win - (float(v) - redis_ms(r))) / win)


def check(r, room, user, kind="c", rcap=20, rwin=30000, gcap=1000, gwin=30000, cost=1):
    out = r.cmd("EVAL", SCRIPT, 0, "__limits__", room, kind, user, rcap, rwin, gcap, gwin, cost)
    status = out[0].decode() if isinstance(out[0], bytes) else out[0]
    return status, out[1]


@test
def test_room_bucket_21st_limited(st):
    st.redis()
    r = st.rc()
    for i in range(20):
        assert check(r, "r1", "u1") == ("ok", 0), i
    status, retry = check(r, "r1", "u1")
    assert status == "limited", status
    # 20 per 30 s refills one token every 1.5 s
    assert 1 <= retry <= 1500, retry
    # other users and other rooms are unaffected
    assert check(r, "r1", "u2")[0] == "ok"
    assert check(r, "r2", "u1")[0] == "ok"
    # other kinds have their own buckets
    assert check(r, "r1", "u1", kind="g")[0] == "ok"
    # state lives in the documented key (keys.h): under one token left,
    # expiring when the bucket is full again
    assert tokens(r, rbucket("r1", "u1"), 20, 30000) < 1
    assert 0 < r.cmd("PTTL", rbucket("r1", "u1")) <= 30000
    # the global bucket was charged too: 21 events allowed of its 1000
    assert 978 <= tokens(r, gbucket("u1"), 1000, 30000) < 980


@test
def test_refill(st):
    st.redis()
    r = st.rc()
    for _ in range(2):
        assert check(r, "r1", "u1", rcap=2, rwin=400)[0] == "ok"
    status, retry = check(r, "r1", "u1", rcap=2, rwin=400)
    assert status == "limited" and 1 <= retry <= 200, (status, retry)
    time.sleep(retry / 1000.0 + 0.05)
    assert check(r, "r1", "u1", rcap=2, rwin=400)[0] == "ok"
    assert check(r, "r1", "u1", rcap=2, rwin=400)[0] == "limited"
    time.sleep(0.45)   # a whole window: full again (bucket key expired)
    assert r.cmd("EXISTS", rbucket("r1", "u1")) == 0
    assert check(r, "r1", "u1", rcap=2, rwin=400)[0] == "ok"
    assert check(r, "r1", "u1", rcap=2, rwin=400)[0] == "ok"
    assert check(r, "r1", "u1", rcap=2, rwin=400)[0] == "limited"


@test
def test_global_bucket_across_rooms(st):
    st.redis()
    r = st.rc()
    for i in range(5):
        assert check(r, "room%d" % i, "u1", gcap=5, gwin=60000)[0] == "ok"
    status, retry = check(r, "room9", "u1", gcap=5, gwin=60000)
    assert status == "limited" and 1 <= retry <= 12000, (status, retry)
    # the refused event charged nothing in room9's bucket
    assert r.cmd("EXISTS", rbucket("room9", "u1")) == 0
    assert check(r, "room9", "u2", gcap=5, gwin=60000)[0] == "ok"


@test
def test_limited_charges_nothing(st):
    st.redis()
    r = st.rc()
    # room bucket would allow, global refuses: the room bucket must not move
    assert check(r, "r1", "u1", rcap=10, gcap=1)[0] == "ok"
    before = r.cmd("GET", rbucket("r1", "u1"))
    assert before is not None
    assert check(r, "r1", "u1", rcap=10, gcap=1)[0] == "limited"
    assert r.cmd("GET", rbucket("r1", "u1")) == before


@test
def test_slow_mode_override(st):
    st.redis()
    r = st.rc()
    r.cmd("HSET", key("LIMITS", room="slow"), "c", "1/10000")
    assert check(r, "slow", "u1")[0] == "ok"
    status, retry = check(r, "slow", "u1")
    assert status == "limited" and 9000 <= retry <= 10000, (status, retry)
    # gifts are not in slow mode; other rooms keep the default
    assert check(r, "slow", "u1", kind="g")[0] == "ok"
    assert check(r, "fast", "u1")[0] == "ok" and check(r, "fast", "u1")[0] == "ok"
    # "0/0" removes the room limit for that kind
    r.cmd("HSET", key("LIMITS", room="free"), "c", "0/0")
    for _ in range(30):
        assert check(r, "free", "u9", rcap=1)[0] == "ok"


@test
def test_mute_and_expiry(st):
    st.redis()
    r = st.rc()
    r.cmd("SET", key("MUTE", room="r1", user="u1"), "1")
    assert check(r, "r1", "u1") == ("muted", -1)
    assert check(r, "r2", "u1")[0] == "ok"        # a mute is per room
    assert check(r, "r1", "u2")[0] == "ok"
    r.cmd("DEL", key("MUTE", room="r1", user="u1"))
    assert check(r, "r1", "u1")[0] == "ok"
    r.cmd("SET", key("MUTE", room="r1", user="u1"), "1", "PX", 300)
    status, ttl = check(r, "r1", "u1")
    assert status == "muted" and 0 < ttl <= 300, (status, ttl)
    time.sleep(0.4)
    assert check(r, "r1", "u1")[0] == "ok"
    # a muted user's refusals charge no tokens
    r.cmd("SET", key("MUTE", room="r3", user="u5"), "1")
    for _ in range(50):
        assert check(r, "r3", "u5")[0] == "muted"
    assert r.cmd("EXISTS", rbucket("r3", "u5")) == 0


@test
def test_ban_global_and_expiry(st):
    st.redis()
    r = st.rc()
    r.cmd("SET", key("BAN", user="u1"), "spam", "PX", 300)
    for room in ("r1", "r2", "other"):
        status, ttl = check(r, room, "u1")
        assert status == "banned" and 0 < ttl <= 300, (status, ttl)
    assert check(r, "r1", "u2")[0] == "ok"
    time.sleep(0.4)
    assert check(r, "r1", "u1")[0] == "ok"
    r.cmd("SET", key("BAN", user="u1"), "x")
    # a ban wins over a mute
    r.cmd("SET", key("MUTE", room="r1", user="u1"), "x")
    assert check(r, "r1", "u1") == ("banned", -1)


@test
def test_requires_marker(st):
    st.redis()
    r = st.rc()
    try:
        r.cmd("EVAL", SCRIPT, 0, "r1", "c", "u1")
    except RuntimeError as e:
        assert "__limits__" in str(e)
    else:
        raise AssertionError("script ran without the marker")


if __name__ == "__main__":
    main()

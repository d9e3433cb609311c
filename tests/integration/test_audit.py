"""test_audit.py — the admin audit log (issue 14) against a real redis-server
and broadcaster: each admin action that took effect (mute, unmute, ban,
unban, slow mode on/off) appends one entry — who (token subject and kid, or
"loopback"), what, room, target, arguments, when, peer address — to the
capped stream dm:audit; refused or invalid requests append nothing;
GET /v1/audit?count=N returns the newest N (admin token or loopback, like
the other admin endpoints); --audit-maxlen caps the stream."""
import base64, hashlib, hmac, json, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import http, http_json, main, test  # noqa: E402

SECRET = b"audit-secret-for-tests-0123456789"


def b64(d):
    return base64.urlsafe_b64encode(d).rstrip(b"=").decode()


def mint(claims, kid=None, secret=SECRET):
    h = {"alg": "HS256", "typ": "JWT"}
    if kid:
        h["kid"] = kid
    head, body = b64(json.dumps(h).encode()), b64(json.dumps(claims).encode())
    sig = hmac.new(secret, ("%s.%s" % (head, body)).encode(), hashlib.sha256).digest()
    return "%s.%s.%s" % (head, body, b64(sig))


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def code(body):
    return body["error"]["code"] if isinstance(body, dict) and "error" in body else body


def keys_stack(st, *extra):
    p = os.path.join(st.dir, "keys")
    with open(p, "w") as f:
        f.write("ops-2026 hex:%s\n" % SECRET.hex())
    st.redis()
    return st.broadcaster("--rate-limits", "off", "--auth-keys-file", p, *extra)


@test
def test_admin_actions_audited(st):
    b = keys_stack(st)
    now = int(time.time())
    adm = bearer(mint({"sub": "mod-alice", "exp": now + 600, "adm": True}, kid="ops-2026"))
    t0 = int(time.time() * 1000)
    steps = [("PUT", "/v1/rooms/r1/mutes/u1", {"ttl_s": 60}, "mute", "r1", "u1", {"ttl_s": 60}),
             ("DELETE", "/v1/rooms/r1/mutes/u1", None, "unmute", "r1", "u1", None),
             ("PUT", "/v1/bans/u%2F2", None, "ban", None, "u/2", None),
             ("DELETE", "/v1/bans/u%2F2", None, "unban", None, "u/2", None),
             ("PUT", "/v1/rooms/r2/slowmode", {"comments": 1, "per_s": 5}, "slowmode", "r2", None,
              {"comments": 1, "per_s": 5}),
             ("DELETE", "/v1/rooms/r2/slowmode", None, "slowmode_off", "r2", None, None)]
    for method, path, body, *_ in steps:
        s, rb = http_json(method, b.port, path, body, adm)
        assert s == 200, (path, s, rb)
    # refused and invalid requests leave no entry
    user_tok = bearer(mint({"sub": "u1", "exp": now + 600}, kid="ops-2026"))
    assert http_json("PUT", b.port, "/v1/bans/u3", None, user_tok)[0] == 403
    assert http_json("PUT", b.port, "/v1/bans/u3")[0] == 401
    assert http_json("PUT", b.port, "/v1/rooms/r1/mutes/u1", {"ttl_s": -1}, adm)[0] == 422
    t1 = int(time.time() * 1000)
    s, out = http_json("GET", b.port, "/v1/audit?count=50", None, adm)
    assert s == 200, (s, out)
    entries = out["entries"]
    assert len(entries) == len(steps), entries
    for e, (method, path, body, action, room, target, args) in zip(entries, reversed(steps)):
        assert e["action"] == action and e["who"] == "mod-alice" and e["kid"] == "ops-2026", e
        assert e.get("room") == room and e.get("target") == target and e.get("args") == args, e
        assert e["peer"].startswith("127.0.0.1:") and t0 - 5 <= e["ts_ms"] <= t1 + 5, e
        assert e["id"].endswith("-0") or "-" in e["id"]
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))), reverse=True)
    # the stream itself, read with our own client
    raw = st.rc().cmd("XRANGE", "dm:audit", "-", "+")
    assert len(raw) == len(steps) and dict(zip(raw[0][1][::2], raw[0][1][1::2]))[b"act"] == b"mute"
    # count and auth of the read endpoint
    s, out = http_json("GET", b.port, "/v1/audit?count=2", None, adm)
    assert s == 200 and [e["action"] for e in out["entries"]] == ["slowmode_off", "slowmode"]
    s, out = http_json("GET", b.port, "/v1/audit", None, adm)
    assert s == 200 and len(out["entries"]) == len(steps)
    for q in ("count=0", "count=1001", "count=x", "count="):
        s, out = http_json("GET", b.port, "/v1/audit?" + q, None, adm)
        assert (s, code(out)) == (400, "bad_count"), (q, s, out)
    assert code(http_json("GET", b.port, "/v1/audit", None, user_tok)[1]) == "not_admin"
    assert code(http_json("GET", b.port, "/v1/audit")[1]) == "missing_token"
    scoped = bearer(mint({"sub": "m", "exp": now + 600, "adm": True, "room": "r1"}, kid="ops-2026"))
    assert code(http_json("GET", b.port, "/v1/audit", None, scoped)[1]) == "wrong_room"
    assert http_json("POST", b.port, "/v1/audit", {}, adm)[0] == 405


@test
def test_loopback_admin_audited_as_loopback(st):
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    assert http_json("PUT", b.port, "/v1/rooms/r1/mutes/u1")[0] == 200
    s, out = http_json("GET", b.port, "/v1/audit?count=1")
    assert s == 200, (s, out)
    (e,) = out["entries"]
    assert e["who"] == "loopback" and e["action"] == "mute" and "kid" not in e, e
    assert e["room"] == "r1" and e["target"] == "u1" and "args" not in e, e


@test
def test_audit_stream_capped(st):
    b = keys_stack(st, "--audit-maxlen", "5")
    adm = bearer(mint({"sub": "m", "exp": int(time.time()) + 600, "adm": True}, kid="ops-2026"))
    for i in range(12):
        assert http("PUT", b.port, "/v1/rooms/r1/mutes/u%d" % i, None, adm)[0] == 200
    assert st.rc().cmd("XLEN", "dm:audit") == 5
    s, out = http_json("GET", b.port, "/v1/audit?count=100", None, adm)
    assert [e["target"] for e in out["entries"]] == ["u11", "u10", "u9", "u8", "u7"], out


if __name__ == "__main__":
    main()

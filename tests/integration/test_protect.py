"""test_protect.py — ingest protection (issue 5) end to end against a real
redis-server, two broadcaster processes and an edge: rate limits (per room
and global, 429 + Retry-After, nothing sequenced, served again after refill),
slow mode, mutes and bans through the admin API (set on one process,
effective on the other), the keyword filter (masked at an edge viewer,
reject, flag, allow-list, the real 64k-entry lexicon), contact detection,
signed tokens (every failure class) and SIGHUP lexicon reload under load."""
import asyncio, base64, hashlib, hmac, http.client as httpc, json, os, signal, sys
import threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Stack, http, http_json, main, test, wait_until  # noqa: E402
from edge_client import Viewer  # noqa: E402

REAL_LEXICON = os.path.join(ROOT, "..", "shared", "data", "lexicon", "zh",
                            "houbb_sensitive_word_dict.txt")


def comment(user, text="hello", **kw):
    return dict({"user_id": user, "nick": "n-" + user, "text": text}, **kw)


def post(b, room, body, kind="comments", headers=None):
    return http("POST", b.port, "/v1/rooms/%s/%s" % (room, kind), body, headers)


def pjson(b, room, body, kind="comments", headers=None):
    st, h, data = post(b, room, body, kind, headers)
    return st, h, (json.loads(data) if data else None)


def room_seq(st, room):
    v = st.rc().cmd("HGET", "dm:{%s}:meta" % room, "seq")
    return int(v) if v is not None else 0


def last_text(st, room):
    """Raw bytes of the newest stream entry of the room (protobuf Event)."""
    r = st.rc().cmd("XREVRANGE", "dm:{%s}:s" % room, "+", "-", "COUNT", 1)
    return r[0][1][1] if r else b""


def write(st, name, text):
    p = os.path.join(st.dir, name)
    with open(p, "w", encoding="utf-8") as f:
        f.write(text)
    return p


def err_code(body):
    return body["error"]["code"] if isinstance(body, dict) and "error" in body else body


# -- rate limits -----------------------------------------------------------
@test
def test_rate_limit_either_process(st):
    st.redis()
    args = ("--rate-comments", "3/2", "--rate-global-comments", "off")
    b1, b2 = st.broadcaster(*args), st.broadcaster(*args)
    for i, b in enumerate((b1, b2, b1)):
        s, _, body = pjson(b, "r1", comment("u1", client_msg_id="m%d" % i))
        assert s == 200 and body["seq"] == i + 1, (s, body)
    for b in (b2, b1):
        s, h, body = pjson(b, "r1", comment("u1", client_msg_id="m3"))
        assert s == 429 and err_code(body) == "rate_limited", (s, body)
        assert h.get("retry-after") == "1", h     # 1 token / 667 ms, rounded up
    assert room_seq(st, "r1") == 3
    # others are not affected: another user, the same user in another room
    assert pjson(b2, "r1", comment("u2"))[0] == 200
    assert pjson(b2, "r2", comment("u1"))[0] == 200
    # gifts and likes have their own buckets
    assert pjson(b1, "r1", {"user_id": "u1", "count": 1}, "likes")[0] == 200
    time.sleep(1.0)                                # Retry-After
    s, h, body = pjson(b2, "r1", comment("u1", client_msg_id="m3"))
    # served again, and the limited attempt did not consume its client_msg_id
    assert s == 200 and "duplicate" not in body and body["seq"] == 6, (s, body)
    assert room_seq(st, "r1") == 6


@test
def test_global_limit_across_rooms(st):
    st.redis()
    b1 = st.broadcaster("--rate-comments", "off", "--rate-global-comments", "2/60")
    b2 = st.broadcaster("--rate-comments", "off", "--rate-global-comments", "2/60")
    assert pjson(b1, "ra", comment("u1"))[0] == 200
    assert pjson(b2, "rb", comment("u1"))[0] == 200
    s, h, body = pjson(b1, "rc", comment("u1"))
    assert s == 429 and err_code(body) == "rate_limited", (s, body)
    assert 1 <= int(h["retry-after"]) <= 30, h
    assert room_seq(st, "rc") == 0
    assert pjson(b1, "rc", comment("u2"))[0] == 200


@test
def test_default_limit_20_per_30s(st):
    st.redis()
    b = st.broadcaster()
    for i in range(20):
        assert pjson(b, "r1", comment("u1"))[0] == 200, i
    s, h, body = pjson(b, "r1", comment("u1"))
    assert s == 429 and h["retry-after"] == "2", (s, h)   # 1.5 s rounded up
    assert room_seq(st, "r1") == 20


@test
def test_slow_mode(st):
    st.redis()
    b1, b2 = st.broadcaster("--rate-limits", "off"), st.broadcaster("--rate-limits", "off")
    s, body = http_json("PUT", b1.port, "/v1/rooms/r1/slowmode", {"comments": 1, "per_s": 2})
    assert s == 200 and body["slowmode"] == {"comments": 1, "per_s": 2}, (s, body)
    assert st.rc().cmd("HGET", "dm:{r1}:limits", "c") == b"1/2000"
    assert pjson(b2, "r1", comment("u1"))[0] == 200
    s, h, body = pjson(b2, "r1", comment("u1"))
    assert s == 429 and err_code(body) == "rate_limited" and h["retry-after"] == "2", (s, h)
    assert room_seq(st, "r1") == 1
    assert pjson(b2, "r1", comment("u2"))[0] == 200       # per user
    assert pjson(b2, "r2", comment("u1"))[0] == 200       # per room
    for _ in range(3):
        assert pjson(b2, "r2", comment("u1"))[0] == 200   # no limits elsewhere
    assert http_json("DELETE", b2.port, "/v1/rooms/r1/slowmode")[0] == 200
    assert pjson(b1, "r1", comment("u1"))[0] == 200
    assert pjson(b1, "r1", comment("u1"))[0] == 200
    # bad bodies
    assert http_json("PUT", b1.port, "/v1/rooms/r1/slowmode", {"comments": 0, "per_s": 2})[0] == 422
    assert http_json("PUT", b1.port, "/v1/rooms/r1/slowmode", {"per_s": 2})[0] == 400
    assert http_json("PUT", b1.port, "/v1/rooms/r1/slowmode", b"{x")[0] == 400


# -- mutes and bans ----------------------------------------------------------
@test
def test_mute_on_one_process_applies_on_the_other(st):
    st.redis()
    b1, b2 = st.broadcaster("--rate-limits", "off"), st.broadcaster("--rate-limits", "off")
    assert pjson(b2, "r1", comment("u1"))[0] == 200
    s, body = http_json("PUT", b1.port, "/v1/rooms/r1/mutes/u1")
    assert s == 200 and body == {"room": "r1", "user_id": "u1", "muted": True,
                                 "ttl_s": None}, (s, body)
    for kind, ev in (("comments", comment("u1")), ("likes", {"user_id": "u1", "count": 1})):
        s, h, body = pjson(b2, "r1", ev, kind)
        assert s == 403 and err_code(body) == "muted", (s, body)
        assert "retry-after" not in h
    assert room_seq(st, "r1") == 1
    assert pjson(b2, "r2", comment("u1"))[0] == 200       # other rooms
    assert pjson(b2, "r1", comment("u2"))[0] == 200       # other users
    s, body = http_json("DELETE", b2.port, "/v1/rooms/r1/mutes/u1")
    assert s == 200 and body["muted"] is False and body["existed"] is True, body
    assert pjson(b1, "r1", comment("u1"))[0] == 200
    assert room_seq(st, "r1") == 3


@test
def test_mute_ttl_expires(st):
    st.redis()
    b1, b2 = st.broadcaster("--rate-limits", "off"), st.broadcaster("--rate-limits", "off")
    s, body = http_json("PUT", b1.port, "/v1/rooms/r1/mutes/u%20x", {"ttl_s": 1})
    assert s == 200 and body["ttl_s"] == 1 and body["user_id"] == "u x", body
    s, h, body = pjson(b2, "r1", comment("u x"))
    assert s == 403 and err_code(body) == "muted" and h["retry-after"] == "1", (s, h, body)
    time.sleep(1.2)
    assert pjson(b2, "r1", comment("u x"))[0] == 200
    assert http_json("PUT", b1.port, "/v1/rooms/r1/mutes/u1", {"ttl_s": 0})[0] == 422
    assert http_json("PUT", b1.port, "/v1/rooms/r1/mutes/u1", {"ttl_s": "5"})[0] == 422
    assert http_json("GET", b1.port, "/v1/rooms/r1/mutes/u1")[0] == 405
    assert http_json("PUT", b1.port, "/v1/rooms/bad.room/mutes/u1")[0] == 422


@test
def test_global_ban(st):
    st.redis()
    b1, b2 = st.broadcaster("--rate-limits", "off"), st.broadcaster("--rate-limits", "off")
    s, body = http_json("PUT", b2.port, "/v1/bans/u1")
    assert s == 200 and body == {"user_id": "u1", "banned": True, "ttl_s": None}, body
    assert st.rc().cmd("EXISTS", "dm:ban:{u1}") == 1     # common/keys.h KEY_BAN_FMT
    for room in ("r1", "r2"):
        s, h, body = pjson(b1, room, comment("u1"))
        assert s == 403 and err_code(body) == "banned", (s, body)
        s, h, body = pjson(b1, room, {"user_id": "u1", "nick": "n", "gift_id": "g",
                                      "gift_name": "rose", "count": 1, "unit_value": 1}, "gifts")
        assert s == 403 and err_code(body) == "banned", (s, body)
        assert room_seq(st, room) == 0
    assert pjson(b1, "r1", comment("u2"))[0] == 200
    assert http_json("DELETE", b1.port, "/v1/bans/u1")[0] == 200
    assert st.rc().cmd("EXISTS", "dm:ban:{u1}") == 0
    assert pjson(b2, "r1", comment("u1"))[0] == 200


@test
def test_request_ids_and_log_context(st):
    """Every answer carries X-Request-Id (a per-process counter, increasing);
    the admin log line names peer, request id and room."""
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    ids = []
    for path, body in (("/v1/rooms/r1/comments", comment("u1")),
                       ("/v1/rooms/r1/comments", {"user_id": "u1"}),      # 400
                       ("/nope", None)):                                 # 404
        s, h, _ = http("POST", b.port, path, body)
        assert s in (200, 400, 404) and h.get("x-request-id", "").isdigit(), (s, h)
        ids.append(int(h["x-request-id"]))
    assert ids == sorted(ids) and len(set(ids)) == 3, ids
    s, h, _ = http("PUT", b.port, "/v1/rooms/r7/mutes/u9", None)
    assert s == 200, s
    rid = int(h["x-request-id"])
    assert rid > ids[-1]
    line = "req=%d room=r7 user=u9 op=mute" % rid

    def logged():
        with open(b.log, encoding="utf-8", errors="replace") as f:
            return [l for l in f if line in l]
    wait_until(lambda: logged(), 5, what="admin log line")
    assert "peer=127.0.0.1:" in logged()[0], logged()


# -- keyword filter and contact detection -------------------------------------
def filter_stack(st, *extra):
    lex = write(st, "lex.txt", "# test lexicon\n傻瓜\nforbidden\tblock\nflagme\twatch\n"
                               "a\n")
    allow = write(st, "allow.txt", "傻瓜机\n")
    st.redis()
    b = st.broadcaster("--rate-limits", "off", "--lexicon", lex, "--allow-list", allow,
                       "--kw-action", "block=reject", "--kw-action", "watch=flag", *extra)
    return b, st.edge()


@test
def test_filter_at_edge_viewer(st):
    b, e = filter_stack(st)

    async def run():
        v = await Viewer(e.port, "r1").connect()
        await asyncio.sleep(0.3)
        sends = [comment("u1", "你是傻瓜吗"),          # 1 masked
                 comment("u1", "你是傻 . 瓜吗"),       # 2 separators inside: masked
                 comment("u1", "买个傻瓜机"),          # 3 allow-list
                 comment("u1", "flagme please"),       # 4 flag only
                 comment("u1", "a b c alphabet"),      # 5 single letters: no match
                 comment("u1", "加我微信 abc12345 谢谢")]   # 6 contact
        for i, ev in enumerate(sends):
            s, _, body = pjson(b, "r1", ev)
            assert s == 200 and body["seq"] == i + 1, (i, s, body)
        s, _, body = pjson(b, "r1", comment("u1", "this is FORBIDDEN text"))
        assert s == 422 and err_code(body) == "blocked_word", (s, body)
        s, _, body = pjson(b, "r1", dict(comment("u1", "hi"), nick="forbidden nick"))
        assert s == 422 and err_code(body) == "blocked_word", (s, body)
        assert room_seq(st, "r1") == 6
        s, _, body = pjson(b, "r1", dict(comment("u1", "傻瓜"), nick="小傻瓜"))
        assert s == 200, (s, body)
        await v.wait_seq(7)
        evs = v.events()
        assert evs[6]["nick"] == "小**" and evs[6]["text"] == "**", evs[6]
        assert evs[6]["flags"] == ["masked"], evs[6]
        assert evs[0]["text"] == "你是**吗" and evs[0]["flags"] == ["masked"], evs[0]
        assert evs[1]["text"] == "你是*****吗" and evs[1]["flags"] == ["masked"], evs[1]
        for ev, text in ((evs[2], "买个傻瓜机"), (evs[4], "a b c alphabet")):
            assert ev["text"] == text and "flags" not in ev and "risk" not in ev, ev
        assert evs[3]["text"] == "flagme please" and evs[3]["flags"] == ["keyword"], evs[3]
        assert evs[5]["risk"] == "contact" and evs[5]["flags"] == ["contact"], evs[5]
        assert evs[5]["text"] == "加我微信 abc12345 谢谢"
        await v.ws.close()
    asyncio.run(run())


@test
def test_filter_at_pb_zstd_viewer(st):
    b, e = filter_stack(st)

    async def run():
        v = await Viewer(e.port, "r1", fmt="pb", compress="zstd").connect()
        await asyncio.sleep(0.3)
        s, _, body = pjson(b, "r1", comment("u1", "ＦＬＡＧＭＥ 和 傻瓜 和 13812345678"))
        assert s == 200, (s, body)
        await v.wait_seq(1)
        ev = v.events()[0]
        assert ev["text"] == "ＦＬＡＧＭＥ 和 ** 和 13812345678", ev
        assert sorted(ev["flags"]) == ["contact", "masked"] and ev["risk"] == "contact", ev
        await v.ws.close()
    asyncio.run(run())


@test
def test_contact_reject_and_off(st):
    st.redis()
    b1 = st.broadcaster("--rate-limits", "off", "--contact-action", "reject")
    b2 = st.broadcaster("--rate-limits", "off", "--contact-action", "off")
    s, _, body = pjson(b1, "r1", comment("u1", "mail me: someone@example.com"))
    assert s == 422 and err_code(body) == "contact_blocked", (s, body)
    assert room_seq(st, "r1") == 0
    assert pjson(b1, "r1", comment("u1", "2333333333 哈哈"))[0] == 200   # near-miss
    assert pjson(b2, "r1", comment("u1", "mail me: someone@example.com"))[0] == 200
    assert b"contact" not in last_text(st, "r1")


@test
def test_real_lexicon_masks_known_entry(st):
    if not os.path.exists(REAL_LEXICON):
        print("# skipped: %s not found" % REAL_LEXICON)
        return
    st.redis()
    b = st.broadcaster("--rate-limits", "off", "--lexicon", REAL_LEXICON)
    s, _, body = pjson(b, "r1", comment("u1", "我们都在练法轮功吗"))
    assert s == 200, (s, body)
    raw = last_text(st, "r1")
    assert "我们都在练***吗".encode() in raw and b"masked" in raw, raw
    assert pjson(b, "r1", comment("u1", "今天天气不错"))[0] == 200
    assert b"masked" not in last_text(st, "r1")


@test
def test_sighup_reload_under_load(st):
    lex = write(st, "lex.txt", "苹果\n")
    st.redis()
    b = st.broadcaster("--rate-limits", "off", "--lexicon", lex)
    stop = threading.Event()
    results, errors = {}, []
    lock = threading.Lock()

    def publisher(n):
        c = httpc.HTTPConnection("127.0.0.1", b.port, timeout=10)
        i = 0
        try:
            while not stop.is_set() and i < 20000:
                body = json.dumps(comment("p%d" % n, "苹果和香蕉 %d" % i), ensure_ascii=False)
                c.request("POST", "/v1/rooms/load/comments", body.encode(),
                          {"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                with lock:
                    results[r.status] = results.get(r.status, 0) + 1
                i += 1
        except Exception as ex:        # any connection error fails the test
            errors.append(repr(ex))
        finally:
            c.close()

    threads = [threading.Thread(target=publisher, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    for i in range(3):
        write(st, "lex.txt", "香蕉\n" if i % 2 == 0 else "苹果\n")
        b.signal(signal.SIGHUP)
        time.sleep(0.4)
    os.unlink(lex)                     # a failed reload keeps the current set
    b.signal(signal.SIGHUP)
    time.sleep(0.4)
    stop.set()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert set(results) == {200} and results[200] > 100, results
    assert room_seq(st, "load") == results[200]
    # the last good lexicon (香蕉) applies: bananas masked, apples not
    assert pjson(b, "r1", comment("u1", "苹果和香蕉"))[0] == 200
    assert "苹果和**".encode() in last_text(st, "r1")
    log = open(b.log, encoding="utf-8", errors="replace").read()
    assert "reload failed" in log and log.count("loaded:") == 4, log[-2000:]


# -- signed tokens -------------------------------------------------------------
def b64(d):
    return base64.urlsafe_b64encode(d).rstrip(b"=").decode()


def mint(secret, claims, alg="HS256"):
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = hmac.new(secret, ("%s.%s" % (head, body)).encode(), hashlib.sha256).digest()
    return "%s.%s.%s" % (head, body, b64(sig))


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


@test
def test_tokens_every_failure_class(st):
    secret = b"s3cret-for-tests-only-0123456789"
    path = write(st, "secret", secret.decode() + "\n")
    st.redis()
    b = st.broadcaster("--rate-limits", "off", "--auth-secret-file", path)
    b2 = st.broadcaster("--rate-limits", "off", "--auth-secret-file", path)
    now = int(time.time())
    good = mint(secret, {"sub": "u1", "exp": now + 600})
    cases = [
        (None, 401, "missing_token"),
        ({"Authorization": "Basic dTE6cHc="}, 401, "missing_token"),
        (bearer("not-a-jwt"), 401, "malformed_token"),
        (bearer(mint(secret, {"sub": "u1", "exp": now + 600}, alg="none")), 401,
         "malformed_token"),
        (bearer(mint(b"another-secret-0123456789abcdef", {"sub": "u1", "exp": now + 600})), 401,
         "bad_signature"),
        (bearer(good[:-2] + ("AA" if good[-2:] != "AA" else "BB")), 401, "bad_signature"),
        (bearer(mint(secret, {"sub": "u1", "exp": now - 3600})), 401, "token_expired"),
        (bearer(mint(secret, {"sub": "u1", "exp": now + 600, "room": "other"})), 403,
         "wrong_room"),
        (bearer(mint(secret, {"sub": "u2", "exp": now + 600})), 403, "user_mismatch"),
    ]
    for hdr, status, code in cases:
        s, _, body = pjson(b, "r1", comment("u1"), headers=hdr)
        assert (s, err_code(body)) == (status, code), (hdr, s, body)
    assert room_seq(st, "r1") == 0
    # valid tokens: unscoped, and scoped to this room, on either process
    assert pjson(b, "r1", comment("u1"), headers=bearer(good))[0] == 200
    scoped = mint(secret, {"sub": "u1", "exp": now + 600, "rooms": ["x", "r1"]})
    assert pjson(b2, "r1", comment("u1"), headers=bearer(scoped))[0] == 200
    assert room_seq(st, "r1") == 2
    # admin API: no token, a user token, an admin token
    s, body = http_json("PUT", b.port, "/v1/bans/u9")
    assert (s, err_code(body)) == (401, "missing_token"), (s, body)
    s, body = http_json("PUT", b.port, "/v1/bans/u9", headers=bearer(good))
    assert (s, err_code(body)) == (403, "not_admin"), (s, body)
    adm = mint(secret, {"sub": "mod", "exp": now + 600, "adm": True})
    assert http_json("PUT", b.port, "/v1/rooms/r1/mutes/u1", headers=bearer(adm))[0] == 200
    scoped_adm = mint(secret, {"sub": "mod", "exp": now + 600, "adm": True, "room": "r2"})
    for path in ("/v1/bans/u9", "/v1/rooms/r1/mutes/u9"):
        s, body = http_json("PUT", b.port, path, headers=bearer(scoped_adm))
        assert (s, err_code(body)) == (403, "wrong_room"), (path, s, body)
    assert http_json("PUT", b.port, "/v1/rooms/r2/mutes/u9", headers=bearer(scoped_adm))[0] == 200
    s, _, body = pjson(b2, "r1", comment("u1"), headers=bearer(good))
    assert (s, err_code(body)) == (403, "muted"), (s, body)
    log = open(b.log, encoding="utf-8", errors="replace").read()
    assert secret.decode() not in log



@test
def test_edge_viewer_tokens(st):
    secret = b"edge-secret-for-tests-0123456789"
    path = write(st, "secret", secret.decode())
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    e = st.edge("--auth-secret-file", path)
    now = int(time.time())
    ws_h = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    cases = [("", 401, "missing_token"), ("&token=", 401, "missing_token"),
             ("&token=abc.def", 401, "malformed_token"),
             ("&token=" + mint(b"another-secret-0123456789abcdef", {"sub": "v", "exp": now + 60}),
              401, "bad_signature"),
             ("&token=" + mint(secret, {"sub": "v", "exp": now - 3600}), 401, "token_expired"),
             ("&token=" + mint(secret, {"sub": "v", "exp": now + 60, "room": "r2"}), 403,
              "wrong_room")]
    for q, status, code in cases:
        s, h, data = http("GET", e.port, "/v1/rooms/r1/ws?format=json" + q, headers=ws_h)
        assert s == status and json.loads(data)["error"]["code"] == code, (q, s, data)
    good = mint(secret, {"sub": "v", "exp": now + 60, "room": "r1"})

    async def run():
        v = await Viewer(e.port, "r1", token=good).connect()
        await asyncio.sleep(0.3)
        assert pjson(b, "r1", comment("u1", "hi"))[0] == 200
        await v.wait_seq(1)
        await v.ws.close()
    asyncio.run(run())


if __name__ == "__main__":
    main()

"""test_key_rotation.py — token key rotation (issue 14) against real processes:
a broadcaster and a 2-worker edge read --auth-keys-file; the file is
rewritten and SIGHUP sent while a publisher keeps using old-kid and kid-less
tokens: none is refused; after the old kid is removed its tokens are refused
with 401 unknown_kid on both (every edge worker reloaded), kid-less tokens of
the old secret with bad_signature; a broken rewrite keeps the last good set;
nbf/exp inside and outside the leeway; --auth-secret-file still works and
refuses kid tokens; bin/dm-token --keys-file/--kid mints what they accept.
Tokens are minted here with Python's hmac (independent of common/auth.c)."""
import asyncio, base64, hashlib, hmac, json, os, re, signal, subprocess, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, http, main, test, wait_until  # noqa: E402
from edge_client import Viewer  # noqa: E402

OLD = b"old-rotation-secret-0123456789ab"
NEW = b"new-rotation-secret-0123456789ab"
WS_H = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


def b64(d):
    return base64.urlsafe_b64encode(d).rstrip(b"=").decode()


def mint(secret, claims, kid=None):
    h = {"alg": "HS256", "typ": "JWT"}
    if kid is not None:
        h["kid"] = kid
    head, body = b64(json.dumps(h).encode()), b64(json.dumps(claims).encode())
    sig = hmac.new(secret, ("%s.%s" % (head, body)).encode(), hashlib.sha256).digest()
    return "%s.%s.%s" % (head, body, b64(sig))


def write(st, name, data):
    """Writes atomically (temp file + rename), as an operator's tool would."""
    p = os.path.join(st.dir, name)
    with open(p + ".tmp", "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.replace(p + ".tmp", p)
    return p


def publish(b, user, tok, room="r1", text="hi"):
    st, _, data = http("POST", b.port, "/v1/rooms/%s/comments" % room,
                       {"user_id": user, "nick": user, "text": text},
                       {"Authorization": "Bearer " + tok})
    return st, (json.loads(data) if data else None)


def code(body):
    return body["error"]["code"] if isinstance(body, dict) and "error" in body else body


def edge_status(e, tok, room="r1"):
    s, _, data = http("GET", e.port, "/v1/rooms/%s/ws?format=json&token=%s" % (room, tok),
                      headers=WS_H)
    return s, (json.loads(data)["error"]["code"] if data else None)


async def can_view(e, tokens):
    """Each token opens a viewer WebSocket (a refusal raises)."""
    for t in tokens:
        v = await Viewer(e.port, "r1", token=t).connect()
        await v.ws.close()


def count_lines(p, pattern):
    rx = re.compile(pattern)
    with open(p.log, encoding="utf-8", errors="replace") as f:
        return sum(1 for line in f if rx.search(line))


def hup_and_wait(procs, pattern, workers):
    """SIGHUP each process and wait until each logged `pattern` once more
    (the edge: once per worker)."""
    before = [count_lines(p, pattern) for p in procs]
    for p in procs:
        p.signal(signal.SIGHUP)
    for p, n, w in zip(procs, before, workers):
        wait_until(lambda: count_lines(p, pattern) >= n + w, 10,
                   what="%s: %d more %r" % (p.name, w, pattern))


class Publisher(threading.Thread):
    """Publishes with each of `tokens` in turn until halted; counts statuses."""
    def __init__(self, b, tokens):
        super().__init__(daemon=True)
        self.b, self.tokens, self.halt = b, tokens, threading.Event()
        self.statuses, self.refused = {}, []

    def run(self):
        i = 0
        while not self.halt.is_set() and i < 20000:
            tok = self.tokens[i % len(self.tokens)]
            s, body = publish(self.b, "u1", tok, text="m%d" % i)
            self.statuses[s] = self.statuses.get(s, 0) + 1
            if s != 200:
                self.refused.append((s, code(body)))
            i += 1


@test
def test_rotation_under_load_no_valid_token_refused(st):
    write(st, "old.secret", OLD + b"\n")
    write(st, "new.secret", NEW + b"\n")
    keys = write(st, "keys", "# one key\nold file:old.secret\n")
    st.redis()
    b = st.broadcaster("--rate-limits", "off", "--auth-keys-file", keys)
    e = st.edge("--workers", "2", "--auth-keys-file", keys)
    loaded = r"INFO auth: token keys reloaded from .*keys: kids=%s default=%s "
    now = int(time.time())
    old_kid = mint(OLD, {"sub": "u1", "exp": now + 600}, kid="old")
    kidless = mint(OLD, {"sub": "u1", "exp": now + 600})     # minted before kids existed
    new_kid = mint(NEW, {"sub": "u1", "exp": now + 600}, kid="new")
    viewer_old = mint(OLD, {"sub": "v1", "exp": now + 600, "room": "r1"}, kid="old")
    viewer_new = mint(NEW, {"sub": "v2", "exp": now + 600, "room": "r1"}, kid="new")
    assert publish(b, "u1", old_kid)[0] == 200
    s, body = publish(b, "u1", new_kid)
    assert (s, code(body)) == (401, "unknown_kid"), (s, body)

    pub = Publisher(b, [old_kid, kidless])
    pub.start()
    time.sleep(0.5)
    # step 1: add the new key; old stays the default for kid-less tokens
    write(st, "keys", "new file:new.secret\nold file:old.secret\ndefault old\n")
    hup_and_wait([b, e], loaded % ("new,old", "old"), [1, 3])
    assert publish(b, "u1", new_kid)[0] == 200
    asyncio.run(can_view(e, [viewer_old, viewer_new] * 3))   # several: both workers answer
    time.sleep(0.5)
    pub.halt.set()
    pub.join()
    assert pub.statuses.get(200, 0) > 10 and not pub.refused, (pub.statuses, pub.refused[:5])

    # step 2: remove the old key: its tokens are refused with the documented code
    write(st, "keys", "new file:new.secret\n")
    hup_and_wait([b, e], loaded % ("new", "new"), [1, 3])
    s, body = publish(b, "u1", old_kid)
    assert (s, code(body)) == (401, "unknown_kid"), (s, body)
    s, body = publish(b, "u1", kidless)
    assert (s, code(body)) == (401, "bad_signature"), (s, body)
    assert publish(b, "u1", new_kid)[0] == 200
    assert publish(b, "u1", mint(NEW, {"sub": "u1", "exp": now + 600}))[0] == 200
    for _ in range(8):
        assert edge_status(e, viewer_old) == (401, "unknown_kid")

    # step 3: a broken rewrite is refused loudly and the last good set stays
    st.expect_log("*", r"ERROR auth: token key reload failed, keeping kids=new default=new: "
                       r".*keys:1: key new: hex secret", min_count=4)
    write(st, "keys", "new hex:0123\n")
    hup_and_wait([b, e], r"ERROR auth: token key reload failed", [1, 3])
    assert publish(b, "u1", new_kid)[0] == 200
    asyncio.run(can_view(e, [viewer_new]))
    for p in (b, e):
        log = open(p.log, encoding="utf-8", errors="replace").read()
        assert OLD.decode() not in log and NEW.decode() not in log


@test
def test_broadcaster_workers_reload_on_sighup(st):
    """--workers 2: the supervisor forwards SIGHUP, each worker reloads."""
    write(st, "old.secret", OLD)
    write(st, "new.secret", NEW)
    keys = write(st, "keys", "old file:old.secret\n")
    st.redis()
    b = st.broadcaster("--rate-limits", "off", "--workers", "2", "--auth-keys-file", keys)
    now = int(time.time())
    new_kid = mint(NEW, {"sub": "u1", "exp": now + 600}, kid="new")
    assert code(publish(b, "u1", new_kid)[1]) == "unknown_kid"
    write(st, "keys", "new file:new.secret\n")
    hup_and_wait([b], r"w\d INFO auth: token keys reloaded from .*kids=new default=new ", [2])
    for _ in range(10):          # fresh connections: both workers answer
        s, body = publish(b, "u1", new_kid)
        assert s == 200, (s, body)
        s, body = publish(b, "u1", mint(OLD, {"sub": "u1", "exp": now + 600}, kid="old"))
        assert (s, code(body)) == (401, "unknown_kid"), (s, body)


@test
def test_nbf_exp_leeway(st):
    keys = write(st, "keys", "k1 hex:%s\n" % NEW.hex())
    st.redis()
    b = st.broadcaster("--rate-limits", "off", "--auth-keys-file", keys, "--auth-leeway-s", "30")
    e = st.edge("--auth-keys-file", keys, "--auth-leeway-s", "30")
    now = int(time.time())
    cases = [({"nbf": now + 10}, 200), ({"nbf": now + 20}, 200),
             ({"nbf": now + 300}, "token_not_yet_valid"),
             ({"exp": now - 10}, 200), ({"exp": now - 300}, "token_expired")]
    for extra, want in cases:
        claims = dict({"sub": "u1", "exp": now + 600}, **extra)
        s, body = publish(b, "u1", mint(NEW, claims, kid="k1"))
        got = 200 if s == 200 else code(body)
        assert got == want, (extra, s, body)
        if want != 200:
            assert s == 401
            claims["room"] = "r1"
            assert edge_status(e, mint(NEW, claims, kid="k1")) == (401, want)


@test
def test_secret_file_still_works_and_dm_token(st):
    secret = write(st, "secret", OLD + b"\n")
    keys = write(st, "keys", "old file:secret\nnew file:new.secret\ndefault old\n")
    write(st, "new.secret", NEW)
    st.redis()
    b = st.broadcaster("--rate-limits", "off", "--auth-secret-file", secret)
    b2 = st.broadcaster("--rate-limits", "off", "--auth-keys-file", keys)
    now = int(time.time())
    assert publish(b, "u1", mint(OLD, {"sub": "u1", "exp": now + 60}))[0] == 200
    s, body = publish(b, "u1", mint(OLD, {"sub": "u1", "exp": now + 60}, kid="old"))
    assert (s, code(body)) == (401, "unknown_kid"), (s, body)

    def dm_token(*args):
        return subprocess.run([os.path.join(BIN, "dm-token"), "--user", "u1"] + list(args),
                              capture_output=True, text=True, timeout=10).stdout.strip()
    assert publish(b, "u1", dm_token("--secret-file", secret))[0] == 200
    for args in (("--keys-file", keys), ("--keys-file", keys, "--kid", "new"),
                 ("--secret-file", secret, "--kid", "old")):
        tok = dm_token(*args)
        s, body = publish(b2, "u1", tok)
        assert s == 200, (args, s, body)
    head = json.loads(base64.urlsafe_b64decode(dm_token("--keys-file", keys).split(".")[0] + "=="))
    assert head == {"alg": "HS256", "typ": "JWT", "kid": "old"}, head
    # both options at once: a clear start-up error
    st.expect_log("broadcaster", r"ERROR auth: --auth-secret-file and --auth-keys-file are exclusive")
    bad = st.broadcaster("--auth-secret-file", secret, "--auth-keys-file", keys, wait=False)
    wait_until(lambda: not bad.alive(), 10, what="broadcaster refusing both options")
    st.expected_exit[bad] = (2,)
    assert bad.p.returncode == 2


if __name__ == "__main__":
    main()

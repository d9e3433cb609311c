"""test_redis_auth.py — Redis credentials (issue 14) against a real
redis-server with requirepass and an ACL user limited to dm:* keys and
channels: the broadcaster and a 2-worker edge with --redis-user and
--redis-password-file publish and deliver; every link of theirs is
authenticated as that user; a wrong password fails clearly (an ERROR line
naming the user, /healthz 503 on both) and never shows the password; after
a Redis restart both reconnect and AUTH again; the default user with
requirepass alone works too."""
import asyncio, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Resp, free_port, http, main, test, wait_until  # noqa: E402
from edge_client import Viewer  # noqa: E402

USER, PASS, DEFPASS = "dmsvc", "acl-pass-Zq9-0123456789", "default-pass-Xw7-0123456789"


def acl_redis(st, port=None):
    """redis-server with requirepass (default user) and the ACL user USER."""
    port = port or free_port()
    d = os.path.join(st.dir, "redis-%d" % port)
    os.makedirs(d, exist_ok=True)
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--save", "",
            "--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "no",
            "--logfile", "", "--requirepass", DEFPASS,
            "--user", USER, "on", ">" + PASS, "~dm:*", "&dm:*", "+@all", "-@admin", "-@dangerous"]
    p = st.spawn("redis", argv)
    p.port = port
    st.redis_port = port
    wait_until(lambda: authed(port).cmd("PING") == "PONG", 10, what="redis-server")
    return p


def authed(port, user=USER, pw=PASS):
    r = Resp(port)
    r.cmd("AUTH", user, pw)
    return r


def write(st, name, text):
    p = os.path.join(st.dir, name)
    with open(p, "w") as f:
        f.write(text)
    return p


def comment(user, text):
    return {"user_id": user, "nick": user, "text": text}


def clients_by_user(port):
    out = {}
    for line in authed(port, "default", DEFPASS).cmd("CLIENT", "LIST").decode().splitlines():
        f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        if f.get("cmd") != "client|list":
            out[f.get("user")] = out.get(f.get("user"), 0) + 1
    return out


async def deliver(b, e, room, text):
    v = await Viewer(e.port, room).connect()
    await asyncio.sleep(0.3)
    s, _, body = http("POST", b.port, "/v1/rooms/%s/comments" % room, comment("u1", text))
    assert s == 200, (s, body)
    seq = int(__import__("json").loads(body)["seq"])
    await v.wait_seq(seq)
    await v.ws.close()


@test
def test_acl_user_stack_works(st):
    r = acl_redis(st)
    pw = write(st, "redis.pass", PASS + "\n")
    creds = ("--redis-user", USER, "--redis-password-file", pw)
    b = st.broadcaster("--rate-limits", "off", *creds)
    e = st.edge("--workers", "2", *creds)
    asyncio.run(deliver(b, e, "r1", "hello"))
    assert authed(r.port).cmd("HGET", "dm:{r1}:meta", "seq") == b"1"
    # every link of ours is authenticated as the ACL user: none as default
    users = clients_by_user(r.port)
    assert users.get(USER, 0) >= 5 and set(users) == {USER}, users   # bc seq + 2 x (pubsub, cmd)
    for p in (b, e):
        assert PASS not in open(p.log, encoding="utf-8", errors="replace").read()


@test
def test_wrong_password_fails_clearly(st):
    acl_redis(st)
    pw = write(st, "redis.pass", "not-the-password\n")
    creds = ("--redis-user", USER, "--redis-password-file", pw)
    st.expect_log("broadcaster", r"ERROR seq: .*redis AUTH refused user=%s: WRONGPASS" % USER)
    st.expect_log("edge", r"ERROR redis: .*redis AUTH refused user=%s: WRONGPASS" % USER)
    b = st.broadcaster("--rate-limits", "off", *creds, wait=False)
    e = st.edge(*creds, wait=False)
    st.wait_log(b, r"ERROR seq: .*redis AUTH refused")
    st.wait_log(e, r"ERROR redis: .*redis AUTH refused")
    for p in (b, e):
        wait_until(lambda: http("GET", p.port, "/healthz")[0] == 503, 10, what=p.name + " 503")
        time.sleep(0.5)
        assert http("GET", p.port, "/healthz")[0] == 503
        assert "not-the-password" not in open(p.log, encoding="utf-8", errors="replace").read()
    s, _, _ = http("POST", b.port, "/v1/rooms/r1/comments", comment("u1", "x"))
    assert s == 503


@test
def test_redis_restart_reauth(st):
    r = acl_redis(st)
    port = r.port
    pw = write(st, "redis.pass", PASS)
    creds = ("--redis-user", USER, "--redis-password-file", pw)
    b = st.broadcaster("--rate-limits", "off", *creds)
    e = st.edge(*creds)
    st.expect_log("broadcaster", r"WARN seq: redis 127\.0\.0\.1:%d unavailable" % port)
    st.expect_log("edge", r"WARN redis: (pubsub|cmd) link lost", min_count=0)
    st.expect_log("edge", r"WARN redis: .*", min_count=0)
    asyncio.run(deliver(b, e, "r1", "before"))
    r.kill()
    wait_until(lambda: http("GET", b.port, "/healthz")[0] == 503, 10, what="broadcaster 503")
    acl_redis(st, port=port)
    for p in (b, e):
        wait_until(lambda: http("GET", p.port, "/healthz")[0] == 200, 20, what=p.name + " back")
    asyncio.run(deliver(b, e, "r1", "after"))
    assert set(clients_by_user(port)) == {USER}


@test
def test_default_user_requirepass(st):
    acl_redis(st)
    pw = write(st, "redis.pass", DEFPASS + "\n")
    b = st.broadcaster("--rate-limits", "off", "--redis-password-file", pw)
    e = st.edge("--redis-password-file", pw)
    asyncio.run(deliver(b, e, "r2", "hi"))
    # a user without a password file is a start-up error
    st.expect_log("broadcaster", r"ERROR .*--redis-user %s needs --redis-password-file" % USER)
    bad = st.broadcaster("--redis-user", USER, wait=False)
    wait_until(lambda: not bad.alive(), 10, what="broadcaster refusing --redis-user alone")
    st.expected_exit[bad] = (2,)


if __name__ == "__main__":
    main()

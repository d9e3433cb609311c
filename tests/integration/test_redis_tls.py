"""test_redis_tls.py — Redis over TLS the way docs/SECURITY.md describes it
(hiredis 0.14 has no TLS): redis-server serves only its TLS port (Redis 7,
client certificates required), a local stunnel client tunnel on the
broadcaster/edge host verifies the server against the CA and presents a
client certificate; the broadcaster and edge talk plain RESP to the tunnel
on loopback, with the ACL user's credentials. The CA and certificates are
made by the test with the openssl CLI. Checked: the stack publishes and
delivers through TLS; a plain-text client on the TLS port gets nothing; a
tunnel that trusts another CA never connects, and the broadcaster says 503."""
import asyncio, os, shutil, socket, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import free_port, http, http_json, main, test, wait_until  # noqa: E402
from edge_client import Viewer  # noqa: E402

USER, PASS = "dmsvc", "tls-acl-pass-0123456789"


def sh(cwd, *argv):
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(d):
    """ca.pem/ca.key, server srv.pem/srv.key (CN localhost, SAN 127.0.0.1),
    client cli.pem/cli.key, and an unrelated other-ca.pem."""
    os.makedirs(d, exist_ok=True)
    for ca in ("ca", "other-ca"):
        sh(d, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
           "-subj", "/CN=dm-test-" + ca, "-keyout", ca + ".key", "-out", ca + ".pem")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for name, cn in (("srv", "localhost"), ("cli", "dm-broadcaster")):
        sh(d, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + cn,
           "-keyout", name + ".key", "-out", name + ".csr")
        sh(d, "openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
           "-CAcreateserial", "-days", "2", "-extfile", "ext", "-out", name + ".pem")


def tls_redis(st, pki):
    port = free_port()
    d = os.path.join(st.dir, "redis-%d" % port)
    os.makedirs(d)
    argv = ["redis-server", "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
            "--dir", d, "--save", "", "--appendonly", "no", "--protected-mode", "no",
            "--logfile", "", "--tls-cert-file", pki + "/srv.pem", "--tls-key-file", pki + "/srv.key",
            "--tls-ca-cert-file", pki + "/ca.pem", "--tls-auth-clients", "yes",
            "--requirepass", "unused-default-pass-0123",
            "--user", USER, "on", ">" + PASS, "~dm:*", "&dm:*", "+@all", "-@admin", "-@dangerous"]
    p = st.spawn("redis", argv)
    p.port = port
    return p


def tunnel(st, pki, redis_port, ca="ca.pem"):
    """stunnel client: plain on a loopback port -> TLS to redis (verified)."""
    port = free_port()
    conf = os.path.join(st.dir, "stunnel-%d.conf" % port)
    with open(conf, "w") as f:
        f.write("foreground = yes\npid =\n[redis]\nclient = yes\n"
                "accept = 127.0.0.1:%d\nconnect = 127.0.0.1:%d\n"
                "CAfile = %s/%s\nverifyChain = yes\ncheckHost = localhost\n"
                "cert = %s/cli.pem\nkey = %s/cli.key\n" % (port, redis_port, pki, ca, pki, pki))
    p = st.spawn("stunnel", [shutil.which("stunnel4") or "stunnel4", conf])
    p.port = port
    wait_until(lambda: socket.create_connection(("127.0.0.1", port), 1).close() is None, 10,
               what="stunnel listening")
    return p


def resp_ping(port, auth=True):
    """Plain RESP: AUTH + PING through the given port; the reply bytes."""
    s = socket.create_connection(("127.0.0.1", port), 5)
    s.settimeout(3)
    try:
        cmd = b""
        if auth:
            cmd += b"*3\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
                len(USER), USER.encode(), len(PASS), PASS.encode())
        s.sendall(cmd + b"*1\r\n$4\r\nPING\r\n")
        out = b""
        while b"PONG" not in out:
            d = s.recv(100)
            if not d:
                break
            out += d
        return out
    except OSError:
        return b""
    finally:
        s.close()


@test
def test_stack_over_tls_tunnel(st):
    assert shutil.which("stunnel4"), "stunnel4 is not installed (scripts/deps.sh installs it)"
    pki = os.path.join(st.dir, "pki")
    make_pki(pki)
    r = tls_redis(st, pki)
    t = tunnel(st, pki, r.port)
    wait_until(lambda: b"PONG" in resp_ping(t.port), 10, what="redis through the tunnel")
    assert b"PONG" not in resp_ping(r.port), "plain text answered on the TLS port"
    st.redis_port = t.port
    pw = os.path.join(st.dir, "redis.pass")
    with open(pw, "w") as f:
        f.write(PASS + "\n")
    creds = ("--redis-user", USER, "--redis-password-file", pw)
    b = st.broadcaster("--rate-limits", "off", *creds, redis_port=t.port)
    e = st.edge(*creds, redis_port=t.port)

    async def go():
        v = await Viewer(e.port, "r1").connect()
        await asyncio.sleep(0.3)
        s, out = http_json("POST", b.port, "/v1/rooms/r1/comments",
                           {"user_id": "u1", "nick": "n", "text": "over tls"})
        assert s == 200, (s, out)
        await v.wait_seq(out["seq"])
        assert v.events()[-1]["text"] == "over tls"
        await v.ws.close()
    asyncio.run(go())

    # a tunnel that does not trust the server's CA never gets through
    bad = tunnel(st, pki, r.port, ca="other-ca.pem")
    st.expect_log("broadcaster", r"WARN seq: redis .* unavailable", min_count=0)
    b2 = st.broadcaster("--rate-limits", "off", *creds, redis_port=bad.port, wait=False)
    time.sleep(2.0)
    assert http("GET", b2.port, "/healthz")[0] == 503
    assert b"PONG" not in resp_ping(bad.port)


if __name__ == "__main__":
    main()

"""test_config.py — the option table of each real binary (broadcaster, edge,
danmaku-bench): --print-config equals the shipped docs/config/*.conf;
--config FILE applies its values; a flag overrides the file, the file
overrides the environment, the environment overrides the default; an unknown
option or an out-of-range value is one clear error naming the option and the
range, with exit code 2."""
import os, subprocess
from harness import BIN, ROOT, SAN_ENV, free_port, http, test, main, wait_until

BINS = ("broadcaster", "edge", "danmaku-bench")
PREFIXES = ("DM_BC_", "DM_EDGE_", "DM_BENCH_")


def clean_env(**extra):
    """os.environ without any option variable, plus the sanitizer settings and extra."""
    e = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
    e.update(SAN_ENV)
    e.update(extra)
    return e


def run(name, *args, **env):
    p = subprocess.run([os.path.join(BIN, name)] + list(args), env=clean_env(**env),
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def write(st, name, text):
    path = os.path.join(st.dir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def comment(n):
    """A comment request body of about n bytes."""
    return {"user_id": "u1", "nick": "n", "text": "x" * max(1, n - 40)}


def post_status(port):
    return http("POST", port, "/v1/rooms/cfg/comments", comment(300))[0]


def start_bc(st, args=(), **env):
    p = st.spawn("broadcaster", [os.path.join(BIN, "broadcaster")] + list(args), env=clean_env(**env))
    return p


def healthy(port):
    wait_until(lambda: http("GET", port, "/healthz")[0] == 200, 15, what="healthz on %d" % port)


@test
def test_print_config_matches_docs(st):
    for name in BINS:
        rc, out, err = run(name, "--print-config")
        assert rc == 0 and not err, (name, rc, err)
        with open(os.path.join(ROOT, "docs", "config", name + ".conf")) as f:
            doc = f.read()
        assert out == doc, ("docs/config/%s.conf differs from `%s --print-config`; regenerate: "
                            "bin/%s --print-config > docs/config/%s.conf" % (name, name, name, name))
        # every option in the sample is in --help and vice versa
        rc, help_, _ = run(name, "--help")
        assert rc == 0
        keys = [l[1:].split(" =")[0] for l in out.splitlines() if l.startswith("#") and " =" in l
                and not l.startswith("# ")]
        assert len(keys) >= 20, keys
        for k in keys:
            assert "--" + k + " " in help_ or "--" + k + "\n" in help_, (name, k)
        assert "default < environment variable < config file (--config FILE) < command line" in help_


@test
def test_broadcaster_file_env_flag_precedence(st):
    st.redis()
    port = free_port()
    conf = write(st, "bc.conf", "# test\nlisten = 127.0.0.1:%d\nredis = 127.0.0.1:%d\n"
                 "max-body = 128\n" % (port, st.redis_port))
    # the file alone: address and a 128-byte body limit -> 413
    p = start_bc(st, ["--config", conf])
    healthy(port)
    assert post_status(port) == 413
    p.stop()
    # a flag beats the file
    port2 = free_port()
    p = start_bc(st, ["--config", conf, "--listen", "127.0.0.1:%d" % port2, "--max-body", "4KiB"])
    healthy(port2)
    assert post_status(port2) == 200
    assert http("GET", port, "/healthz")[0] == 0   # the file's address is not used
    p.stop()
    # the file beats the environment; DM_BC_CONFIG names the file
    p = start_bc(st, [], DM_BC_CONFIG=conf, DM_BC_MAX_BODY="4096")
    healthy(port)
    assert post_status(port) == 413
    p.stop()
    # the environment beats the default (16384)
    port3 = free_port()
    p = start_bc(st, ["--redis", "127.0.0.1:%d" % st.redis_port], DM_BC_LISTEN="127.0.0.1:%d" % port3,
                 DM_BC_MAX_BODY="128")
    healthy(port3)
    assert post_status(port3) == 413
    p.stop()


@test
def test_edge_file_env_flag_precedence(st):
    st.redis()
    fport, eport, flag_port = free_port(), free_port(), free_port()
    conf = write(st, "edge.conf", "listen = 127.0.0.1:%d\nredis = 127.0.0.1:%d\nworkers = 1\n"
                 % (fport, st.redis_port))
    edge = os.path.join(BIN, "edge")
    p = st.spawn("edge", [edge, "--config", conf], env=clean_env(DM_EDGE_LISTEN="127.0.0.1:%d" % eport))
    healthy(fport)                                    # file over env
    assert http("GET", eport, "/healthz")[0] == 0
    p.stop()
    p = st.spawn("edge", [edge, "--config", conf, "--listen=127.0.0.1:%d" % flag_port], env=clean_env())
    healthy(flag_port)                                # flag over file
    p.stop()
    p = st.spawn("edge", [edge], env=clean_env(DM_EDGE_LISTEN="127.0.0.1:%d" % eport,
                                               DM_EDGE_REDIS="127.0.0.1:%d" % st.redis_port,
                                               DM_EDGE_LOG_LEVEL="warn"))
    healthy(eport)                                    # env over default
    p.stop()
    with open(p.log) as f:
        log = f.read()
    assert " INFO " not in log, log                   # DM_EDGE_LOG_LEVEL applied
    with open(st.procs[-2].log) as f:
        assert " INFO " in f.read()                   # (the default logs INFO lines)


ERRORS = [
    # (binary, args, env, expected text in stderr)
    ("broadcaster", ["--bogus", "1"], {}, "broadcaster: unknown option '--bogus' (try --help)"),
    ("broadcaster", ["--listen", "h:1", "--redis", "h:2", "--retention", "0"], {},
     "broadcaster: --retention: '0' is out of range 1..100000000"),
    ("broadcaster", ["--listen", "h:1", "--redis", "h:2", "--max-body", "1GiB"], {},
     "--max-body: '1GiB' is out of range 64..16777216 bytes"),
    ("broadcaster", ["--listen", "h:1", "--redis", "h:70000"], {},
     "--redis: 'h:70000': the port must be a number in 1..65535"),
    ("broadcaster", ["--listen", "::1:80", "--redis", "h:2"], {}, "--listen: '::1:80': write an IPv6 address in brackets"),
    ("broadcaster", ["--listen", "h:1", "--redis", "h:2", "--contact-action", "maybe"], {},
     "--contact-action: 'maybe' is not one of off|flag|reject"),
    ("broadcaster", ["--listen", "h:1"], {}, "--redis HOST:PORT is required"),
    ("broadcaster", ["--listen", "h:1", "--redis", "h:2"], {"DM_BC_RATE_LIKES": "7"},
     "--rate-likes: '7' is not N/SEC (N 1..1000000, SEC 1..86400) or off (from environment variable DM_BC_RATE_LIKES)"),
    ("edge", ["--workers", "65"], {}, "edge: --workers: '65' is out of range 1..64"),
    ("edge", ["--tick-ms", "fast"], {}, "edge: --tick-ms: 'fast' is not an integer (1..10000)"),
    ("edge", ["--nope"], {}, "edge: unknown option '--nope'"),
    ("edge", ["stray"], {}, "edge: unknown option 'stray'"),
    ("edge", [], {"DM_EDGE_WORKERS": "0"}, "--workers: '0' is out of range 1..64 (from environment variable DM_EDGE_WORKERS)"),
    ("danmaku-bench", ["--edge", "127.0.0.1:1", "--rooms", "0"], {}, "danmaku-bench: --rooms: '0' is out of range 1..1000000"),
    ("danmaku-bench", ["--edge", "::1:5"], {}, "--edge: '::1:5': write an IPv6 address in brackets"),
    ("danmaku-bench", ["--edge", "[::1]:5"], {}, "--edge: '[::1]:5': the bench needs an IPv4 address"),
    ("danmaku-bench", ["--format", "xml"], {}, "--format: 'xml' is not one of json|pb"),
    ("danmaku-bench", ["--popularity", "zipf:x"], {}, "--popularity: 'zipf:x' is not uniform, zipf:S or hot:F"),
    ("danmaku-bench", ["--viewers", "10", "--bogus", "1"], {}, "danmaku-bench: unknown option '--bogus'"),
    ("danmaku-bench", [], {}, "danmaku-bench: --edge HOST:PORT[,..] is required"),
]


@test
def test_bad_options_exit_2_with_one_clear_line(st):
    for name, args, env, want in ERRORS:
        rc, out, err = run(name, *args, **env)
        assert rc == 2, (name, args, rc, err)
        assert want in err, (name, args, err, want)
        assert len(err.strip().splitlines()) == 1, (name, args, err)


@test
def test_bad_config_file_exit_2(st):
    cases = [("retention = 0\n", "--retention: '0' is out of range 1..100000000 (%s:1)"),
             ("# ok\nlisten = h:1\nbogus = 3\n", "unknown option 'bogus' (%s:3)"),
             ("listen h:1\n", "expected \"name = value\""),
             ]
    for text, want in cases:
        path = write(st, "bad.conf", text)
        want = want % path if "%s" in want else want
        for name in ("broadcaster", "edge"):
            if name == "edge" and "retention" in text:
                want_e = "unknown option 'retention'"
            else:
                want_e = want
            rc, out, err = run(name, "--config", path, "--redis", "h:2")
            assert rc == 2 and want_e in err, (name, text, rc, err)
    rc, out, err = run("danmaku-bench", "--config", os.path.join(st.dir, "missing.conf"))
    assert rc == 2 and "--config %s: No such file" % os.path.join(st.dir, "missing.conf") in err, err
    path = write(st, "b.conf", "edge = 127.0.0.1:5\nzstd-level = 23\n")
    rc, out, err = run("danmaku-bench", "--config", path)
    assert rc == 2 and "--zstd-level: '23' is out of range 1..22 (%s:2)" % path in err, err


if __name__ == "__main__":
    main()

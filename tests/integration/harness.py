"""harness.py — starts real processes for integration tests: a redis-server on
a free port in a temp dir, our real binaries (ASan+UBSan build), and offers an
independent WebSocket client (python3-websockets) beside a tiny RESP client.

Only processes started here are ever signalled, by pid. Every process's stderr
goes to a log file in the temp dir; at the end each log is scanned and the test
fails on any sanitizer report or any line our logger printed at ERROR level
(common/log.c: "ts prog[pid] [ctx] LEVEL tag: message"), like nginx-tests'
alert check. WARN and lower never fail a test. A test that provokes an error
says so: st.expect_log("broadcaster", r"ERROR conn: cannot listen") excuses the
matching lines and fails the test if none appeared (min_count=0: only excuse).
Sanitizer reports are never excused.

Usage in a test file:
    from harness import Stack, test, main, http
    @test
    def test_something(st):      # st: a fresh Stack, torn down afterwards
        r = st.redis(); b = st.broadcaster(); e = st.edge()
        ...
    if __name__ == "__main__": main()
"""
import asyncio, http.client as _httpc, json, os, random, re, shutil, signal, socket, subprocess
import sys, tempfile, time, traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("DM_BIN", os.path.join(ROOT, "build", "asan", "bin"))
SAN_ENV = {
    "ASAN_OPTIONS": "halt_on_error=1:detect_leaks=1:exitcode=86:abort_on_error=0",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1:exitcode=87",
    "LSAN_OPTIONS": "exitcode=88",
}
# Sanitizer reports (never excusable).
SAN_LOG = re.compile(r"(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                     r"SUMMARY: UndefinedBehaviorSanitizer|out of memory allocating)")
# One line of common/log.c: "2026-12-03T13:41:16.123Z edge[123] w2 ERROR redis: msg"
# (the "w2" context is optional). Group "body" is "LEVEL tag: msg".
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+\[\d+\](?: .*?)? "
                      r"(?P<body>(?P<level>DEBUG|INFO|WARN|ERROR) (?P<tag>[^ :]+): (?P<msg>.*))$")
# What fails a test unless expected: a sanitizer report or a logged ERROR line.
# Multi-line mode, so BAD_LOG.search(whole_text) works as well as per line.
BAD_LOG = re.compile(SAN_LOG.pattern + r"|(?m:^\d{4}-\d\d-\d\dT\S+Z \S+\[\d+\](?: .*?)? ERROR [^ :]+: )")
_used_ports = set()


def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago (not reused in this run)."""
    for _ in range(100):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        s.close()
        if p not in _used_ports:
            _used_ports.add(p)
            return p
    raise RuntimeError("no free port")


def wait_until(pred, timeout=10.0, step=0.05, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return True
        except Exception:
            pass
        time.sleep(step)
    raise TimeoutError("timed out waiting for " + what)


class Resp:
    """Minimal blocking RESP2 client, enough for test assertions."""
    def __init__(self, port, host="127.0.0.1"):
        self.s = socket.create_connection((host, port), timeout=10)
        self.f = self.s.makefile("rb")

    def cmd(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self._read()

    def _read(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("redis closed")
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            d = self.f.read(n + 2)
            return d[:-2]
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise RuntimeError("bad RESP " + repr(line))

    def close(self):
        try:
            self.s.close()
        except Exception:
            pass


class Proc:
    def __init__(self, name, argv, log, env=None, cwd=None):
        self.name, self.argv, self.log = name, argv, log
        e = dict(os.environ)
        e.update(SAN_ENV)
        if env:
            e.update(env)
        self.logf = open(log, "ab")
        self.p = subprocess.Popen(argv, stdout=self.logf, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, env=e, cwd=cwd)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, timeout=15):
        """SIGTERM, wait, SIGKILL if needed. Returns the exit code."""
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait(5)
                raise AssertionError("%s did not exit on SIGTERM within %ss" % (self.name, timeout))
        self.logf.close()
        return self.p.returncode

    def kill(self):
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            self.p.wait(5)


class Stack:
    """A throwaway deployment in a temp dir. Tear down with close()."""
    def __init__(self, name="t"):
        self.dir = tempfile.mkdtemp(prefix="dm-%s-" % name)
        self.procs = []
        self.expected_exit = {}  # proc -> allowed exit codes besides 0
        self.expected_logs = []  # LogExpectation, checked in close()
        self.redis_port = None

    # -- processes ------------------------------------------------------
    def spawn(self, name, argv, env=None):
        log = os.path.join(self.dir, "%s-%d.log" % (name, len(self.procs)))
        p = Proc(name, argv, log, env=env)
        self.procs.append(p)
        return p

    def redis(self, port=None, appendonly=False, extra=()):
        """Starts redis-server on a free loopback port; returns the Proc (.port set)."""
        port = port or free_port()
        d = os.path.join(self.dir, "redis-%d" % port)
        os.makedirs(d, exist_ok=True)
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", d,
                "--save", "", "--appendonly", "yes" if appendonly else "no",
                "--appendfsync", "always", "--protected-mode", "no", "--logfile", ""] + list(extra)
        p = self.spawn("redis", argv)
        p.port = port
        self.redis_port = port
        wait_until(lambda: Resp(port).cmd("PING") == "PONG", 10, what="redis-server")
        return p

    def rc(self):
        """A fresh RESP client to this stack's redis."""
        return Resp(self.redis_port)

    def broadcaster(self, *args, redis_port=None, port=None, wait=True):
        port = port or free_port()
        rp = redis_port or self.redis_port
        argv = [os.path.join(BIN, "broadcaster"), "--listen", "127.0.0.1:%d" % port,
                "--redis", "127.0.0.1:%d" % rp] + list(args)
        p = self.spawn("broadcaster", argv)
        p.port = port
        if wait:
            wait_until(lambda: http("GET", port, "/healthz")[0] == 200, 15, what="broadcaster healthz")
        return p

    def edge(self, *args, redis_port=None, port=None, wait=True):
        port = port or free_port()
        rp = redis_port or self.redis_port
        argv = [os.path.join(BIN, "edge"), "--listen", "127.0.0.1:%d" % port,
                "--redis", "127.0.0.1:%d" % rp] + list(args)
        p = self.spawn("edge", argv)
        p.port = port
        if wait:
            wait_until(lambda: http("GET", port, "/healthz")[0] == 200, 15, what="edge healthz")
        return p

    # -- log expectations -------------------------------------------------
    def expect_log(self, proc, pattern, min_count=1):
        """Declares log lines of the processes named `proc` ("broadcaster", "edge",
        "redis", or "*" for any) whose "LEVEL tag: message" part matches the regex
        `pattern` from its start (re.match) as expected: they do not fail the test,
        even at ERROR level, and close() fails unless at least `min_count` of them
        were logged (0: only excused). Returns the expectation (.count after close)."""
        e = LogExpectation(proc, pattern, min_count)
        self.expected_logs.append(e)
        return e

    def wait_log(self, p, pattern, timeout=10.0):
        """Waits until p's log has a line whose "LEVEL tag: message" part matches
        `pattern` (re.match); returns the line. Does not excuse it: pair with
        expect_log when the line is an ERROR."""
        rx = re.compile(pattern)
        found = []

        def seen():
            with open(p.log, "rb") as f:
                for line in f.read().decode("utf-8", "replace").splitlines():
                    m = LOG_LINE.match(line)
                    if m and rx.match(m.group("body")):
                        found.append(line)
                        return True
            return False
        wait_until(seen, timeout, what="%s log line %r" % (p.name, pattern))
        return found[0]

    def log_errors(self):
        """Scans every process log once; counts expected lines and returns the
        list of unexpected bad lines (sanitizer reports, unexpected ERRORs) and
        of expectations that were not met."""
        errors = []
        for e in self.expected_logs:
            e.count = 0
        for p in self.procs:
            with open(p.log, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            bad = None
            for line in text.splitlines():
                m = LOG_LINE.match(line)
                hits = [e for e in self.expected_logs if m and e.matches(p.name, m.group("body"))]
                for e in hits:
                    e.count += 1
                if bad is None and SAN_LOG.search(line):
                    bad = line
                elif bad is None and m and m.group("level") == "ERROR" and not hits:
                    bad = line
            if bad is not None:
                errors.append("%s log: %s" % (p.name, bad.strip()))
        for e in self.expected_logs:
            if e.count < e.min_count:
                errors.append("expected log line never appeared: %s %r (%d of at least %d)"
                              % (e.proc, e.rx.pattern, e.count, e.min_count))
        return errors

    def close(self, check_logs=True):
        errors = []
        for p in reversed(self.procs):
            try:
                rc = p.stop()
                if rc not in (0, None) and rc not in self.expected_exit.get(p, ()) \
                        and rc != -signal.SIGKILL:
                    errors.append("%s exited with %s (log %s)" % (p.name, rc, p.log))
            except AssertionError as e:
                errors.append(str(e))
        if check_logs:
            errors += self.log_errors()
        if errors:
            print("# logs kept in " + self.dir, file=sys.stderr)
            for p in self.procs:
                print("# ---- %s (%s)" % (p.name, p.log), file=sys.stderr)
                with open(p.log, "rb") as f:
                    print(f.read()[-3000:].decode("utf-8", "replace"), file=sys.stderr)
            raise AssertionError("; ".join(errors))
        shutil.rmtree(self.dir, ignore_errors=True)


class LogExpectation:
    """One st.expect_log() declaration (see there)."""
    def __init__(self, proc, pattern, min_count):
        self.proc, self.rx, self.min_count, self.count = proc, re.compile(pattern), min_count, 0

    def matches(self, name, body):
        return self.proc in ("*", name) and self.rx.match(body) is not None


def http(method, port, path, body=None, headers=None, host="127.0.0.1", timeout=10):
    """One request on a fresh connection. Returns (status, headers dict lowercased, body bytes)."""
    c = _httpc.HTTPConnection(host, port, timeout=timeout)
    if isinstance(body, (dict, list)):
        body = json.dumps(body, ensure_ascii=False).encode()
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "application/json")
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    except (ConnectionError, OSError, _httpc.HTTPException):
        return 0, {}, b""
    finally:
        c.close()


def http_json(method, port, path, body=None, headers=None):
    st, h, data = http(method, port, path, body, headers)
    try:
        return st, json.loads(data) if data else None
    except ValueError:
        return st, data


# -- test registration --------------------------------------------------
_tests = []


def test(fn):
    _tests.append(fn)
    return fn


def main():
    only = sys.argv[1:]
    failed = 0
    for fn in _tests:
        if only and fn.__name__ not in only:
            continue
        st = Stack(fn.__name__)
        t0 = time.time()
        ok = True
        try:
            r = fn(st)
            if asyncio.iscoroutine(r):
                asyncio.run(asyncio.wait_for(r, 300))
        except Exception:
            ok = False
            traceback.print_exc()
        try:
            st.close()
        except Exception:
            if ok:
                traceback.print_exc()
            ok = False
        print("%s - %s (%.1fs)" % ("ok" if ok else "not ok", fn.__name__, time.time() - t0), flush=True)
        failed += not ok
    sys.exit(1 if failed else 0)

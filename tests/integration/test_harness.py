"""test_harness.py — the harness's log check against real processes: an ERROR
line our logger prints fails a test unless the test expects it, an expected
line that never appears fails it, WARN lines never fail it, and a sanitizer
report cannot be excused."""
import os, socket, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import main, test, wait_until


@test
def test_logged_error_fails_unless_expected(st):
    st.redis()
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        b = st.broadcaster(port=port, wait=False)
        wait_until(lambda: not b.alive(), 15, what="broadcaster exits on a busy port")
    finally:
        taken.close()
    st.expected_exit[b] = (b.p.returncode,)
    errs = st.log_errors()
    assert any("ERROR conn: cannot listen on" in e for e in errs), errs
    st.expect_log("broadcaster", r"ERROR conn: cannot listen on 127\.0\.0\.1:%d" % port)
    assert st.log_errors() == [], st.log_errors()


@test
def test_expected_line_missing_fails(st):
    st.redis()
    st.broadcaster()
    e = st.expect_log("broadcaster", r"ERROR seq: no such line")
    errs = st.log_errors()
    assert any("expected log line never appeared" in x for x in errs), errs
    e.min_count = 0                 # only excused now: the stack closes clean
    assert st.log_errors() == [], st.log_errors()


@test
def test_warn_lines_do_not_fail(st):
    r = st.redis()
    b = st.broadcaster()
    r.kill()
    line = st.wait_log(b, r"WARN seq: redis 127\.0\.0\.1:%d unavailable" % r.port, 15)
    assert " WARN seq: " in line, line
    assert st.log_errors() == [], st.log_errors()


@test
def test_sanitizer_report_cannot_be_excused(st):
    p = st.spawn("fake", ["sh", "-c", "echo '==1==ERROR: AddressSanitizer: heap-use-after-free'"])
    wait_until(lambda: not p.alive(), 10, what="fake process exits")
    st.expect_log("*", r".*", min_count=0)
    errs = st.log_errors()
    assert any("AddressSanitizer" in e for e in errs), errs
    st.procs.remove(p)              # the report was the point: do not fail close()


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# tests/run.sh BUILD_DIR — runs the source checks (scripts/check_includes.py,
# scripts/modmap.py --check), every unit test binary (BUILD_DIR/t/*) and every
# integration test (tests/integration/test_*.py) against BUILD_DIR/bin, each as
# its own process with a timeout. Counts "ok - " / "not ok - " lines; a program
# that crashes, times out, or prints a sanitizer report counts as a failure.
# Closes with "N passed, N failed". Filter with TESTS="pattern ...".
set -u
B=${1:-build/asan}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export DM_BIN="$ROOT/$B/bin"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:exitcode=86"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87"
PY=/usr/bin/python3
LOGDIR=$(mktemp -d /tmp/dm-test-XXXXXX)
pass=0; fail=0; failed_names=()
SAN='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer'

want() {  # name
  [ -z "${TESTS:-}" ] && return 0
  for p in $TESTS; do case "$1" in *$p*) return 0;; esac; done
  return 1
}

run_one() {  # name timeout cmd...
  local name=$1 to=$2; shift 2
  local log="$LOGDIR/$(basename "$name").log"
  echo "== $name"
  timeout -k 10 "$to" "$@" >"$log" 2>&1
  local rc=$?
  local p f
  p=$(grep -c '^ok - ' "$log"); f=$(grep -c '^not ok - ' "$log")
  grep -E '^(ok|not ok) - ' "$log" | sed 's/^/   /'
  if grep -Eq "$SAN" "$log"; then
    echo "   sanitizer report in $name:"; grep -E -A8 "$SAN" "$log" | head -30 | sed 's/^/   | /'
    f=$((f + 1))
  fi
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "   $name exited with $rc without a failing test line (crash or timeout)"
    f=$((f + 1))
  fi
  if [ "$f" -gt 0 ]; then
    echo "   --- tail of $log"; tail -40 "$log" | sed 's/^/   | /'
    failed_names+=("$name")
  fi
  if [ $rc -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    echo "   $name ran no test"; f=1; failed_names+=("$name")
  fi
  pass=$((pass + p)); fail=$((fail + f))
}

# Source checks: no #include cycle between our modules (per binary), and the
# module map in docs/ARCHITECTURE.md equals scripts/modmap.py's output; the
# checks' own tests (tests/scripts/test_checks.py).
want check_includes && run_one "check/check_includes" 60 "$PY" scripts/check_includes.py
want check_modmap && run_one "check/check_modmap" 60 "$PY" scripts/modmap.py --check
want test_checks && run_one "check/test_checks" 120 "$PY" tests/scripts/test_checks.py

for t in "$B"/t/test_*; do
  [ -x "$t" ] || continue
  want "$(basename "$t")" || continue
  run_one "unit/$(basename "$t")" 300 "$t"
done
# Fuzz smoke pass: every libFuzzer target (clang) for a few seconds on its
# seed corpus; a crash, leak or sanitizer report fails it. `make fuzz` runs
# the long version.
if command -v clang >/dev/null && want fuzz; then
  if make -s --no-print-directory -f fuzz/fuzz.mk build >"$LOGDIR/fuzz-build.log" 2>&1; then
    for f in build/fuzz/fuzz_*; do
      [ -x "$f" ] || continue
      n=$(basename "$f"); c=${n#fuzz_}
      mkdir -p "$LOGDIR/corpus-$c"
      echo "== fuzz/$n"
      if timeout -k 5 60 "$f" -max_total_time=${FUZZ_SMOKE_SECONDS:-4} -timeout=10 -rss_limit_mb=2048 \
           -max_len=8192 -print_final_stats=1 -artifact_prefix="$LOGDIR/crash-$c-" \
           "$LOGDIR/corpus-$c" fuzz/corpus/"$c" >"$LOGDIR/$n.log" 2>&1; then
        echo "   ok - $n ($(grep -o 'number_of_executed_units: *[0-9]*' "$LOGDIR/$n.log" | grep -o '[0-9]*$') execs)"
        pass=$((pass + 1))
      else
        echo "   not ok - $n"; tail -30 "$LOGDIR/$n.log" | sed 's/^/   | /'
        fail=$((fail + 1)); failed_names+=("fuzz/$n")
      fi
    done
  else
    echo "   not ok - fuzz build"; tail -30 "$LOGDIR/fuzz-build.log" | sed 's/^/   | /'
    fail=$((fail + 1)); failed_names+=("fuzz-build")
  fi
fi

for t in tests/integration/test_*.py; do
  [ -f "$t" ] || continue
  want "$(basename "$t")" || continue
  run_one "integration/$(basename "$t")" 900 "$PY" "$t"
done
# Browser client (web/): `make web` (npm ci + bundle), then node:test against a real stack
# from $DM_BIN; node's TAP lines "ok N - name" are rewritten to the "ok - name" counted here.
if want web; then
  if ! command -v node >/dev/null; then
    echo "   not ok - web: node not installed (scripts/deps.sh)"; fail=$((fail + 1)); failed_names+=("web")
  elif make -s --no-print-directory web >"$LOGDIR/web-build.log" 2>&1; then
    run_one "web/node-test" 600 bash -c 'set -o pipefail; cd web &&
      node --test --test-concurrency=1 --test-reporter=tap test/ | sed -E "s/^(not )?ok [0-9]+ - /\1ok - /"'
  else
    echo "   not ok - web build"; tail -30 "$LOGDIR/web-build.log" | sed 's/^/   | /'
    fail=$((fail + 1)); failed_names+=("web-build")
  fi
fi
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "logs: $LOGDIR"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]

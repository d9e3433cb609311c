#!/usr/bin/env bash
# scripts/bench.sh — `make bench`: starts a throwaway local deployment
# (redis-server on a free loopback port in a temp dir, bin/broadcaster, and
# bin/edge restarted per scenario with enough workers), runs the standard
# scenarios S1..S6 of issue 4 with bin/danmaku-bench, keeps every JSON result
# and plot in docs/bench/, and rewrites docs/BENCHMARKS.md from them (the
# hand-written sections are kept). PEERS (issue 10): ours vs Redis pub/sub vs
# nginx+Nchan in the same run, each at the highest rate passing p99 < 1 s and
# complete (a short rate search), written to docs/bench/PEERS.md; run alone
# (BENCH_ONLY=PEERS) it leaves docs/BENCHMARKS.md alone. Only processes
# started here are signalled, by pid. Knobs: BENCH_ONLY="S1 S4" (subset),
# BENCH_QUICK=1 (short runs, to try the script), BENCH_PERF=1 (perf profile
# of the edge in S1 and S5), DM_CORPUS=FILE.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN="$ROOT/bin"
OUT="$ROOT/docs/bench"
CORPUS=${DM_CORPUS:-$ROOT/../shared/data/danmaku/bilibili_video_danmaku.jsonl}
ONLY=${BENCH_ONLY:-"S1 S2 S3 S4 S5 S6 PEERS"}
QUICK=${BENCH_QUICK:-0}
TMP=$(mktemp -d /tmp/dm-bench-XXXXXX)
CMDS=/dev/null
PIDS=()
EDGE_PID=""

log() { echo "bench: $*" >&2; }
want() { case " $ONLY " in *" $1 "*) return 0;; esac; return 1; }
# Durations: full or quick.
dur() { if [ "$QUICK" = 1 ]; then echo "$2"; else echo "$1"; fi; }

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() {  # port path tries
  local i
  for i in $(seq 1 "${3:-100}"); do
    curl -sf -o /dev/null "http://127.0.0.1:$1$2" && return 0
    sleep 0.1
  done
  return 1
}

stop_pid() {  # pid: SIGTERM, wait up to 20 s, then SIGKILL
  local p=$1 i
  kill -0 "$p" 2>/dev/null || return 0
  kill "$p" 2>/dev/null
  for i in $(seq 1 200); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  log "pid $p did not stop on SIGTERM; killing"
  kill -9 "$p" 2>/dev/null
}

cleanup() {
  [ -n "$EDGE_PID" ] && stop_pid "$EDGE_PID"
  local i
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do stop_pid "${PIDS[$i]}"; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$BIN/danmaku-bench" ] && [ -x "$BIN/edge" ] && [ -x "$BIN/broadcaster" ] || { log "run make first"; exit 2; }
[ -f "$CORPUS" ] || { log "corpus $CORPUS not found (set DM_CORPUS)"; exit 2; }
mkdir -p "$OUT"
rm -f "$OUT/commands.txt"
for s in $ONLY; do   # results of the scenarios re-run now (PEERS: of its BENCH_PEER_SC only)
  if [ "$s" = PEERS ] && [ -n "${BENCH_PEER_SC:-}" ]; then
    for sc in $BENCH_PEER_SC; do rm -f "$OUT/PEERS-$sc"-*; done
    continue
  fi
  rm -f "$OUT/$s".* "$OUT/$s"-*
done
# begin SID: later commands are recorded in docs/bench/SID.cmds
begin() { CMDS="$OUT/$1.cmds"; : > "$CMDS"; log "== $1"; }

RPORT=$(free_port); BPORT=$(free_port); EPORT=$(free_port)
mkdir -p "$TMP/redis"
redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$TMP/redis" --save "" --appendonly no \
  --protected-mode no --logfile "$TMP/redis.log" >/dev/null 2>&1 &
PIDS+=($!); REDIS_PID=$!
for i in $(seq 1 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
"$BIN/broadcaster" --listen 127.0.0.1:$BPORT --redis 127.0.0.1:$RPORT --log-level warn --rate-limits off 2>"$TMP/broadcaster.log" &
PIDS+=($!); BC_PID=$!
wait_http "$BPORT" /healthz || { log "broadcaster did not come up"; cat "$TMP/broadcaster.log" >&2; exit 1; }
log "redis :$RPORT (pid $REDIS_PID), broadcaster :$BPORT (pid $BC_PID)"

start_edge() {  # workers [extra args]; a fresh port each time (no TIME_WAIT clashes)
  local w=$1; shift
  EPORT=$(free_port)
  "$BIN/edge" --listen 127.0.0.1:$EPORT --redis 127.0.0.1:$RPORT --workers "$w" --log-level warn "$@" \
    2>>"$TMP/edge.log" &
  EDGE_PID=$!
  wait_http "$EPORT" /healthz || { log "edge did not come up"; tail -20 "$TMP/edge.log" >&2; exit 1; }
  echo "bin/edge --listen 127.0.0.1:\$EDGE_PORT --redis 127.0.0.1:\$REDIS_PORT --workers $w $*" >> "$CMDS"
}

stop_edge() { [ -n "$EDGE_PID" ] && stop_pid "$EDGE_PID"; EDGE_PID=""; sleep 1; }

# run_bench ID [danmaku-bench args...]: result in docs/bench/ID.json + plots
run_bench() {
  local id=$1; shift
  local args=(--edge 127.0.0.1:$EPORT --broadcaster 127.0.0.1:$BPORT --corpus "$CORPUS" --quiet
              --label "$id" --json "$OUT/$id.json" --plot "$TMP/$id" "$@")
  if [ -n "$EDGE_PID" ]; then args+=(--server-pids "$EDGE_PID,$BC_PID,$REDIS_PID")
  else args+=(--server-pids "$BC_PID,$REDIS_PID"); fi
  echo "bin/danmaku-bench --edge 127.0.0.1:\$EDGE_PORT --broadcaster 127.0.0.1:\$BC_PORT --label $id $* --server-pids [EDGE,]BC,REDIS --json docs/bench/$id.json --plot docs/bench/$id" >> "$CMDS"
  log "$id: danmaku-bench $*"
  timeout -k 10 300 "$BIN/danmaku-bench" "${args[@]}" > "$OUT/$id.txt" 2>&1
  local rc=$?
  cat "$OUT/$id.txt" >&2
  for f in latency cdf; do [ -f "$TMP/$id-$f.png" ] && mv "$TMP/$id-$f.png" "$OUT/$id-$f.png"; done
  return $rc
}

perf_edge() {  # id seconds: profiles the edge tree while a bench runs
  [ "${BENCH_PERF:-0}" = 1 ] || return 0
  command -v perf >/dev/null || return 0
  local pids
  pids=$(pgrep -P "$EDGE_PID" | paste -sd, -)
  [ -n "$pids" ] || return 0
  ( sleep "$3"; perf record -q -g -p "$pids" -o "$TMP/$1.perf" -- sleep "$2" >/dev/null 2>&1
    perf report -i "$TMP/$1.perf" --no-children --sort dso,sym -g none --percent-limit 1 --stdio 2>/dev/null \
      | grep -v '^$' | grep -v '^#' | head -40 > "$OUT/$1-perf.txt" ) &
  PERF_PID=$!
}
wait_perf() { [ -n "${PERF_PID:-}" ] && wait "$PERF_PID"; PERF_PID=""; }

# ---- S1: hot room ---------------------------------------------------------
if want S1; then
  begin S1
  start_edge 2
  perf_edge S1 10 18
  run_bench S1 --viewers 20000 --rooms 1 --rate 1020 --mix comments:0.98,gifts:0.02 \
    --format pb --compress zstd --ramp 4000 --warmup 5 --duration "$(dur 30 8)" --drain 3
  wait_perf
  stop_edge
  start_edge 2
  run_bench S1-json --viewers 20000 --rooms 1 --rate 1020 --mix comments:0.98,gifts:0.02 \
    --format json --compress none --ramp 4000 --warmup 5 --duration "$(dur 15 5)" --drain 3
  stop_edge
fi

# ---- S2: many rooms -------------------------------------------------------
if want S2; then
  begin S2
  start_edge 2
  run_bench S2 --viewers 20000 --rooms 2000 --popularity zipf:1.0 --rate 5000 \
    --mix comments:0.98,gifts:0.02 --format pb --compress zstd --ramp 4000 --warmup 5 \
    --duration "$(dur 30 8)" --drain 3
  stop_edge
fi

# ---- S3: scale ------------------------------------------------------------
if want S3; then
  begin S3
  start_edge 7 --max-viewers-per-worker 19000
  run_bench S3 --viewers "$(dur 100000 30000)" --rooms 10 --rate 100 --mix comments:0.98,gifts:0.02 \
    --format json --ramp 5000 --warmup 3 --duration "$(dur 20 5)" --drain 3 \
    --src-addrs 127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5
  stop_edge
fi

# ---- S4: ingest -----------------------------------------------------------
if want S4; then
  begin S4
  for rate in 20000 40000 50000; do
    for rep in 1 2 3; do
      [ "$QUICK" = 1 ] && [ "$rep" -gt 1 ] && continue
      run_bench "S4-$rate-$rep" --viewers 0 --rooms 1000 --rate "$rate" --mix comments:0.98,gifts:0.02 \
        --pub-conns 256 --warmup 2 --duration "$(dur 6 4)" --drain 2
    done
  done
fi

# ---- S5: efficiency vs the bare-write baseline ------------------------------
if want S5; then
  begin S5
  for rep in 1 2 3; do      # the machine is shared: the median of three
    echo "bin/danmaku-bench --raw-baseline --conns 20000 --frame-bytes 256 --writers 2 --duration $(dur 8 3) --json docs/bench/S5-raw-$rep.json" >> "$CMDS"
    log "S5: raw baseline $rep"
    "$BIN/danmaku-bench" --raw-baseline --conns 20000 --frame-bytes 256 --writers 2 \
      --duration "$(dur 8 3)" --label "S5-raw-$rep" --json "$OUT/S5-raw-$rep.json" > "$OUT/S5-raw-$rep.txt" 2>&1
    cat "$OUT/S5-raw-$rep.txt" >&2
  done
  for rate in 2000 3000 4000 6000; do
    start_edge 2
    [ "$rate" = 4000 ] && perf_edge S5 8 14
    run_bench "S5-$rate" --viewers 20000 --rooms 1000 --rate "$rate" --mix comments:1 \
      --format json --ramp 4000 --warmup 3 --duration "$(dur 15 5)" --drain 3
    wait_perf
    stop_edge
  done
fi

# ---- S6: wire size ----------------------------------------------------------
if want S6; then
  begin S6
  echo "bin/danmaku-bench --wire-size --heldout --corpus ../shared/data/danmaku/bilibili_video_danmaku.jsonl" >> "$CMDS"
  "$BIN/danmaku-bench" --wire-size --heldout --corpus "$CORPUS" > "$OUT/S6.txt" 2>/dev/null
  cat "$OUT/S6.txt" >&2
  echo "bin/danmaku-bench --wire-size --heldout --zstd-level 6 --corpus ../shared/data/danmaku/bilibili_video_danmaku.jsonl" >> "$CMDS"
  "$BIN/danmaku-bench" --wire-size --heldout --zstd-level 6 --corpus "$CORPUS" > "$OUT/S6-l6.txt" 2>/dev/null
fi

# ---- PEERS: ours vs Redis pub/sub vs Nchan (issue 10) ----------------------
# One run of the search: exit 0 (complete, no errors) and p99 < 1 s.
peer_pass() {  # json
  /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["ok"] and r["delivery"]["latency_ms"]["p99"] < 1000 else 1)' "$1" 2>/dev/null
}

# peer_run ID TARGET RATE VIEWERS ROOMS: one <= 15 s run of the target.
peer_run() {
  local id=$1 t=$2 rate=$3 v=$4 rooms=$5
  local common=(--viewers "$v" --rooms "$rooms" --rate "$rate" --mix comments:0.98,gifts:0.02
                --ramp 5000 --warmup 2 --duration "$(dur 5 3)" --drain 2)
  if [ "$t" = dm ]; then
    start_edge 2
    run_bench "$id" "${common[@]}" --format pb --compress zstd
    stop_edge
  else
    echo "bin/danmaku-bench --target $t --peer-start --label $id ${common[*]} --json docs/bench/$id.json" >> "$CMDS"
    log "$id: danmaku-bench --target $t --peer-start ${common[*]}"
    PATH="$PATH:/usr/sbin" timeout -k 10 120 "$BIN/danmaku-bench" --target "$t" --peer-start --corpus "$CORPUS" \
      --quiet --label "$id" --json "$OUT/$id.json" "${common[@]}" > "$OUT/$id.txt" 2>&1
    tail -4 "$OUT/$id.txt" >&2
  fi
  peer_pass "$OUT/$id.json"
}

# peer_search SC TARGET START VIEWERS ROOMS: doubles from START while runs
# pass (halves while they fail), then one bisection step; at most 5 runs.
# The best passing rate is re-run twice (the machine is shared: medians of
# 3 are reported). Leaves docs/bench/PEERS-SC-TARGET-RATE[-rep].json.
peer_search() {
  local sc=$1 t=$2 r=$3 v=$4 rooms=$5 pass="" fail="" step
  for step in $(seq 1 "$(dur 5 2)"); do
    if peer_run "PEERS-$sc-$t-$r" "$t" "$r" "$v" "$rooms"; then pass=$r; else fail=$r; fi
    if [ -n "$pass" ] && [ -n "$fail" ]; then
      [ $((fail * 100)) -le $((pass * 135)) ] && break
      r=$(( (pass + fail) / 2 ))
    elif [ -n "$pass" ]; then r=$((r * 2))
    else r=$((r / 2)); [ "$r" -lt 1 ] && break
    fi
    [ -f "$OUT/PEERS-$sc-$t-$r.json" ] && break
  done
  [ -n "$pass" ] || return 0
  [ "$QUICK" = 1 ] && return 0
  for step in 2 3; do peer_run "PEERS-$sc-$t-$pass-$step" "$t" "$pass" "$v" "$rooms" || true; done
}

if want PEERS; then
  begin PEERS
  # redis-server is one process: it can hold (open-file hard limit - 32)
  # clients; the bench asks for viewers + publishers + 64.
  PV=${BENCH_PEER_VIEWERS:-20000}     # a smaller figure only to try the script
  NOFILE=$(ulimit -Hn)
  RV=$PV; [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((PV + 200)) ] && RV=$(( (NOFILE - 100) / 10 * 10 ))
  PSC=${BENCH_PEER_SC:-"P1 P2"}      # P1: one room, P2: rooms of 10 viewers
  for t in dm redis nchan; do
    v=$PV; [ "$t" = redis ] && v=$RV
    case $t in dm) start=100;; *) start=10;; esac
    case " $PSC " in *" P1 "*) peer_search P1 "$t" "$start" "$v" 1;; esac
  done
  for t in dm redis nchan; do
    v=$PV; [ "$t" = redis ] && v=$RV
    case " $PSC " in *" P2 "*) peer_search P2 "$t" 1000 "$v" $((v / 10));; esac
  done
  /usr/bin/python3 "$ROOT/bench/mkreport.py" "$ROOT" --peers > "$OUT/PEERS.md" || { log "peers report failed"; exit 1; }
  cat "$OUT/PEERS.md" >&2
fi

stop_edge
if [ "$ONLY" = PEERS ]; then log "wrote docs/bench/PEERS.md (docs/BENCHMARKS.md left as it is)"; exit 0; fi
/usr/bin/python3 "$ROOT/bench/mkreport.py" "$ROOT" || { log "report failed"; exit 1; }
log "wrote docs/BENCHMARKS.md"

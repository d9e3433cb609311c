#!/usr/bin/env bash
# ab.sh EDGEBIN LABEL SCEN [perf] — one A/B run for "Edge optimisation" in
# docs/BENCHMARKS.md: a fresh redis-server + broadcaster + the given edge binary
# (2 workers) on free loopback ports, the S2/S5 danmaku-bench command of
# scripts/bench.sh (S2 with --duration 20 instead of 30), schedstat and
# voluntary/involuntary context switches of the edge workers 13 s and 18 s in,
# and with "perf" a perf record -g (8 s) + perf stat (5 s) of the workers.
# Results in $AB_OUT (default /tmp/ab/res); summarise with summ.py.
set -u
cd "$(dirname "$0")/../../.."   # repository root
EDGE=$1; LABEL=$2; SCEN=$3; PERF=${4:-}
CORPUS=${DM_CORPUS:-../shared/data/danmaku/bilibili_video_danmaku.jsonl}
OUT=${AB_OUT:-/tmp/ab/res}; mkdir -p $OUT
fp() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TMP=$(mktemp -d /tmp/ab-run-XXXX)
RP=$(fp); BP=$(fp); while [ "$BP" = "$RP" ]; do BP=$(fp); done; EP=$(fp); while [ "$EP" = "$RP" ] || [ "$EP" = "$BP" ]; do EP=$(fp); done
redis-server --port $RP --bind 127.0.0.1 --dir $TMP --save "" --appendonly no --protected-mode no --logfile $TMP/redis.log >/dev/null 2>&1 & RPID=$!
for i in $(seq 1 100); do redis-cli -p $RP ping >/dev/null 2>&1 && break; sleep 0.1; done
${BC_BIN:-bin/broadcaster} --listen 127.0.0.1:$BP --redis 127.0.0.1:$RP --log-level warn 2>$TMP/bc.log & BPID=$!
${EDGE_PREFIX:-} $EDGE --listen 127.0.0.1:$EP --redis 127.0.0.1:$RP --workers 2 --log-level info 2>$TMP/edge.log & EPID=$!
for i in $(seq 1 100); do curl -sf -o /dev/null http://127.0.0.1:$BP/healthz && curl -sf -o /dev/null http://127.0.0.1:$EP/healthz && break; sleep 0.1; done
case $SCEN in
 S2) A="--viewers 20000 --rooms 2000 --popularity zipf:1.0 --rate 5000 --mix comments:0.98,gifts:0.02 --format pb --compress zstd --ramp 4000 --warmup 5 --duration 20 --drain 3";;
 S5-3000) A="--viewers 20000 --rooms 1000 --rate 3000 --mix comments:1 --format json --ramp 4000 --warmup 3 --duration 15 --drain 3";;
 S5-4000) A="--viewers 20000 --rooms 1000 --rate 4000 --mix comments:1 --format json --ramp 4000 --warmup 3 --duration 15 --drain 3";;
 S5-5000) A="--viewers 20000 --rooms 1000 --rate 5000 --mix comments:1 --format json --ramp 4000 --warmup 3 --duration 15 --drain 3";;
 S5-6000) A="--viewers 20000 --rooms 1000 --rate 6000 --mix comments:1 --format json --ramp 4000 --warmup 3 --duration 15 --drain 3";;
 S1) A="--viewers 20000 --rooms 1 --rate 1020 --mix comments:0.98,gifts:0.02 --format pb --compress zstd --ramp 4000 --warmup 5 --duration 15 --drain 3";;
esac
( sleep 13; W=$(pgrep -P $EPID); for p in $W; do echo $(cat /proc/$p/schedstat) $(grep ctxt /proc/$p/status | cut -f2); done > $OUT/$LABEL.ss0; sleep 5; for p in $W; do echo $(cat /proc/$p/schedstat) $(grep ctxt /proc/$p/status | cut -f2); done > $OUT/$LABEL.ss1 ) &
if [ -n "$PERF" ]; then
  ( sleep 12; W=$(pgrep -P $EPID | paste -sd, -); perf record -q -g -p $W -o $OUT/$LABEL.perf -- sleep 8 >/dev/null 2>&1;
    perf stat -e task-clock,context-switches,cpu-migrations -p $W -o $OUT/$LABEL.pstat -- sleep 5 >/dev/null 2>&1 ) & PP=$!
fi
timeout -k 10 200 bin/danmaku-bench --edge 127.0.0.1:$EP --broadcaster 127.0.0.1:$BP --corpus $CORPUS --quiet --label $LABEL --json $OUT/$LABEL.json --server-pids $EPID,$BPID,$RPID $A > $OUT/$LABEL.txt 2>&1
[ -n "$PERF" ] && wait $PP
for p in $EPID $BPID $RPID; do kill $p 2>/dev/null; for i in $(seq 1 100); do kill -0 $p 2>/dev/null || break; sleep 0.1; done; kill -9 $p 2>/dev/null; done
grep -h "stats" $TMP/edge.log | tail -2 > $OUT/$LABEL.stats
rm -rf $TMP
tail -30 $OUT/$LABEL.txt | grep -iE "p99|frames|complete|latency" | head -12

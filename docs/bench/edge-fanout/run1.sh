#!/usr/bin/env bash
# run1.sh BUILD_DIR EDGE_WORKERS "EDGE_EXTRA" bench args...   -> prints bench output
# starts redis, broadcaster(from BUILD_DIR), edge(from BUILD_DIR); kills only its own pids
set -u
B=$1; W=$2; EX=$3; shift 3
T=$(mkdir -p ${RES:-/tmp/edge-fanout}; mktemp -d /tmp/edge-fanout-run-XXXX)
fp() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
read RP BP EP < <(python3 -c '
import socket
ss=[socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1",0))
print(*[s.getsockname()[1] for s in ss])')
redis-server --port $RP --bind 127.0.0.1 --dir $T --save "" --appendonly no --protected-mode no --logfile $T/redis.log >/dev/null 2>&1 &
RPID=$!
for i in $(seq 50); do redis-cli -p $RP ping >/dev/null 2>&1 && break; sleep 0.1; done
$B/bin/broadcaster --listen 127.0.0.1:$BP --redis 127.0.0.1:$RP --log-level warn --rate-limits off 2>$T/bc.log &
BPID=$!
$B/bin/edge --listen 127.0.0.1:$EP --redis 127.0.0.1:$RP --workers $W --log-level ${EDGE_LOG:-warn} $EX 2>$T/edge.log &
EPID=$!
for i in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$EP/healthz && curl -sf -o /dev/null http://127.0.0.1:$BP/healthz && break; sleep 0.1; done
echo "pids redis=$RPID bc=$BPID edge=$EPID workers=$(pgrep -P $EPID | paste -sd,)" > $T/pids
cp $T/pids ${RES:-/tmp/edge-fanout}/last.pids
uptime
if [ -n "${SAMPLE:-}" ]; then ( set -- $SAMPLE; sleep $1; WP=$(pgrep -P $EPID)
  c0=0; for wp in $WP; do c0=$((c0+$(awk '{print $14+$15}' /proc/$wp/stat))); done; sleep $2
  c1=0; rss=0; for wp in $WP; do c1=$((c1+$(awk '{print $14+$15}' /proc/$wp/stat))); rss=$((rss+$(awk '/VmRSS/{print $2}' /proc/$wp/status))); done
  echo "edge sample: workers cpu $(( (c1-c0) * 100 / ($2 * 100) ))% ($((c1-c0)) ticks in $2 s), workers rss ${rss} kB"; rooms=$(curl -s http://127.0.0.1:$EP/healthz); echo "healthz: $rooms" ) & fi
timeout -k 5 120 $B/bin/danmaku-bench --edge 127.0.0.1:$EP --broadcaster 127.0.0.1:$BP --corpus ${DM_CORPUS_DIR:-../shared/data}/danmaku/bilibili_video_danmaku.jsonl --server-pids $EPID,$BPID,$RPID --quiet "$@" 
rc=$?
CPUT=0; for wp in $(pgrep -P $EPID); do t=$(awk '{print $14+$15}' /proc/$wp/stat); CPUT=$((CPUT+t)); done
for p in $EPID $BPID $RPID; do kill $p 2>/dev/null; done
for i in $(seq 100); do kill -0 $EPID 2>/dev/null || kill -0 $BPID 2>/dev/null || kill -0 $RPID 2>/dev/null || break; sleep 0.1; done
cp $T/edge.log ${RES:-/tmp/edge-fanout}/last-edge.log; FR=$(grep "stats" $T/edge.log | awk '{for(i=1;i<=NF;i++) if($i ~ /^frames=/){split($i,a,"="); f[$3]=a[2]}} END{s=0; for(k in f) s+=f[k]; print s}'); echo "edge workers: cpu $(echo "scale=2; $CPUT/100" | bc) s, frames $FR, us/frame $(echo "scale=2; $CPUT*10000/($FR+1)" | bc)"; grep -v stats $T/edge.log | tail -3
rm -rf $T
exit $rc

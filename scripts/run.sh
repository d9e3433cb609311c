#!/usr/bin/env bash
# scripts/run.sh (make run) — starts a local stack on fixed loopback ports:
# redis-server (throwaway data dir), one broadcaster and one edge; prints how
# to try it, and stops everything it started on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
REDIS_PORT=${REDIS_PORT:-6399}
BC_PORT=${BC_PORT:-8080}
EDGE_PORT=${EDGE_PORT:-8081}
WORKERS=${WORKERS:-1}
# the Chinese lexicon (keyword filter, replace) when the shared data is present
LEX=../shared/data/lexicon/zh
BC_ARGS=${BC_ARGS:-}
if [ -z "$BC_ARGS" ] && [ -f "$LEX/houbb_sensitive_word_dict.txt" ]; then
  BC_ARGS="--lexicon $LEX/houbb_sensitive_word_dict.txt --allow-list $LEX/houbb_sensitive_word_allow.txt"
fi
RUN=$(mktemp -d /tmp/danmaku-run-XXXXXX)
pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "stopping (pids ${pids[*]:-})"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$RUN"
}
trap "stop; exit 0" INT TERM
trap stop EXIT
for port in $REDIS_PORT $BC_PORT $EDGE_PORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "port $port on 127.0.0.1 is in use; set REDIS_PORT/BC_PORT/EDGE_PORT" >&2; exit 1
  fi
done
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$RUN" --save "" --appendonly no \
  --logfile "$RUN/redis.log" & pids+=($!)
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
bin/broadcaster --listen 127.0.0.1:$BC_PORT --redis 127.0.0.1:$REDIS_PORT $BC_ARGS 2>"$RUN/broadcaster.log" & pids+=($!)
bin/edge --listen 127.0.0.1:$EDGE_PORT --redis 127.0.0.1:$REDIS_PORT --workers "$WORKERS" 2>"$RUN/edge.log" & pids+=($!)
up=0
for _ in $(seq 150); do
  if curl -fs "http://127.0.0.1:$BC_PORT/healthz" >/dev/null 2>&1 &&
     curl -fs "http://127.0.0.1:$EDGE_PORT/healthz" >/dev/null 2>&1; then up=1; break; fi
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || break 2; done
  sleep 0.1
done
if [ "$up" != 1 ]; then
  echo "the stack did not come up; last log lines:" >&2
  tail -n 5 "$RUN"/*.log >&2
  exit 1
fi
cat <<MSG

  danmaku stack running (logs in $RUN):
    redis-server  127.0.0.1:$REDIS_PORT
    broadcaster   http://127.0.0.1:$BC_PORT   (ingest)
    edge          ws://127.0.0.1:$EDGE_PORT    (viewers)

  Watch a room (in another terminal):
    bin/danmaku-watch ws://127.0.0.1:$EDGE_PORT/v1/rooms/r1/ws
    bin/danmaku-watch --format pb --compress zstd ws://127.0.0.1:$EDGE_PORT/v1/rooms/r1/ws
    /usr/bin/python3 -m websockets ws://127.0.0.1:$EDGE_PORT/v1/rooms/r1/ws

  Send a comment, a gift and a like:
    curl -s -H 'Content-Type: application/json' -d '{"user_id":"u1","nick":"小明","text":"前方高能 🎉"}' http://127.0.0.1:$BC_PORT/v1/rooms/r1/comments
    curl -s -H 'Content-Type: application/json' -d '{"user_id":"u2","nick":"土豪","gift_id":"g1","gift_name":"小电视","count":1,"unit_value":24500}' http://127.0.0.1:$BC_PORT/v1/rooms/r1/gifts
    curl -s -H 'Content-Type: application/json' -d '{"user_id":"u3","count":5}' http://127.0.0.1:$BC_PORT/v1/rooms/r1/likes

  Moderation (admin API, loopback only without --auth-secret-file; see docs/API.md):
    curl -s -X PUT http://127.0.0.1:$BC_PORT/v1/rooms/r1/mutes/u1      # DELETE to unmute
  Broadcaster options: ${BC_ARGS:-(none)}

  Ctrl-C stops everything.
MSG
wait -n "${pids[@]}" || true
echo "a process exited; last log lines:"; tail -n 5 "$RUN"/*.log

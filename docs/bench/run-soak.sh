#!/usr/bin/env bash
# The order desk's soak and restart benchmark (method and figures: docs/performance.md).
#
#   docs/bench/run-soak.sh
#
# Starts the README's server (fsync on, in-process simulator at 0 ms, HEAP) on a fresh temp
# journal, runs wrk closed-loop orders for MINUTES one-minute segments (orders/s and server RSS
# after each), then kill -9's it under load and restarts it on the same journal, timing start ->
# ready, and checks that every answered order is still there. Results go to $OUT.
#
# The daily notional limits are raised for the run (RISK_DAILY_NOTIONAL_*): a 10-minute soak at
# full speed places more than the default 100,000,000 USDT a day, and would meet 422 RISK_LIMIT.
#
# Env (defaults): MINUTES=10  WRK_CONNECTIONS=32  HEAP=256m  OUT=/tmp/spark-soak-<time>
#   JAR=path (default target/spark-executor.jar)  PROFILE_AT=N  record 30 s of JFR in minute N (0: none)
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES=${MINUTES:-10}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
HEAP=${HEAP:-256m}
OUT=${OUT:-/tmp/spark-soak-$(date +%Y%m%d-%H%M%S)}
PROFILE_AT=${PROFILE_AT:-0}
command -v wrk >/dev/null || { echo "run-soak: wrk not found (apt-get install wrk)" >&2; exit 2; }
mkdir -p "$OUT"
cp "${JAR:-target/spark-executor.jar}" "$OUT/spark-executor.jar"
JAR=$OUT/spark-executor.jar
work=$(mktemp -d /tmp/spark-soak-server-XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
say() { echo "[run-soak $(date +%H:%M:%S)] $*" | tee -a "$OUT/summary.txt"; }
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

start() { # $1 = log name; sets pid and ready_ms (not in a subshell: pid must reach the caller)
  local t0; t0=$(date +%s%N)
  RISK_DAILY_NOTIONAL_PER_SYMBOL=1000000000000 RISK_DAILY_NOTIONAL_PER_STRATEGY=1000000000000 \
  HTTP_PORT=$port CLUSTER_PORT=0 JOURNAL_DIR=$work/journal SNAPSHOT_STORE_DIR=$work/snapshots SNAPSHOT_DIR=$work/state \
    java -Xms"$HEAP" -Xmx"$HEAP" -XX:+ExitOnOutOfMemoryError -jar "$JAR" serve > "$OUT/$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 2400); do
    kill -0 "$pid" 2>/dev/null || { say "server exited; see $OUT/$1.log"; exit 1; }
    curl -sf "http://127.0.0.1:$port/api/public/ready" > /dev/null && { ready_ms=$(( ($(date +%s%N) - t0) / 1000000 )); return 0; }
    sleep 0.05
  done
  say "not ready after 120 s"; exit 1
}

start server-1
say "start -> ready on an empty journal: ${ready_ms} ms (warm-up included)"
for m in $(seq "$MINUTES"); do
  if [ "$m" = "$PROFILE_AT" ]; then jcmd "$pid" JFR.start name=soak settings=profile duration=30s filename="$OUT/soak.jfr" > /dev/null; fi
  BENCH_RUN=s$m wrk -t1 -c"$WRK_CONNECTIONS" -d60s -s docs/bench/order.lua "http://127.0.0.1:$port" > "$OUT/wrk-$m.txt" 2>&1 || true
  say "minute $m: orders/s=$(awk '/Requests\/sec/{print $2}' "$OUT/wrk-$m.txt") $(grep -h '^wrk-status' "$OUT/wrk-$m.txt") rss-kb=$(ps -o rss= -p "$pid" | tr -d ' ')"
done
events=$(du -sh "$work/journal" | cut -f1)
# kill -9 under load: wrk still sending
BENCH_RUN=kill wrk -t1 -c"$WRK_CONNECTIONS" -d20s -s docs/bench/order.lua "http://127.0.0.1:$port" > "$OUT/wrk-kill.txt" 2>&1 &
wrk_pid=$!
sleep 5
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
say "kill -9 under load; journal on disk: $events"
kill "$wrk_pid" 2>/dev/null || true; wait "$wrk_pid" 2>/dev/null || true
start server-2
say "start -> ready after kill -9: ${ready_ms} ms ($(grep -o 'recovered [0-9]* open orders in [0-9]* order desks in [0-9]* ms' "$OUT/server-2.log" | head -1))"
# every order the first server answered in minute 1 is still there (a sample: the first thread's first 200)
missing=0
# ids 2..201: wrk never sends its first id (it calls request() once before it sends anything)
for i in $(seq 2 201); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-API-Key: trader-dev-key' "http://127.0.0.1:$port/api/private/order/wrk-s1-1-$i")
  [ "$code" = 200 ] || missing=$((missing + 1))
done
say "orders of minute 1 answered after the restart: $((200 - missing)) of 200"
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=
say "done; results in $OUT"

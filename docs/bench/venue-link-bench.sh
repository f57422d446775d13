#!/usr/bin/env bash
# The venue link's cost, side by side in one run (method and figures: docs/performance.md):
# the executor with the in-process venue (VENUE=sim-inproc), then the executor with HttpVenue
# (VENUE=http) against a real `venue-sim` process on loopback. For each: the open-loop bench at
# $RATE orders/s (place->ack p50/p99) and wrk closed-loop for max orders/s; for the HTTP run, the
# pool's connections opened vs venue requests (keep-alive reuse), from the executor's metrics and
# cross-checked by the connections the simulator's port holds.
#
#   docs/bench/venue-link-bench.sh
#
# Env (defaults): RATE=500 DURATION=30s WARMUP=10s CONNECTIONS=32 WRK_DURATION=30s WRK_CONNECTIONS=32
#   HEAP=512m BATCH_ENABLED=true OUT=/tmp/spark-venue-bench-<time>
set -euo pipefail
cd "$(dirname "$0")/../.."

RATE=${RATE:-500}
DURATION=${DURATION:-30s}
WARMUP=${WARMUP:-10s}
CONNECTIONS=${CONNECTIONS:-32}
WRK_DURATION=${WRK_DURATION:-30s}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
HEAP=${HEAP:-512m}
export BATCH_ENABLED=${BATCH_ENABLED:-true}
OUT=${OUT:-/tmp/spark-venue-bench-$(date +%Y%m%d-%H%M%S)}

say() { echo "[venue-link-bench $(date +%H:%M:%S)] $*"; }
command -v wrk >/dev/null || { echo "venue-link-bench: wrk not found (apt-get install wrk)" >&2; exit 2; }
mkdir -p "$OUT"
if [ ! -f target/spark-executor.jar ]; then
  say "building target/spark-executor.jar"
  mvn -B -q -DskipTests package
fi
cp target/spark-executor.jar "$OUT/spark-executor.jar"
JAR=$OUT/spark-executor.jar
{
  echo "date: $(date -Is)"
  echo "git: $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "nproc: $(nproc)"
  echo "load: $(uptime)"
  java -version 2>&1 | head -1
} > "$OUT/machine.txt"

pids=()
dirs=()
cleanup() {
  for p in "${pids[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$p" 2>/dev/null || true
  done
  pids=()
  for d in "${dirs[@]}"; do rm -rf "$d"; done
  dirs=()
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for() { # $1 = pid, $2 = url, $3 = log
  for _ in $(seq 240); do
    kill -0 "$1" 2>/dev/null || { say "process exited; see $3"; tail -20 "$3"; exit 1; }
    curl -sf "$2" >/dev/null && return 0
    sleep 0.5
  done
  say "not ready after 120 s: $2 (see $3)"
  exit 1
}

start_sim() {
  local dir; dir=$(mktemp -d /tmp/spark-venue-sim-XXXXXX); dirs+=("$dir")
  sim_port=$(free_port)
  SIM_PORT=$sim_port SIM_DATA_DIR=$dir java -Xms256m -Xmx256m -jar "$JAR" venue-sim > "$OUT/venue-sim.log" 2>&1 &
  sim_pid=$!; pids+=("$sim_pid")
  wait_for "$sim_pid" "http://127.0.0.1:$sim_port/api/v3/ping" "$OUT/venue-sim.log"
  say "venue-sim ready on $sim_port (pid $sim_pid)"
}

start_executor() { # $1 = name, then env assignments
  local name=$1; shift
  local dir; dir=$(mktemp -d /tmp/spark-venue-exec-XXXXXX); dirs+=("$dir")
  port=$(free_port)
  env "$@" HTTP_PORT=$port CLUSTER_PORT=0 JOURNAL_DIR=$dir/journal SNAPSHOT_STORE_DIR=$dir/snapshots \
    java -Xms"$HEAP" -Xmx"$HEAP" -jar "$JAR" serve > "$OUT/executor-$name.log" 2>&1 &
  exec_pid=$!; pids+=("$exec_pid")
  wait_for "$exec_pid" "http://127.0.0.1:$port/api/public/ready" "$OUT/executor-$name.log"
  say "executor $name ready on $port (pid $exec_pid)"
}

stop_executor() {
  kill -TERM "$exec_pid"; for _ in $(seq 60); do kill -0 "$exec_pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$exec_pid" 2>/dev/null || true
}

metric() { # $1 = page, $2 = metric name (sums every label set)
  awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $NF } END { printf "%d", s }' "$1"
}

run() { # $1 = name
  local name=$1
  say "$name: open loop at $RATE/s for $DURATION"
  java -Xmx256m -jar "$JAR" bench --url "http://127.0.0.1:$port" --target order --rate "$RATE" --duration "$DURATION" \
    --warmup "$WARMUP" --connections "$CONNECTIONS" 2>&1 | tee "$OUT/$name-open.txt" || true
  say "$name: wrk closed loop, $WRK_CONNECTIONS connections, $WRK_DURATION"
  BENCH_RUN=$(printf '%x' "$(date +%s%N)" | tail -c 12) wrk -t1 -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --latency -s docs/bench/order.lua \
    "http://127.0.0.1:$port" 2>&1 | tee "$OUT/$name-wrk.txt" || true
  echo "$name $(grep -h '^bench-summary' "$OUT/$name-open.txt") wrk-rps=$(awk '/^Requests\/sec/{print $2}' "$OUT/$name-wrk.txt")" \
    "wrk-p50=$(awk '$1=="50%"{print $2}' "$OUT/$name-wrk.txt") wrk-p99=$(awk '$1=="99%"{print $2}' "$OUT/$name-wrk.txt")" >> "$OUT/summary.txt"
}

start_executor inproc VENUE=sim-inproc
run inproc
stop_executor

start_sim
start_executor http VENUE=http VENUE_URL="http://127.0.0.1:$sim_port"
run http
sleep 2 # one metric tick
curl -sf "http://127.0.0.1:$port/api/public/metrics/prom" > "$OUT/http-metrics.txt"
requests=$(metric "$OUT/http-metrics.txt" spark_venue_call_duration_seconds_count)
opened=$(metric "$OUT/http-metrics.txt" spark_http_keepalive_opened_total)
reused=$(metric "$OUT/http-metrics.txt" spark_http_keepalive_reused_total)
open_now=$(metric "$OUT/http-metrics.txt" spark_http_keepalive_connections)
sim_side=$(ss -Htn state established "( sport = :$sim_port )" | wc -l)
echo "http pool venue-requests=$requests connections-opened=$opened reused=$reused reuse-pct=$(awk -v r="$reused" -v n="$requests" 'BEGIN{printf "%.3f", n ? 100*r/n : 0}')" \
  "open-now=$open_now sim-side-established=$sim_side" >> "$OUT/summary.txt"
stop_executor
echo "load after: $(uptime)" >> "$OUT/machine.txt"
say "done; results in $OUT"
cat "$OUT/summary.txt"

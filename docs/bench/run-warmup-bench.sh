#!/usr/bin/env bash
# The warm-up benchmark (method and figures: docs/performance.md#warm-up-first-orders-after-ready).
#
#   docs/bench/run-warmup-bench.sh            ROUNDS rounds of: warm-up on, then warm-up off
#
# Each run starts the real jar on a free loopback port with a fresh temp journal, waits for
# /api/public/ready, then
#   1. first orders: open-loop bench with no bench warm-up, `--first FIRST`: the place->ack latency
#      of the first FIRST real orders the server ever takes (RATE/s, MARKET, respType ACKNOWLEDGED).
#      The bench client's JVM is as cold as the server: `--prime PRIME` first sends PRIME such
#      requests to a throwaway server inside the bench, so the client's own start-up is not measured;
#   2. steady state: on the same server, bench with a STEADY_WARMUP unrecorded phase, then
#      STEADY_DURATION measured: the steady-state p99;
# and stops the server. On and off alternate within one round, so both see the same machine load.
# Results, server logs and a summary go to $OUT.
#
# Env (defaults): ROUNDS=3 RATE=50 FIRST=100 PRIME=2000 FIRST_DURATION=5s STEADY_WARMUP=20s STEADY_DURATION=30s
#   CONNECTIONS=32 HEAP=512m OUT=/tmp/spark-warmup-bench-<time>; WARMUP_ORDERS etc. pass through
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-3}
RATE=${RATE:-50}
FIRST=${FIRST:-100}
PRIME=${PRIME:-2000}
FIRST_DURATION=${FIRST_DURATION:-5s}
STEADY_WARMUP=${STEADY_WARMUP:-20s}
STEADY_DURATION=${STEADY_DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-32}
HEAP=${HEAP:-512m}
OUT=${OUT:-/tmp/spark-warmup-bench-$(date +%Y%m%d-%H%M%S)}

say() { echo "[run-warmup-bench $(date +%H:%M:%S)] $*"; }
mkdir -p "$OUT"
if [ ! -f target/spark-executor.jar ]; then
  say "building target/spark-executor.jar"
  mvn -B -q -DskipTests package
fi
# the server and the bench run from a copy: a rebuild during the run cannot pull classes from under them
cp target/spark-executor.jar "$OUT/spark-executor.jar"
JAR=$OUT/spark-executor.jar
{
  echo "date: $(date -Is)"
  echo "git: $(git rev-parse --short HEAD 2>/dev/null || echo '?') $(git status --porcelain 2>/dev/null | grep -q . && echo '(dirty)')"
  echo "nproc: $(nproc)"
  grep -m1 'model name' /proc/cpuinfo || true
  free -h
  java -version 2>&1
} > "$OUT/machine.txt"

server_pid=
work_dir=
stop_server() {
  [ -n "$server_pid" ] || return 0
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    for _ in $(seq 60); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$server_pid" 2>/dev/null && { say "server did not stop in 30 s; killing it"; kill -KILL "$server_pid"; }
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  [ -n "$work_dir" ] && rm -rf "$work_dir"
  work_dir=
}
trap stop_server EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_server() { # $1 = warm-up on|off, $2 = log
  work_dir=$(mktemp -d /tmp/spark-warmup-bench-server-XXXXXX)
  port=$(free_port)
  local enabled=true started
  [ "$1" = off ] && enabled=false
  say "starting server: warm-up=$1 port=$port heap=$HEAP"
  started=$(date +%s%N)
  HTTP_PORT=$port CLUSTER_PORT=0 WARMUP_ENABLED=$enabled \
    JOURNAL_DIR=$work_dir/journal SNAPSHOT_STORE_DIR=$work_dir/snapshots \
    java -Xms"$HEAP" -Xmx"$HEAP" -jar "$JAR" serve > "$2" 2>&1 &
  server_pid=$!
  for _ in $(seq 1200); do
    kill -0 "$server_pid" 2>/dev/null || { say "server exited; see $2"; tail -20 "$2"; exit 1; }
    # the port was free a moment ago; make sure the one answering is ours
    if curl -sf "http://127.0.0.1:$port/api/public/ready" >/dev/null \
        && ss -ltnp "sport = :$port" 2>/dev/null | grep -q "pid=$server_pid,"; then
      ready_ms=$(( ($(date +%s%N) - started) / 1000000 ))
      say "server ready after ${ready_ms} ms (pid $server_pid)"
      return 0
    fi
    sleep 0.1
  done
  say "server not ready after 120 s; see $2"
  exit 1
}

bench() { # $1 = log, then bench options
  local log=$1
  shift
  # exit status 1 = some requests failed; that is a result, recorded in the summary line
  java -Xmx256m -jar "$JAR" bench --url "http://127.0.0.1:$port" --target order --rate "$RATE" --connections "$CONNECTIONS" "$@" \
    > "$log" 2>&1 || true
  grep '^bench-summary' "$log" || { say "bench failed; see $log"; echo "bench-summary failed=1"; }
}

kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< "$2"; }

for round in $(seq "$ROUNDS"); do
  for mode in on off; do
    echo "round=$round warm-up=$mode load before: $(uptime)" >> "$OUT/machine.txt"
    start_server "$mode" "$OUT/server-$round-$mode.log"
    first=$(bench "$OUT/first-$round-$mode.txt" --warmup 0 --duration "$FIRST_DURATION" --first "$FIRST" --prime "$PRIME")
    steady=$(bench "$OUT/steady-$round-$mode.txt" --warmup "$STEADY_WARMUP" --duration "$STEADY_DURATION")
    stop_server
    warm=$(grep -o 'event=warm_up_done.*' "$OUT/server-$round-$mode.log" | head -1 || true)
    f99=$(kv first_p99_ms "$first"); s99=$(kv p99_ms "$steady")
    ratio=$(python3 -c "print(f'{float(\"$f99\") / float(\"$s99\"):.2f}')" 2>/dev/null || echo '?')
    line="round=$round warmup=$mode ready_ms=$ready_ms first_n=$FIRST first_p50_ms=$(kv first_p50_ms "$first") first_p99_ms=$f99"
    line+=" first_max_ms=$(kv first_max_ms "$first") first_mean_ms=$(kv first_mean_ms "$first") steady_p50_ms=$(kv p50_ms "$steady")"
    line+=" steady_p99_ms=$s99 first_p99_over_steady_p99=$ratio first_non2xx=$(kv non2xx "$first") first_errors=$(kv errors "$first")"
    line+=" steady_non2xx=$(kv non2xx "$steady") warmup_log=\"${warm}\""
    say "$line"
    echo "$line" >> "$OUT/summary.txt"
  done
done

say "done; results in $OUT"
cat "$OUT/machine.txt"
cat "$OUT/summary.txt"

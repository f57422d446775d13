#!/usr/bin/env bash
# Benchmarks the executor on this machine (method and figures: docs/performance.md).
#
#   docs/bench/run-bench.sh [on|off ...]        fsync modes to run, default: on off
#
# For each fsync mode: starts a server on a free loopback port with a fresh temp journal and
# snapshot dir, waits for /api/public/ready, runs the open-loop bench (orders, then health, at
# each rate), then wrk closed-loop for max throughput (orders, then health), and stops the server.
# Results, server logs and a summary go to $OUT.
#
# Env (defaults): RATES="500 1500"  DURATION=30s  WARMUP=10s  CONNECTIONS=32  TIMEOUT=10s
#   WRK_DURATION=20s  WRK_CONNECTIONS=32  WRK_THREADS=1  HEAP=512m  OUT=/tmp/spark-bench-<time>
#   PROFILE=1  also record a 30-s JFR (settings=profile) of the server during the order run at the
#              highest rate: $OUT/fsync-<mode>.jfr (summarise with docs/bench/jfr-top.py)
#   ONE_CLIENT=1  also one client at 20 requests/s for 20 s (hey -c 1 -q 20), orders then health
#   JAR=path   the jar to run (default target/spark-executor.jar, built if missing)
#   SERVER_JAVA_OPTS  more JVM options for the server
set -euo pipefail
cd "$(dirname "$0")/../.."

RATES=${RATES:-"500 1500"}
DURATION=${DURATION:-30s}
WARMUP=${WARMUP:-10s}
CONNECTIONS=${CONNECTIONS:-32}
TIMEOUT=${TIMEOUT:-10s}
WRK_DURATION=${WRK_DURATION:-20s}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-1}
# the server gets a fixed, small heap: comparable runs, and the default (1/4 of RAM) lets RSS grow
HEAP=${HEAP:-512m}
OUT=${OUT:-/tmp/spark-bench-$(date +%Y%m%d-%H%M%S)}
MODES=("$@")
[ ${#MODES[@]} -gt 0 ] || MODES=(on off)

say() { echo "[run-bench $(date +%H:%M:%S)] $*"; }

for mode in "${MODES[@]}"; do
  case $mode in on|off) ;; *) echo "run-bench: fsync mode must be on or off, not '$mode'" >&2; exit 2 ;; esac
done
command -v wrk >/dev/null || { echo "run-bench: wrk not found (apt-get install wrk)" >&2; exit 2; }
mkdir -p "$OUT"

if [ -z "${JAR:-}" ] && [ ! -f target/spark-executor.jar ]; then
  say "building target/spark-executor.jar"
  mvn -B -q -DskipTests package
fi
# the server and the bench run from a copy: a rebuild during the run cannot pull classes from under them
cp "${JAR:-target/spark-executor.jar}" "$OUT/spark-executor.jar"
JAR=$OUT/spark-executor.jar

{
  echo "date: $(date -Is)"
  echo "git: $(git rev-parse --short HEAD 2>/dev/null || echo '?') $(git status --porcelain 2>/dev/null | grep -q . && echo '(dirty)')"
  echo "nproc: $(nproc)"
  free -h
  java -version 2>&1
  wrk --version 2>&1 | head -1 || true
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

start_server() { # $1 = fsync mode
  work_dir=$(mktemp -d /tmp/spark-bench-server-XXXXXX)
  port=$(free_port)
  local jfr_opts=()
  say "starting server: fsync=$1 port=$port heap=$HEAP dirs=$work_dir"
  HTTP_PORT=$port CLUSTER_PORT=0 JOURNAL_FSYNC=$1 \
    JOURNAL_DIR=$work_dir/journal SNAPSHOT_STORE_DIR=$work_dir/snapshots \
    java -Xms"$HEAP" -Xmx"$HEAP" ${SERVER_JAVA_OPTS:-} -jar "$JAR" serve > "$OUT/server-fsync-$1.log" 2>&1 &
  server_pid=$!
  local started_ns; started_ns=$(date +%s%N)
  for _ in $(seq 480); do
    kill -0 "$server_pid" 2>/dev/null || { say "server exited; see $OUT/server-fsync-$1.log"; tail -20 "$OUT/server-fsync-$1.log"; exit 1; }
    # the port was free a moment ago; make sure the one answering is ours
    if curl -sf "http://127.0.0.1:$port/api/public/ready" >/dev/null \
        && ss -ltnp "sport = :$port" 2>/dev/null | grep -q "pid=$server_pid,"; then
      local ready_ms=$(( ($(date +%s%N) - started_ns) / 1000000 ))
      say "server ready (pid $server_pid) after ${ready_ms} ms"
      echo "fsync=$1 start-to-ready-ms=$ready_ms" >> "$OUT/summary.txt"
      return 0
    fi
    sleep 0.125
  done
  say "server not ready after 60 s; see $OUT/server-fsync-$1.log"
  exit 1
}

bench() { # $1 = fsync mode, $2 = target, $3 = rate
  local log=$OUT/fsync-$1-$2-$3.txt
  say "open loop: $2 at $3/s for $DURATION after $WARMUP warm-up ($CONNECTIONS connections)"
  if [ "${PROFILE:-0}" = 1 ] && [ "$2" = order ] && [ "$3" = "${RATES##* }" ]; then
    say "recording 30 s of JFR to $OUT/fsync-$1.jfr"
    jcmd "$server_pid" JFR.start name=bench settings=profile duration=30s filename="$OUT/fsync-$1.jfr" > /dev/null
  fi
  # exit status 1 = some requests failed; that is a result, recorded in the summary line
  java -Xmx256m -jar "$JAR" bench --url "http://127.0.0.1:$port" --target "$2" --rate "$3" --duration "$DURATION" \
    --warmup "$WARMUP" --connections "$CONNECTIONS" --timeout "$TIMEOUT" 2>&1 | tee "$log" || true
  echo "fsync=$1 $(grep '^bench-summary' "$log")" >> "$OUT/summary.txt"
}

wrk_run() { # $1 = fsync mode, $2 = target
  local log=$OUT/fsync-$1-wrk-$2.txt script=() path=/api/public/health
  if [ "$2" = order ]; then script=(-s docs/bench/order.lua); path=; fi
  say "closed loop (wrk): $2, $WRK_THREADS thread(s), $WRK_CONNECTIONS connections, $WRK_DURATION"
  BENCH_RUN=$(printf '%x' "$(date +%s%N)" | tail -c 12) \
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --latency "${script[@]}" "http://127.0.0.1:$port$path" 2>&1 | tee "$log" || say "wrk failed"
  echo "fsync=$1 wrk-summary target=$2 connections=$WRK_CONNECTIONS rps=$(awk '/^Requests\/sec/{print $2}' "$log")" \
    "p50=$(awk '$1=="50%"{print $2}' "$log") p99=$(awk '$1=="99%"{print $2}' "$log")" \
    "non2xx=$(awk '/Non-2xx/{print $NF}' "$log")" "errors=\"$(grep -h 'Socket errors' "$log" | sed 's/^ *//')\"" \
    "$(grep -h '^wrk-status' "$log" || true)" >> "$OUT/summary.txt"
}

one_client() { # $1 = fsync mode, $2 = target: hey, one connection, 20 requests/s, for 20 s
  local log=$OUT/fsync-$1-one-client-$2.txt args=(http://127.0.0.1:$port/api/public/health)
  if [ "$2" = order ]; then
    args=(-m POST -H "X-API-Key: ${BENCH_KEY:-trader-dev-key}" -T application/json
      -d '{"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0.001"}' "http://127.0.0.1:$port/api/private/order")
  fi
  say "one client (hey -c 1 -q 20 -z 20s): $2"
  hey -c 1 -q 20 -z 20s "${args[@]}" > "$log" 2>&1 || say "hey failed"
  echo "fsync=$1 one-client target=$2 $(awk '/Requests\/sec/{printf "rps=%s ", $2} / 50% in/{printf "p50=%ss ", $3} / 90% in/{printf "p90=%ss ", $3} / 99% in/{printf "p99=%ss ", $3}' "$log")" \
    "$(grep -E '^ +\[[0-9]+\]' "$log" | tr -s ' ' | tr '\n' ' ')" >> "$OUT/summary.txt"
}

for mode in "${MODES[@]}"; do
  echo "fsync=$mode load before: $(uptime)" >> "$OUT/machine.txt"
  say "load before fsync=$mode:$(uptime | sed 's/.*load average//')"
  start_server "$mode"
  for rate in $RATES; do
    bench "$mode" order "$rate"
    bench "$mode" health "$rate"
  done
  wrk_run "$mode" order
  wrk_run "$mode" health
  if [ "${ONE_CLIENT:-0}" = 1 ]; then
    command -v hey >/dev/null || { echo "run-bench: hey not found (apt-get install hey)" >&2; exit 2; }
    one_client "$mode" order
    one_client "$mode" health
  fi
  echo "fsync=$mode server-rss-kb=$(ps -o rss= -p "$server_pid" | tr -d ' ')" >> "$OUT/summary.txt"
  say "stopping server"
  stop_server
  echo "fsync=$mode load after: $(uptime)" >> "$OUT/machine.txt"
  say "load after fsync=$mode:$(uptime | sed 's/.*load average//')"
done

say "done; results in $OUT"
cat "$OUT/machine.txt"
cat "$OUT/summary.txt"

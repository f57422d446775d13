#!/usr/bin/env bash
# WebSocket feed benchmark, side by side in one run: our feed (ws-bench-server: FeedHub + the
# permessage-deflate shim) against Node's ws server with perMessageDeflate at the same level,
# both sending every client the same real order-event messages (docs/bench/order-events.ndjson,
# captured from a running executor's orders channel). For 1 and 100 connections: messages/s at
# the client, bytes on the wire vs uncompressed, server CPU seconds and RSS (from /proc).
# Each server gets one unmeasured warm-up round first (both have JITs).
# usage: docs/bench/run-ws-bench.sh [MESSAGES_PER_CLIENT_AT_1] [MESSAGES_PER_CLIENT_AT_100]
set -euo pipefail
cd "$(dirname "$0")/../.."
ONE=${1:-100000}
HUNDRED=${2:-2000}
LEVEL=${WS_DEFLATE_LEVEL:-3}
WS=$PWD/target/node/node_modules/ws
EVENTS=$PWD/docs/bench/order-events.ndjson
[ -d "$WS" ] || npm install --prefix target/node --no-audit --no-fund --loglevel=error ws@8 >/dev/null
[ -f target/spark-executor.jar ] || mvn -B -q -DskipTests package
PORT=18721
OUT=$(mktemp -d)

cpu_secs() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
rss_mb() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
wait_port() { for _ in $(seq 120); do (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0; sleep 0.5; done; return 1; }
ours_wire() { curl -s "http://127.0.0.1:$PORT/api/private/websocket/status" -H 'X-API-Key: admin-dev-key' | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["bytesWire"])'; }
peer_wire() { sleep 1; grep '^bytesWire' "$OUT/peer.log" | tail -1 | awk '{print $2}'; }

run() { # server conns count
  local server=$1 conns=$2 count=$3 url pid
  if [ "$server" = ours ]; then
    WS_DEFLATE_LEVEL=$LEVEL java -jar target/spark-executor.jar ws-bench-server $PORT "$EVENTS" "$count" > "$OUT/ours.log" 2>&1 &
    url="ws://127.0.0.1:$PORT/ws/feed?channels=orders&from=0"
  else
    node docs/bench/ws-peer.js "$WS" $PORT "$EVENTS" "$count" "$LEVEL" > "$OUT/peer.log" 2>&1 &
    url="ws://127.0.0.1:$PORT/"
  fi
  pid=$!
  wait_port
  node docs/bench/ws-load.js "$WS" "$url" "$conns" "$count" trader-dev-key > /dev/null   # warm-up round
  local before_cpu before_wire after_wire load
  before_cpu=$(cpu_secs $pid)
  if [ "$server" = ours ]; then before_wire=$(ours_wire); else before_wire=$(peer_wire); fi
  load=$(node docs/bench/ws-load.js "$WS" "$url" "$conns" "$count" trader-dev-key)
  local cpu rss
  cpu=$(python3 -c "print($(cpu_secs $pid) - $before_cpu)")
  rss=$(rss_mb $pid)
  if [ "$server" = ours ]; then after_wire=$(ours_wire); else after_wire=$(peer_wire); fi
  kill $pid; wait $pid 2>/dev/null || true
  python3 - "$server" "$load" "$((after_wire - before_wire))" "$cpu" "$rss" <<'PY'
import json, sys
server, load, wire, cpu, rss = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
print(f"{server:5} conns={load['conns']:3} msgs={load['messages']:7} msgs/s={load['msgsPerSec']:7} raw={load['rawBytes']/1e6:7.1f}MB "
      f"wire={wire/1e6:7.2f}MB ratio={load['rawBytes']/max(wire,1):4.1f}x cpu={cpu:5.1f}s cpu/1k msgs={1000*cpu/load['messages']*1000:5.1f}ms "
      f"peakRSS={rss}MB ext={load['extensions']}")
PY
}

echo "ws bench: level=$LEVEL, $ONE msgs to 1 client, $HUNDRED msgs to each of 100 clients; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in 1 2; do
  run ours 1 "$ONE"; run peer 1 "$ONE"
  run ours 100 "$HUNDRED"; run peer 100 "$HUNDRED"
done

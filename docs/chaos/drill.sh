#!/usr/bin/env bash
# The chaos drill (docs/chaos.md): steady order load, 20% venue errors and 200 ms venue latency,
# then chaos off. Against a running executor on loopback; options pass through (chaos-drill --help).
# Exit status: 0 no order lost and back within SLO, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
jar=target/spark-executor.jar
[ -f "$jar" ] || { echo "drill.sh: $jar is missing; build it with: mvn -B -DskipTests package" >&2; exit 2; }
exec java -jar "$jar" chaos-drill --venue-error-pct 20 --venue-latency-ms 200 "$@"

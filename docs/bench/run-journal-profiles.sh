#!/usr/bin/env bash
# JOURNAL=postgres vs the LevelDB default (docs/performance.md), alternating, two rounds: an older
# jar (OLD_JAR) on LevelDB, this jar on LevelDB, this jar on PostgreSQL (a fresh database per run,
# owned by role spark, its schema made by migrate-db). Each run is docs/bench/run-bench.sh on.
#
#   OLD_JAR=/path/to/older.jar docs/bench/run-journal-profiles.sh
#
# Env (defaults): NEW_JAR=target/spark-executor.jar  OUT=/tmp/journal-profiles-<time>
#   RATES=500 DURATION=20s WARMUP=5s WRK_DURATION=15s (passed to run-bench.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
OLD_JAR=${OLD_JAR:?set OLD_JAR to the jar to compare with, e.g. one built at an earlier commit}
NEW_JAR=${NEW_JAR:-target/spark-executor.jar}
OUT=${OUT:-/tmp/journal-profiles-$(date +%Y%m%d-%H%M%S)}
export RATES=${RATES:-500} DURATION=${DURATION:-20s} WARMUP=${WARMUP:-5s} WRK_DURATION=${WRK_DURATION:-15s}
mkdir -p "$OUT"
for round in 1 2; do
  echo "[journal-profiles] round $round: old jar on LevelDB, this jar on LevelDB, this jar on PostgreSQL"
  OUT=$OUT/r$round-old-leveldb JAR="$OLD_JAR" docs/bench/run-bench.sh on > "$OUT/r$round-old.log" 2>&1
  OUT=$OUT/r$round-new-leveldb JAR="$NEW_JAR" docs/bench/run-bench.sh on > "$OUT/r$round-new.log" 2>&1
  db=spark_bench_$round
  runuser -u postgres -- psql -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db OWNER spark"
  PG_URL=jdbc:postgresql://127.0.0.1:5432/$db java -jar "$NEW_JAR" migrate-db > /dev/null
  JOURNAL=postgres PG_URL=jdbc:postgresql://127.0.0.1:5432/$db OUT=$OUT/r$round-new-postgres JAR="$NEW_JAR" \
    docs/bench/run-bench.sh on > "$OUT/r$round-pg.log" 2>&1
done
for d in "$OUT"/r*/; do echo "== $(basename "$d")"; grep -h "bench-summary target=order\|wrk-summary" "$d/summary.txt"; done

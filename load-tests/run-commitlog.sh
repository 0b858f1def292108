#!/usr/bin/env bash
# The commit-log and writer-fence benchmark (issue 13): for each commit-log mode of the embedded Cassandra
# (periodic 10s, group 15ms, batch) a fresh local Cassandra with a Ledger node on it: JSON ingest into 50
# workspaces and a lone one-record writer; on the periodic Cassandra also the writer fence on and off (two
# nodes at once: 50 workspaces, one hot workspace, lone writer). Two rounds, variants alternating, so compare
# ratios.
# Writes its section of load-tests/RESULTS.md. About 14 minutes with the defaults, e.g.
#   PHASE_SECONDS=20 WARMUP_SECONDS=12 FIRST_WARMUP_SECONDS=20 ROUNDS=2 load-tests/run-commitlog.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mvn -B -q -DskipTests install
exec java -Xmx6g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 \
  -Dphase.seconds="${PHASE_SECONDS:-20}" -Dwarmup.seconds="${WARMUP_SECONDS:-12}" \
  -Dfirst.warmup.seconds="${FIRST_WARMUP_SECONDS:-20}" -Drounds="${ROUNDS:-2}" \
  -Dworkers="${WORKERS:-8}" -Dbatch="${BATCH:-500}" -Dworkspaces="${WORKSPACES:-50}" \
  -Dlone.requests="${LONE_REQUESTS:-200}" -Dmodes="${MODES:-periodic 10s,group 15ms,batch}" \
  -Dfence="${FENCE:-true}" -Dcassandra.heap.mb="${CASSANDRA_HEAP_MB:-3072}" \
  -cp "load-tests/target/load-tests-0.1.0-SNAPSHOT.jar:load-tests/target/lib/*" \
  dev.codexledger.load.CommitLogCost "$ROOT"

#!/usr/bin/env bash
# One command for the whole benchmark: builds what is needed, starts a local Cassandra, measures its raw
# insert rate, then a Ledger node on it under load, and writes load-tests/RESULTS.md.
# Takes about 5 minutes with the default 30 s phases. Options as system properties, e.g.
#   PHASE_SECONDS=60 WORKERS=16 load-tests/run.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mvn -B -q -DskipTests install
exec java -Xmx6g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 \
  -Dphase.seconds="${PHASE_SECONDS:-30}" -Dworkers="${WORKERS:-8}" -Dbatch="${BATCH:-500}" \
  -Dworkspaces="${WORKSPACES:-50}" -Dcassandra.heap.mb="${CASSANDRA_HEAP_MB:-3072}" \
  -cp "load-tests/target/load-tests-0.1.0-SNAPSHOT.jar:load-tests/target/lib/*" \
  dev.codexledger.load.Benchmark "$ROOT"

#!/usr/bin/env bash
# The search benchmark (issue 5): a local Cassandra and a Ledger node, 10,000 records in one hour of one
# workspace, queries over that hour idle and while ingest runs; writes its section of load-tests/RESULTS.md.
# About 6 minutes. QUERIES=100 BUSY_SECONDS=240 by default (the ingest must outlast the queries).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mvn -B -q -DskipTests install
exec java -Xmx4g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 -Dqueries="${QUERIES:-100}" -Dbusy.seconds="${BUSY_SECONDS:-240}" \
  -Dcassandra.heap.mb="${CASSANDRA_HEAP_MB:-3072}" \
  -cp "load-tests/target/load-tests-0.1.0-SNAPSHOT.jar:load-tests/target/lib/*" \
  dev.codexledger.load.SearchBenchmark "$ROOT"

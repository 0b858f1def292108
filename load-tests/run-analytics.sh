#!/usr/bin/env bash
# The analytics benchmark (issue 7): a local Cassandra and a Ledger node under ingest at half its maximum;
# measures how soon a record shows in the analytics API, the usage query's latency, and that every accepted
# record is counted exactly once; writes its section of load-tests/RESULTS.md. About 3 minutes.
# EXTRA_OPTS passes JVM options, e.g. -Dledger.analytics.coalesce=0 to count every batch at once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mvn -B -q -DskipTests install
exec java ${EXTRA_OPTS:-} -Xmx4g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 -Dprobes="${PROBES:-60}" \
  -Dcassandra.heap.mb="${CASSANDRA_HEAP_MB:-3072}" \
  -cp "load-tests/target/load-tests-0.1.0-SNAPSHOT.jar:load-tests/target/lib/*" \
  dev.codexledger.load.AnalyticsBenchmark "$ROOT"

#!/usr/bin/env bash
# The budget-decision benchmark (issue 6): a local Cassandra and a Ledger node; checks at a fixed offered
# rate against a constant endpoint on the same server, idle and while ingest runs at half its maximum;
# writes its section of load-tests/RESULTS.md. About 5 minutes. RATE=10000 PHASE_SECONDS=30 by default.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mvn -B -q -DskipTests install
exec java -Xmx4g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 -Drate="${RATE:-10000}" -Dbusy.rate="${BUSY_RATE:-${RATE:-10000}}" \
  -Dphase.seconds="${PHASE_SECONDS:-30}" -Dcassandra.heap.mb="${CASSANDRA_HEAP_MB:-3072}" \
  -cp "load-tests/target/load-tests-0.1.0-SNAPSHOT.jar:load-tests/target/lib/*" \
  dev.codexledger.load.BudgetBenchmark "$ROOT"

#!/usr/bin/env bash
# Streaming to Kafka (issue 19, ~4 min): a local Cassandra, a real Kafka broker (KRaft, its own JVM) and a
# node; ingest without a stream, then with every record streamed to Kafka (the cost as a ratio), the backlog's
# delivery, then ingest at half the maximum with a consumer reading everything back (records/s delivered,
# delay accepted → consumed p50/p99). PHASE_SECONDS=30 by default. Writes its section of load-tests/RESULTS.md.
# On the shared build machine run it under the build lock: flock /tmp/ledger-build.lock load-tests/run-streams.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ -z "${SKIP_BUILD:-}" ]; then
  mvn -B -q -DskipTests install
fi
exec java -Xmx4g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 -Dphase.seconds="${PHASE_SECONDS:-30}" \
  -Dcassandra.heap.mb="${CASSANDRA_HEAP_MB:-3072}" \
  -cp "load-tests/target/load-tests-0.1.0-SNAPSHOT.jar:load-tests/target/lib/*" \
  dev.codexledger.load.StreamBenchmark "$ROOT"

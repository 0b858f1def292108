#!/usr/bin/env bash
# The budget-decision benchmarks, each with a local Cassandra, writing their sections of load-tests/RESULTS.md:
#   checks   (issue 6, ~5 min): checks at a fixed offered rate against a constant endpoint on the same server,
#            idle and while ingest runs at half its maximum. RATE=10000 PHASE_SECONDS=30 by default.
#   gateways (issue 15, ~8 min): 64 gateways reserving and settling at PAIRS pairs/s (5000) against the constant
#            endpoint at the same request rate; 64 reservations at once on a cold budget (COLD_ROUNDS rounds, 3);
#            checks and forward-auth on the budget's node and on another node of a two-node cluster at
#            REMOTE_RATE requests/s (5000). GATEWAY_PHASE_SECONDS=20 by default.
# EXTRA_JAVA_OPTS: more options for the benchmark JVMs (e.g. a JFR recording: -XX:StartFlightRecording=...).
# PARTS=checks,gateways (both, the default) or one of them; GATEWAY_PARTS=gateways,cold,remote (the default).
# On the shared build machine run it under the build lock: flock /tmp/ledger-build.lock load-tests/run-budget.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ -z "${SKIP_BUILD:-}" ]; then
  mvn -B -q -DskipTests install
fi
PARTS="${PARTS:-checks,gateways}"
CP="load-tests/target/load-tests-0.1.0-SNAPSHOT.jar:load-tests/target/lib/*"
if [[ ",$PARTS," == *",checks,"* ]]; then
  java -Xmx4g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 ${EXTRA_JAVA_OPTS:-} -Drate="${RATE:-10000}" \
    -Dbusy.rate="${BUSY_RATE:-${RATE:-10000}}" -Dphase.seconds="${PHASE_SECONDS:-30}" \
    -Dcassandra.heap.mb="${CASSANDRA_HEAP_MB:-3072}" -cp "$CP" dev.codexledger.load.BudgetBenchmark "$ROOT"
fi
if [[ ",$PARTS," == *",gateways,"* ]]; then
  java -Xmx4g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 ${EXTRA_JAVA_OPTS:-} -Dpairs="${PAIRS:-5000}" \
    -Dremote.rate="${REMOTE_RATE:-5000}" -Dcold.rounds="${COLD_ROUNDS:-3}" \
    -Dparts="${GATEWAY_PARTS:-gateways,cold,remote}" -Dphase.seconds="${GATEWAY_PHASE_SECONDS:-20}" \
    -Dcassandra.heap.mb="${CASSANDRA_HEAP_MB:-3072}" -cp "$CP" dev.codexledger.load.BudgetGatewayBenchmark "$ROOT"
fi

#!/usr/bin/env bash
# The HTTP load tests as Gatling simulations (Java DSL, module load-tests/gatling), with the raw Cassandra
# baseline and the constant endpoint in the same run; writes its section of load-tests/RESULTS.md and leaves
# Gatling's HTML reports in load-tests/target/gatling/results/*/index.html. About 10 minutes with the defaults:
#   PHASE_SECONDS=30 WORKERS=8 BATCH=500 WORKSPACES=50  ingest (JSON, OTLP protobuf, one hot workspace)
#   PAIRS=2000 CHECKS=5000 BUDGET_SECONDS=20             budget decisions (reserve + settle, check, forward-auth)
#   PARTS=baseline,ingest,budget (all, the default) or some of them; WARMUP_SECONDS=10 before each simulation
# On the shared build machine run it under the build lock: flock /tmp/ledger-build.lock load-tests/run-gatling.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ -z "${SKIP_BUILD:-}" ]; then
  mvn -B -q -DskipTests -DskipImage install
fi
exec java -Xmx4g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 \
  -Dphase.seconds="${PHASE_SECONDS:-30}" -Dworkers="${WORKERS:-8}" -Dbatch="${BATCH:-500}" \
  -Dworkspaces="${WORKSPACES:-50}" -Dpairs="${PAIRS:-2000}" -Dchecks="${CHECKS:-5000}" \
  -Dbudget.seconds="${BUDGET_SECONDS:-20}" -Dparts="${PARTS:-baseline,ingest,budget}" -Dwarmup.seconds="${WARMUP_SECONDS:-10}" \
  -Dcassandra.heap.mb="${CASSANDRA_HEAP_MB:-3072}" \
  -cp "load-tests/target/load-tests-0.1.0-SNAPSHOT.jar:load-tests/target/lib/*" \
  dev.codexledger.load.GatlingBenchmark "$ROOT"

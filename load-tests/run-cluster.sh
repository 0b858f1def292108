#!/usr/bin/env bash
# Issue 13's cluster measurements in one run (about 21 minutes with the defaults): CPU per million records
# with one ledger node on one Cassandra node (RF 1), then three ledger JVMs as one cluster on a ring of three
# Cassandra nodes (RF 3, LOCAL_QUORUM); ingest through a node that does not host the workspaces against one
# that does; and the failover time after a SIGKILL of a ledger node, with the default failure detection and
# tuned. Writes its section of load-tests/RESULTS.md ("Cluster (issue 13)"); docs/capacity.md explains how
# to read the CPU numbers. On the shared build machine run it under the build lock:
#   flock /tmp/ledger-build.lock load-tests/run-cluster.sh
# Options (environment): STEPS=1,2,3,4  PHASE_SECONDS=30 WARMUP_SECONDS=50 (doubled for three nodes) IDLE_SECONDS=10
#   WORKERS=8 BATCH=500 WORKSPACES=50  HOP_SECONDS=15 HOP_ROUNDS=2  REPEATS=5 FAILOVER_SETTINGS=default,resolver-only (tuned: also the
#   shorter heartbeat pause and stable-after below)
#   FAILOVER_WORKSPACES=30 FAILOVER_WARMUP_SECONDS=20 IN_FLIGHT=1 (attempts per client at once; 10 = the hedging
#   client of earlier runs, a new attempt every 200 ms) RING_NODES=3 (Cassandra nodes; fewer only with STEPS=4) TUNED_HEARTBEAT_PAUSE=1s TUNED_STABLE_AFTER=2s
#   CASSANDRA_HEAP_MB=1024 LEDGER_HEAP=1g FAILOVER_HEAP=384m  SKIP_BUILD=1 (use what is built)  WRITE=false (print only)
# e.g. a quick look: STEPS=1,4 PHASE_SECONDS=10 WARMUP_SECONDS=5 REPEATS=1 WRITE=false load-tests/run-cluster.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ -z "${SKIP_BUILD:-}" ]; then
  mvn -B -q -DskipTests install
fi
COMMAND="load-tests/run-cluster.sh"
for option in STEPS PHASE_SECONDS WARMUP_SECONDS IDLE_SECONDS WORKERS BATCH WORKSPACES HOP_SECONDS HOP_ROUNDS REPEATS \
    FAILOVER_SETTINGS FAILOVER_WORKSPACES FAILOVER_WARMUP_SECONDS IN_FLIGHT RING_NODES TUNED_HEARTBEAT_PAUSE TUNED_STABLE_AFTER CASSANDRA_HEAP_MB LEDGER_HEAP FAILOVER_HEAP; do
  if [ -n "${!option:-}" ]; then COMMAND="$option=${!option} $COMMAND"; fi
done
exec java -Xmx1g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 \
  -Dsteps="${STEPS:-1,2,3,4}" -Dphase.seconds="${PHASE_SECONDS:-30}" -Dwarmup.seconds="${WARMUP_SECONDS:-50}" \
  -Didle.seconds="${IDLE_SECONDS:-10}" \
  -Dworkers="${WORKERS:-8}" -Dbatch="${BATCH:-500}" -Dworkspaces="${WORKSPACES:-50}" \
  -Dhop.seconds="${HOP_SECONDS:-15}" -Dhop.rounds="${HOP_ROUNDS:-2}" \
  -Dfailover.repeats="${REPEATS:-5}" -Dfailover.settings="${FAILOVER_SETTINGS:-default,resolver-only}" \
  -Dfailover.workspaces="${FAILOVER_WORKSPACES:-30}" -Dfailover.in.flight="${IN_FLIGHT:-1}" -Dfailover.ring.nodes="${RING_NODES:-3}" -Dfailover.warmup.seconds="${FAILOVER_WARMUP_SECONDS:-20}" \
  -Dtuned.heartbeat.pause="${TUNED_HEARTBEAT_PAUSE:-1s}" -Dtuned.stable.after="${TUNED_STABLE_AFTER:-2s}" \
  -Dcassandra.heap.mb="${CASSANDRA_HEAP_MB:-1024}" -Dledger.heap="${LEDGER_HEAP:-1g}" \
  -Dfailover.heap="${FAILOVER_HEAP:-384m}" -Dwrite="${WRITE:-true}" -Dcommand="$COMMAND" \
  -cp "load-tests/target/load-tests-0.1.0-SNAPSHOT.jar:load-tests/target/lib/*" \
  dev.codexledger.load.ClusterBenchmark "$ROOT"

#!/usr/bin/env bash
# Issue 14, "Thousands of tenants per node": one ledger node in its own JVM (-Xmx1g) on a local Cassandra;
# WORKSPACES x RECORDS short synthetic records (~190 bytes, 500 a batch) from CLIENTS clients that cycle through
# the workspaces so all are active at once; every SAMPLE_SECONDS the node's heap after a full GC (jcmd GC.run +
# GC.heap_info), RSS, ledgers in memory and whether it still runs; then acknowledged batches sent again (all must
# come back duplicates), every acknowledged record checked stored (CQL: every workspace's acknowledged head, the
# rows of a sample; the records API for a few), and the noisy-neighbour ratio (quiet workspace p99 with a flood
# on another workspace / alone). Prints a markdown section and writes it to load-tests/target/tenants-*.md
# (not RESULTS.md). On the shared build machine run it under the build lock:
#   flock /tmp/ledger-build.lock load-tests/run-tenants.sh
# How long: the full size (1,000 x 50,000 = 50 M records) is ingest-bound: 50 M / (records/s the node sustains);
# on the 2-core build machine 200 workspaces ingested at 11-14 k records/s, so about 60-80 minutes if the node
# lasts (it stops early if the node dies), plus ~1 minute of start, 2-5 minutes of checks and
# 2 x PHASE_SECONDS + WARMUP_SECONDS + up to QUIET_WAIT_SECONDS for the noisy neighbour. A small look,
#   WORKSPACES=20 RECORDS=2000 PHASE_SECONDS=10 load-tests/run-tenants.sh
# takes about 2.5 minutes.
# Options (environment, defaults in brackets):
#   WORKSPACES [1000]  RECORDS [50000] per workspace  BATCH [500]  CLIENTS [8]  SAMPLE_SECONDS [30]
#   NODE_HEAP [1g]  NODE_OPTS [] extra JVM options of the node, e.g. config as system properties:
#     NODE_OPTS='-Dledger.workspace.dedup-window-bytes=256k -Dpekko.cluster.sharding.passivation.default-idle-strategy.idle-entity.timeout=20s'
#   EXIT_ON_OOM [true] (-XX:+ExitOnOutOfMemoryError on the node, so an OutOfMemoryError ends the ingest as a death;
#     heap dumps on OutOfMemoryError are always off)
#   PHASES [ingest,noisy] (PHASES=noisy: the noisy neighbour alone)  PHASE_SECONDS [30]  WARMUP_SECONDS [10]
#   NOISY_CLIENTS [8]  QUIET_BATCH [10]  NOISY_BATCH [500]  QUIET_WAIT_SECONDS [120] longest wait, before the quiet
#     workspace is measured alone, for Cassandra to finish its flushes and compactions
#   HISTOGRAM_AT_PEAK [true] a class histogram of the node's heap each time its heap after GC reaches a new high
#     (10 % over the last; one more full GC each time)
#   NOISY_ROUNDS [1] alone/with-noise rounds, alternating, latencies pooled (3 or more: a steadier p99 ratio)
#   RETRY_CAP_MS [5000] longest wait before a retry  STALL_SECONDS [300] stop when nothing is acknowledged this long
#   RESEND_EARLY [20] RESEND_RECENT [5] batches sent again  IDLE_BEFORE_RESEND_SECONDS [0] wait first (idle passivation)
#   VERIFY_ROWS_SAMPLE [50] workspaces whose rows are counted over CQL (all if >= WORKSPACES)
#   VERIFY_API_SAMPLE [2] workspaces read back through GET /v1/workspaces/{ws}/records
#   CASSANDRA_HEAP_MB [1024]  SKIP_BUILD=1 (use what is built)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ -z "${SKIP_BUILD:-}" ]; then
  mvn -B -q -DskipTests install
fi
COMMAND="load-tests/run-tenants.sh"
for option in WORKSPACES RECORDS BATCH CLIENTS SAMPLE_SECONDS NODE_HEAP NODE_OPTS EXIT_ON_OOM PHASES PHASE_SECONDS \
    WARMUP_SECONDS NOISY_CLIENTS QUIET_BATCH NOISY_BATCH RETRY_CAP_MS STALL_SECONDS RESEND_EARLY RESEND_RECENT \
    IDLE_BEFORE_RESEND_SECONDS VERIFY_ROWS_SAMPLE VERIFY_API_SAMPLE QUIET_WAIT_SECONDS NOISY_ROUNDS HISTOGRAM_AT_PEAK CASSANDRA_HEAP_MB; do
  if [ -n "${!option:-}" ]; then
    if [[ "${!option}" == *" "* ]]; then COMMAND="$option='${!option}' $COMMAND"; else COMMAND="$option=${!option} $COMMAND"; fi
  fi
done
exec java -Xmx1g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 \
  -Dworkspaces="${WORKSPACES:-1000}" -Drecords="${RECORDS:-50000}" -Dbatch="${BATCH:-500}" -Dclients="${CLIENTS:-8}" \
  -Dsample.seconds="${SAMPLE_SECONDS:-30}" -Dnode.heap="${NODE_HEAP:-1g}" -Dnode.opts="${NODE_OPTS:-}" \
  -Dexit.on.oom="${EXIT_ON_OOM:-true}" -Dphases="${PHASES:-ingest,noisy}" -Dphase.seconds="${PHASE_SECONDS:-30}" \
  -Dwarmup.seconds="${WARMUP_SECONDS:-10}" -Dnoisy.clients="${NOISY_CLIENTS:-8}" -Dquiet.batch="${QUIET_BATCH:-10}" \
  -Dnoisy.batch="${NOISY_BATCH:-500}" -Dretry.cap.ms="${RETRY_CAP_MS:-5000}" -Dstall.seconds="${STALL_SECONDS:-300}" \
  -Dresend.early="${RESEND_EARLY:-20}" -Dresend.recent="${RESEND_RECENT:-5}" \
  -Didle.before.resend.seconds="${IDLE_BEFORE_RESEND_SECONDS:-0}" -Dverify.rows.sample="${VERIFY_ROWS_SAMPLE:-50}" \
  -Dverify.api.sample="${VERIFY_API_SAMPLE:-2}" \
  -Dquiet.wait.seconds="${QUIET_WAIT_SECONDS:-120}" -Dnoisy.rounds="${NOISY_ROUNDS:-1}" \
  -Dhistogram.at.peak="${HISTOGRAM_AT_PEAK:-true}" -Dcassandra.heap.mb="${CASSANDRA_HEAP_MB:-1024}" -Dcommand="$COMMAND" \
  -cp "load-tests/target/load-tests-0.1.0-SNAPSHOT.jar:load-tests/target/lib/*" \
  dev.codexledger.load.TenantsBenchmark "$ROOT"

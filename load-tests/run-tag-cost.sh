#!/usr/bin/env bash
# Issue 12: the cost of tagged events (the tag_views table behind eventsByTag) on the Cassandra journal's
# write path. Starts a fresh local Cassandra; for ~150 KB and ~200-byte events runs tags off, tags on, and
# tags on with a live eventsByTag query per tag, each in a fresh keyspace; writes its section of
# load-tests/RESULTS.md. About 7 minutes. PHASE_SECONDS=25 WARMUP_SECONDS=20 ENTITIES=8 by default.
# On a shared machine run it under the build lock: flock /tmp/ledger-build.lock load-tests/run-tag-cost.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mvn -B -q ${MVN_FLAGS:-} -DskipTests install  # MVN_FLAGS=-o to stay offline
exec java -Xmx4g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 \
  -Dphase.seconds="${PHASE_SECONDS:-25}" -Dwarmup.seconds="${WARMUP_SECONDS:-20}" -Dentities="${ENTITIES:-8}" \
  -Dtags="${TAGS:-4}" -Dlarge.bytes="${LARGE_BYTES:-150000}" -Dsmall.bytes="${SMALL_BYTES:-200}" \
  -Dquery.phases="${QUERY_PHASES:-true}" -Dcassandra.heap.mb="${CASSANDRA_HEAP_MB:-3072}" \
  -cp "load-tests/target/load-tests-0.1.0-SNAPSHOT.jar:load-tests/target/lib/*" \
  dev.codexledger.load.TagViewCost "$ROOT"

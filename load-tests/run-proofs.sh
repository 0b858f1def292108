#!/usr/bin/env bash
# The proofs benchmark (issue 16): a tree of 10 million leaves with its tiles in a local Cassandra, inclusion
# and consistency proofs computed from it (latency, size), and the offline verifier's speed; writes its section
# of load-tests/RESULTS.md. About 3 minutes. LEAVES=10000000 PROOFS=200 VERIFY_RECORDS=200000 by default.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mvn -B -q -DskipTests install
exec java -Xmx4g -Dleaves="${LEAVES:-10000000}" -Dproofs="${PROOFS:-200}" -Dverify.records="${VERIFY_RECORDS:-200000}" \
  -Dcassandra.heap.mb="${CASSANDRA_HEAP_MB:-2048}" \
  -cp "load-tests/target/load-tests-0.1.0-SNAPSHOT.jar:load-tests/target/lib/*" \
  dev.codexledger.load.ProofBenchmark "$ROOT"

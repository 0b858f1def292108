package dev.codexledger.load;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.storage.CassandraSettings;
import dev.codexledger.storage.LedgerSchema;
import dev.codexledger.tlog.MerkleTiles;
import dev.codexledger.verify.CanonicalJson;
import dev.codexledger.verify.Checkpoint;
import dev.codexledger.verify.ExportVerifier;
import dev.codexledger.verify.Merkle;
import dev.codexledger.verify.MerkleFrontier;
import dev.codexledger.verify.NoteKey;
import dev.codexledger.verify.SignedNote;
import dev.codexledger.workspace.TreeWrites;
import java.io.BufferedReader;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Issue 16, point 7: what a proof costs in a big workspace, and how fast the offline verifier runs.
 *
 * <ul>
 *   <li>A tree of {@code leaves} (10 million) leaves is built in memory, synthetically (leaf i = the hash of
 *       "record i"), through the same {@link MerkleFrontier} the ledger uses. Its tiles are written to a local
 *       Cassandra with {@link MerkleTiles}, as the ledger writes them: every level-1 and level-2 entry, and the
 *       level-0 tiles of the sampled leaves and of the tree's right edge (a proof reads no other level-0
 *       tile, and writing 10 million rows would only cost the setup time).</li>
 *   <li>Inclusion proofs of {@code proofs} random leaves and consistency proofs between random sizes are
 *       computed from Cassandra by {@link MerkleTiles#compute} (what the proofs API does) and each is verified
 *       against the in-memory root: latency p50/p99, proof size.</li>
 *   <li>The offline verifier ({@link ExportVerifier}) checks a synthetic export of {@code verify.records}
 *       Codex-like records (canonical JSON, chain, Merkle root, a signed checkpoint): records/s.</li>
 * </ul>
 */
public final class ProofBenchmark {

    static final String BEGIN = "<!-- proof-run:begin (written by load-tests/run-proofs.sh) -->";
    static final String END = "<!-- proof-run:end -->";
    static final String HEADING = "\n## Provable records (issue 16): proofs in a 10-million-record workspace, offline verification\n\n"
            + "`load-tests/run-proofs.sh`\n\n";

    private ProofBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        int leaves = Integer.getInteger("leaves", 10_000_000);
        int proofs = Integer.getInteger("proofs", 200);
        int verifyRecords = Integer.getInteger("verify.records", 200_000);
        String workspace = "big";

        SplittableRandom random = new SplittableRandom(16);
        Set<Long> sampled = new HashSet<>();
        List<Long> leavesToProve = new ArrayList<>();
        while (leavesToProve.size() < proofs) {
            long index = random.nextLong(leaves);
            leavesToProve.add(index);
            sampled.add(index >>> TreeWrites.TILE_HEIGHT);
        }
        long lastTile = (leaves - 1L) >>> TreeWrites.TILE_HEIGHT;

        log("building a tree of " + leaves + " leaves");
        long started = System.nanoTime();
        List<TreeWrites.TileEntry> entries = new ArrayList<>();
        MerkleFrontier tree = MerkleFrontier.EMPTY;
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Set<Long> toProve = new HashSet<>(leavesToProve);
        java.util.Map<Long, byte[]> leafOf = new java.util.HashMap<>();
        for (long i = 0; i < leaves; i++) {
            byte[] leaf = Merkle.leafHash(("record " + i).getBytes(StandardCharsets.UTF_8));
            long tile = i >>> TreeWrites.TILE_HEIGHT;
            boolean keepLeaf = sampled.contains(tile) || tile == lastTile;
            tree = tree.append(leaf, subtree -> {
                if (subtree.level() % TreeWrites.TILE_HEIGHT == 0 && (subtree.level() > 0 || keepLeaf)) {
                    entries.add(new TreeWrites.TileEntry(subtree.level() / TreeWrites.TILE_HEIGHT,
                            subtree.index() >>> TreeWrites.TILE_HEIGHT,
                            (int) (subtree.index() & (TreeWrites.TILE_WIDTH - 1)), subtree.hash()));
                }
            });
            if (toProve.contains(i)) {
                leafOf.put(i, leaf);
            }
        }
        byte[] rootHash = tree.root();
        double buildSeconds = (System.nanoTime() - started) / 1e9;
        log(String.format("built in %.1f s; %d tile entries to write", buildSeconds, entries.size()));

        List<Long> latencies = new ArrayList<>();
        List<Long> consistencyLatencies = new ArrayList<>();
        int proofHashes = 0;
        int maxProofHashes = 0;
        int consistencyHashes = 0;
        int failures = 0;
        double writeSeconds;
        try (LocalCassandra cassandra = Benchmark.startCassandra(root, "ledger-proofs-");
             CqlSession session = CqlSession.builder().addContactPoint(cassandra.contactPoint())
                     .withLocalDatacenter(LocalCassandra.DATACENTER).build()) {
            CassandraSettings settings = CassandraSettings.fromConfig(ConfigFactory.load())
                    .withContactPoint(cassandra.contactPoint()).withKeyspace("proofs");
            LedgerSchema.create(session, settings, Duration.ofDays(30));
            MerkleTiles tiles = new MerkleTiles(session, "proofs", 16);
            long writeStart = System.nanoTime();
            for (int from = 0; from < entries.size(); from += 20_000) {
                List<TreeWrites.TileEntry> chunk = entries.subList(from, Math.min(entries.size(), from + 20_000));
                tiles.write(workspace, new TreeWrites(MerkleFrontier.EMPTY, MerkleFrontier.EMPTY, chunk))
                        .toCompletableFuture().get(10, TimeUnit.MINUTES);
            }
            writeSeconds = (System.nanoTime() - writeStart) / 1e9;
            log(String.format("tiles written in %.1f s", writeSeconds));

            // warm the driver and the partitions' caches a little, then measure
            for (int round = 0; round < 2; round++) {
                for (long index : leavesToProve) {
                    long t0 = System.nanoTime();
                    List<byte[]> proof = tiles.compute(workspace, nodes -> Merkle.inclusionProof(nodes, index, leaves))
                            .toCompletableFuture().get(30, TimeUnit.SECONDS);
                    long elapsed = System.nanoTime() - t0;
                    if (round == 1) {
                        latencies.add(elapsed);
                        proofHashes += proof.size();
                        maxProofHashes = Math.max(maxProofHashes, proof.size());
                        if (!Merkle.verifyInclusion(index, leaves, leafOf.get(index), proof, rootHash)) {
                            failures++;
                        }
                    }
                }
            }
            // consistency from a sampled size to the whole tree: its older root is computed from the tiles too
            for (int i = 0; i < Math.min(50, proofs); i++) {
                long size1 = leavesToProve.get(i) + 1;
                long t0 = System.nanoTime();
                List<byte[]> proof = tiles.compute(workspace, nodes -> Merkle.consistencyProof(nodes, size1, leaves))
                        .toCompletableFuture().get(30, TimeUnit.SECONDS);
                consistencyLatencies.add(System.nanoTime() - t0);
                consistencyHashes += proof.size();
                byte[] oldRoot = tiles.compute(workspace, nodes -> Merkle.root(nodes, size1)).toCompletableFuture()
                        .get(30, TimeUnit.SECONDS);
                if (!Merkle.verifyConsistency(size1, leaves, proof, oldRoot, rootHash)) {
                    failures++;
                }
            }
        }

        log("offline verifier over " + verifyRecords + " records");
        NoteKey key = NoteKey.generate("bench.local");
        StringBuilder export = new StringBuilder();
        byte[] previous = new byte[32];
        MerkleFrontier exportTree = MerkleFrontier.EMPTY;
        long exportBytes = 0;
        for (int seq = 1; seq <= verifyRecords; seq++) {
            ObjectNode content = CanonicalJson.reader().createObjectNode()
                    .put("conversation_id", "conv-" + (seq / 20)).put("event_id", "evt-" + seq)
                    .put("event_type", "CODEX_LOG").put("model", "gpt-5-codex")
                    .put("prompt", "refactor the parser so that numbers follow RFC 8785, step " + seq)
                    .put("surface", "cli").put("timestamp", Instant.ofEpochSecond(1_765_000_000L + seq).toString());
            content.putObject("usage").put("input_tokens", 1200 + seq % 300).put("output_tokens", 340)
                    .put("cached_input_tokens", 200).put("reasoning_tokens", 64);
            content.putObject("attributes").putObject("codex").put("app.version", "0.169.0")
                    .put("duration_ms", 812.5 + seq % 17).put("tool_name", "shell");
            String canonical = CanonicalJson.canonicalize(content);
            byte[] bytes = canonical.getBytes(StandardCharsets.UTF_8);
            MessageDigest chain = MessageDigest.getInstance("SHA-256");
            chain.update(previous);
            chain.update(ByteBuffer.allocate(8).putLong(seq).array());
            chain.update(bytes);
            previous = chain.digest();
            exportTree = exportTree.append(Merkle.leafHash(bytes));
            String line = "{\"seq\":" + seq + ",\"hash\":\"" + HexFormat.of().formatHex(previous) + "\"," + canonical.substring(1);
            exportBytes += line.length() + 1;
            export.append(line).append('\n');
        }
        String note = SignedNote.sign(new Checkpoint("bench.local/verify", verifyRecords, exportTree.root()).text(), key);
        // a first pass warms the JIT, the second is measured
        ExportVerifier.verify(new BufferedReader(new StringReader(export.toString())), List.of(note), List.of(key.verifierOnly()));
        long v0 = System.nanoTime();
        ExportVerifier.Result result = ExportVerifier.verify(new BufferedReader(new StringReader(export.toString())),
                List.of(note), List.of(key.verifierOnly()));
        double verifySeconds = (System.nanoTime() - v0) / 1e9;
        if (!result.valid()) {
            throw new IllegalStateException("the synthetic export did not verify: " + result);
        }

        StringBuilder s = new StringBuilder(BEGIN).append('\n');
        s.append("Machine: ").append(Results.host()).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores, OpenJDK ").append(System.getProperty("java.version")).append(", ")
                .append(Benchmark.cassandraName).append(" (one local node). Run ").append(Instant.now()).append(".\n\n");
        s.append("| | |\n|---|---|\n");
        s.append(String.format("| tree | %,d leaves (synthetic), built in memory in %.1f s; %,d tile entries written (every level-1 and level-2 entry; the level-0 tiles of the %d sampled leaves and the right edge) in %.1f s |%n",
                leaves, buildSeconds, entries.size(), proofs, writeSeconds));
        s.append(String.format("| inclusion proof | %.1f hashes on average, at most %d (%d bytes; about %d bytes as the API's JSON) |%n",
                (double) proofHashes / latencies.size(), maxProofHashes, maxProofHashes * 32, maxProofHashes * 67 + 400));
        s.append(String.format("| inclusion proof latency (from Cassandra, %d proofs) | p50 %.2f ms, p99 %.2f ms, max %.2f ms |%n",
                latencies.size(), percentile(latencies, 50), percentile(latencies, 99), percentile(latencies, 100)));
        s.append(String.format("| consistency proof (random size → %,d, %d proofs) | %.1f hashes on average; p50 %.2f ms, p99 %.2f ms |%n",
                leaves, consistencyLatencies.size(), (double) consistencyHashes / consistencyLatencies.size(),
                percentile(consistencyLatencies, 50), percentile(consistencyLatencies, 99)));
        s.append(String.format("| proofs that failed to verify | %d |%n", failures));
        s.append(String.format("| offline verifier | %,d Codex-like records (%.0f MB of export) in %.2f s: **%,.0f records/s** (parse, RFC 8785 canonicalization, chain, Merkle tree, one signed checkpoint; one thread) |%n",
                verifyRecords, exportBytes / 1e6, verifySeconds, verifyRecords / verifySeconds));
        s.append('\n').append(END);
        Results.replaceSection(root.resolve("load-tests/RESULTS.md"), BEGIN, END, HEADING, s);
        if (failures > 0) {
            throw new IllegalStateException(failures + " proofs failed to verify");
        }
    }

    private static double percentile(List<Long> nanos, int p) {
        List<Long> sorted = new ArrayList<>(nanos);
        sorted.sort(null);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index))) / 1e6;
    }

    private static void log(String message) {
        System.out.println("[proofs] " + message);
    }
}

package dev.codexledger.tlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.ComplianceJobs;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import dev.codexledger.verify.Checkpoint;
import dev.codexledger.verify.Merkle;
import dev.codexledger.verify.MerkleFrontier;
import dev.codexledger.verify.NoteKey;
import dev.codexledger.verify.SignedNote;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Each workspace is a verifiable log: checkpoints signed by the node's Ed25519 key, inclusion and consistency
 * proofs from the stored tiles, all checked here with the verifier module only, against leaves computed from
 * the records as the API returns them.
 */
@ExtendWith(SharedCassandra.class)
class MerkleLogIT {

    private static final HexFormat HEX = HexFormat.of();
    private static LedgerNode.Running node;
    private static LedgerClient admin;

    @BeforeAll
    static void start() throws Exception {
        node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("merkle"));
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        node.stop();
    }

    @Test
    void everyRecordIsProvenAgainstASignedCheckpointAndCheckpointsAreConsistent() {
        post("proofs", 0, 600);
        Checkpoint first = sign("proofs", 600);
        List<byte[]> leaves = leaves("proofs");
        assertEquals(600, leaves.size());
        assertArrayEquals(rootOf(leaves, 600), first.root(), "the signed root is the root of the records' leaves");
        assertEquals("codex-ledger.local/proofs", first.origin());

        for (long seq : new long[] {1, 2, 255, 256, 257, 511, 512, 513, 600}) {
            JsonNode proof = ok(admin.get("/v1/workspaces/proofs/log/proofs/inclusion?seq=" + seq));
            assertEquals(600, proof.get("tree_size").asLong());
            assertEquals(HEX.formatHex(leaves.get((int) seq - 1)), proof.get("leaf_hash").asText(), "leaf " + seq);
            assertTrue(Merkle.verifyInclusion(seq - 1, 600, leaves.get((int) seq - 1), hashes(proof.get("proof")),
                    first.root()), "record " + seq + " is in the signed tree");
            assertEquals(SignedNote.textOf(proof.get("checkpoint").asText()), first.text());
        }
        // a proof against an older size (not a checkpoint) verifies against that size's root
        JsonNode older = ok(admin.get("/v1/workspaces/proofs/log/proofs/inclusion?seq=10&size=300"));
        assertTrue(Merkle.verifyInclusion(9, 300, leaves.get(9), hashes(older.get("proof")), rootOf(leaves, 300)));

        post("proofs", 600, 50);
        Checkpoint second = sign("proofs", 650);
        JsonNode consistency = ok(admin.get("/v1/workspaces/proofs/log/proofs/consistency?from=600&to=650"));
        assertTrue(Merkle.verifyConsistency(600, 650, hashes(consistency.get("proof")), first.root(), second.root()),
                "the second checkpoint extends the first");
        JsonNode listed = ok(admin.get("/v1/workspaces/proofs/log/checkpoints"));
        assertEquals(650, listed.get("checkpoints").get(0).get("size").asLong(), "newest first: " + listed);
        assertEquals(600, listed.get("checkpoints").get(1).get("size").asLong());
    }

    /** The README's offline check, as a user runs it: export, checkpoints and keys saved to files, then the verifier. */
    @Test
    void theReadmesOfflineVerificationPasses(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        post("offline", 0, 120);
        sign("offline", 120);
        post("offline", 120, 5);
        java.nio.file.Path export = java.nio.file.Files.writeString(dir.resolve("offline.jsonl"),
                admin.get("/v1/workspaces/offline/records/export").raw().body());
        java.nio.file.Path checkpoints = java.nio.file.Files.writeString(dir.resolve("checkpoints.json"),
                admin.get("/v1/workspaces/offline/log/checkpoints").raw().body());
        java.nio.file.Path keys = java.nio.file.Files.writeString(dir.resolve("keys.json"),
                admin.get("/v1/workspaces/offline/log/keys").raw().body());
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int status = dev.codexledger.verify.VerifyCommand.run(new String[] {"export", export.toString(), "--checkpoints",
                checkpoints.toString(), "--keys", keys.toString(), "--origin", "codex-ledger.local/offline",
                "--to-newest-checkpoint"}, new java.io.PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        String verdict = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, verdict);
        assertTrue(verdict.startsWith("valid: 120 records of log codex-ledger.local/offline"), verdict);
        out.reset();
        status = dev.codexledger.verify.VerifyCommand.run(new String[] {"export", export.toString(), "--checkpoints",
                checkpoints.toString(), "--keys", keys.toString()}, new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
                System.err);
        assertEquals(1, status, "the 5 records after the newest checkpoint are not covered");
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("not covered"), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anErasedRecordStillVerifiesByTheLeafHashItKept() {
        Instant t = Instant.parse("2026-12-07T09:00:00Z");
        assertEquals(200, admin.post("/v1/workspaces/erased-proofs/records", "application/json", Records.array(
                Records.record("a-1", "alice", t, "alice secret"), Records.record("b-1", "bob", t, "bob words"))).status());
        Checkpoint before = sign("erased-proofs", 2);
        byte[] aliceLeaf = leaves("erased-proofs").get(0);
        ComplianceJobs.erase(admin, "erased-proofs", "{\"user_id\":\"alice\"}");
        List<JsonNode> records = records("erased-proofs");
        JsonNode erased = records.get(0);
        assertTrue(erased.get("erased").asBoolean(), erased.toString());
        assertEquals(HEX.formatHex(aliceLeaf), erased.get("leaf_hash").asText(), "the marker keeps the leaf hash");
        List<byte[]> leaves = leaves("erased-proofs");
        assertArrayEquals(before.root(), rootOf(leaves, 2), "the tree over the erased workspace is the signed one");
        JsonNode proof = ok(admin.get("/v1/workspaces/erased-proofs/log/proofs/inclusion?seq=1&size=2"));
        assertTrue(Merkle.verifyInclusion(0, 2, leaves.get(0), hashes(proof.get("proof")), before.root()));
    }

    @Test
    void badProofRequestsNameTheField() {
        post("asks", 0, 3);
        sign("asks", 3);
        assertField(admin.get("/v1/workspaces/asks/log/proofs/inclusion?seq=0"), 400, "seq");
        assertField(admin.get("/v1/workspaces/asks/log/proofs/inclusion"), 400, "seq");
        assertField(admin.get("/v1/workspaces/asks/log/proofs/inclusion?seq=x"), 400, "seq");
        assertField(admin.get("/v1/workspaces/asks/log/proofs/inclusion?seq=4"), 400, "seq");
        assertField(admin.get("/v1/workspaces/asks/log/proofs/inclusion?seq=1&size=4"), 400, "size");
        assertField(admin.get("/v1/workspaces/asks/log/proofs/consistency?from=3&to=2"), 400, "from");
        LedgerClient.Reply none = admin.get("/v1/workspaces/never-signed/log/proofs/inclusion?seq=1");
        assertEquals(409, none.status(), none.raw().body());
    }

    private static void assertField(LedgerClient.Reply reply, int status, String field) {
        assertEquals(status, reply.status(), reply.raw().body());
        assertEquals(field, reply.body().get("field").asText(), reply.raw().body());
    }

    // ---------------------------------------------------------------- helpers

    private static void post(String workspace, int from, int count) {
        Instant t = Instant.parse("2026-12-07T08:00:00Z");
        for (int start = from; start < from + count; start += 100) {
            List<String> batch = new ArrayList<>();
            for (int i = start; i < Math.min(from + count, start + 100); i++) {
                batch.add(Records.record("r-" + i, "user-" + (i % 7), t.plusSeconds(i), "prompt " + i));
            }
            LedgerClient.Reply reply = admin.post("/v1/workspaces/" + workspace + "/records", "application/json",
                    Records.array(batch.toArray(String[]::new)));
            assertEquals(200, reply.status(), reply.raw().body());
        }
    }

    /** Signs a checkpoint now; checks its signature with the published key and returns its body. */
    private static Checkpoint sign(String workspace, long expectedSize) {
        LedgerClient.Reply signed = admin.post("/v1/workspaces/" + workspace + "/log/checkpoints", "application/json", "");
        assertEquals(201, signed.status(), signed.raw().body());
        List<NoteKey> keys = new ArrayList<>();
        ok(admin.get("/v1/workspaces/" + workspace + "/log/keys")).get("keys")
                .forEach(key -> keys.add(NoteKey.parseVerifier(key.get("verifier_key").asText())));
        assertTrue(!keys.isEmpty());
        Checkpoint checkpoint = Checkpoint.parse(SignedNote.open(signed.body().get("note").asText(), keys).text());
        assertEquals(expectedSize, checkpoint.size());
        return checkpoint;
    }

    private static List<JsonNode> records(String workspace) {
        List<JsonNode> out = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = ok(admin.get("/v1/workspaces/" + workspace + "/records?limit=1000"
                    + (cursor == null ? "" : "&cursor=" + cursor)));
            page.get("records").forEach(out::add);
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        } while (cursor != null);
        return out;
    }

    /** Leaf hashes computed here from what the API returns (an erased record: the leaf hash it kept). */
    private static List<byte[]> leaves(String workspace) {
        List<byte[]> leaves = new ArrayList<>();
        long expected = 1;
        for (JsonNode record : records(workspace)) {
            assertEquals(expected++, record.get("seq").asLong(), "gap-free");
            leaves.add(record.path("erased").asBoolean() ? HEX.parseHex(record.get("leaf_hash").asText())
                    : Merkle.leafHash(Records.canonicalContentOf(record).getBytes(StandardCharsets.UTF_8)));
        }
        return leaves;
    }

    private static byte[] rootOf(List<byte[]> leaves, int size) {
        MerkleFrontier tree = MerkleFrontier.EMPTY;
        for (byte[] leaf : leaves.subList(0, size)) {
            tree = tree.append(leaf);
        }
        return tree.root();
    }

    private static List<byte[]> hashes(JsonNode array) {
        assertNotNull(array);
        List<byte[]> out = new ArrayList<>();
        array.forEach(h -> out.add(HEX.parseHex(h.asText())));
        return out;
    }

    private static JsonNode ok(LedgerClient.Reply reply) {
        assertEquals(200, reply.status(), reply.raw().body());
        return reply.body();
    }
}

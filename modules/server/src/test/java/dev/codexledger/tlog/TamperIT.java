package dev.codexledger.tlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import dev.codexledger.verify.Checkpoint;
import dev.codexledger.verify.ExportVerifier;
import dev.codexledger.verify.Merkle;
import dev.codexledger.verify.MerkleFrontier;
import dev.codexledger.verify.NoteKey;
import dev.codexledger.verify.SignedNote;
import java.io.BufferedReader;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The tamper matrix: a workspace's rows are changed in Cassandra behind the node's back, and both the offline
 * verifier (over the export, the checkpoints and the public keys a client kept) and the server-side
 * verification job find it, at the seq where it is. A clean workspace of 100,000 records verifies.
 */
@ExtendWith(SharedCassandra.class)
class TamperIT {

    private static final int RECORDS = 300;
    private static LedgerNode.Running node;
    private static LedgerClient admin;
    private static CqlSession session;
    private static String keyspace;

    @BeforeAll
    static void start() throws Exception {
        keyspace = TestNodes.newKeyspace("tamper");
        node = TestNodes.start(SharedCassandra.contactPoint(), keyspace);
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
        session = CqlSession.builder().addContactPoint(SharedCassandra.contactPoint())
                .withLocalDatacenter("datacenter1").withKeyspace(keyspace).build();
    }

    @AfterAll
    static void stop() throws Exception {
        session.close();
        node.stop();
    }

    /** What a client kept before the tampering: the export's checkpoints and the log's public keys. */
    private record Kept(List<String> notes, List<NoteKey> keys) {}

    private static Kept ingestAndSign(String workspace, int count) {
        Instant t = Instant.parse("2026-12-07T11:00:00Z");
        for (int start = 0; start < count; start += 1000) {
            List<String> batch = new ArrayList<>();
            for (int i = start; i < Math.min(count, start + 1000); i++) {
                batch.add(Records.record("r-" + i, "user-" + (i % 11), t.plusMillis(i), "prompt " + i));
            }
            String body = Records.array(batch.toArray(String[]::new));
            // as an exporter does: a 429 (fairness, while another workspace of the shared node still counts
            // as sending) or a 503 is retried; the same batch again is idempotent
            LedgerClient.Reply posted = Eventually.until(Duration.ofSeconds(60), Duration.ofMillis(250),
                    () -> admin.post("/v1/workspaces/" + workspace + "/records", "application/json", body),
                    reply -> reply.status() != 429 && reply.status() != 503);
            assertEquals(200, posted.status(), posted.raw().body());
        }
        assertEquals(201, admin.post("/v1/workspaces/" + workspace + "/log/checkpoints", "application/json", "").status());
        List<String> notes = new ArrayList<>();
        admin.get("/v1/workspaces/" + workspace + "/log/checkpoints").body().get("checkpoints")
                .forEach(c -> notes.add(c.get("note").asText()));
        List<NoteKey> keys = new ArrayList<>();
        admin.get("/v1/workspaces/" + workspace + "/log/keys").body().get("keys")
                .forEach(k -> keys.add(NoteKey.parseVerifier(k.get("verifier_key").asText())));
        return new Kept(notes, keys);
    }

    private static ExportVerifier.Result offline(String workspace, Kept kept) throws Exception {
        LedgerClient.Reply export = admin.get("/v1/workspaces/" + workspace + "/records/export");
        assertEquals(200, export.status());
        return ExportVerifier.verify(new BufferedReader(new StringReader(export.raw().body())), kept.notes(), kept.keys());
    }

    private static JsonNode serverSide(String workspace) {
        LedgerClient.Reply started = admin.post("/v1/workspaces/" + workspace + "/log/verifications", "application/json", "");
        assertEquals(202, started.status(), started.raw().body());
        String id = started.body().get("id").asText();
        return Eventually.until(Duration.ofSeconds(120), () -> {
            LedgerClient.Reply status = admin.get("/v1/workspaces/" + workspace + "/log/verifications/" + id);
            assertEquals(200, status.status(), status.raw().body());
            return status.body();
        }, job -> !job.get("state").asText().equals("running"));
    }

    private static void assertFound(String workspace, Kept kept, long seq, String why) throws Exception {
        ExportVerifier.Result offline = offline(workspace, kept);
        assertFalse(offline.valid(), workspace + ": " + offline);
        assertEquals(seq, offline.firstWrongSeq(), workspace + ": " + offline);
        assertTrue(offline.reason().contains(why), workspace + ": " + offline);
        JsonNode job = serverSide(workspace);
        assertEquals("done", job.get("state").asText(), job.toString());
        assertFalse(job.get("valid").asBoolean(), workspace + ": " + job);
        assertEquals(seq, job.path("first_wrong_seq").asLong(0), workspace + ": " + job);
        assertTrue(job.get("reason").asText().contains(why), workspace + ": " + job);
        assertAudited(workspace, false);
    }

    private static void assertAudited(String workspace, boolean valid) {
        List<JsonNode> log = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = admin.get("/v1/workspaces/" + workspace + "/records?event_type=AUTH_LOG&limit=1000"
                    + (cursor == null ? "" : "&cursor=" + cursor)).body();
            page.get("records").forEach(log::add);
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        } while (cursor != null);
        boolean found = false;
        for (JsonNode record : log) {
            if (record.get("action").asText().equals("log.verified")
                    && record.get("attributes").get("valid").asBoolean() == valid) {
                found = true;
            }
        }
        assertTrue(found, "the verification is an AUTH_LOG record: " + log);
    }

    // ---------------------------------------------------------------- rows, behind the node's back

    private static long bucket(String workspace) {
        return session.execute("SELECT bucket FROM record_hours WHERE workspace = ?", workspace).one().getLong("bucket");
    }

    private static Row row(String workspace, long seq) {
        return session.execute("SELECT * FROM records WHERE workspace = ? AND bucket = ? AND seq = ?",
                workspace, bucket(workspace), seq).one();
    }

    private static void setContent(String workspace, long seq, String content) {
        session.execute("UPDATE records SET content = ? WHERE workspace = ? AND bucket = ? AND seq = ?",
                content, workspace, bucket(workspace), seq);
    }

    private static void setHash(String workspace, long seq, ByteBuffer hash) {
        session.execute("UPDATE records SET chain_hash = ? WHERE workspace = ? AND bucket = ? AND seq = ?",
                hash, workspace, bucket(workspace), seq);
    }

    private static void delete(String workspace, long seq) {
        session.execute("DELETE FROM records WHERE workspace = ? AND bucket = ? AND seq = ?", workspace, bucket(workspace), seq);
    }

    // ---------------------------------------------------------------- the matrix

    @Test
    void aChangedContentIsFound() throws Exception {
        Kept kept = ingestAndSign("t-content", RECORDS);
        setContent("t-content", 42, row("t-content", 42).getString("content").replace("prompt 41", "prompt 4l"));
        assertFound("t-content", kept, 42, "chain");
    }

    @Test
    void aChangedHashIsFound() throws Exception {
        Kept kept = ingestAndSign("t-hash", RECORDS);
        ByteBuffer hash = row("t-hash", 10).getByteBuffer("chain_hash");
        byte[] bytes = new byte[32];
        hash.duplicate().get(bytes);
        bytes[0] ^= 1;
        setHash("t-hash", 10, ByteBuffer.wrap(bytes));
        assertFound("t-hash", kept, 10, "chain");
    }

    @Test
    void aDeletedRecordIsFound() throws Exception {
        Kept kept = ingestAndSign("t-delete", RECORDS);
        delete("t-delete", 50);
        assertFound("t-delete", kept, 50, "missing");
    }

    @Test
    void anInsertedRecordIsFound() throws Exception {
        Kept kept = ingestAndSign("t-insert", RECORDS);
        // every row from 61 on moves one seq up, and a forged record takes 61
        for (long seq = RECORDS; seq >= 61; seq--) {
            Row row = row("t-insert", seq);
            session.execute("INSERT INTO records (workspace, bucket, seq, event_id, event_type, ts_micros, user_id, content,"
                    + " content_hash, chain_hash, accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    "t-insert", bucket("t-insert"), seq + 1, row.getString("event_id"), row.getString("event_type"),
                    row.getLong("ts_micros"), row.getString("user_id"), row.getString("content"),
                    row.getByteBuffer("content_hash"), row.getByteBuffer("chain_hash"), row.getInstant("accepted_at"));
        }
        setContent("t-insert", 61, row("t-insert", 62).getString("content").replace("\"r-60\"", "\"forged\""));
        assertFound("t-insert", kept, 61, "chain");
    }

    @Test
    void swappedRecordsAreFound() throws Exception {
        Kept kept = ingestAndSign("t-swap", RECORDS);
        Row a = row("t-swap", 70);
        Row b = row("t-swap", 71);
        setContent("t-swap", 70, b.getString("content"));
        setHash("t-swap", 70, b.getByteBuffer("chain_hash"));
        setContent("t-swap", 71, a.getString("content"));
        setHash("t-swap", 71, a.getByteBuffer("chain_hash"));
        assertFound("t-swap", kept, 70, "chain");
    }

    @Test
    void aTruncatedTailIsFound() throws Exception {
        Kept kept = ingestAndSign("t-truncate", RECORDS);
        for (long seq = 291; seq <= RECORDS; seq++) {
            delete("t-truncate", seq);
        }
        assertFound("t-truncate", kept, 291, "removed from its end");
    }

    /**
     * Everything rewritten consistently (content, chain, and a checkpoint of the new tree signed with another
     * key put in place of the real ones): only the signature tells.
     */
    @Test
    void aConsistentRewriteIsFoundOnlyByTheSignature() throws Exception {
        Kept kept = ingestAndSign("t-rewrite", RECORDS);
        byte[] previous = new byte[32];
        MerkleFrontier tree = MerkleFrontier.EMPTY;
        for (long seq = 1; seq <= RECORDS; seq++) {
            String content = row("t-rewrite", seq).getString("content").replace("prompt ", "rewritten ");
            byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(previous);
            sha.update(ByteBuffer.allocate(8).putLong(seq).array());
            sha.update(bytes);
            previous = sha.digest();
            setContent("t-rewrite", seq, content);
            setHash("t-rewrite", seq, ByteBuffer.wrap(previous));
            tree = tree.append(Merkle.leafHash(bytes));
        }
        NoteKey forger = NoteKey.generate("codex-ledger.local");
        String forged = SignedNote.sign(new Checkpoint("codex-ledger.local/t-rewrite", RECORDS, tree.root()).text(), forger);
        session.execute("UPDATE checkpoints SET root = ?, note = ? WHERE workspace = ? AND size = ?",
                ByteBuffer.wrap(tree.root()), forged, "t-rewrite", (long) RECORDS);

        ExportVerifier.Result withTheRealKey = offline("t-rewrite", new Kept(List.of(forged), kept.keys()));
        assertFalse(withTheRealKey.valid());
        assertTrue(withTheRealKey.reason().contains("not validly signed"), withTheRealKey.toString());
        ExportVerifier.Result withKeptCheckpoints = offline("t-rewrite", kept);
        assertFalse(withKeptCheckpoints.valid());
        assertTrue(withKeptCheckpoints.reason().contains("rewritten"), withKeptCheckpoints.toString());
        ExportVerifier.Result withTheForgersKey = offline("t-rewrite", new Kept(List.of(forged), List.of(forger.verifierOnly())));
        assertTrue(withTheForgersKey.valid(), "the rewrite is consistent in itself: " + withTheForgersKey);

        // the node's ledger still holds the real tree: it refuses to sign over the forged checkpoint, and says so
        JsonNode job = serverSide("t-rewrite");
        assertEquals("done", job.get("state").asText(), job.toString());
        assertFalse(job.get("valid").asBoolean(), job.toString());
        assertTrue(job.get("reason").asText().contains("rewritten"), job.toString());
    }

    /** A client holding an old checkpoint as "the latest" learns that records after it are not covered. */
    @Test
    void anOldCheckpointReplayedAsNewIsFound() throws Exception {
        Kept old = ingestAndSign("t-replay", 100);
        ingestAndSign("t-replay", 0);
        Instant t = Instant.parse("2026-12-07T12:00:00Z");
        assertEquals(200, admin.post("/v1/workspaces/t-replay/records", "application/json",
                Records.array(Records.record("late-1", "u", t, "after"), Records.record("late-2", "u", t, "after"))).status());
        ExportVerifier.Result replayed = offline("t-replay", old);
        assertFalse(replayed.valid());
        assertEquals(101, replayed.firstWrongSeq(), replayed.toString());
        assertTrue(replayed.reason().contains("not covered"), replayed.toString());
    }

    @Test
    void aCleanWorkspaceOf100000RecordsVerifiesWithoutAFalsePositive() throws Exception {
        Kept kept = ingestAndSign("t-clean", 100_000);
        ExportVerifier.Result offline = offline("t-clean", kept);
        assertTrue(offline.valid(), offline.toString());
        assertEquals(100_000, offline.records());
        LedgerClient.Reply first = admin.post("/v1/workspaces/t-clean/log/verifications", "application/json", "");
        assertEquals(202, first.status(), first.raw().body());
        LedgerClient.Reply second = admin.post("/v1/workspaces/t-clean/log/verifications", "application/json", "");
        assertEquals(409, second.status(), "one verification at a time: " + second.raw().body());
        assertTrue(second.body().get("error").asText().contains(first.body().get("id").asText()), second.raw().body());
        String id = first.body().get("id").asText();
        JsonNode job = Eventually.until(Duration.ofSeconds(120),
                () -> admin.get("/v1/workspaces/t-clean/log/verifications/" + id).body(),
                status -> !status.get("state").asText().equals("running"));
        assertEquals("done", job.get("state").asText(), job.toString());
        assertTrue(job.get("valid").asBoolean(), job.toString());
        assertEquals(100_000, job.get("checked").asLong(), job.toString());
        assertAudited("t-clean", true);
    }
}

package dev.codexledger.compliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.node.LedgerNode;
import com.datastax.oss.driver.api.core.CqlSession;
import dev.codexledger.testing.ComplianceJobs;
import dev.codexledger.testing.Keys;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import dev.codexledger.workspace.Digest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Erasure of a user's or a conversation's records: content gone, chain intact, others untouched, audited. */
@ExtendWith(SharedCassandra.class)
class ErasureIT {

    private static LedgerNode.Running node;
    private static String keyspace;
    private static LedgerClient admin;

    @BeforeAll
    static void start() throws Exception {
        keyspace = TestNodes.newKeyspace("erasure");
        node = TestNodes.start(SharedCassandra.contactPoint(), keyspace);
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        node.stop();
    }

    @Test
    void aUsersRecordsLoseTheirContentAndTheChainStillVerifies() {
        Instant t = Instant.parse("2026-11-22T08:00:00Z");
        post("gdpr", Records.record("a-1", "alice", t, "alice secret one"), Records.record("b-1", "bob", t, "bob one"));
        post("gdpr", Records.record("a-2", "alice", t, "alice secret two"), Records.record("b-2", "bob", t, "bob two"));

        LedgerClient eraser = admin.withKey(Keys.create(admin, "gdpr", "dpo", "compliance.delete").secret());
        JsonNode erased = ComplianceJobs.erase(eraser, "gdpr", "{\"user_id\":\"alice\"}");
        assertEquals(2, erased.get("erased").asInt());
        assertEquals("[1,3]", erased.get("erased_seqs").toString());
        assertEquals(Digest.sha256("alice").hex(), erased.get("criterion_sha256").asText());
        assertFalse(erased.toString().contains("\"alice\""), "the job names the user only as a digest: " + erased);

        List<JsonNode> records = records("gdpr");
        assertFalse(records.toString().contains("alice secret"), "content gone: " + records);
        assertFalse(records.stream().filter(r -> r.path("erased").asBoolean()).anyMatch(r -> r.toString().contains("alice")),
                "the erased records do not even name the user");
        JsonNode first = records.get(0);
        assertTrue(first.get("erased").asBoolean());
        assertEquals("a-1", first.get("event_id").asText());
        assertEquals(64, first.get("content_hash").asText().length());
        assertEquals("bob one", records.get(1).get("prompt").asText(), "other users untouched");
        assertEquals("bob two", records.get(3).get("prompt").asText());
        verifyChain(all("gdpr"));

        assertEquals(0, admin.get("/v1/workspaces/gdpr/records?user=alice").body().get("records").size());
        assertTheLedgersOwnCopiesForgot("gdpr", "alice secret");
        assertEquals(0, ComplianceJobs.erase(eraser, "gdpr", "{\"user_id\":\"alice\"}").get("erased").asInt(),
                "erasing again finds nothing");
        JsonNode listed = eraser.get("/v1/compliance/workspaces/gdpr/erasures").body().get("erasures");
        assertEquals(2, listed.size());
        assertEquals(erased.get("id"), listed.get(0).get("id"));

        JsonNode log = admin.get("/v1/workspaces/gdpr/records?event_type=AUTH_LOG").body().get("records");
        JsonNode audit = null;
        for (JsonNode record : log) {
            if (record.get("action").asText().equals("records.erased") && record.get("attributes").get("erased").asInt() == 2) {
                audit = record;
            }
        }
        assertTrue(audit != null, "the erasure is recorded: " + log);
        assertEquals("user_id", audit.get("attributes").get("criterion").asText());
        assertEquals(Digest.sha256("alice").hex(), audit.get("attributes").get("criterion_sha256").asText());
        assertEquals("dpo", audit.get("attributes").get("actor_key_name").asText(), "who");
        assertFalse(audit.toString().contains("\"alice\""), "the audit names the user only as a digest");
    }

    @Test
    void aConversationCanBeErased() {
        Instant t = Instant.parse("2026-11-22T09:00:00Z");
        String one = Records.record("c-1", "carol", t, "in conv-1");
        String other = Records.record("c-2", "carol", t, "in conv-2").replace("\"conv-1\"", "\"conv-2\"");
        post("conv", one, other);
        JsonNode erased = ComplianceJobs.erase(admin, "conv", "{\"conversation_id\":\"conv-1\"}");
        assertEquals(1, erased.get("erased").asInt());
        List<JsonNode> records = records("conv");
        assertTrue(records.get(0).get("erased").asBoolean());
        assertEquals("in conv-2", records.get(1).get("prompt").asText());
        verifyChain(all("conv"));
    }

    @Test
    void anErasureNamesExactlyOneCriterion() {
        for (String body : new String[] {"{}", "{\"user_id\":\"a\",\"conversation_id\":\"b\"}", "{\"email\":\"x\"}",
                "{\"user_id\":\"\"}", "{\"user_id\":5}", "[\"user_id\"]"}) {
            LedgerClient.Reply reply = admin.post("/v1/compliance/workspaces/conv/erasures", "application/json", body);
            assertEquals(400, reply.status(), body + " → " + reply.raw().body());
            assertEquals("body", reply.body().get("field").asText());
        }
    }

    @Test
    void unknownErasuresAre404() {
        LedgerClient.Reply reply = admin.get("/v1/compliance/workspaces/conv/erasures/erasure_0000000000000000");
        assertEquals(404, reply.status(), reply.raw().body());
        assertEquals("id", reply.body().get("field").asText());
    }

    @Test
    void anErasureLeftRunningByAStoppedNodeIsFinishedByTheNextStart() throws Exception {
        String keyspace = TestNodes.newKeyspace("erasure_resume");
        LedgerNode.Running first = TestNodes.start(SharedCassandra.contactPoint(), keyspace);
        LedgerClient client = new LedgerClient(first.httpAddress(), TestNodes.ADMIN_KEY);
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        assertEquals(200, client.post("/v1/workspaces/r/records", "application/json", Records.array(
                Records.record("d-1", "dave", t, "dave's words"), Records.record("e-1", "erin", t, "erin's words")))
                .status());
        first.stop();
        // what a node leaves behind when it stops while an erasure runs: the job row, state running
        try (CqlSession session = CqlSession.builder().addContactPoint(SharedCassandra.contactPoint())
                .withLocalDatacenter("datacenter1").build()) {
            session.execute("INSERT INTO " + keyspace + ".erasures (workspace, id, criterion, criterion_value,"
                    + " criterion_sha256, requested_by, requested_by_name, requested_at, state, erased, held)"
                    + " VALUES ('r', 'erasure_00000000000000aa', 'user_id', 'dave', ?, 'key:k', 'dpo', ?, 'running', 0, 0)",
                    Digest.sha256("dave").hex(), t);
        }
        LedgerNode.Running second = TestNodes.start(SharedCassandra.contactPoint(), keyspace);
        try {
            LedgerClient again = new LedgerClient(second.httpAddress(), TestNodes.ADMIN_KEY);
            JsonNode job = ComplianceJobs.awaitErasure(again, "r", "erasure_00000000000000aa");
            assertEquals(1, job.get("erased").asInt());
            String records = again.get("/v1/workspaces/r/records").raw().body();
            // the audit record woke the entity, whose recovery writes its last batch (dave's and erin's) again:
            // rows present, the erased one included, are left as they are
            assertFalse(records.contains("dave's words"), records);
            assertTrue(records.contains("erin's words"), records);
            assertTrue(records.contains("records.erased"), "audited when it finished: " + records);
        } finally {
            second.stop();
        }
    }

    /**
     * The entity's copies: its snapshot (taken at the erasure) holds no erased text, and the journal events
     * before it, which held the content, are deleted.
     */
    private static void assertTheLedgersOwnCopiesForgot(String workspace, String text) {
        try (CqlSession session = CqlSession.builder().addContactPoint(SharedCassandra.contactPoint())
                .withLocalDatacenter("datacenter1").build()) {
            String pid = "WorkspaceLedger|" + workspace;
            List<com.datastax.oss.driver.api.core.cql.Row> snapshots = session.execute("SELECT sequence_nr, snapshot, snapshot_data"
                    + " FROM " + keyspace + ".snapshots WHERE persistence_id = ?", pid).all();
            assertEquals(1, snapshots.size(), "older snapshots deleted");
            long snapshotSeqNr = snapshots.get(0).getLong("sequence_nr");
            var row = snapshots.get(0);
            java.nio.ByteBuffer bytes = row.isNull("snapshot_data") ? row.getByteBuffer("snapshot")
                    : row.getByteBuffer("snapshot_data");
            String snapshot = new String(com.datastax.oss.protocol.internal.util.Bytes.getArray(bytes),
                    java.nio.charset.StandardCharsets.ISO_8859_1);
            assertTrue(snapshot.contains("key.created"), "the last batch (the dpo key's audit record) is in the snapshot, readable");
            assertFalse(snapshot.contains(text), "the snapshot's last batch holds the erasure marker");
            List<com.datastax.oss.driver.api.core.cql.Row> events = session.execute("SELECT sequence_nr, ser_manifest"
                    + " FROM " + keyspace + ".messages WHERE persistence_id = ? AND partition_nr = 0", pid).all();
            for (var event : events) {
                assertTrue(event.getLong("sequence_nr") >= snapshotSeqNr,
                        "event " + event.getLong("sequence_nr") + " (" + event.getString("ser_manifest")
                                + ") from before the erasure's snapshot at " + snapshotSeqNr + " is deleted");
            }
        }
    }

    /** Recomputes each kept record's hash from its content and its predecessor's hash (erased or not). */
    private static void verifyChain(List<JsonNode> records) {
        Digest previous = Digest.ZERO;
        for (JsonNode record : records) {
            if (!record.path("erased").asBoolean()) {
                Digest expected = Digest.chain(previous, record.get("seq").asLong(), Records.canonicalContentOf(record));
                assertEquals(expected.hex(), record.get("hash").asText(), "chain at seq " + record.get("seq"));
            }
            previous = Digest.of(java.util.HexFormat.of().parseHex(record.get("hash").asText()));
        }
    }

    private static void post(String workspace, String... records) {
        LedgerClient.Reply reply = admin.post("/v1/workspaces/" + workspace + "/records", "application/json",
                Records.array(records));
        assertEquals(200, reply.status(), reply.raw().body());
    }

    /** The workspace's records without its AUTH_LOG records. */
    private static List<JsonNode> records(String workspace) {
        return all(workspace).stream().filter(r -> !r.path("event_type").asText().equals("AUTH_LOG")).toList();
    }

    private static List<JsonNode> all(String workspace) {
        List<JsonNode> out = new ArrayList<>();
        admin.get("/v1/workspaces/" + workspace + "/records?limit=1000").body().get("records").forEach(out::add);
        return out;
    }
}

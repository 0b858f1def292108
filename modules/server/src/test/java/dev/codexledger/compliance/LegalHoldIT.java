package dev.codexledger.compliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Legal holds against real Cassandra TTLs of 3 seconds: held records outlive them, released ones do not. */
@ExtendWith(SharedCassandra.class)
class LegalHoldIT {

    private static LedgerNode.Running node;
    private static LedgerClient admin;

    @BeforeAll
    static void start() throws Exception {
        node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("holds"), Map.of(
                "ledger.records.ttl", "3s", "ledger.records.min-ttl", "1s"));
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        node.stop();
    }

    @Test
    void heldRecordsSurviveTheirTtlAndExpireAfterRelease() throws Exception {
        post("case", "alice-1", "alice");
        post("case", "bob-1", "bob");
        LedgerClient.Reply created = admin.post("/v1/compliance/workspaces/case/holds", "application/json",
                "{\"name\":\"Acme v. Example\",\"custodians\":[\"alice\"]}");
        assertEquals(201, created.status(), created.raw().body());
        String hold = created.body().get("id").asText();
        assertEquals(1, created.body().get("held_at_creation").asInt(), "the stored record of alice");
        post("case", "alice-2", "alice");
        post("case", "bob-2", "bob");

        LedgerClient.Reply erasure = admin.post("/v1/compliance/workspaces/case/erasures", "application/json",
                "{\"user_id\":\"alice\"}");
        assertEquals(200, erasure.status(), erasure.raw().body());
        assertEquals(0, erasure.body().get("erased").asInt());
        assertEquals(2, erasure.body().get("held").asInt(), "held records are kept and reported");

        Thread.sleep(4000);
        assertEquals(List.of("alice-1", "alice-2"), ids("case"),
                "past the 3 s TTL: both of alice's records (stored before and arriving after the hold), nothing else");
        assertEquals("alice", records("case").get(0).get("user").get("id").asText());

        LedgerClient.Reply listed = admin.get("/v1/compliance/workspaces/case/holds");
        assertEquals(1, listed.body().get("holds").size());
        assertTrue(listed.body().get("holds").get(0).get("active").asBoolean());

        LedgerClient.Reply released = admin.delete("/v1/compliance/workspaces/case/holds/" + hold);
        assertEquals(200, released.status(), released.raw().body());
        assertEquals(2, released.body().get("freed").asInt());
        assertFalse(released.body().get("active").asBoolean());
        assertEquals(List.of(), ids("case"), "released past their original expiry: gone at once");
        assertEquals(404, admin.delete("/v1/compliance/workspaces/case/holds/hold_0000000000000000").status());
    }

    @Test
    void aCopyReleasedBeforeItsOriginalExpiresExpiresWithIt() throws Exception {
        LedgerClient.Reply created = admin.post("/v1/compliance/workspaces/early/holds", "application/json",
                "{\"name\":\"short\",\"event_types\":[\"CODEX_LOG\"],\"from\":\"2026-01-01T00:00:00Z\"}");
        assertEquals(201, created.status(), created.raw().body());
        post("early", "e-1", "erin");
        LedgerClient.Reply auditRecord = admin.get("/v1/workspaces/early/records?event_type=AUTH_LOG");
        assertTrue(auditRecord.raw().body().contains("legal_hold.created"), auditRecord.raw().body());
        assertEquals(200, admin.delete("/v1/compliance/workspaces/early/holds/" + created.body().get("id").asText())
                .status());
        assertTrue(admin.get("/v1/workspaces/early/records?event_type=AUTH_LOG").raw().body()
                .contains("legal_hold.released"));
        assertEquals(List.of("e-1"), ids("early"), "still within its retention");
        Thread.sleep(4000);
        assertEquals(List.of(), ids("early"), "and then it expires like any record");
    }

    @Test
    void badHoldsAre400NamingTheField() {
        assertField("{\"custodians\":[\"a\"]}", "name");
        assertField("{\"name\":\"x\",\"event_types\":[\"OTHER\"]}", "event_types");
        assertField("{\"name\":\"x\",\"from\":\"2026-02-01T00:00:00Z\",\"to\":\"2026-01-01T00:00:00Z\"}", "to");
        assertField("{\"name\":\"x\",\"custodians\":\"alice\"}", "custodians");
        assertField("{\"name\":\"x\",\"words\":[\"secret\"]}", "words");
    }

    private static void assertField(String body, String field) {
        LedgerClient.Reply reply = admin.post("/v1/compliance/workspaces/bad/holds", "application/json", body);
        assertEquals(400, reply.status(), reply.raw().body());
        assertEquals(field, reply.body().get("field").asText());
    }

    private static void post(String workspace, String id, String user) {
        LedgerClient.Reply reply = admin.post("/v1/workspaces/" + workspace + "/records", "application/json",
                Records.array(Records.record(id, user, Instant.now(), "prompt of " + id)));
        assertEquals(200, reply.status(), reply.raw().body());
    }

    private static List<JsonNode> records(String workspace) {
        List<JsonNode> out = new ArrayList<>();
        admin.get("/v1/workspaces/" + workspace + "/records?limit=1000").body().get("records").forEach(r -> {
            if (!r.get("event_type").asText().equals("AUTH_LOG")) {
                out.add(r);
            }
        });
        return out;
    }

    private static List<String> ids(String workspace) {
        return records(workspace).stream().map(r -> r.get("event_id").asText()).toList();
    }
}

package dev.codexledger.compliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.datastax.oss.driver.api.core.CqlSession;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.ComplianceJobs;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.time.Duration;
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
                "ledger.records.ttl", "3s", "ledger.records.min-ttl", "1s",
                "ledger.compliance.file-window", "1s", "ledger.compliance.settle", "500ms"));
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
        JsonNode created = ComplianceJobs.hold(admin, "case", "{\"name\":\"Acme v. Example\",\"custodians\":[\"alice\"]}");
        String hold = created.get("id").asText();
        assertEquals(1, created.get("held_at_creation").asInt(), "the stored record of alice");
        assertTrue(admin.get("/v1/workspaces/case/records?event_type=AUTH_LOG").raw().body().contains("legal_hold.applied"));
        post("case", "alice-2", "alice");
        post("case", "bob-2", "bob");

        JsonNode erasure = ComplianceJobs.erase(admin, "case", "{\"user_id\":\"alice\"}");
        assertEquals(0, erasure.get("erased").asInt());
        assertEquals(2, erasure.get("held").asInt(), "held records are kept and reported");

        // bob-2, posted last, expires last (3 s): once it is gone, every original here is past its TTL
        awaitExpired("case", "bob-1", "bob-2");
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
        // the hold's copying of the stored records runs in the background: let it finish first, so that it
        // cannot copy e-1 after the release (and before e-1's 3 s start to run out)
        ComplianceJobs.awaitHold(admin, "early", created.body().get("id").asText());
        post("early", "e-1", "erin");
        LedgerClient.Reply auditRecord = admin.get("/v1/workspaces/early/records?event_type=AUTH_LOG");
        assertTrue(auditRecord.raw().body().contains("legal_hold.created"), auditRecord.raw().body());
        assertEquals(200, admin.delete("/v1/compliance/workspaces/early/holds/" + created.body().get("id").asText())
                .status());
        assertTrue(admin.get("/v1/workspaces/early/records?event_type=AUTH_LOG").raw().body()
                .contains("legal_hold.released"));
        assertEquals(List.of("e-1"), ids("early"), "still within its retention");
        awaitExpired("early", "e-1");
        assertEquals(List.of(), ids("early"), "and then it expires like any record");
    }

    @Test
    void aHoldByWordsKeepsTheMatchingRecordsInSearchAndInTheComplianceLogFiles() throws Exception {
        post("words", "w-1", "alice", "notes on Project Falcon pricing");
        post("words", "w-2", "bob", "lunch plans");
        JsonNode created = ComplianceJobs.hold(admin, "words",
                "{\"name\":\"Falcon\",\"q\":\"\\\"project falcon\\\"\",\"model\":\"gpt-5-codex\"}");
        assertEquals(1, created.get("held_at_creation").asInt(), created.toString());
        assertEquals("[\"project falcon\"]", created.get("terms").toString());
        post("words", "w-3", "carol", "PROJECT FALCON follow-up");
        post("words", "w-4", "carol", "a falcon, not the project");

        // w-4, posted last, expires last: once it is gone, every original here is past its TTL
        awaitExpired("words", "w-2", "w-4");
        assertEquals(List.of("w-1", "w-3"), ids("words"), "the phrase, any case, any custodian; nothing else");
        assertEquals(List.of("w-3"), admin.get("/v1/workspaces/words/records?q=follow-up").body().get("records")
                .findValuesAsText("event_id"), "and searchable");

        // the log files of those windows: their own rows expired, the held records are still there
        List<String> inFiles = new ArrayList<>();
        LedgerClient.Reply files = admin.get("/v1/compliance/workspaces/words/logs?event_type=CODEX_LOG"
                + "&after=2026-01-01T00:00:00Z");
        assertEquals(200, files.status(), files.raw().body());
        for (JsonNode file : files.body().get("data")) {
            LedgerClient.Reply download = admin.get("/v1/compliance/workspaces/words/logs/" + file.get("id").asText());
            assertEquals(200, download.status(), download.raw().body());
            for (String line : download.raw().body().split("\n")) {
                if (!line.isBlank()) {
                    inFiles.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(line).get("event_id").asText());
                }
            }
        }
        assertEquals(List.of("w-1", "w-3"), inFiles, "each held record once, nothing else: " + files.raw().body());
    }

    @Test
    void aHoldByToolNameKeepsThatToolsRecords() throws Exception {
        Instant now = Instant.now();
        String shell = Records.record("t-1", "dan", now, "run it").replace("\"attributes\":{",
                "\"attributes\":{\"tool_name\":\"shell\",");
        String patch = Records.record("t-2", "dan", now, "patch it").replace("\"attributes\":{",
                "\"attributes\":{\"tool_name\":\"apply_patch\",");
        ComplianceJobs.hold(admin, "tools", "{\"name\":\"shell use\",\"tool_name\":\"shell\"}");
        LedgerClient.Reply reply = admin.post("/v1/workspaces/tools/records", "application/json",
                Records.array(shell, patch));
        assertEquals(200, reply.status(), reply.raw().body());
        awaitExpired("tools", "t-2");
        assertEquals(List.of("t-1"), ids("tools"));
    }

    @Test
    void aHoldWhoseCopyingAStoppedNodeLeftUnfinishedIsAppliedByTheNextStart() throws Exception {
        String keyspace = TestNodes.newKeyspace("holds_resume");
        // default retention: restarts take longer than the other tests' 3-s TTL
        Map<String, Object> settings = Map.of();
        LedgerNode.Running first = TestNodes.start(SharedCassandra.contactPoint(), keyspace, settings);
        LedgerClient client = new LedgerClient(first.httpAddress(), TestNodes.ADMIN_KEY);
        assertEquals(200, client.post("/v1/workspaces/r/records", "application/json", Records.array(
                Records.record("f-1", "fay", Instant.now(), "fay's words"),
                Records.record("g-1", "gus", Instant.now(), "gus's words"))).status());
        first.stop();
        // what a node leaves behind when it stops while copying: the hold, not yet applied
        try (CqlSession session = CqlSession.builder().addContactPoint(SharedCassandra.contactPoint())
                .withLocalDatacenter("datacenter1").build()) {
            session.execute("INSERT INTO " + keyspace + ".legal_holds (workspace, id, name, users, event_types,"
                    + " terms, created_at, created_by, held) VALUES ('r', 'hold_00000000000000bb', 'resumed',"
                    + " {'fay'}, {}, [], ?, 'key:k', 0)", Instant.now());
        }
        LedgerNode.Running second = TestNodes.start(SharedCassandra.contactPoint(), keyspace, settings);
        try {
            LedgerClient again = new LedgerClient(second.httpAddress(), TestNodes.ADMIN_KEY);
            JsonNode hold = ComplianceJobs.awaitHold(again, "r", "hold_00000000000000bb");
            assertEquals(1, hold.get("held_at_creation").asInt(), "fay's record copied: " + hold);
            assertTrue(again.get("/v1/workspaces/r/records?event_type=AUTH_LOG").raw().body()
                    .contains("legal_hold.applied"), "and audited");
        } finally {
            second.stop();
        }
    }

    @Test
    void badHoldsAre400NamingTheField() {
        assertField("{\"custodians\":[\"a\"]}", "name");
        assertField("{\"name\":\"x\",\"event_types\":[\"OTHER\"]}", "event_types");
        assertField("{\"name\":\"x\",\"from\":\"2026-02-01T00:00:00Z\",\"to\":\"2026-01-01T00:00:00Z\"}", "to");
        assertField("{\"name\":\"x\",\"custodians\":\"alice\"}", "custodians");
        assertField("{\"name\":\"x\",\"words\":[\"secret\"]}", "words");
        assertField("{\"name\":\"x\",\"q\":\"  \"}", "q");
        assertField("{\"name\":\"x\",\"q\":5}", "q");
        assertField("{\"name\":\"x\",\"tool_name\":\"\"}", "tool_name");
    }

    private static void assertField(String body, String field) {
        LedgerClient.Reply reply = admin.post("/v1/compliance/workspaces/bad/holds", "application/json", body);
        assertEquals(400, reply.status(), reply.raw().body());
        assertEquals(field, reply.body().get("field").asText());
    }

    private static void post(String workspace, String id, String user) {
        post(workspace, id, user, "prompt of " + id);
    }

    private static void post(String workspace, String id, String user, String prompt) {
        LedgerClient.Reply reply = admin.post("/v1/workspaces/" + workspace + "/records", "application/json",
                Records.array(Records.record(id, user, Instant.now(), prompt)));
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

    /** Waits until the records with these ids, which no hold keeps, have expired (a 3 s TTL here). */
    private static void awaitExpired(String workspace, String... eventIds) {
        Eventually.until(Duration.ofSeconds(30), () -> ids(workspace),
                ids -> java.util.Arrays.stream(eventIds).noneMatch(ids::contains));
    }

    private static List<String> ids(String workspace) {
        return records(workspace).stream().map(r -> r.get("event_id").asText()).toList();
    }
}

package dev.codexledger.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Per-workspace retention against real Cassandra TTLs (seconds long here). */
@ExtendWith(SharedCassandra.class)
class RetentionIT {

    private static LedgerNode.Running node;
    private static LedgerClient admin;

    @BeforeAll
    static void start() throws Exception {
        node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("retention"), Map.of(
                "ledger.records.min-ttl", "1s"));
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        node.stop();
    }

    @Test
    void aWorkspaceRetentionAppliesToRecordsAcceptedAfterTheChange() throws Exception {
        LedgerClient.Reply before = admin.get("/v1/admin/workspaces/short/retention");
        assertEquals(200, before.status(), before.raw().body());
        assertEquals(30L * 24 * 3600, before.body().get("ttl_seconds").asLong());
        assertEquals("default", before.body().get("source").asText());

        post("short", "kept-1");
        post("other", "other-1");
        LedgerClient.Reply changed = put("short", "{\"ttl_seconds\":3}");
        assertEquals(200, changed.status(), changed.raw().body());
        assertEquals(3, changed.body().get("ttl_seconds").asLong());
        assertEquals("workspace", changed.body().get("source").asText());
        assertTrue(changed.body().get("applies_to").asText().contains("from now on"));
        post("short", "gone-1");
        post("short", "gone-2");
        assertEquals(java.util.List.of("kept-1", "gone-1", "gone-2"), ids("short").stream()
                .filter(id -> !id.startsWith("auth-")).toList());

        // gone-2, posted last, expires last: wait for the two to expire, then look at what is left
        Eventually.until(Duration.ofSeconds(30), () -> ids("short"),
                ids -> !ids.contains("gone-1") && !ids.contains("gone-2"));
        assertEquals(java.util.List.of("kept-1"), ids("short").stream()
                .filter(id -> !id.startsWith("auth-")).toList(),
                "records accepted after the change expire after 3 s; the one before keeps its 30 days");
        assertEquals(java.util.List.of("other-1"), ids("other"), "other workspaces keep the default");
    }

    @Test
    void outOfBoundsOrMalformedRetentionIs400NamingTheField() {
        assertField(put("bounds", "{\"ttl_seconds\":0}"), "ttl_seconds");
        assertField(put("bounds", "{\"ttl_seconds\":" + 3651L * 24 * 3600 + "}"), "ttl_seconds");
        assertField(put("bounds", "{\"ttl_seconds\":\"30d\"}"), "ttl_seconds");
        assertField(put("bounds", "{\"ttl_seconds\":"), "body");
        assertEquals("default", admin.get("/v1/admin/workspaces/bounds/retention").body().get("source").asText(),
                "nothing changed");
    }

    @Test
    void aChangeIsAnAuthLogRecordOfTheWorkspace() throws Exception {
        assertEquals(200, put("audited-retention", "{\"ttl_seconds\":86400}").status());
        JsonNode records = admin.get("/v1/workspaces/audited-retention/records?event_type=AUTH_LOG").body().get("records");
        assertEquals(1, records.size(), records.toString());
        JsonNode attributes = records.get(0).get("attributes");
        assertEquals("retention.changed", records.get(0).get("action").asText());
        assertEquals(2592000, attributes.get("previous_ttl_seconds").asLong());
        assertEquals(86400, attributes.get("ttl_seconds").asLong());
        assertEquals("key:configured-admin", records.get(0).get("user").get("id").asText());
    }

    private static void post(String workspace, String id) {
        LedgerClient.Reply reply = admin.post("/v1/workspaces/" + workspace + "/records", "application/json",
                Records.array(Records.record(id, "u", Instant.now(), "p")));
        assertEquals(200, reply.status(), reply.raw().body());
    }

    private static LedgerClient.Reply put(String workspace, String body) {
        return admin.send("PUT", "/v1/admin/workspaces/" + workspace + "/retention",
                Map.of("Content-Type", "application/json"), body.getBytes(StandardCharsets.UTF_8));
    }

    private static java.util.List<String> ids(String workspace) {
        java.util.List<String> ids = new java.util.ArrayList<>();
        admin.get("/v1/workspaces/" + workspace + "/records?limit=1000").body().get("records")
                .forEach(r -> ids.add(r.get("event_id").asText()));
        return ids;
    }

    private static void assertField(LedgerClient.Reply reply, String field) {
        assertEquals(400, reply.status(), reply.raw().body());
        assertEquals(field, reply.body().get("field").asText(), reply.raw().body());
    }
}

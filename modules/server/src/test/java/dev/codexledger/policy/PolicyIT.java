package dev.codexledger.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.Keys;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tomlj.Toml;
import org.tomlj.TomlParseResult;

/**
 * The policy API on a real node over the shared Cassandra: documents and their parts, versions, the
 * AUTH_LOG record of each change, field-naming errors, concurrent changes, and requirements.toml as Codex
 * reads it for a user, a group and a set (read back by an independent TOML parser).
 */
@ExtendWith(SharedCassandra.class)
class PolicyIT {

    private static LedgerNode.Running node;
    private static LedgerClient admin;

    @BeforeAll
    static void start() throws Exception {
        node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("policy"));
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.stop();
        }
    }

    private static LedgerClient.Reply put(String path, String body) {
        return admin.send("PUT", path, Map.of("Content-Type", "application/json"), body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aPolicyIsStoredVersionedAndAuditedAndServedAsCodexReadsIt() throws Exception {
        String ws = "/v1/admin/workspaces/policy-a/policy";
        JsonNode empty = admin.get(ws).body();
        assertEquals(0, empty.get("version").asLong());
        assertEquals(0, empty.get("rules").size());

        LedgerClient.Reply first = put(ws + "?expected_version=0", PolicyDocumentTest.DOCUMENT);
        assertEquals(200, first.status(), first.raw().body());
        assertEquals(1, first.body().get("version").asLong());
        assertEquals("key:configured-admin", first.body().get("set_by").asText());

        LedgerClient.Reply toml = admin.get(ws + "/requirements.toml?user=ana");
        assertEquals(200, toml.status(), toml.raw().body());
        assertTrue(toml.raw().headers().firstValue("Content-Type").orElse("").startsWith("application/toml"));
        assertEquals("1", toml.raw().headers().firstValue("X-Ledger-Policy-Version").orElseThrow());
        assertEquals("strict", toml.raw().headers().firstValue("X-Ledger-Policy-Requirement-Set").orElseThrow());
        assertEquals("0", toml.raw().headers().firstValue("X-Ledger-Policy-Rule").orElseThrow());
        TomlParseResult parsed = Toml.parse(toml.raw().body());
        assertFalse(parsed.hasErrors(), parsed.errors().toString());
        assertEquals(List.of("untrusted", "on-request"), parsed.getArray("allowed_approval_policies").toList());
        assertEquals("codex-mcp", parsed.getString("mcp_servers.docs.identity.command"));

        assertEquals("open", admin.get(ws + "/requirements.toml?user=cy").raw().headers()
                .firstValue("X-Ledger-Policy-Requirement-Set").orElseThrow(), "cy is staff only");
        assertEquals("2", admin.get(ws + "/requirements.toml?user=nobody-known").raw().headers()
                .firstValue("X-Ledger-Policy-Rule").orElseThrow(), "everyone else: the last rule");
        assertEquals(List.of("read-only", "workspace-write"), Toml.parse(admin.get(ws + "/requirements.toml?group=staff")
                .raw().body()).getArray("allowed_sandbox_modes").toList());
        String base64 = admin.get(ws + "/requirements.toml?set=strict&encoding=base64").raw().body();
        assertEquals(toml.raw().body(), new String(Base64.getDecoder().decode(base64.trim()), StandardCharsets.UTF_8));

        JsonNode audit = admin.get("/v1/workspaces/policy-a/records?event_type=AUTH_LOG").body().get("records");
        assertEquals(1, audit.size(), audit.toString());
        assertEquals("policy.changed", audit.get(0).get("action").asText());
        assertEquals(1, audit.get(0).get("attributes").get("version").asLong());
        assertEquals("strict", audit.get(0).get("attributes").get("policy").get("rules").get(0).get("requirements").asText());
    }

    @Test
    void partsChangeOneAtATimeEachAVersion() throws Exception {
        String ws = "/v1/admin/workspaces/policy-b/policy";
        assertEquals(200, put(ws + "/requirement-sets/base", "{\"allowed_sandbox_modes\": [\"read-only\"]}").status());
        assertEquals(200, put(ws + "/groups/contractors", "{\"users\": [\"ana\", \"bo\"]}").status());
        LedgerClient.Reply rules = put(ws + "/rules", "{\"rules\": [{\"group\": \"contractors\", \"requirements\": \"base\"}]}");
        assertEquals(200, rules.status(), rules.raw().body());
        assertEquals(3, rules.body().get("version").asLong());
        assertEquals(List.of(3L, 2L, 1L), versions(ws));

        LedgerClient.Reply inUse = admin.delete(ws + "/requirement-sets/base");
        assertEquals(409, inUse.status(), inUse.raw().body());
        assertEquals(404, admin.delete(ws + "/groups/nobody").status());
        assertEquals(200, put(ws + "/rules", "{\"rules\": []}").status());
        assertEquals(200, admin.delete(ws + "/groups/contractors").status());
        JsonNode now = admin.get(ws).body();
        assertEquals(5, now.get("version").asLong());
        assertEquals(0, now.get("groups").size());
        assertEquals("group contractors removed", now.get("change").asText());
        assertEquals(5, admin.get("/v1/workspaces/policy-b/records?event_type=AUTH_LOG").body().get("records").size());
    }

    @Test
    void badInputIs400NamingTheFieldAndChangesNothing() {
        String ws = "/v1/admin/workspaces/policy-c/policy";
        assertField(put(ws, "{\"requirement_sets\": {\"s\": {\"allowed_sandbox_modes\": [\"read-only\", \"yolo\"]}}}"),
                "requirement_sets.s.allowed_sandbox_modes[1]");
        assertField(put(ws, "{\"rules\": [{\"group\": \"*\", \"requirements\": \"missing\"}]}"), "rules[0].requirements");
        assertField(put(ws, "not json"), "body");
        assertField(put(ws + "?expected_version=soon", "{}"), "expected_version");
        assertField(put(ws + "/requirement-sets/s", "{\"allowed_approval_policies\": [\"always\"]}"),
                "allowed_approval_policies[0]");
        assertField(put(ws + "/requirement-sets/bad%20name", "{}"), "name");
        assertField(put(ws + "/groups/g", "{\"users\": [\"ana\", \"\"]}"), "users[1]");
        assertField(put(ws + "/groups/g", "{\"members\": []}"), "users");
        assertField(put(ws + "/rules", "{\"rules\": [{\"group\": \"nobody\", \"requirements\": \"s\"}]}"), "rules[0].group");
        assertField(admin.get(ws + "/requirements.toml"), "user");
        assertField(admin.get(ws + "/requirements.toml?user=a&encoding=yaml"), "encoding");
        assertField(admin.get(ws + "/requirements.toml?set=none"), "set");
        assertField(put(ws + "?expected_versoin=0", "{}"), "expected_versoin");
        assertField(put(ws + "/rules?force=true", "{\"rules\": []}"), "force");
        assertEquals(0, admin.get(ws).body().get("version").asLong(), "nothing was stored");
        assertEquals(0, admin.get("/v1/workspaces/policy-c/records?event_type=AUTH_LOG").body().get("records").size());
    }

    @Test
    void ofTwoChangesFromTheSameVersionExactlyOneWins() throws Exception {
        String ws = "/v1/admin/workspaces/policy-d/policy";
        assertEquals(409, put(ws + "?expected_version=3", "{}").status(), "no such version yet");
        List<CompletableFuture<LedgerClient.Reply>> racing = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String set = "{\"requirement_sets\": {\"s" + i + "\": {\"allowed_sandbox_modes\": [\"read-only\"]}}}";
            racing.add(CompletableFuture.supplyAsync(() -> put(ws + "?expected_version=0", set)));
        }
        List<Integer> statuses = racing.stream().map(CompletableFuture::join).map(LedgerClient.Reply::status).toList();
        assertEquals(1, statuses.stream().filter(s -> s == 200).count(), "one change made from version 0: " + statuses);
        assertEquals(7, statuses.stream().filter(s -> s == 409).count(), "the others told to retry: " + statuses);
        assertEquals(List.of(1L), versions(ws));
    }

    @Test
    void onlyPolicyAdminKeysOfTheWorkspaceMayReadOrChangeIt() {
        LedgerClient policyAdmin = admin.withKey(Keys.create(admin, "policy-e", "policy", "policy.admin").secret());
        LedgerClient budgetAdmin = admin.withKey(Keys.create(admin, "policy-e", "budget", "budget.admin").secret());
        assertEquals(200, policyAdmin.get("/v1/admin/workspaces/policy-e/policy").status());
        assertEquals(403, budgetAdmin.get("/v1/admin/workspaces/policy-e/policy").status());
        assertEquals(403, policyAdmin.get("/v1/admin/workspaces/policy-a/policy").status(), "another workspace");
    }

    @Test
    void aClientCannotTakeTheIdsOfTheLedgersOwnFindingsAndAlerts() {
        for (String id : List.of("policy-finding-8a749ddff4527c4f6518232c927be9de", "budget-alert-0123")) {
            LedgerClient.Reply reply = admin.post("/v1/workspaces/policy-f/records", "application/json",
                    "[{\"event_id\":\"ok-1\",\"event_type\":\"CODEX_LOG\",\"timestamp\":\"2026-12-01T00:00:00Z\"},"
                            + "{\"event_id\":\"" + id + "\",\"event_type\":\"CODEX_SECURITY_LOG\","
                            + "\"timestamp\":\"2026-12-01T00:00:00Z\",\"action\":\"policy.finding\"}]");
            assertField(reply, "records[1].event_id");
        }
        assertEquals(0, admin.get("/v1/workspaces/policy-f/records").body().get("records").size(), "the batch was refused whole");
    }

    private static List<Long> versions(String ws) {
        List<Long> versions = new ArrayList<>();
        admin.get(ws + "/versions").body().get("versions").forEach(v -> versions.add(v.get("version").asLong()));
        return versions;
    }

    private static void assertField(LedgerClient.Reply reply, String field) {
        assertEquals(400, reply.status(), reply.raw().body());
        assertEquals(field, reply.body().get("field").asText(), reply.raw().body());
    }
}

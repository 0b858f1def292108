package dev.codexledger.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.Keys;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every endpoint × every scope × own / foreign workspace (and org-wide keys): exactly the allowed cells
 * succeed. Keys bound to "alpha" probe "beta", whose data and keys carry marker strings that must never
 * appear in an answer to an alpha key.
 */
@ExtendWith(SharedCassandra.class)
class IsolationIT {

    private static final String OWN = "alpha";
    private static final String FOREIGN = "beta";
    private static final String FOREIGN_SECRET_PROMPT = "beta-confidential-prompt";
    private static final String FOREIGN_KEY_NAME = "beta-confidential-key";
    private static final AtomicInteger IDS = new AtomicInteger();

    private static LedgerNode.Running node;
    private static LedgerClient admin;
    private static Keys.Created foreignKey;

    private enum Binding { OWN_WORKSPACE, ORG_WIDE }

    private enum Target { OWN, FOREIGN }

    @BeforeAll
    static void start() throws Exception {
        node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("isolation"), Map.of(
                "ledger.compliance.file-window", "1s", "ledger.compliance.settle", "200ms",
                "ledger.budget.decision-timeout", "10s"));
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
        assertEquals(200, admin.post("/v1/workspaces/" + OWN + "/records", "application/json",
                Records.array(Records.record("alpha-1", "al", Instant.now(), "own prompt"))).status());
        LedgerClient.Reply seeded = admin.post("/v1/workspaces/" + FOREIGN + "/records", "application/json",
                Records.array(Records.record("beta-1", "bob", Instant.parse("2026-11-22T08:00:00Z"),
                        FOREIGN_SECRET_PROMPT)));
        assertEquals(200, seeded.status(), seeded.raw().body());
        foreignKey = Keys.create(admin, FOREIGN, FOREIGN_KEY_NAME, "ingest", "compliance.read", "admin");
        for (String workspace : List.of(OWN, FOREIGN)) {
            logFiles.put(workspace, firstLogFile(workspace));
            // a checkpoint, so that the proofs endpoints have a tree to prove against
            assertEquals(201, admin.post("/v1/workspaces/" + workspace + "/log/checkpoints", "application/json", "")
                    .status());
        }
    }

    private static final Map<String, String> verifications = new java.util.HashMap<>();

    /** A verification job of the workspace, started by the org admin, for its status to be read. */
    private static String targetVerification(String workspace) {
        return verifications.computeIfAbsent(workspace, ws -> {
            LedgerClient.Reply started = startVerification(admin, ws);
            assertEquals(202, started.status(), started.raw().body());
            return started.body().get("id").asText();
        });
    }

    private static final Map<String, List<String>> startedVerifications = new java.util.HashMap<>();

    /** Starts a verification once the ones this test started in the workspace have ended (one runs at a time). */
    private static LedgerClient.Reply startVerification(LedgerClient client, String workspace) {
        for (String id : startedVerifications.getOrDefault(workspace, List.of())) {
            Eventually.until(Duration.ofSeconds(60),
                    () -> admin.get("/v1/workspaces/" + workspace + "/log/verifications/" + id).body(),
                    job -> !job.get("state").asText().equals("running"));
        }
        LedgerClient.Reply reply = client.post("/v1/workspaces/" + workspace + "/log/verifications", "application/json", "");
        if (reply.status() == 202) {
            startedVerifications.computeIfAbsent(workspace, ws -> new java.util.ArrayList<>())
                    .add(reply.body().get("id").asText());
        }
        return reply;
    }

    private static final Map<String, String> logFiles = new java.util.HashMap<>();
    private static final Map<String, String> erasures = new java.util.HashMap<>();

    /** The id of the workspace's first closed CODEX_LOG file, once its window has closed. */
    private static String firstLogFile(String workspace) {
        LedgerClient.Reply list = Eventually.until(Duration.ofSeconds(20),
                () -> admin.get("/v1/compliance/workspaces/" + workspace + "/logs?event_type=CODEX_LOG"),
                reply -> reply.status() == 200 && reply.body().get("data").size() > 0);
        return list.body().get("data").get(0).get("id").asText();
    }

    @AfterAll
    static void stop() throws Exception {
        node.stop();
    }

    @Test
    void exactlyTheAllowedCellsSucceed() {
        List<String> wrong = new ArrayList<>();
        int crossTenantSuccesses = 0;
        int cells = 0;
        for (Binding binding : Binding.values()) {
            Map<Scope, LedgerClient> clients = new EnumMap<>(Scope.class);
            for (Scope scope : Scope.values()) {
                String workspace = binding == Binding.ORG_WIDE ? "*" : OWN;
                clients.put(scope, admin.withKey(Keys.create(admin, workspace, "probe-" + scope.wireName(),
                        scope.wireName()).secret()));
            }
            for (Endpoint endpoint : Endpoint.values()) {
                for (Scope scope : Scope.values()) {
                    for (Target target : Target.values()) {
                        cells++;
                        LedgerClient.Reply reply = call(endpoint, clients.get(scope), target);
                        boolean success = reply.status() / 100 == 2;
                        boolean orgLevel = endpoint == Endpoint.PRICING_LIST || endpoint == Endpoint.PRICING_SET
                                || endpoint == Endpoint.NODE_MEMORY || endpoint == Endpoint.LOG_KEY_ROTATE;
                        boolean allowed = scope == endpoint.scope() && (binding == Binding.ORG_WIDE
                                || (target == Target.OWN && !orgLevel));
                        String cell = binding + " key with " + scope.wireName() + " → " + endpoint + " on " + target;
                        if (success != allowed) {
                            wrong.add(cell + ": " + reply.status() + " " + reply.raw().body());
                        }
                        if (success && binding == Binding.OWN_WORKSPACE && target == Target.FOREIGN) {
                            crossTenantSuccesses++;
                        }
                        if (!success) {
                            int expected = expectedRefusal(endpoint, binding, target);
                            if (reply.status() != expected) {
                                wrong.add(cell + ": expected " + expected + ", got " + reply.status() + " "
                                        + reply.raw().body());
                            }
                            assertRevealsNothing(cell, reply);
                        }
                        if (binding == Binding.OWN_WORKSPACE) {
                            assertRevealsNothing(cell, reply);
                        }
                    }
                }
            }
        }
        assertEquals(0, crossTenantSuccesses, "cross-tenant successes");
        assertTrue(wrong.isEmpty(), wrong.size() + " of " + cells + " cells wrong:\n" + String.join("\n", wrong));
        assertEquals(2 * Endpoint.values().length * Scope.values().length * 2, cells);
    }

    @Test
    void noKeyOrAnUnknownKeyIs401OnEveryEndpoint() {
        for (Endpoint endpoint : Endpoint.values()) {
            for (String key : new String[] {null, "clk_0123456789abcdef_not-a-real-secret", "guess",
                    foreignKey.secret() + "x"}) {
                LedgerClient.Reply reply = call(endpoint, admin.withKey(key), Target.FOREIGN);
                assertEquals(401, reply.status(), endpoint + " with key " + key + ": " + reply.raw().body());
                assertTrue(reply.raw().headers().firstValue("WWW-Authenticate").isPresent());
                assertRevealsNothing(endpoint + " without a valid key", reply);
            }
        }
    }

    @Test
    void aWorkspaceKeyCannotWriteOrReadTheOrgWorkspace() {
        LedgerClient everything = admin.withKey(Keys.create(admin, OWN, "all-scopes",
                java.util.Arrays.stream(Scope.values()).map(Scope::wireName).toArray(String[]::new)).secret());
        assertEquals(403, everything.get("/v1/workspaces/_org/records").status());
        assertEquals(403, everything.post("/v1/workspaces/_org/records", "application/json",
                Records.array(Records.record("o-1", "u", Instant.now(), "x"))).status());
        assertEquals(403, admin.post("/v1/workspaces/_org/records", "application/json",
                Records.array(Records.record("o-2", "u", Instant.now(), "x"))).status(), "no one writes the org log");
        assertEquals(200, admin.get("/v1/workspaces/_org/records").status(), "an org-wide key reads it");
        LedgerClient.Reply ownKeys = everything.get("/v1/admin/keys");
        assertEquals(200, ownKeys.status());
        ownKeys.body().get("keys").forEach(k -> assertEquals(OWN, k.get("workspace").asText(),
                "a workspace admin lists only its workspace's keys"));
        assertEquals(403, everything.post("/v1/admin/keys", "application/json",
                "{\"workspace\":\"*\",\"scopes\":[\"admin\"]}").status(), "no escalation to org-wide");
    }

    /**
     * 403 for a workspace the key does not cover or a scope it lacks; a key id outside the caller's
     * workspace is 404, exactly as for an id that does not exist.
     */
    private static int expectedRefusal(Endpoint endpoint, Binding binding, Target target) {
        boolean byKeyId = endpoint == Endpoint.KEYS_REVOKE || endpoint == Endpoint.KEYS_ROTATE
                || endpoint == Endpoint.STREAM_GET || endpoint == Endpoint.STREAM_DELETE || endpoint == Endpoint.STREAM_PAUSE;
        return byKeyId && binding == Binding.OWN_WORKSPACE && target == Target.FOREIGN ? 404 : 403;
    }

    private static LedgerClient.Reply call(Endpoint endpoint, LedgerClient client, Target target) {
        String workspace = target == Target.OWN ? OWN : FOREIGN;
        return switch (endpoint) {
            case RECORDS_APPEND -> client.post("/v1/workspaces/" + workspace + "/records", "application/json",
                    Records.array(Records.record("iso-" + IDS.incrementAndGet(), "u", Instant.now(), "probe")));
            case RECORDS_LIST -> client.get("/v1/workspaces/" + workspace + "/records");
            case RECORDS_EXPORT -> client.get("/v1/workspaces/" + workspace + "/records/export?user=u");
            case OTLP_LOGS -> client.send("POST", "/v1/logs", Map.of("Content-Type", "application/x-protobuf",
                    "X-Ledger-Workspace", workspace), otlpBody());
            case KEYS_CREATE -> client.post("/v1/admin/keys", "application/json",
                    "{\"workspace\":\"" + workspace + "\",\"scopes\":[\"ingest\"],\"name\":\"made-by-probe\"}");
            case KEYS_LIST -> client.get("/v1/admin/keys?workspace=" + workspace);
            case KEYS_REVOKE -> client.delete("/v1/admin/keys/" + targetKey(workspace));
            case KEYS_ROTATE -> client.post("/v1/admin/keys/" + targetKey(workspace) + "/rotate",
                    "application/json", "{}");
            case COMPLIANCE_LOGS_LIST -> client.get("/v1/compliance/workspaces/" + workspace + "/logs?event_type=CODEX_LOG");
            case COMPLIANCE_LOG_DOWNLOAD -> client.get("/v1/compliance/workspaces/" + workspace
                    + "/logs/" + logFiles.get(workspace));
            case ERASURE -> client.post("/v1/compliance/workspaces/" + workspace + "/erasures", "application/json",
                    "{\"user_id\":\"nobody-" + IDS.incrementAndGet() + "\"}");
            case STREAMS_CREATE -> client.post("/v1/admin/streams", "application/json", streamBody(workspace));
            case STREAMS_LIST -> client.get("/v1/admin/streams?workspace=" + workspace);
            case STREAM_GET -> client.get("/v1/admin/streams/" + targetStream(workspace));
            case STREAM_DELETE -> client.delete("/v1/admin/streams/" + targetStream(workspace));
            case STREAM_PAUSE -> client.post("/v1/admin/streams/" + targetStream(workspace) + "/pause", "application/json", "");
            case PRICING_LIST -> client.get("/v1/admin/pricing");
            case NODE_MEMORY -> client.get("/v1/admin/node/memory");
            case PRICING_SET -> client.send("PUT", "/v1/admin/pricing/probe-model", Map.of("Content-Type",
                    "application/json"), "{\"input\":1,\"cached_input\":0.1,\"output\":4,\"reasoning\":4}"
                    .getBytes(StandardCharsets.UTF_8));
            case POLICY_GET -> client.get("/v1/admin/workspaces/" + workspace + "/policy");
            case POLICY_SET -> client.send("PUT", "/v1/admin/workspaces/" + workspace + "/policy", Map.of("Content-Type",
                    "application/json"), ("{\"requirement_sets\": {\"base\": {\"allowed_sandbox_modes\": [\"read-only\"]}},"
                    + " \"rules\": [{\"group\": \"*\", \"requirements\": \"base\"}]}").getBytes(StandardCharsets.UTF_8));
            case POLICY_PART_SET -> client.send("PUT", "/v1/admin/workspaces/" + workspace + "/policy/requirement-sets/probe",
                    Map.of("Content-Type", "application/json"), "{\"allowed_approval_policies\": [\"untrusted\"]}"
                            .getBytes(StandardCharsets.UTF_8));
            case POLICY_VERSIONS -> client.get("/v1/admin/workspaces/" + workspace + "/policy/versions");
            case POLICY_REQUIREMENTS -> client.get("/v1/admin/workspaces/" + workspace + "/policy/requirements.toml?user=u");
            case POLICY_MANAGED_CONFIG -> client.post("/v1/admin/workspaces/" + workspace + "/policy/managed-config",
                    "application/json", "{\"endpoint\": \"https://ledger.example.com/v1/logs\"}");
            case ANALYTICS_POLICY_COMPLIANCE -> client.get("/v1/analytics/codex/workspaces/" + workspace + "/policy_compliance");
            case BUDGETS_STATUS -> client.get("/v1/admin/workspaces/" + workspace + "/budgets");
            case BUDGET_SET -> client.send("PUT", "/v1/admin/workspaces/" + workspace + "/budgets/users/probe",
                    Map.of("Content-Type", "application/json"), "{\"window\":\"month\",\"cap\":1000}"
                            .getBytes(StandardCharsets.UTF_8));
            case MEMBER_SET -> client.send("PUT", "/v1/admin/workspaces/" + workspace + "/members/probe",
                    Map.of("Content-Type", "application/json"), "{\"team\":\"probes\"}".getBytes(StandardCharsets.UTF_8));
            case BUDGET_CHECK -> client.post("/v1/budget/workspaces/" + workspace + "/check", "application/json",
                    "{\"user\":\"u\",\"estimate_credits\":1}");
            case RESERVE -> client.post("/v1/budget/workspaces/" + workspace + "/reservations", "application/json",
                    "{\"user\":\"u\",\"estimate_credits\":1}");
            case SETTLE -> client.post("/v1/budget/workspaces/" + workspace + "/reservations/"
                    + targetReservation(workspace) + "/settle", "application/json", "{\"actual_credits\":0.5}");
            case RELEASE -> client.delete("/v1/budget/workspaces/" + workspace + "/reservations/"
                    + targetReservation(workspace));
            case FORWARD_AUTH -> client.send("GET", "/v1/budget/forward-auth", Map.of("X-Ledger-Workspace", workspace,
                    "X-Ledger-User", "u", "X-Ledger-Estimate-Credits", "1"), new byte[0]);
            case ERASURES_LIST -> client.get("/v1/compliance/workspaces/" + workspace + "/erasures");
            case ERASURE_STATUS -> client.get("/v1/compliance/workspaces/" + workspace + "/erasures/"
                    + targetErasure(workspace));
            case HOLDS_CREATE -> client.post("/v1/compliance/workspaces/" + workspace + "/holds", "application/json",
                    "{\"name\":\"probe\",\"custodians\":[\"nobody\"]}");
            case HOLDS_LIST -> client.get("/v1/compliance/workspaces/" + workspace + "/holds");
            case HOLDS_RELEASE -> client.delete("/v1/compliance/workspaces/" + workspace + "/holds/" + targetHold(workspace));
            case RETENTION_GET -> client.get("/v1/admin/workspaces/" + workspace + "/retention");
            case RETENTION_SET -> client.send("PUT", "/v1/admin/workspaces/" + workspace + "/retention",
                    Map.of("Content-Type", "application/json"), "{\"ttl_seconds\":2592000}".getBytes(StandardCharsets.UTF_8));
            case LOG_CHECKPOINTS_LIST -> client.get("/v1/workspaces/" + workspace + "/log/checkpoints");
            case LOG_CHECKPOINT_SIGN -> client.post("/v1/workspaces/" + workspace + "/log/checkpoints", "application/json", "");
            case LOG_INCLUSION_PROOF -> client.get("/v1/workspaces/" + workspace + "/log/proofs/inclusion?seq=1");
            case LOG_CONSISTENCY_PROOF -> client.get("/v1/workspaces/" + workspace + "/log/proofs/consistency?from=1");
            case LOG_KEYS -> client.get("/v1/workspaces/" + workspace + "/log/keys");
            case LOG_VERIFY -> startVerification(client, workspace);
            case LOG_VERIFICATION_STATUS -> client.get("/v1/workspaces/" + workspace + "/log/verifications/"
                    + targetVerification(workspace));
            case LOG_KEY_ROTATE -> client.post("/v1/admin/log/keys/rotate", "application/json", "");
            case ANALYTICS_USAGE -> client.get("/v1/analytics/codex/workspaces/" + workspace + "/usage");
            case ANALYTICS_CODE_REVIEWS -> client.get("/v1/analytics/codex/workspaces/" + workspace + "/code_reviews");
            case ANALYTICS_CODE_REVIEW_RESPONSES -> client.get("/v1/analytics/codex/workspaces/" + workspace
                    + "/code_review_responses");
            case ANALYTICS_USERS -> client.get("/v1/analytics/codex/workspaces/" + workspace + "/users");
            case ANALYTICS_EXPORT -> client.get("/v1/analytics/codex/workspaces/" + workspace
                    + "/exports/usage_by_model?format=json");
        };
    }

    /** A fresh hold in the workspace, made by the org admin, for release to act on. */
    /** A paused HTTPS destination of the workspace (its secret a reference: nothing is delivered). */
    private static String streamBody(String workspace) {
        return "{\"name\":\"probe\",\"workspace\":\"" + workspace + "\",\"type\":\"https\","
                + "\"https\":{\"url\":\"http://127.0.0.1:9/never\",\"secret\":{\"env\":\"LEDGER_STREAM_SECRET_PROBE\"}}}";
    }

    /** A fresh stream destination of the workspace, made (and paused) by the org admin. */
    private static String targetStream(String workspace) {
        LedgerClient.Reply made = admin.post("/v1/admin/streams", "application/json", streamBody(workspace));
        assertEquals(201, made.status(), made.raw().body());
        String id = made.body().get("id").asText();
        assertEquals(200, admin.post("/v1/admin/streams/" + id + "/pause", "application/json", "").status());
        return id;
    }

    private static String targetHold(String workspace) {
        LedgerClient.Reply hold = admin.post("/v1/compliance/workspaces/" + workspace + "/holds", "application/json",
                "{\"name\":\"target\",\"custodians\":[\"nobody\"]}");
        assertEquals(201, hold.status(), hold.raw().body());
        return hold.body().get("id").asText();
    }

    /** A fresh reservation in the workspace, made by the org admin, for settle and release to act on. */
    private static String targetReservation(String workspace) {
        LedgerClient.Reply reserved = admin.post("/v1/budget/workspaces/" + workspace + "/reservations",
                "application/json", "{\"user\":\"target\",\"estimate_credits\":1}");
        assertEquals(201, reserved.status(), reserved.raw().body());
        return reserved.body().get("reservation_id").asText();
    }

    /** An erasure in the workspace, made by the org admin, for its status to be read. */
    private static String targetErasure(String workspace) {
        return erasures.computeIfAbsent(workspace, ws -> {
            LedgerClient.Reply erasure = admin.post("/v1/compliance/workspaces/" + ws + "/erasures",
                    "application/json", "{\"user_id\":\"nobody\"}");
            assertEquals(202, erasure.status(), erasure.raw().body());
            return erasure.body().get("id").asText();
        });
    }

    /** A fresh key in the workspace, made by the org admin, for revoke and rotate to act on. */
    private static String targetKey(String workspace) {
        return Keys.create(admin, workspace, workspace.equals(FOREIGN) ? FOREIGN_KEY_NAME : "target", "ingest").id();
    }

    private static byte[] otlpBody() {
        LogRecord log = LogRecord.newBuilder()
                .setTimeUnixNano(System.currentTimeMillis() * 1_000_000L)
                .setBody(AnyValue.newBuilder().setStringValue("probe " + IDS.incrementAndGet()))
                .addAttributes(KeyValue.newBuilder().setKey("event.name")
                        .setValue(AnyValue.newBuilder().setStringValue("codex.user_prompt")))
                .build();
        return ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
                .addScopeLogs(ScopeLogs.newBuilder().addLogRecords(log))).build().toByteArray();
    }

    private static void assertRevealsNothing(String cell, LedgerClient.Reply reply) {
        String body = new String(reply.raw().body().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        assertFalse(body.contains(FOREIGN_SECRET_PROMPT), cell + " revealed a foreign record: " + body);
        assertFalse(body.contains(FOREIGN_KEY_NAME), cell + " revealed a foreign key: " + body);
        assertFalse(body.contains(foreignKey.id()), cell + " revealed a foreign key id: " + body);
        assertFalse(body.contains(foreignKey.secret()), cell + " revealed a secret: " + body);
    }
}

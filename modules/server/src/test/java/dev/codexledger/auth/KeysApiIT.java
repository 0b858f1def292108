package dev.codexledger.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.Keys;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The key admin API and command line on a real node: lifecycle, validation, audit, revocation, rate limits. */
@ExtendWith(SharedCassandra.class)
class KeysApiIT {

    private static String keyspace;
    private static LedgerNode.Running node;
    private static LedgerClient admin;

    @BeforeAll
    static void start() throws Exception {
        keyspace = TestNodes.newKeyspace("keys");
        node = TestNodes.start(SharedCassandra.contactPoint(), keyspace, Map.of(
                "ledger.auth.rate-limits.ingest.requests-per-second", 1,
                "ledger.auth.rate-limits.ingest.burst", 3));
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        node.stop();
    }

    @Test
    void createListUseRotateRevoke() throws Exception {
        LedgerClient.Reply created = admin.post("/v1/admin/keys", "application/json",
                "{\"workspace\":\"acme\",\"scopes\":[\"compliance.read\"],\"name\":\"siem export\"}");
        assertEquals(201, created.status(), created.raw().body());
        String id = created.body().get("id").asText();
        String secret = created.body().get("secret").asText();
        assertTrue(secret.startsWith("clk_" + id + "_"), secret);
        assertEquals("acme", created.body().get("workspace").asText());
        assertEquals("[\"compliance.read\"]", created.body().get("scopes").toString());

        JsonNode listed = keyById(admin.get("/v1/admin/keys?workspace=acme").body(), id);
        assertEquals("siem export", listed.get("name").asText());
        assertFalse(listed.has("secret"), "a secret is shown once, never listed");
        assertTrue(listed.get("active").asBoolean());

        LedgerClient reader = admin.withKey(secret);
        assertEquals(200, reader.get("/v1/workspaces/acme/records").status());

        LedgerClient.Reply rotated = admin.post("/v1/admin/keys/" + id + "/rotate", "application/json", "{}");
        assertEquals(201, rotated.status(), rotated.raw().body());
        assertEquals(id, rotated.body().get("replaces").asText());
        assertEquals("siem export", rotated.body().get("name").asText(), "same name, workspace and scopes");
        LedgerClient successor = admin.withKey(rotated.body().get("secret").asText());
        assertEquals(401, reader.get("/v1/workspaces/acme/records").status(), "rotation without grace: old key dead");
        assertEquals(200, successor.get("/v1/workspaces/acme/records").status());

        String successorId = rotated.body().get("id").asText();
        LedgerClient.Reply graceful = admin.post("/v1/admin/keys/" + successorId + "/rotate", "application/json",
                "{\"grace_seconds\":2}");
        assertEquals(201, graceful.status(), graceful.raw().body());
        assertEquals(200, successor.get("/v1/workspaces/acme/records").status(), "still valid during the grace");
        awaitStatus(successor, "/v1/workspaces/acme/records", 401, Duration.ofSeconds(5));

        String third = graceful.body().get("id").asText();
        LedgerClient.Reply revoked = admin.delete("/v1/admin/keys/" + third);
        assertEquals(200, revoked.status(), revoked.raw().body());
        assertNotNull(revoked.body().get("revoked_at").textValue());
        assertEquals(401, admin.withKey(graceful.body().get("secret").asText())
                .get("/v1/workspaces/acme/records").status(), "revoked: 401 at once on this node");
        assertEquals(200, admin.delete("/v1/admin/keys/" + third).status(), "revoking again changes nothing");
        assertEquals(404, admin.delete("/v1/admin/keys/00000000deadbeef").status());
        assertEquals(409, admin.post("/v1/admin/keys/" + third + "/rotate", "application/json", "{}").status(),
                "a revoked key cannot be rotated");
    }

    @Test
    void badRequestsNameTheField() {
        assertField(admin.post("/v1/admin/keys", "application/json", "{\"scopes\":[\"ingest\"]}"), "workspace");
        assertField(admin.post("/v1/admin/keys", "application/json", "{\"workspace\":\"Bad Name\",\"scopes\":[\"ingest\"]}"),
                "workspace");
        assertField(admin.post("/v1/admin/keys", "application/json", "{\"workspace\":\"acme\",\"scopes\":[]}"), "scopes");
        assertField(admin.post("/v1/admin/keys", "application/json",
                "{\"workspace\":\"acme\",\"scopes\":[\"ingest\",\"root\"]}"), "scopes[1]");
        assertField(admin.post("/v1/admin/keys", "application/json",
                "{\"workspace\":\"acme\",\"scopes\":[\"ingest\"],\"expires\":1}"), "expires");
        assertField(admin.post("/v1/admin/keys", "application/json", "{\"workspace\":"), "body");
        String id = Keys.create(admin, "acme", "x", "ingest").id();
        assertField(admin.post("/v1/admin/keys/" + id + "/rotate", "application/json", "{\"grace_seconds\":-1}"),
                "grace_seconds");
    }

    @Test
    void keyOperationsAndDenialsAreAuthLogRecordsOfTheWorkspace() throws Exception {
        Keys.Created key = Keys.create(admin, "audited", "ci ingest", "ingest");
        assertEquals(200, admin.delete("/v1/admin/keys/" + key.id()).status());
        LedgerClient stranger = admin.withKey("clk_00000000cafef00d_nope");
        for (int i = 0; i < 3; i++) {
            assertEquals(401, stranger.get("/v1/workspaces/audited/records").status());
        }
        LedgerClient ingestOnly = admin.withKey(Keys.create(admin, "audited", "ingest only", "ingest").secret());
        assertEquals(403, ingestOnly.get("/v1/workspaces/audited/records").status());

        // Denials are written once a second with their count: the three 401s make one record, or two
        // when a flush falls between them.
        List<JsonNode> log = awaitRecords("audited", records -> deniedCount(records, 401) == 3
                && deniedCount(records, 403) == 1);
        JsonNode createdRecord = only(log, r -> r.get("action").asText().equals("key.created")
                && r.get("attributes").get("key_id").asText().equals(key.id()));
        assertEquals("key:configured-admin", createdRecord.get("user").get("id").asText(), "who");
        assertEquals("127.0.0.1", createdRecord.get("attributes").get("remote_address").asText(), "from where");
        assertEquals("[\"ingest\"]", createdRecord.get("attributes").get("key_scopes").toString());
        assertNotNull(createdRecord.get("timestamp").asText(), "when");
        only(log, r -> r.get("action").asText().equals("key.revoked")
                && r.get("attributes").get("key_id").asText().equals(key.id()));
        List<JsonNode> unknown = log.stream().filter(r -> r.get("action").asText().equals("request.denied")
                && r.get("attributes").get("status").asInt() == 401).toList();
        assertTrue(unknown.size() <= 2, "three denials counted, not a record each: " + unknown);
        for (JsonNode denial : unknown) {
            assertEquals("key:00000000cafef00d", denial.get("user").get("id").asText());
            assertEquals("GET /v1/workspaces/{ws}/records", denial.get("attributes").get("endpoint").asText());
        }
        JsonNode forbidden = only(log, r -> r.get("action").asText().equals("request.denied")
                && r.get("attributes").get("status").asInt() == 403);
        assertEquals("ingest only", forbidden.get("attributes").get("actor_key_name").asText());

        Keys.Created orgKey = Keys.create(admin, "*", "org reader", "compliance.read");
        List<JsonNode> orgLog = awaitRecords("_org", records -> records.stream().anyMatch(r ->
                r.get("attributes").path("key_id").asText().equals(orgKey.id())));
        only(orgLog, r -> r.get("attributes").path("key_id").asText().equals(orgKey.id()));
    }

    @Test
    void aRevocationReachesAnotherNodeWithinASecond() throws Exception {
        LedgerNode.Running other = TestNodes.start(SharedCassandra.contactPoint(), keyspace);
        try {
            Keys.Created key = Keys.create(admin, "*", "roaming", "compliance.read");
            LedgerClient onOther = new LedgerClient(other.httpAddress(), key.secret());
            awaitStatus(onOther, "/v1/workspaces/elsewhere/records", 200, Duration.ofSeconds(2));
            long revokedAt = System.nanoTime();
            assertEquals(200, admin.delete("/v1/admin/keys/" + key.id()).status());
            awaitStatus(onOther, "/v1/workspaces/elsewhere/records", 401, Duration.ofSeconds(5));
            long millis = (System.nanoTime() - revokedAt) / 1_000_000;
            assertTrue(millis < 1000, "the other node refused the revoked key after " + millis + " ms");
        } finally {
            other.stop();
        }
    }

    @Test
    void aKeyOverItsRateIsToldWhenToComeBack() {
        LedgerClient fast = admin.withKey(Keys.create(admin, "limited", "fast", "ingest").secret());
        LedgerClient other = admin.withKey(Keys.create(admin, "limited", "other", "ingest").secret());
        List<Integer> statuses = new ArrayList<>();
        LedgerClient.Reply refused = null;
        for (int i = 0; i < 10 && refused == null; i++) {
            LedgerClient.Reply reply = fast.post("/v1/workspaces/limited/records", "application/json",
                    Records.array(Records.record("rl-" + i, "u", Instant.now(), "p")));
            statuses.add(reply.status());
            refused = reply.status() == 429 ? reply : null;
        }
        assertNotNull(refused, "burst 3 at 1/s: refused within 10 quick requests " + statuses);
        assertTrue(statuses.size() >= 4 && statuses.subList(0, 3).stream().allMatch(s -> s == 200), statuses.toString());
        assertEquals("1", refused.raw().headers().firstValue("Retry-After").orElse(""));
        assertTrue(refused.body().get("error").asText().contains("rate limit"), refused.raw().body());
        assertEquals(200, other.post("/v1/workspaces/limited/records", "application/json",
                Records.array(Records.record("rl-other", "u", Instant.now(), "p"))).status(), "other keys unaffected");
    }

    @Test
    void theCommandLineManagesKeys() {
        String base = "http://127.0.0.1:" + node.httpAddress().getPort();
        Cli create = cli(base, "create", "--workspace", "cli-ws", "--scope", "ingest", "--scope", "analytics.read",
                "--name", "from the shell");
        assertEquals(0, create.code(), create.err());
        JsonNode createdKey = parse(create.out());
        assertEquals("[\"analytics.read\",\"ingest\"]", createdKey.get("scopes").toString());
        String id = createdKey.get("id").asText();
        Cli list = cli(base, "list", "--workspace", "cli-ws");
        assertEquals(0, list.code(), list.err());
        assertEquals("from the shell", keyById(parse(list.out()), id).get("name").asText());
        Cli rotate = cli(base, "rotate", id, "--grace-seconds", "60");
        assertEquals(0, rotate.code(), rotate.err());
        String successor = parse(rotate.out()).get("id").asText();
        Cli revoke = cli(base, "revoke", successor);
        assertEquals(0, revoke.code(), revoke.err());
        assertFalse(parse(revoke.out()).get("active").asBoolean());
        Cli bad = cli(base, "create", "--workspace", "cli-ws", "--scope", "root");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("scopes[0]"), bad.err());
        assertEquals(2, cli(base, "create", "--workspace").code(), "usage error");
    }

    @Test
    void binLedgerKeysRunsTheCommandLine() throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash",
                SharedCassandra.repoRoot().resolve("bin/ledger").toString(), "keys", "list", "--workspace", "none-yet")
                .redirectErrorStream(true);
        builder.environment().put("LEDGER_URL", "http://127.0.0.1:" + node.httpAddress().getPort());
        builder.environment().put("LEDGER_ADMIN_KEY", TestNodes.ADMIN_KEY);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
        assertEquals(0, parse(output).get("keys").size(), output);
    }

    private record Cli(int code, String out, String err) {}

    private static Cli cli(String base, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new dev.codexledger.cli.KeysCommand(base, TestNodes.ADMIN_KEY, new PrintStream(out),
                new PrintStream(err)).run(List.of(args));
        return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static JsonNode parse(String text) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError(text, e);
        }
    }

    private static JsonNode keyById(JsonNode list, String id) {
        for (JsonNode key : list.get("keys")) {
            if (key.get("id").asText().equals(id)) {
                return key;
            }
        }
        throw new AssertionError("no key " + id + " in " + list);
    }

    private static void assertField(LedgerClient.Reply reply, String field) {
        assertEquals(400, reply.status(), reply.raw().body());
        assertEquals(field, reply.body().get("field").asText(), reply.raw().body());
    }

    private static long deniedCount(List<JsonNode> records, int status) {
        return records.stream().filter(r -> r.path("action").asText().equals("request.denied")
                        && r.path("attributes").path("status").asInt() == status)
                .mapToLong(r -> r.path("attributes").path("count").asLong()).sum();
    }

    private static JsonNode only(List<JsonNode> records, Predicate<JsonNode> which) {
        List<JsonNode> matching = records.stream().filter(which).toList();
        assertEquals(1, matching.size(), "exactly one matching record in " + records);
        return matching.get(0);
    }

    private static List<JsonNode> awaitRecords(String workspace, Predicate<List<JsonNode>> done) {
        return Eventually.until(Duration.ofSeconds(10), Duration.ofMillis(200), () -> {
            List<JsonNode> records = new ArrayList<>();
            admin.get("/v1/workspaces/" + workspace + "/records?event_type=AUTH_LOG&limit=1000").body().get("records")
                    .forEach(records::add);
            return records;
        }, done);
    }

    /** Polled often (every 20 ms): the revocation test measures how soon the status changes. */
    private static void awaitStatus(LedgerClient client, String path, int status, Duration timeout) {
        Eventually.until(timeout, Duration.ofMillis(20), () -> client.get(path).status(), last -> last == status);
    }
}

package dev.codexledger.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.codexledger.http.SignedWebhook;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Streams to Splunk's HTTP Event Collector and to a generic HTTPS endpoint, each received by a server in
 * the test that checks what a real one would: the HEC envelope and its {@code Authorization: Splunk}
 * token; the HMAC-SHA256 signature of the exact (gzip) bytes. Also: filters, pause and resume, a
 * destination that fails and comes back (no gap), secrets never returned, bad settings refused naming the
 * field, the warning before undelivered records expire, and ingest that never waits on a destination.
 */
@ExtendWith(SharedCassandra.class)
class StreamSinksIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HEC_TOKEN = "hec-token-7f3a1c";
    private static final String HMAC_SECRET = "hmac-secret-42";
    private static HttpServer receiver;
    private static LedgerNode.Running node;
    private static LedgerClient admin;
    /** What the HEC receiver accepted: each envelope. */
    private static final List<JsonNode> hec = new CopyOnWriteArrayList<>();
    private static final List<String> hecProblems = new CopyOnWriteArrayList<>();
    /** What the HTTPS receiver accepted: each NDJSON line, with the workspace header. */
    private static final List<JsonNode> https = new CopyOnWriteArrayList<>();
    private static final List<String> httpsProblems = new CopyOnWriteArrayList<>();
    /** While > 0, the HEC receiver answers 503 to that many requests. */
    private static final AtomicInteger hecOutage = new AtomicInteger();
    private static ServerSocket blackhole;
    private static final List<Socket> swallowed = Collections.synchronizedList(new ArrayList<>());
    private static Path tokenFile;

    @BeforeAll
    static void start() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/services/collector/event", StreamSinksIT::hecRequest);
        receiver.createContext("/hook", StreamSinksIT::httpsRequest);
        receiver.start();
        // a destination that accepts connections and never answers
        blackhole = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread accepting = new Thread(() -> {
            while (!blackhole.isClosed()) {
                try {
                    swallowed.add(blackhole.accept());
                } catch (IOException e) {
                    return;
                }
            }
        }, "blackhole");
        accepting.setDaemon(true);
        accepting.start();
        Path secretsDir = Files.createTempDirectory("stream-secrets");
        tokenFile = secretsDir.resolve("hec-token.txt");
        Files.writeString(tokenFile, HEC_TOKEN + "\n");
        node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("streamsinks"), Map.of(
                "ledger.streams.secrets-key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                "ledger.streams.sweep-interval", "1s",
                "ledger.streams.max-backoff", "1s",
                "ledger.streams.delivery-timeout", "5s",
                "ledger.records.min-ttl", "20s",
                "ledger.streams.secret-files-dir", secretsDir.toString()));
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        node.stop();
        receiver.stop(0);
        blackhole.close();
        for (Socket socket : swallowed) {
            socket.close();
        }
        Files.deleteIfExists(tokenFile);
        Files.deleteIfExists(tokenFile.getParent());
    }

    private static void hecRequest(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        if (hecOutage.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            answer(exchange, 503, "{\"text\":\"Server is busy\",\"code\":9}");
            return;
        }
        if (!("Splunk " + HEC_TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            hecProblems.add("authorization: " + exchange.getRequestHeaders().getFirst("Authorization"));
            answer(exchange, 401, "{\"text\":\"Token is required\",\"code\":2}");
            return;
        }
        for (String line : new String(body, StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode envelope = JSON.readTree(line);
            for (String field : List.of("time", "host", "source", "sourcetype", "index", "event", "fields")) {
                if (!envelope.has(field)) {
                    hecProblems.add("envelope without " + field + ": " + line);
                }
            }
            if (!envelope.get("time").isNumber()) {
                hecProblems.add("time is not epoch seconds: " + line);
            }
            hec.add(envelope);
        }
        answer(exchange, 200, "{\"text\":\"Success\",\"code\":0}");
    }

    private static void httpsRequest(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        String signature = exchange.getRequestHeaders().getFirst("X-Ledger-Signature");
        String expected = "sha256=" + SignedWebhook.hmacSha256Hex(HMAC_SECRET.getBytes(StandardCharsets.UTF_8), body);
        if (!expected.equals(signature)) {
            httpsProblems.add("bad signature " + signature);
            answer(exchange, 401, "bad signature");
            return;
        }
        if (!"gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
            httpsProblems.add("not gzip");
        }
        String workspace = exchange.getRequestHeaders().getFirst("X-Ledger-Workspace");
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    https.add(((com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(line)).put("_workspace", workspace));
                }
            }
        }
        answer(exchange, 204, null);
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, body == null ? -1 : bytes.length);
        if (body != null) {
            exchange.getResponseBody().write(bytes);
        }
        exchange.close();
    }

    private static List<JsonNode> hecOf(String workspace) {
        return hec.stream().filter(e -> e.get("fields").get("workspace").asText().equals(workspace)).toList();
    }

    private static String base() {
        return "http://127.0.0.1:" + receiver.getAddress().getPort();
    }

    private static void ingest(String workspace, String prefix, int count, String user) {
        List<String> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(Records.record(prefix + "-" + i, user, Instant.now().minusSeconds(count - i), "prompt " + i));
        }
        LedgerClient.Reply reply = admin.post("/v1/workspaces/" + workspace + "/records", "application/json",
                Records.array(records.toArray(String[]::new)));
        assertEquals(200, reply.status(), reply.raw().body());
    }

    private static String create(String body) {
        LedgerClient.Reply created = admin.post("/v1/admin/streams", "application/json", body);
        assertEquals(201, created.status(), created.raw().body());
        return created.body().get("id").asText();
    }

    private static JsonNode status(String id) {
        return admin.get("/v1/admin/streams/" + id).body();
    }

    @Test
    void hecGetsEveryRecordInOrderInItsEnvelopeAndCatchesUpAfterAnOutage() {
        String id = create("""
                {"name": "splunk", "workspace": "hec-ws", "type": "splunk_hec", "start": "beginning", "batch_size": 40,
                 "splunk_hec": {"url": "%s", "token": "%s", "index": "codex", "host": "ledger-test"}}"""
                .formatted(base(), HEC_TOKEN));
        ingest("hec-ws", "h1", 100, "alice");
        Eventually.until(Duration.ofSeconds(30), () -> hecOf("hec-ws").size(), n -> n >= 100);
        hecOutage.set(3); // three answers of 503, then back
        ingest("hec-ws", "h2", 100, "bob");
        JsonNode caughtUp = Eventually.until(Duration.ofSeconds(60), () -> status(id),
                s -> s.get("status").get("lag_records").asLong() == 0 && hecOf("hec-ws").size() >= 201);
        assertTrue(caughtUp.get("status").get("failed_deliveries").asLong() >= 1, caughtUp.toString());
        assertTrue(caughtUp.get("status").get("last_error").asText().contains("503"), caughtUp.toString());
        assertEquals(List.of(), hecProblems);
        // in seq order, each once (an unacknowledged batch is sent again whole; its copies are dropped by event id)
        List<Long> seqs = new ArrayList<>();
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (JsonNode envelope : hecOf("hec-ws")) {
            if (ids.add(envelope.get("fields").get("event_id").asText())) {
                seqs.add(envelope.get("event").get("seq").asLong());
            }
            assertEquals("codex", envelope.get("index").asText());
            assertEquals("codex:ledger", envelope.get("sourcetype").asText());
            assertEquals("ledger-test", envelope.get("host").asText());
            assertEquals("hec-ws", envelope.get("fields").get("workspace").asText());
            assertEquals(envelope.get("event").get("seq").asLong(), envelope.get("fields").get("seq").asLong());
        }
        assertEquals(201, seqs.size(), "the AUTH_LOG record of the destination's creation, then 200 records");
        for (int i = 0; i < seqs.size(); i++) {
            assertEquals(i + 1, seqs.get(i));
        }
        // the token is kept encrypted and never shown
        String listed = admin.get("/v1/admin/streams").raw().body();
        assertFalse(listed.contains(HEC_TOKEN), listed);
        assertTrue(listed.contains("\"stored\":\"encrypted\""), listed);
    }

    @Test
    void httpsGetsSignedGzipNdjsonOfWhatItsFiltersPassAndNothingWhilePaused() {
        String id = create("""
                {"name": "hook", "workspace": "hook-ws", "type": "https", "filters": {"users": ["carol"]},
                 "https": {"url": "%s/hook", "secret": "%s"}}""".formatted(base(), HMAC_SECRET));
        ingest("hook-ws", "k1", 30, "carol");
        ingest("hook-ws", "k2", 30, "dave");
        Eventually.until(Duration.ofSeconds(30), () -> status(id), s -> s.get("status").get("lag_records").asLong() == 0);
        assertEquals(30, https.size(), "only carol's records pass the filter");
        assertTrue(https.stream().allMatch(r -> r.get("user").get("id").asText().equals("carol")
                && r.get("_workspace").asText().equals("hook-ws")));
        assertEquals(List.of(), httpsProblems);

        assertEquals(200, admin.post("/v1/admin/streams/" + id + "/pause", "application/json", "").status());
        ingest("hook-ws", "k3", 20, "carol");
        JsonNode paused = Eventually.until(Duration.ofSeconds(30), () -> status(id),
                s -> s.get("status").get("lag_records").asLong() >= 20); // and the AUTH_LOG record of the pause
        assertEquals("paused", paused.get("status").get("state").asText());
        assertEquals(30, https.size(), "nothing is sent while paused");
        LedgerClient.Reply resumed = admin.post("/v1/admin/streams/" + id + "/resume", "application/json", "");
        assertEquals(200, resumed.status());
        Eventually.until(Duration.ofSeconds(30), () -> status(id), s -> s.get("status").get("lag_records").asLong() == 0);
        assertEquals(50, https.size());
        List<Long> seqs = https.stream().map(r -> r.get("seq").asLong()).toList();
        assertEquals(seqs.stream().sorted().toList(), seqs, "in seq order");
        // changes are AUTH_LOG records of the workspace
        String log = admin.get("/v1/workspaces/hook-ws/records?event_type=AUTH_LOG").raw().body();
        assertTrue(log.contains("stream.created") && log.contains("stream.paused") && log.contains("stream.resumed"), log);
        assertFalse(log.contains(HMAC_SECRET), "the secret is in no record");
    }

    @Test
    void aPausedDestinationIsWarnedAboutBeforeItsRecordsExpire() {
        assertEquals(200, admin.send("PUT", "/v1/admin/workspaces/warn-ws/retention", Map.of("Content-Type",
                "application/json"), "{\"ttl_seconds\":7200}".getBytes(StandardCharsets.UTF_8)).status());
        String id = create("""
                {"name": "late", "workspace": "warn-ws", "type": "splunk_hec", "warn_before_expiry_hours": 24,
                 "splunk_hec": {"url": "%s", "token": {"file": "%s"}}}""".formatted(base(), tokenFile));
        assertEquals(200, admin.post("/v1/admin/streams/" + id + "/pause", "application/json", "").status());
        ingest("warn-ws", "w1", 5, "erin");
        JsonNode warnings = Eventually.until(Duration.ofSeconds(90),
                () -> admin.get("/v1/workspaces/warn-ws/records?event_type=CODEX_SECURITY_LOG").body(),
                body -> body.get("records").size() > 0);
        JsonNode warning = warnings.get("records").get(0);
        assertEquals("stream.expiry_warning", warning.get("action").asText());
        assertEquals(id, warning.get("attributes").get("destination").asText());
        // the AUTH_LOG records before the destination existed are not its to deliver
        assertTrue(warning.get("attributes").get("undelivered_from_seq").asLong() >= 2, warning.toString());
        assertTrue(warning.get("attributes").get("undelivered_records").asLong() >= 1, warning.toString());
        assertTrue(warning.get("attributes").get("paused").asBoolean());
        Eventually.until(Duration.ofSeconds(10), () -> status(id), // the status says so too
                st -> st.get("status").get("expiry_warning").asBoolean());
        // resumed, with the token read from its file: everything arrives, the warning too
        assertEquals(200, admin.post("/v1/admin/streams/" + id + "/resume", "application/json", "").status());
        Eventually.until(Duration.ofSeconds(30), () -> hec.stream().filter(e -> e.get("fields").get("workspace")
                .asText().equals("warn-ws")).count(), n -> n >= 6);
        assertTrue(hec.stream().anyMatch(e -> e.get("event").path("action").asText().equals("stream.expiry_warning")));
    }

    @Test
    void aDestinationThatHoldsWhatItHasNotReceivedGetsItAfterTheOriginalsExpired() throws Exception {
        assertEquals(200, admin.send("PUT", "/v1/admin/workspaces/hold-ws/retention", Map.of("Content-Type",
                "application/json"), "{\"ttl_seconds\":30}".getBytes(StandardCharsets.UTF_8)).status());
        String id = create("""
                {"name": "kept", "workspace": "hold-ws", "type": "splunk_hec", "hold_undelivered": true,
                 "warn_before_expiry_hours": 1, "splunk_hec": {"url": "%s", "token": "%s"}}""".formatted(base(), HEC_TOKEN));
        assertEquals(200, admin.post("/v1/admin/streams/" + id + "/pause", "application/json", "").status());
        ingest("hold-ws", "kept", 5, "gina");
        long ingested = System.nanoTime();
        String holdName = "stream " + id + " (undelivered)";
        Eventually.until(Duration.ofSeconds(30), () -> admin.get("/v1/compliance/workspaces/hold-ws/holds").body(),
                body -> body.get("holds").findValues("name").stream().anyMatch(n -> n.asText().equals(holdName))
                        && body.get("holds").get(0).get("state").asText().equals("active"));
        // the originals expire (30 s retention); only the hold's copies are left
        Thread.sleep(Math.max(0, Duration.ofSeconds(36).toMillis() - (System.nanoTime() - ingested) / 1_000_000));
        assertEquals(200, admin.post("/v1/admin/streams/" + id + "/resume", "application/json", "").status());
        Eventually.until(Duration.ofSeconds(30), () -> hecOf("hold-ws").stream()
                .filter(e -> e.get("event").get("event_id").asText().startsWith("kept-")).count(), n -> n == 5);
        JsonNode caughtUp = Eventually.until(Duration.ofSeconds(30), () -> status(id),
                s -> s.get("status").get("lag_records").asLong() == 0);
        assertEquals(0, caughtUp.get("status").get("workspaces").get(0).get("skipped").asLong(), caughtUp.toString());
        // caught up: the hold is let go
        Eventually.until(Duration.ofSeconds(30), () -> admin.get("/v1/compliance/workspaces/hold-ws/holds").body(),
                body -> java.util.stream.StreamSupport.stream(body.get("holds").spliterator(), false)
                        .filter(h -> h.get("name").asText().equals(holdName))
                        .allMatch(h -> h.get("state").asText().equals("released")));
    }

    @Test
    void anUnreachableDestinationNeverHoldsUpIngest() {
        String id = create("""
                {"name": "blackhole", "workspace": "slow-ws", "type": "https",
                 "https": {"url": "http://127.0.0.1:%d/never", "secret": "s"}}""".formatted(blackhole.getLocalPort()));
        for (int i = 0; i < 20; i++) {
            long started = System.nanoTime();
            ingest("slow-ws", "s" + i, 100, "frank");
            // a delivery waits up to its 5 s timeout on this destination; an append never waits for it
            assertTrue(System.nanoTime() - started < Duration.ofSeconds(4).toNanos(), "append " + i + " waited");
        }
        JsonNode failing = Eventually.until(Duration.ofSeconds(30), () -> status(id),
                s -> s.get("status").get("failed_deliveries").asLong() > 0);
        assertEquals("failing", failing.get("status").get("state").asText(), failing.toString());
        assertTrue(failing.get("status").get("lag_records").asLong() >= 2000, failing.toString());
        assertEquals(200, admin.delete("/v1/admin/streams/" + id).status());
        assertEquals(404, admin.get("/v1/admin/streams/" + id).status());
    }

    @Test
    void badSettingsAreRefusedNamingTheField() {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{\"type\": \"kafka\", \"kafka\": {\"bootstrap_servers\": \"h:1\", \"topic\": \"t\"}}", "name");
        cases.put("{\"name\": \"x\", \"type\": \"syslog\"}", "type");
        cases.put("{\"name\": \"x\", \"type\": \"kafka\", \"kafka\": {\"bootstrap_servers\": \"no-port\", \"topic\": \"t\"}}",
                "kafka.bootstrap_servers");
        cases.put("{\"name\": \"x\", \"type\": \"kafka\", \"kafka\": {\"bootstrap_servers\": \"h:1\", \"topic\": \"a b\"}}",
                "kafka.topic");
        cases.put("{\"name\": \"x\", \"type\": \"kafka\", \"kafka\": {\"bootstrap_servers\": \"h:1\", \"topic\": \"t\","
                + " \"security_protocol\": \"SASL_SSL\"}}", "kafka.sasl");
        cases.put("{\"name\": \"x\", \"type\": \"splunk_hec\", \"splunk_hec\": {\"url\": \"ftp://x\", \"token\": \"t\"}}",
                "splunk_hec.url");
        cases.put("{\"name\": \"x\", \"type\": \"splunk_hec\", \"splunk_hec\": {\"url\": \"https://x\"}}", "splunk_hec.token");
        cases.put("{\"name\": \"x\", \"type\": \"https\", \"https\": {\"url\": \"https://x\", \"secret\": {\"vault\": \"y\"}}}",
                "https.secret");
        cases.put("{\"name\": \"x\", \"type\": \"https\", \"https\": {\"url\": \"https://x\", \"secret\": \"s\", \"retries\": 3}}",
                "https.retries");
        cases.put("{\"name\": \"x\", \"type\": \"https\", \"https\": {\"url\": \"https://x\", \"secret\": \"s\"},"
                + " \"filters\": {\"users\": [1]}}", "filters.users[0]");
        cases.put("{\"name\": \"x\", \"type\": \"https\", \"https\": {\"url\": \"https://x\", \"secret\": \"s\"},"
                + " \"batch_size\": 0}", "batch_size");
        cases.put("{\"name\": \"x\", \"workspace\": \"Not A Workspace\", \"type\": \"https\","
                + " \"https\": {\"url\": \"https://x\", \"secret\": \"s\"}}", "workspace");
        cases.put("{\"name\": \"x\", \"type\": \"https\", \"https\": {\"url\": \"https://x\", \"secret\": \"s\"},"
                + " \"start\": \"yesterday\"}", "start");
        cases.put("{\"name\": \"x\", \"type\": \"splunk_hec\", \"splunk_hec\": {\"url\": \"https://x\","
                + " \"token\": {\"env\": \"LEDGER_STREAM_SECRETS_KEY\"}}}", "splunk_hec.token");
        cases.put("{\"name\": \"x\", \"type\": \"splunk_hec\", \"splunk_hec\": {\"url\": \"https://x\","
                + " \"token\": {\"file\": \"/etc/passwd\"}}}", "splunk_hec.token");
        cases.put("{\"name\": \"x\", \"type\": \"https\", \"https\": {\"url\": \"http://siem.example.com/in\","
                + " \"secret\": \"s\"}}", "https.url");
        int before = admin.get("/v1/admin/streams").body().get("data").size();
        cases.forEach((body, field) -> {
            LedgerClient.Reply reply = admin.post("/v1/admin/streams", "application/json", body);
            assertEquals(400, reply.status(), body + " → " + reply.raw().body());
            assertEquals(field, reply.body().get("field").asText(), body + " → " + reply.raw().body());
        });
        assertEquals(before, admin.get("/v1/admin/streams").body().get("data").size(), "nothing stored");
    }
}

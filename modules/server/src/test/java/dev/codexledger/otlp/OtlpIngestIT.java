package dev.codexledger.otlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.otlp.Fixtures.Expected;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Real Codex telemetry over OTLP/HTTP into a node on the real Cassandra the build starts. */
@ExtendWith(SharedCassandra.class)
class OtlpIngestIT {

    private static final String PROTOBUF = "application/x-protobuf";
    private static final String JSON = "application/json";
    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private static LedgerNode.Running node;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("otlp"), Map.of(
                "ledger.records.max-record-bytes", 64 * 1024,
                "ledger.records.max-decompressed-bytes", 2 * 1024 * 1024,
                "ledger.workspace.max-in-flight-records", 100,
                "ledger.workspace.max-pending-batches-per-workspace", 2));
    }

    @AfterAll
    static void stop() throws Exception {
        node.stop();
    }

    private static HttpResponse<byte[]> export(String workspace, String contentType, byte[] body, boolean gzip) {
        return export(TestNodes.ADMIN_KEY, workspace, contentType, body, gzip);
    }

    private static HttpResponse<byte[]> export(String key, String workspace, String contentType, byte[] body,
                                               boolean gzip) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + "/v1/logs"))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(gzip ? gzip(body) : body));
        if (workspace != null) {
            request.header("X-Ledger-Workspace", workspace);
        }
        if (gzip) {
            request.header("Content-Encoding", "gzip");
        }
        return send(request.build());
    }

    private static HttpResponse<byte[]> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String base() {
        return "http://127.0.0.1:" + node.httpAddress().getPort();
    }

    private static List<JsonNode> stored(String workspace) {
        List<JsonNode> all = new ArrayList<>();
        String cursor = null;
        do {
            HttpRequest request = HttpRequest.newBuilder(URI.create(base() + "/v1/workspaces/" + workspace
                            + "/records?limit=1000" + (cursor == null ? "" : "&cursor=" + cursor)))
                    .header("Authorization", "Bearer " + TestNodes.ADMIN_KEY).build();
            try {
                JsonNode page = MAPPER.readTree(HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body());
                page.get("records").forEach(all::add);
                cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        } while (cursor != null);
        return all;
    }

    private static long sum(List<JsonNode> records, String tokenKind) {
        return records.stream().mapToLong(r -> r.path("usage").path(tokenKind).asLong(0)).sum();
    }

    private static void assertOneToOne(List<Expected> expected, List<JsonNode> records) {
        assertEquals(expected.size(), records.size(), "one stored record per log record");
        for (int i = 0; i < expected.size(); i++) {
            JsonNode record = records.get(i);
            assertEquals(expected.get(i).eventName(), record.path("action").asText(null), "event of record " + i);
            assertEquals(expected.get(i).conversationId(), record.path("conversation_id").asText(null));
            assertTrue(record.path("attributes").path("otel").path("resource").has("service.name"),
                    "resource attributes kept");
        }
        assertEquals(expected.stream().mapToLong(Expected::inputTokens).sum(), sum(records, "input_tokens"));
        assertEquals(expected.stream().mapToLong(Expected::outputTokens).sum(), sum(records, "output_tokens"));
    }

    @Test
    void eachJsonCaptureIsStoredOneToOneWithItsMeaning() throws Exception {
        HttpResponse<byte[]> first = export("json-capture", JSON, Fixtures.bytes("json-003.json"), false);
        assertEquals(200, first.statusCode(), new String(first.body()));
        assertEquals("{}", new String(first.body()), "full success: an empty ExportLogsServiceResponse");
        assertEquals(200, export("json-capture", JSON, Fixtures.bytes("json-005.json"), false).statusCode());

        List<Expected> expected = new ArrayList<>(Fixtures.expected("json-003.json"));
        expected.addAll(Fixtures.expected("json-005.json"));
        List<JsonNode> records = stored("json-capture");
        assertOneToOne(expected, records);
        assertEquals(2468, sum(records, "input_tokens"), "two responses, each counted once");
        assertEquals(2000, sum(records, "cached_input_tokens"));
        assertEquals(14, sum(records, "reasoning_tokens"));

        JsonNode decision = records.stream().filter(r -> "codex.tool_decision".equals(r.path("action").asText()))
                .findFirst().orElseThrow();
        assertEquals("CODEX_SECURITY_LOG", decision.get("event_type").asText());
        assertEquals("exec_command", decision.at("/attributes/codex/tool_name").asText());
        assertEquals("approved", decision.at("/attributes/codex/decision").asText());
        JsonNode result = records.stream().filter(r -> "codex.tool_result".equals(r.path("action").asText()))
                .findFirst().orElseThrow();
        assertEquals(99, result.at("/attributes/codex/duration_ms").asLong());
        assertTrue(result.at("/attributes/codex/success").asBoolean());
        assertEquals(decision.at("/attributes/codex/call_id"), result.at("/attributes/codex/call_id"));
        JsonNode prompt = records.stream().filter(r -> "codex.user_prompt".equals(r.path("action").asText()))
                .findFirst().orElseThrow();
        assertEquals("[REDACTED]", prompt.get("prompt").asText());
        assertEquals("exec", prompt.get("surface").asText());
        assertEquals("CODEX_LOG", prompt.get("event_type").asText());
        assertEquals(prompt.at("/attributes/otel/attributes/event.timestamp").asText(), prompt.get("timestamp").asText());
        JsonNode starts = records.get(0);
        assertEquals("CODEX_SECURITY_LOG", starts.get("event_type").asText(), "session policy settings");
        assertEquals("never", starts.at("/attributes/otel/attributes/approval_policy").asText());
    }

    @Test
    void identityAndPromptsArriveWhenTheClientOptsIn() {
        assertEquals(200, export("optin", JSON, Fixtures.bytes("optin-004.json"), false).statusCode());
        List<JsonNode> records = stored("optin");
        assertOneToOne(Fixtures.expected("optin-004.json"), records);
        JsonNode prompt = records.stream().filter(r -> "codex.user_prompt".equals(r.path("action").asText()))
                .findFirst().orElseThrow();
        assertEquals("list the files in this repo and summarize the build", prompt.get("prompt").asText());
        assertEquals("acct-harness-0001", prompt.at("/user/id").asText());
        assertEquals("ana.lima@example.com", prompt.at("/user/email").asText());
        JsonNode response = records.stream().filter(r -> "codex.agent_response".equals(r.path("action").asText()))
                .findFirst().orElseThrow();
        assertEquals("The command printed: hi", response.get("response").asText());
        long withoutEvent = records.stream().filter(r -> !r.has("action")).count();
        assertEquals(4, withoutEvent, "records without event.name (warnings, debug lines) are stored too");
    }

    @Test
    void theProtobufCaptureIsStoredOneToOneAndAnsweredInProtobuf() throws Exception {
        HttpResponse<byte[]> response = export("proto-capture", PROTOBUF, Fixtures.bytes("protobuf-004.bin"), false);
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith(PROTOBUF));
        assertEquals(ExportLogsServiceResponse.getDefaultInstance(), ExportLogsServiceResponse.parseFrom(response.body()));
        assertOneToOne(Fixtures.expected("protobuf-004.decoded.json"), stored("proto-capture"));
    }

    @Test
    void reSentAndReSplitBatchesStoreNothingTwice() throws Exception {
        byte[] json = Fixtures.bytes("json-003.json");
        for (int i = 0; i < 3; i++) {
            assertEquals(200, export("resend", JSON, json, false).statusCode());
        }
        ExportLogsServiceRequest whole = ExportLogsServiceRequest.parseFrom(Fixtures.bytes("protobuf-004.bin"));
        assertEquals(200, export("resend", PROTOBUF, whole.toByteArray(), false).statusCode());
        for (ExportLogsServiceRequest part : split(whole, 7)) {
            assertEquals(200, export("resend", PROTOBUF, part.toByteArray(), true).statusCode());
        }
        List<JsonNode> records = stored("resend");
        assertEquals(29 + 30, records.size(), "each distinct log record once");
        assertEquals(2468L * 2, sum(records, "input_tokens"), "no token counted twice");
    }

    /** The same log records in requests of {@code size} records each, as an exporter retrying differently would. */
    private static List<ExportLogsServiceRequest> split(ExportLogsServiceRequest whole, int size) {
        List<ExportLogsServiceRequest> parts = new ArrayList<>();
        for (ResourceLogs rl : whole.getResourceLogsList()) {
            for (ScopeLogs sl : rl.getScopeLogsList()) {
                List<LogRecord> logs = sl.getLogRecordsList();
                for (int from = 0; from < logs.size(); from += size) {
                    parts.add(ExportLogsServiceRequest.newBuilder().addResourceLogs(rl.toBuilder().clearScopeLogs()
                            .addScopeLogs(sl.toBuilder().clearLogRecords()
                                    .addAllLogRecords(logs.subList(from, Math.min(logs.size(), from + size)))))
                            .build());
                }
            }
        }
        return parts;
    }

    @Test
    void aWorkspaceIngestKeyNamesTheWorkspaceWithoutAHeader() {
        dev.codexledger.testing.LedgerClient admin = new dev.codexledger.testing.LedgerClient(node.httpAddress(),
                TestNodes.ADMIN_KEY);
        String bound = dev.codexledger.testing.Keys.create(admin, "bound-ws", "laptops", "ingest").secret();
        HttpResponse<byte[]> noHeader = export(bound, null, PROTOBUF, Fixtures.bytes("protobuf-004.bin"), false);
        assertEquals(200, noHeader.statusCode(), new String(noHeader.body()));
        assertEquals(Fixtures.expected("protobuf-004.decoded.json").size(), stored("bound-ws").stream()
                .filter(r -> !r.get("event_type").asText().equals("AUTH_LOG")).count(),
                "stored in the key's workspace (next to the AUTH_LOG record of the key's creation)");
        assertEquals(200, export(bound, "bound-ws", PROTOBUF, Fixtures.bytes("protobuf-004.bin"), false).statusCode(),
                "its own workspace named in the header is fine (and a re-send)");
        HttpResponse<byte[]> elsewhere = export(bound, "other-ws", PROTOBUF, Fixtures.bytes("protobuf-004.bin"), false);
        assertEquals(403, elsewhere.statusCode(), "a workspace key sends nowhere else");
        assertEquals(0, stored("other-ws").size());
        HttpResponse<byte[]> orgWithout = export(null, PROTOBUF, Fixtures.bytes("protobuf-004.bin"), false);
        assertEquals(400, orgWithout.statusCode(), "an org-wide key must name the workspace");
        assertTrue(new String(orgWithout.body()).contains("X-Ledger-Workspace"));
    }

    @Test
    void malformedBodiesAre400AndStoreNothing() {
        HttpResponse<byte[]> badProto = export("malformed", PROTOBUF, new byte[] {0x0a, (byte) 0xff, 0x01, 0x02}, false);
        assertEquals(400, badProto.statusCode());
        assertTrue(new String(badProto.body()).contains("\"field\":\"body\""));
        assertEquals(400, export("malformed", JSON, "{\"resourceLogs\":[{".getBytes(), false).statusCode());
        assertEquals(400, export("malformed", JSON, "{\"resourceLogs\":\"nope\"}".getBytes(), false).statusCode());
        assertEquals(400, export("malformed", JSON, new byte[] {1, 2, 3}, true).statusCode(), "gzip of non-JSON");
        HttpResponse<byte[]> notGzip = send(HttpRequest.newBuilder(URI.create(base() + "/v1/logs"))
                .header("Authorization", "Bearer " + TestNodes.ADMIN_KEY).header("X-Ledger-Workspace", "malformed")
                .header("Content-Type", JSON).header("Content-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Fixtures.bytes("json-005.json"))).build());
        assertEquals(400, notGzip.statusCode(), "declared gzip, sent plain");
        assertTrue(new String(notGzip.body()).contains("gzip"));
        assertEquals(400, export(null, JSON, Fixtures.bytes("json-005.json"), false).statusCode(), "no workspace");
        assertEquals(415, export("malformed", "text/plain", Fixtures.bytes("json-005.json"), false).statusCode());
        assertEquals(0, stored("malformed").size());
    }

    @Test
    void gzipBodiesAreDecodedAndBombsStopAtTheLimit() {
        assertEquals(200, export("gzipped", JSON, Fixtures.bytes("json-003.json"), true).statusCode());
        assertEquals(29, stored("gzipped").size());
        byte[] zeros = new byte[8 * 1024 * 1024];
        HttpResponse<byte[]> bomb = export("gzipped", PROTOBUF, zeros, true);
        assertEquals(413, bomb.statusCode(), new String(bomb.body()));
        assertEquals(29, stored("gzipped").size());
    }

    @Test
    void anOversizedLogRecordIsRejectedAloneWithPartialSuccess() throws Exception {
        ExportLogsServiceRequest whole = ExportLogsServiceRequest.parseFrom(Fixtures.bytes("protobuf-004.bin"));
        ResourceLogs rl = whole.getResourceLogsList().stream()
                .filter(r -> r.getScopeLogsList().stream().anyMatch(s -> s.getLogRecordsCount() >= 3))
                .findFirst().orElseThrow();
        ScopeLogs sl = rl.getScopeLogsList().stream().filter(s -> s.getLogRecordsCount() >= 3)
                .findFirst().orElseThrow();
        LogRecord huge = sl.getLogRecords(1).toBuilder().addAttributes(KeyValue.newBuilder().setKey("output")
                .setValue(AnyValue.newBuilder().setStringValue("x".repeat(100_000)))).build();
        ExportLogsServiceRequest request = ExportLogsServiceRequest.newBuilder().addResourceLogs(rl.toBuilder()
                .clearScopeLogs().addScopeLogs(sl.toBuilder().clearLogRecords()
                        .addLogRecords(sl.getLogRecords(1)).addLogRecords(huge).addLogRecords(sl.getLogRecords(2))))
                .build();
        HttpResponse<byte[]> response = export("partial", PROTOBUF, request.toByteArray(), false);
        assertEquals(200, response.statusCode());
        ExportLogsServiceResponse parsed = ExportLogsServiceResponse.parseFrom(response.body());
        assertEquals(1, parsed.getPartialSuccess().getRejectedLogRecords());
        assertTrue(parsed.getPartialSuccess().getErrorMessage().contains("limit"));
        assertEquals(2, stored("partial").size());

        HttpResponse<byte[]> json = export("partial-json", JSON,
                com.google.protobuf.util.JsonFormat.printer().print(request).getBytes(), false);
        assertEquals(200, json.statusCode());
        assertEquals(1, MAPPER.readTree(json.body()).at("/partialSuccess/rejectedLogRecords").asInt());
    }

    @Test
    void overloadIsAnswered429WithRetryAfterAndRetriesLoseNothing() throws Exception {
        ExportLogsServiceRequest whole = ExportLogsServiceRequest.parseFrom(Fixtures.bytes("protobuf-004.bin"));
        List<ExportLogsServiceRequest> batches = new ArrayList<>();
        for (int copy = 0; copy < 12; copy++) {
            // distinct records per copy: another session's worth of the same events
            long offset = copy * 1_000L;
            ExportLogsServiceRequest.Builder b = whole.toBuilder();
            b.getResourceLogsBuilderList().forEach(rl -> rl.getScopeLogsBuilderList().forEach(sl ->
                    sl.getLogRecordsBuilderList().forEach(r ->
                            r.setObservedTimeUnixNano(r.getObservedTimeUnixNano() + offset))));
            batches.add(b.build());
        }
        List<CompletableFuture<HttpResponse<byte[]>>> first = new ArrayList<>();
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(batches.size());
        for (ExportLogsServiceRequest batch : batches) {
            first.add(CompletableFuture.supplyAsync(() -> export("overload", PROTOBUF, batch.toByteArray(), false),
                    clients));
        }
        clients.shutdown();
        int refused = 0;
        for (int i = 0; i < batches.size(); i++) {
            HttpResponse<byte[]> response = first.get(i).join();
            if (response.statusCode() == 429 || response.statusCode() == 503) {
                refused++;
                assertTrue(response.headers().firstValue("Retry-After").isPresent());
                byte[] again = batches.get(i).toByteArray();
                // what an exporter does: send the batch again until it is no longer refused
                HttpResponse<byte[]> retried = Eventually.until(Duration.ofSeconds(60), Duration.ofMillis(200),
                        () -> export("overload", PROTOBUF, again, false),
                        r -> r.statusCode() != 429 && r.statusCode() != 503);
                assertEquals(200, retried.statusCode());
            } else {
                assertEquals(200, response.statusCode(), new String(response.body()));
            }
        }
        assertTrue(refused > 0, "12 concurrent batches of 30 over a limit of 100 records in flight");
        List<JsonNode> records = stored("overload");
        assertEquals(12 * 30, records.size(), "every acknowledged record present, none twice");
        assertEquals(12 * 30, records.stream().map(r -> r.get("event_id").asText()).distinct().count());
        assertTrue(records.stream().allMatch(Objects::nonNull));
    }

    private static byte[] gzip(byte[] body) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                gz.write(body);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

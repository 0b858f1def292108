package dev.codexledger.node;

import dev.codexledger.build.Version;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.ForkedNode;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Operators' view of a node: {@code GET /version}, JSON logs (LEDGER_LOG_FORMAT=json) and the access log
 * (LEDGER_ACCESS_LOG=info), on a node in its own JVM as it runs in production.
 */
@ExtendWith(SharedCassandra.class)
class LoggingIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TEXT_LOG_LINE = Pattern.compile("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} [A-Z]+ .*");

    @Test
    void jsonLogsAnAccessLogAndTheVersion() throws Exception {
        try (ForkedNode node = ForkedNode.start(TestNodes.newKeyspace("logging"), List.of("-Xmx384m"),
                Map.of("LEDGER_LOG_FORMAT", "json", "LEDGER_ACCESS_LOG", "info"))) {
            LedgerClient client = node.client();
            LedgerClient.Reply version = client.withKey(null).get("/version");
            assertEquals(200, version.status(), version.raw().body());
            assertEquals(Version.current(), version.body().path("version").asText());
            assertFalse(Version.current().equals("unknown"), "the build wrote the version");
            assertTrue(version.body().path("app_version").isTextual());
            assertEquals(200, client.post("/v1/workspaces/logging-ws/records", "application/x-ndjson",
                    Records.ndjson(Records.record("log-1", "u-1", Instant.now(), "hello"))).status());
            assertEquals(401, client.withKey("wrong-key").get("/v1/workspaces/logging-ws/records").status());

            List<JsonNode> events = Eventually.until(Duration.ofSeconds(10), () -> {
                List<JsonNode> parsed = new ArrayList<>();
                for (String line : node.output().split("\n")) {
                    assertFalse(TEXT_LOG_LINE.matcher(line).matches(), "a log line in text, not JSON: " + line);
                    if (line.startsWith("{")) {
                        parsed.add(JSON.readTree(line));
                    }
                }
                return parsed;
            }, parsed -> parsed.stream().anyMatch(e -> e.path("formattedMessage").asText().contains(" 401 ")));

            assertTrue(events.size() > 10, "the node logged in JSON: " + events.size());
            for (JsonNode event : events) {
                assertTrue(event.has("timestamp") && event.has("level") && event.has("loggerName")
                        && event.has("formattedMessage"), "a JSON log event: " + event);
            }
            List<String> access = events.stream().filter(e -> e.path("loggerName").asText().equals("codex-ledger.access"))
                    .map(e -> e.path("formattedMessage").asText()).toList();
            assertTrue(access.stream().anyMatch(line -> line.matches(
                    "127\\.0\\.0\\.1 POST /v1/workspaces/logging-ws/records 200 \\d+ms \\d+ \"Java-http-client.*\"")),
                    "the append in the access log: " + access);
            assertTrue(access.stream().anyMatch(line -> line.contains("GET /v1/workspaces/logging-ws/records 401")),
                    "the refused read in the access log: " + access);
            assertTrue(access.stream().noneMatch(line -> line.contains("wrong-key")), "no credential in the access log");
        }
    }
}

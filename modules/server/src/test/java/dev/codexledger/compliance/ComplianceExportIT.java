package dev.codexledger.compliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.testing.ForkedNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 100,000 records exported as compliance log files from a node whose whole heap (-Xmx128m) is smaller
 * than the export: the files stream (no Content-Length), every record arrives once, no OutOfMemoryError.
 */
@ExtendWith(SharedCassandra.class)
class ComplianceExportIT {

    private static final int RECORDS = 100_000;
    private static final int BATCH = 1000;
    private static final String PADDING = "p".repeat(600);

    @Test
    void aHundredThousandRecordsStreamThroughASmallHeap() throws Exception {
        try (ForkedNode node = ForkedNode.start(TestNodes.newKeyspace("export"), List.of("-Xmx128m"), Map.of(
                "LEDGER_COMPLIANCE_FILE_WINDOW", "15s", "LEDGER_COMPLIANCE_SETTLE", "1s"))) {
            LedgerClient client = node.client();
            List<CompletableFuture<Void>> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                writers.add(CompletableFuture.runAsync(() -> {
                    for (int b = writer; b < RECORDS / BATCH; b += 4) {
                        post(client, b);
                    }
                }));
            }
            CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).join();

            BitSet seen = new BitSet(RECORDS);
            AtomicLong lines = new AtomicLong();
            String[] after = {"1970-01-01T00:00:00Z"};
            HttpClient http = HttpClient.newHttpClient();
            // list and download the files closed so far, again until every record has arrived (the last
            // window closes 16 s after it opened)
            Eventually.until(Duration.ofSeconds(60), Duration.ofMillis(500), () -> {
                boolean more = true;
                while (more) {
                    more = listAndDownload(node, http, after, seen, lines);
                }
                return seen.cardinality();
            }, count -> count == RECORDS);
            assertEquals(RECORDS, lines.get());
            assertEquals(RECORDS, seen.cardinality());
            assertTrue(node.isAlive());
            assertFalse(node.output().contains("OutOfMemoryError"));
        }
    }

    /** One page of files after {@code after[0]}, each downloaded; whether more pages follow. */
    private static boolean listAndDownload(ForkedNode node, HttpClient http, String[] after, BitSet seen,
                                           AtomicLong lines) throws Exception {
        JsonNode list = node.client().get("/v1/compliance/workspaces/bulk/logs?event_type=CODEX_LOG&limit=1000&after="
                + after[0]).body();
        for (JsonNode file : list.get("data")) {
            HttpResponse<Stream<String>> response = http.send(HttpRequest.newBuilder(URI.create(
                            node.client().baseUrl() + "/v1/compliance/workspaces/bulk/logs/" + file.get("id").asText()))
                    .header("Authorization", "Bearer " + TestNodes.ADMIN_KEY).build(),
                    HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, response.statusCode());
            assertTrue(response.headers().firstValue("Content-Length").isEmpty(), "streamed, not buffered");
            try (Stream<String> body = response.body()) {
                body.forEach(line -> {
                    int at = line.indexOf("\"event_id\":\"bulk-") + "\"event_id\":\"bulk-".length();
                    int n = Integer.parseInt(line.substring(at, line.indexOf('"', at)));
                    assertFalse(seen.get(n), "record " + n + " twice");
                    seen.set(n);
                    lines.incrementAndGet();
                });
            }
        }
        if (!list.get("last_end_time").isNull()) {
            after[0] = list.get("last_end_time").asText();
        }
        return list.get("has_more").asBoolean();
    }

    private static void post(LedgerClient client, int batch) {
        StringBuilder body = new StringBuilder(BATCH * 700).append('[');
        for (int i = 0; i < BATCH; i++) {
            int n = batch * BATCH + i;
            body.append(i == 0 ? "" : ",").append("{\"event_id\":\"bulk-").append(n)
                    .append("\",\"event_type\":\"CODEX_LOG\",\"timestamp\":\"2026-11-22T08:00:00Z\",\"prompt\":\"")
                    .append(PADDING).append("\"}");
        }
        String batchBody = body.append(']').toString();
        // a client's pace: refused (429 or 503) means send the batch again half a second later
        Eventually.until(Duration.ofSeconds(60), Duration.ofMillis(500), () -> {
            LedgerClient.Reply reply = client.post("/v1/workspaces/bulk/records", "application/json", batchBody);
            assertTrue(reply.status() == 200 || reply.status() == 429 || reply.status() == 503, reply.raw().body());
            return reply;
        }, reply -> reply.status() == 200);
    }
}

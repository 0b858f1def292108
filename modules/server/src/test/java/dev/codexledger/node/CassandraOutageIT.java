package dev.codexledger.node;

import static dev.codexledger.testing.Records.array;
import static dev.codexledger.testing.Records.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Cassandra going away: the API answers 503 with Retry-After (never 200), and once Cassandra is back
 * the retried batch is accepted and nothing acknowledged before the outage is lost.
 */
class CassandraOutageIT {

    private static final Instant T0 = Instant.parse("2026-11-21T12:00:00Z");
    private static final String PATH = "/v1/workspaces/outage/records";

    @Test
    void unreachableCassandraMeans503WithRetryAfterAndNoLossAfterwards() throws Exception {
        LocalCassandra cassandra = SharedCassandra.startNode("outage");
        LedgerNode.Running node = TestNodes.start(cassandra.contactPoint(), TestNodes.newKeyspace("outage"),
                Map.of("ledger.http.ask-timeout", "4s", "ledger.cassandra.request-timeout", "2s"));
        try {
            LedgerClient client = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
            String before = array(record("before", "u", T0, "acknowledged before the outage"));
            assertEquals(200, client.post(PATH, "application/json", before).status());

            cassandra.close();
            String during = array(record("during", "u", T0.plusSeconds(1), "sent during the outage"));
            LedgerClient.Reply refused = client.post(PATH, "application/json", during);
            assertEquals(503, refused.status(), refused.raw().body());
            assertTrue(refused.raw().headers().firstValue("Retry-After").isPresent());
            assertTrue(refused.body().has("error"));
            LedgerClient.Reply read = client.get(PATH);
            assertEquals(503, read.status(), read.raw().body());
            assertTrue(read.raw().headers().firstValue("Retry-After").isPresent());

            cassandra = SharedCassandra.restartNode(cassandra);
            LedgerClient.Reply retried = retryUntilOk(client, during, Duration.ofSeconds(90));
            assertEquals(200, retried.status(), retried.raw().body());

            JsonNode records = client.get(PATH).body().get("records");
            assertEquals(2, records.size(), "retried reply " + retried.raw().body() + " records " + records);
            assertEquals("before", records.get(0).get("event_id").asText());
            assertEquals("during", records.get(1).get("event_id").asText());
            assertEquals(1, records.get(0).get("seq").asLong());
            assertEquals(2, records.get(1).get("seq").asLong());
        } finally {
            node.stop();
            cassandra.close();
            SharedCassandra.deleteRecursively(cassandra.dataDir());
        }
    }

    /** What an OTLP or HTTP client does on 503: wait, then send the same batch again. */
    private static LedgerClient.Reply retryUntilOk(LedgerClient client, String body, Duration patience) {
        // a client's pace: a retry a second, as Retry-After asks
        return Eventually.until(patience, Duration.ofSeconds(1), () -> {
            LedgerClient.Reply reply = client.post(PATH, "application/json", body);
            if (reply.status() != 200) {
                assertEquals(503, reply.status(), "while recovering the node answers 503, got " + reply.raw().body());
            }
            return reply;
        }, reply -> reply.status() == 200);
    }
}

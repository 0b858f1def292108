package dev.codexledger.node;

import static dev.codexledger.testing.Records.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A node's memory bounds, on a real Cassandra: with a budget for about four active ledgers, thirty
 * workspaces written to in turn passivate the least recently used, the budget holds, nothing is lost and
 * a re-send to a passivated workspace is still caught; with the heap past its refusal share, ingest is
 * answered 503 + Retry-After before its body is read while reads go on.
 */
@ExtendWith(SharedCassandra.class)
class MemoryBoundsIT {

    private static final Instant T0 = Instant.parse("2026-12-07T08:00:00Z");
    private static final int WORKSPACES = 30;
    private static final int RECORDS = 100;

    private static String batch(int workspace, int round) {
        return Records.array(IntStream.range(0, RECORDS).mapToObj(i -> record("w" + workspace + "-r" + round + "-" + i,
                "u" + (i % 7), T0.plusSeconds(round * 1000L + i), "prompt " + i)).toArray(String[]::new));
    }

    @Test
    void ledgersPastTheirBudgetArePassivatedAndNothingIsLostOrCountedTwice() throws Exception {
        String keyspace = TestNodes.newKeyspace("memory");
        LedgerNode.Running node = TestNodes.start(SharedCassandra.contactPoint(), keyspace, Map.of(
                "ledger.workspace.active-ledgers-memory", "400 KiB",
                "ledger.workspace.dedup-window-bytes", "64 KiB"));
        try {
            LedgerClient client = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
            List<String> firsts = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (int w = 0; w < WORKSPACES; w++) {
                    String body = batch(w, round);
                    if (round == 0) {
                        firsts.add(body);
                    }
                    LedgerClient.Reply reply = client.post("/v1/workspaces/mem-" + w + "/records", "application/json", body);
                    assertEquals(200, reply.status(), reply.raw().body());
                    assertEquals(RECORDS, reply.body().get("accepted").asInt());
                }
            }
            // the last ones asked to passivate hand over (their after-write steps finish) and stop
            dev.codexledger.testing.Eventually.assertThat(java.time.Duration.ofSeconds(20), () -> {
                JsonNode memory = client.get("/v1/admin/node/memory").body();
                JsonNode ledgers = memory.get("ledgers");
                assertEquals(400 * 1024, ledgers.get("budget_bytes").asLong());
                assertTrue(ledgers.get("held_bytes").asLong() <= ledgers.get("budget_bytes").asLong(), memory.toString());
                assertTrue(ledgers.get("active").asInt() < 10, memory.toString());
                assertTrue(ledgers.get("passivated_for_memory").asLong() >= WORKSPACES, memory.toString());
                assertTrue(memory.get("heap").get("max_bytes").asLong() > 0, memory.toString());
            });

            // the first workspace was passivated long ago: a re-send is still caught, exactly
            for (int w : new int[] {0, 1, WORKSPACES - 1}) {
                LedgerClient.Reply resent = client.post("/v1/workspaces/mem-" + w + "/records", "application/json",
                        firsts.get(w));
                assertEquals(0, resent.body().get("accepted").asInt(), resent.raw().body());
                assertEquals(RECORDS, resent.body().get("duplicates").asInt());
                JsonNode records = client.get("/v1/workspaces/mem-" + w + "/records?limit=1000").body().get("records");
                assertEquals(2 * RECORDS, records.size(), "workspace " + w);
                for (int i = 0; i < records.size(); i++) {
                    assertEquals(i + 1, records.get(i).get("seq").asLong(), "gap-free, workspace " + w);
                }
            }
        } finally {
            node.stop();
        }
    }

    @Test
    void pastTheHeapShareIngestIsRefusedWith503AndReadsGoOn() throws Exception {
        String keyspace = TestNodes.newKeyspace("heapfull");
        LedgerNode.Running node = TestNodes.start(SharedCassandra.contactPoint(), keyspace,
                Map.of("ledger.http.refuse-ingest-above-heap", "1 KiB"));
        try {
            LedgerClient client = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
            System.gc(); // any collection leaves more than 1 KiB in use
            dev.codexledger.testing.Eventually.assertThat(java.time.Duration.ofSeconds(10), () -> assertTrue(
                    client.get("/v1/admin/node/memory").body().get("heap").get("refusing_ingest").asBoolean()));
            LedgerClient.Reply refused = client.post("/v1/workspaces/full/records", "application/json", batch(0, 0));
            assertEquals(503, refused.status(), refused.raw().body());
            assertTrue(refused.raw().headers().firstValue("Retry-After").isPresent());
            assertTrue(refused.body().get("error").asText().contains("memory"), refused.raw().body());
            assertEquals(200, client.get("/v1/workspaces/full/records").status(), "reads go on");
            JsonNode memory = client.get("/v1/admin/node/memory").body();
            assertTrue(memory.get("ingest").get("refused_heap_full").asLong() >= 1, memory.toString());
        } finally {
            node.stop();
        }
    }
}

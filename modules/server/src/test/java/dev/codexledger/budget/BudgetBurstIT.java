package dev.codexledger.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bursts of reservations over HTTP against real Cassandra, with the node's default decision timeout:
 * 64 at once against a nearly spent cap, on a budget in memory and on a cold one (a node started
 * again, the budget recovering from its snapshot) — every one decided (no policy answer, no 503), the
 * exact number granted, nothing overspent — and retries with an idempotency key held once.
 */
@ExtendWith(SharedCassandra.class)
class BudgetBurstIT {

    private static String keyspace;
    private static LedgerNode.Running node;

    @BeforeAll
    static void start() throws Exception {
        keyspace = TestNodes.newKeyspace("budget_burst");
        node = TestNodes.start(SharedCassandra.contactPoint(), keyspace, Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.stop();
        }
    }

    private static LedgerClient client() {
        return new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    private static LedgerClient.Reply reserve(LedgerClient client, String workspace, String user, String credits,
                                              String key) {
        Map<String, String> headers = key == null ? Map.of("Content-Type", "application/json")
                : Map.of("Content-Type", "application/json", "Idempotency-Key", key);
        return client.send("POST", "/v1/budget/workspaces/" + workspace + "/reservations", headers,
                ("{\"user\":\"" + user + "\",\"estimate_credits\":" + credits + "}").getBytes(StandardCharsets.UTF_8));
    }

    private static void nearlySpend(LedgerClient client, String workspace, int reservations) {
        assertEquals(200, client.send("PUT", "/v1/admin/workspaces/" + workspace + "/budgets/org",
                Map.of("Content-Type", "application/json"), "{\"window\":\"month\",\"cap\":100}".getBytes()).status());
        // many small settled calls: the budget's journal gets snapshots, so a cold start recovers from one
        for (int i = 0; i < reservations; i++) {
            LedgerClient.Reply held = reserve(client, workspace, "ana", "0.5", null);
            assertEquals(201, held.status(), held.raw().body());
            String actual = i == 0 ? "92.5" : "0"; // exactly 92.5 spent, over as many journal events as asked
            assertEquals(200, client.post("/v1/budget/workspaces/" + workspace + "/reservations/"
                            + held.body().get("reservation_id").asText() + "/settle", "application/json",
                    "{\"actual_credits\":" + actual + "}").status());
        }
    }

    /** 64 reservations of 0.5 credits at once (released together): the status of each answer. */
    private static List<LedgerClient.Reply> burst(LedgerClient client, String workspace) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(64);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<LedgerClient.Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            String user = "user-" + i;
            replies.add(pool.submit(() -> {
                go.await();
                return reserve(client, workspace, user, "0.5", null);
            }));
        }
        go.countDown();
        List<LedgerClient.Reply> out = new ArrayList<>();
        for (Future<LedgerClient.Reply> reply : replies) {
            out.add(reply.get());
        }
        pool.shutdown();
        return out;
    }

    /** Every answer a decision (201 held, 200 denied by the budget), exactly {@code expected} held. */
    private static void assertDecided(List<LedgerClient.Reply> replies, int expected) {
        int granted = 0;
        for (LedgerClient.Reply reply : replies) {
            assertNotEquals(503, reply.status(), "refused for being slow: " + reply.raw().body());
            assertEquals("budget", reply.body().get("decided_by").asText(), reply.raw().body());
            if (reply.status() == 201) {
                granted++;
            } else {
                assertEquals(200, reply.status(), reply.raw().body());
                assertFalse(reply.body().get("allowed").asBoolean());
            }
        }
        assertEquals(expected, granted, "7.5 credits left hold 15 reservations of 0.5");
    }

    private static void assertNotOverspent(LedgerClient client, String workspace) {
        LedgerClient.Reply check = client.post("/v1/budget/workspaces/" + workspace + "/check", "application/json",
                "{\"user\":\"anyone\",\"estimate_credits\":0}");
        JsonNode org = check.body().get("binding_level");
        assertEquals(0, new BigDecimal(org.get("remaining").asText()).signum(), "settled + reserved = cap: " + org);
    }

    @Test
    void sixtyFourAtOnceOnABudgetInMemoryAreAllDecided() throws Exception {
        LedgerClient client = client();
        nearlySpend(client, "burst-warm", 1);
        assertDecided(burst(client, "burst-warm"), 15);
        assertNotOverspent(client, "burst-warm");
    }

    @Test
    void sixtyFourAtOnceOnAColdBudgetAreAllDecided() throws Exception {
        nearlySpend(client(), "burst-cold", WorkspaceBudget.SNAPSHOT_EVERY + 20);
        node.stop();
        node = TestNodes.start(SharedCassandra.contactPoint(), keyspace, Map.of());
        LedgerClient client = client();
        assertEquals(200, client.post("/v1/budget/workspaces/other/check", "application/json",
                "{\"user\":\"ana\",\"estimate_credits\":0}").status()); // the node is up; burst-cold is not started
        assertDecided(burst(client, "burst-cold"), 15);
        assertNotOverspent(client, "burst-cold");
    }

    @Test
    void aRetryWithTheSameIdempotencyKeyIsHeldOnce() {
        LedgerClient client = client();
        assertEquals(200, client.send("PUT", "/v1/admin/workspaces/burst-keys/budgets/org",
                Map.of("Content-Type", "application/json"), "{\"window\":\"month\",\"cap\":10}".getBytes()).status());
        LedgerClient.Reply first = reserve(client, "burst-keys", "ana", "4", "gw-1:call-42");
        assertEquals(201, first.status(), first.raw().body());
        assertTrue(first.raw().headers().firstValue("Idempotent-Replayed").isEmpty());
        LedgerClient.Reply again = reserve(client, "burst-keys", "ana", "4", "gw-1:call-42");
        assertEquals(201, again.status(), again.raw().body());
        assertEquals("true", again.raw().headers().firstValue("Idempotent-Replayed").orElse(""));
        assertEquals(first.body().get("reservation_id"), again.body().get("reservation_id"));
        JsonNode org = client.post("/v1/budget/workspaces/burst-keys/check", "application/json",
                "{\"user\":\"ana\",\"estimate_credits\":0}").body().get("binding_level");
        assertEquals(0, new BigDecimal("4").compareTo(new BigDecimal(org.get("reserved").asText())), org.toString());

        LedgerClient.Reply conflict = reserve(client, "burst-keys", "ana", "5", "gw-1:call-42");
        assertEquals(409, conflict.status(), conflict.raw().body());
        assertEquals("Idempotency-Key", conflict.body().get("field").asText(), conflict.raw().body());
        assertEquals(first.body().get("reservation_id").asText(), conflict.body().get("reservation_id").asText());
        LedgerClient.Reply bad = reserve(client, "burst-keys", "ana", "1", "has space");
        assertEquals(400, bad.status(), bad.raw().body());
        assertEquals("Idempotency-Key", bad.body().get("field").asText(), bad.raw().body());
        LedgerClient.Reply both = client.send("POST", "/v1/budget/workspaces/burst-keys/reservations",
                Map.of("Content-Type", "application/json", "Idempotency-Key", "a"),
                "{\"user\":\"ana\",\"estimate_credits\":1,\"idempotency_key\":\"b\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, both.status(), both.raw().body());
        assertEquals("idempotency_key", both.body().get("field").asText(), both.raw().body());
    }
}

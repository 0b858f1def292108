package dev.codexledger.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A budget that cannot be decided in time — here its entity cannot recover because Cassandra is down —
 * is answered per the failure policy, and the answer says which: fail-closed by default, fail-open when
 * configured. A budget already in memory still decides: checks never read Cassandra.
 */
class BudgetOutageIT {

    @Test
    void anUnreachableBudgetIsFailClosedByDefaultOrFailOpenWhenConfigured() throws Exception {
        LocalCassandra cassandra = SharedCassandra.startNode("budget-outage");
        LedgerNode.Running strict = TestNodes.start(cassandra.contactPoint(), TestNodes.newKeyspace("budget_closed"),
                Map.of("ledger.cassandra.request-timeout", "2s"));
        LedgerNode.Running lenient = TestNodes.start(cassandra.contactPoint(), TestNodes.newKeyspace("budget_open"),
                Map.of("ledger.cassandra.request-timeout", "2s", "ledger.budget.failure-policy", "fail-open"));
        try {
            LedgerClient closed = new LedgerClient(strict.httpAddress(), TestNodes.ADMIN_KEY);
            LedgerClient open = new LedgerClient(lenient.httpAddress(), TestNodes.ADMIN_KEY);
            assertEquals(200, closed.send("PUT", "/v1/admin/workspaces/warm/budgets/org", Map.of("Content-Type",
                    "application/json"), "{\"window\":\"day\",\"cap\":5}".getBytes()).status());

            cassandra.close();

            JsonNode warm = check(closed, "warm");
            assertTrue(warm.get("allowed").asBoolean(), "decided from memory: " + warm);
            assertEquals("budget", warm.get("decided_by").asText());

            JsonNode cold = check(closed, "cold");
            assertFalse(cold.get("allowed").asBoolean(), cold.toString());
            assertEquals("policy:fail-closed", cold.get("decided_by").asText());
            LedgerClient.Reply gate = closed.send("GET", "/v1/budget/forward-auth", Map.of("X-Ledger-Workspace",
                    "cold", "X-Ledger-User", "ana"), null);
            assertEquals(429, gate.status(), gate.raw().body());
            assertEquals("policy:fail-closed", gate.raw().headers().firstValue("X-Budget-Decided-By").orElseThrow());
            LedgerClient.Reply reserve = closed.post("/v1/budget/workspaces/cold/reservations", "application/json",
                    "{\"user\":\"ana\",\"estimate_credits\":1}");
            assertEquals(503, reserve.status(), reserve.raw().body());
            assertTrue(reserve.raw().headers().firstValue("Retry-After").isPresent());

            JsonNode lenientCold = check(open, "cold");
            assertTrue(lenientCold.get("allowed").asBoolean(), lenientCold.toString());
            assertEquals("policy:fail-open", lenientCold.get("decided_by").asText());
            LedgerClient.Reply openGate = open.send("GET", "/v1/budget/forward-auth", Map.of("X-Ledger-Workspace",
                    "cold", "X-Ledger-User", "ana"), null);
            assertEquals(200, openGate.status(), openGate.raw().body());
            assertEquals("policy:fail-open", openGate.raw().headers().firstValue("X-Budget-Decided-By").orElseThrow());
        } finally {
            strict.stop();
            lenient.stop();
            cassandra.close();
            SharedCassandra.deleteRecursively(cassandra.dataDir());
        }
    }

    private static JsonNode check(LedgerClient client, String workspace) {
        LedgerClient.Reply reply = client.post("/v1/budget/workspaces/" + workspace + "/check", "application/json",
                "{\"user\":\"ana\",\"estimate_credits\":1}");
        assertEquals(200, reply.status(), reply.raw().body());
        return reply.body();
    }
}

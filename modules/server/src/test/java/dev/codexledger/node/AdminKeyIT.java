package dev.codexledger.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import dev.codexledger.workspace.Digest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** With no LEDGER_ADMIN_KEY, the first start generates a key, shows it once and keeps only its hash. */
@ExtendWith(SharedCassandra.class)
class AdminKeyIT {

    @Test
    void theGeneratedKeyIsShownOnceStoredHashedAndKeepsWorking() throws Exception {
        String keyspace = TestNodes.newKeyspace("adminkey");
        Map<String, Object> noKey = Map.of("ledger.auth.admin-key", "");
        LedgerNode.Running first = TestNodes.start(SharedCassandra.contactPoint(), keyspace, noKey);
        String key;
        try {
            assertTrue(first.generatedAdminKey().isPresent(), "first start generates a key");
            key = first.generatedAdminKey().get();
            assertEquals(200, new LedgerClient(first.httpAddress(), key).get("/v1/workspaces/w/records").status());
        } finally {
            first.stop();
        }
        try (CqlSession session = CqlSession.builder().addContactPoint(SharedCassandra.contactPoint())
                .withLocalDatacenter("datacenter1").build()) {
            List<Row> rows = session.execute("SELECT * FROM " + keyspace + ".access_keys").all();
            assertEquals(1, rows.size());
            assertEquals(Digest.sha256(key), Digest.of(com.datastax.oss.protocol.internal.util.Bytes.getArray(
                    rows.get(0).getByteBuffer("secret_hash"))), "only the hash is stored");
            assertEquals("*", rows.get(0).getString("workspace"), "org-wide");
            for (var column : rows.get(0).getColumnDefinitions()) {
                Object value = rows.get(0).getObject(column.getName());
                assertTrue(value == null || !value.toString().contains(key), "the secret is in no column");
            }
        }
        LedgerNode.Running second = TestNodes.start(SharedCassandra.contactPoint(), keyspace, noKey);
        try {
            assertTrue(second.generatedAdminKey().isEmpty(), "never shown again");
            assertEquals(200, new LedgerClient(second.httpAddress(), key).get("/v1/workspaces/w/records").status());
            assertEquals(401, new LedgerClient(second.httpAddress(), key + "x").get("/v1/workspaces/w/records").status());
        } finally {
            second.stop();
        }
        LedgerNode.Running configured = TestNodes.start(SharedCassandra.contactPoint(), keyspace,
                Map.of("ledger.auth.admin-key", "operator-chosen-key"));
        try {
            assertEquals(200, new LedgerClient(configured.httpAddress(), "operator-chosen-key")
                    .get("/v1/workspaces/w/records").status());
            assertEquals(401, new LedgerClient(configured.httpAddress(), key).get("/v1/workspaces/w/records").status(),
                    "a configured admin key replaces the generated one");
        } finally {
            configured.stop();
        }
    }
}

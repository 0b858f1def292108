package dev.codexledger.node;

import static dev.codexledger.testing.Records.array;
import static dev.codexledger.testing.Records.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.servererrors.UnavailableException;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.localcassandra.LocalCassandraRing;
import dev.codexledger.testing.CassandraRing;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.TestNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A ring of three real Cassandra nodes under a Ledger node whose keyspace has three replicas and which
 * reads and writes at LOCAL_QUORUM (its default): one Cassandra node is killed (SIGKILL) while records
 * are ingested — every batch is still acknowledged, before and after the others notice, and every
 * acknowledged record reads back at LOCAL_QUORUM while the node is down (a read at ALL cannot); the node
 * restarted on its folder and ports is up and normal again in every node's view, the driver's too, and
 * the records still read back.
 */
class CassandraRingIT {

    private static final String WORKSPACE = "ring";
    private static final String PATH = "/v1/workspaces/" + WORKSPACE + "/records";
    private static final Instant T0 = Instant.parse("2026-11-30T09:00:00Z");
    private static final int RECORDS_PER_BATCH = 20;

    private final AtomicInteger batches = new AtomicInteger();

    @Test
    void aRingOfThreeKeepsWritingAndReadingAtLocalQuorumWhileANodeIsDown() throws Exception {
        try (CassandraRing ring = CassandraRing.start(3); CqlSession session = ring.session()) {
            assertRingUp(ring);
            CassandraRing.awaitDriverSees(session, 3, 3, Duration.ofSeconds(30));

            String keyspace = TestNodes.newKeyspace("ring");
            LedgerNode.Running node = TestNodes.start(ring.contactPoints(), keyspace,
                    Map.of("ledger.cassandra.replication", CassandraRing.RF3));
            try {
                LedgerClient client = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
                assertEquals("3", session.execute(SimpleStatement.newInstance(
                                "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?", keyspace))
                        .one().getMap("replication", String.class, String.class).get("replication_factor"));
                for (int i = 0; i < 5; i++) {
                    ingest(client);
                }

                LocalCassandraRing.Node victim = ring.node(3);
                long pid = victim.pid();
                long killedAt = System.nanoTime();
                victim.kill();
                assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "SIGKILLed");
                // writes go on while the others still think it is up (~19 s) and once they know it is down
                Eventually.until(Duration.ofMinutes(2), Duration.ofMillis(200), () -> {
                    ingest(client);
                    return seenDownByAllOthers(ring, victim);
                }, down -> down);
                log("node 3 SIGKILLed; the others saw it down after %d ms; %d batches acknowledged meanwhile",
                        millisSince(killedAt), batches.get() - 5);
                for (int i = 0; i < 5; i++) {
                    ingest(client);
                }
                assertAllAcknowledgedReadBack(client);
                assertThrows(UnavailableException.class, () -> session.execute(SimpleStatement
                        .newInstance("SELECT seq FROM " + keyspace + ".records LIMIT 1")
                        .setConsistencyLevel(DefaultConsistencyLevel.ALL)), "ALL needs the node that is down");

                long restartedAt = System.nanoTime();
                victim.restart();
                assertTrue(victim.pid() != pid && victim.isRunning(), "a new process on the same folder");
                long cqlAfter = millisSince(restartedAt);
                ring.awaitAllUp(Duration.ofMinutes(2));
                log("node 3 restarted: CQL after %d ms, UN in every node's view after %d ms", cqlAfter,
                        millisSince(restartedAt));
                CassandraRing.awaitDriverSees(session, 3, 3, Duration.ofSeconds(60));
                ingest(client);
                assertAllAcknowledgedReadBack(client);
            } finally {
                node.stop();
            }
        }
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    private static void log(String format, Object... args) {
        System.out.println("CassandraRingIT: " + String.format(format, args));
    }

    private static void assertRingUp(CassandraRing ring) throws Exception {
        Set<String> endpoints = new HashSet<>();
        Set<Long> pids = new HashSet<>();
        for (LocalCassandraRing.Node node : ring.nodes()) {
            endpoints.add(node.endpoint());
            pids.add(node.pid());
            assertTrue(node.isRunning(), node.toString());
        }
        assertEquals(3, endpoints.size(), "each node its own storage port");
        assertEquals(3, pids.size(), "each node its own JVM");
        for (LocalCassandraRing.Node node : ring.nodes()) {
            assertEquals(endpoints, node.view().upAndNormal(), "node " + node.number() + " sees all three UN");
        }
    }

    private static boolean seenDownByAllOthers(CassandraRing ring, LocalCassandraRing.Node down) throws Exception {
        for (LocalCassandraRing.Node node : ring.nodes()) {
            if (node != down && !node.view().unreachable().contains(down.endpoint())) {
                return false;
            }
        }
        return true;
    }

    /** One batch of new records; it must be acknowledged at once, with no retry. */
    private void ingest(LedgerClient client) {
        int batch = batches.getAndIncrement();
        List<String> records = new ArrayList<>();
        for (int i = 0; i < RECORDS_PER_BATCH; i++) {
            records.add(record("ring-" + batch + "-" + i, "user-" + (i % 4), T0.plusSeconds(batch),
                    "batch " + batch + " record " + i));
        }
        LedgerClient.Reply reply = client.post(PATH, "application/json", array(records.toArray(String[]::new)));
        assertEquals(200, reply.status(), "batch " + batch + ": " + reply.raw().body());
        assertEquals(RECORDS_PER_BATCH, reply.body().get("accepted").asInt(), reply.raw().body());
        assertEquals((long) (batch + 1) * RECORDS_PER_BATCH, reply.body().get("last_seq").asLong());
    }

    /** Every acknowledged record, in sequence order, through the records API (reads at LOCAL_QUORUM). */
    private void assertAllAcknowledgedReadBack(LedgerClient client) {
        List<Long> seqs = new ArrayList<>();
        String cursor = null;
        do {
            LedgerClient.Reply page = client.get(PATH + "?limit=1000" + (cursor == null ? "" : "&cursor=" + cursor));
            assertEquals(200, page.status(), page.raw().body());
            for (JsonNode record : page.body().get("records")) {
                seqs.add(record.get("seq").asLong());
            }
            cursor = page.body().get("next_cursor").isNull() ? null : page.body().get("next_cursor").asText();
        } while (cursor != null);
        long acknowledged = (long) batches.get() * RECORDS_PER_BATCH;
        assertEquals(acknowledged, seqs.size(), "every acknowledged record");
        for (int i = 0; i < seqs.size(); i++) {
            assertEquals(i + 1, seqs.get(i), "gap-free");
        }
    }
}

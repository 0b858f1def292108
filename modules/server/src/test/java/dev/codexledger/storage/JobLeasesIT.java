package dev.codexledger.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Background-job leases against a real Cassandra's lightweight transactions and TTLs. */
@ExtendWith(SharedCassandra.class)
class JobLeasesIT {

    private static TestNodes.Schema schema;
    private static CqlSession session;
    private static String keyspace;

    @BeforeAll
    static void start() {
        schema = TestNodes.newSchema("leases", Duration.ofDays(1));
        session = schema.session();
        keyspace = schema.keyspace();
    }

    @AfterAll
    static void stop() {
        schema.close();
    }

    @Test
    void ofNodesSweepingAtOnceExactlyOneRunsTheJob() throws Exception {
        List<JobLeases> nodes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            nodes.add(new JobLeases(session, keyspace, "node-" + i, Duration.ofSeconds(30)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int job = 0; job < 10; job++) {
                String id = "ws/erasure_" + job;
                List<Future<Optional<JobLeases.Lease>>> tries = new ArrayList<>();
                for (JobLeases node : nodes) {
                    tries.add(pool.submit((Callable<Optional<JobLeases.Lease>>) () -> node.take("erasure", id)));
                }
                List<JobLeases.Lease> won = new ArrayList<>();
                for (Future<Optional<JobLeases.Lease>> attempt : tries) {
                    attempt.get().ifPresent(won::add);
                }
                assertEquals(1, won.size(), "job " + id + " taken by " + won.size() + " nodes");
                won.get(0).close();
            }
        } finally {
            pool.shutdownNow();
            nodes.forEach(JobLeases::close);
        }
    }

    @Test
    void aLeaseIsKeptWhileRenewedAndFreeOnceDropped() throws Exception {
        try (JobLeases a = new JobLeases(session, keyspace, "a", Duration.ofSeconds(3));
             JobLeases b = new JobLeases(session, keyspace, "b", Duration.ofSeconds(3))) {
            JobLeases.Lease held = a.take("hold", "ws/hold_1").orElseThrow();
            // renewed every second: still a's after three lease lengths
            long until = System.nanoTime() + Duration.ofSeconds(9).toNanos();
            while (System.nanoTime() < until) {
                assertTrue(b.take("hold", "ws/hold_1").isEmpty(), "b took a lease a keeps renewing");
                Thread.sleep(500);
            }
            assertTrue(held.stillHeld());
            held.close();
            JobLeases.Lease taken = b.take("hold", "ws/hold_1").orElseThrow();
            taken.close();
        }
    }

    @Test
    void aDeadRunnersLeaseExpiresAndItsLateOutcomeIsRefused() throws Exception {
        try (JobLeases dead = new JobLeases(session, keyspace, "dead", Duration.ofSeconds(3));
             JobLeases next = new JobLeases(session, keyspace, "next", Duration.ofSeconds(3))) {
            JobLeases.Lease zombie = dead.take("erasure", "ws/erasure_z").orElseThrow();
            dead.close(); // its renewals stop, as when the node dies or freezes
            assertTrue(next.take("erasure", "ws/erasure_z").isEmpty());
            JobLeases.Lease taken = Eventually.until(Duration.ofSeconds(15), Duration.ofMillis(250),
                    () -> next.take("erasure", "ws/erasure_z"), Optional::isPresent).orElseThrow();
            // the frozen runner wakes: it must not record the job's outcome, nor free the new lease
            assertFalse(zombie.stillHeld());
            zombie.close();
            assertTrue(taken.stillHeld());
            taken.close();
        }
    }
}

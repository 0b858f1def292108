package dev.codexledger.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.codexledger.storage.CassandraWriterFence;
import dev.codexledger.testing.SerializationChecks;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two live incarnations of one workspace's budget, as after a node frozen long enough to be downed wakes
 * up while another node already runs the budget: the real Cassandra journal and the real fence
 * ({@code budget_writers}). The old incarnation's grant after the new one claimed is never answered, the
 * new one counts everything the old one answered, and a later recovery holds exactly what was answered.
 */
@ExtendWith(SharedCassandra.class)
class BudgetFenceIT {

    private static ActorTestKit testKit;
    private static TestNodes.Schema schema;
    private static CqlSession session;
    private static String keyspace;

    @BeforeAll
    static void start() {
        schema = TestNodes.newSchema("budgetfence", Duration.ofDays(30));
        session = schema.session();
        keyspace = schema.keyspace();
        testKit = TestNodes.journalTestKit("budgetfence", schema);
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
        schema.close();
        SerializationChecks.assertNoneFailed();
    }

    private static WorkspaceBudget.Settings settings(String node) {
        return new WorkspaceBudget.Settings(ZoneId.of("UTC"), Duration.ofMinutes(30), Duration.ofHours(1),
                Clock.systemUTC(), new BudgetViews(), BudgetAlerts.NONE, UsageSource.NONE,
                new CassandraWriterFence(session, keyspace, "budget_writers", node),
                new dev.codexledger.storage.CassandraForkRepair(session, testKit.system()));
    }

    private static long credits(double credits) {
        return Math.round(credits * 1_000_000);
    }

    private static ReserveResult reserve(ActorRef<WorkspaceBudget.Command> budget, TestProbe<ReserveResult> probe,
                                         double estimate) {
        budget.tell(new WorkspaceBudget.Reserve("ana", credits(estimate), Optional.empty(), probe.ref()));
        return probe.receiveMessage(Duration.ofSeconds(20));
    }

    private static BudgetBook.Level org(ActorRef<WorkspaceBudget.Command> budget) {
        TestProbe<BudgetStatus> probe = testKit.createTestProbe();
        budget.tell(new WorkspaceBudget.GetStatus(probe.ref()));
        return probe.receiveMessage(Duration.ofSeconds(20)).levels().stream()
                .filter(level -> level.key().equals(BudgetSpec.ORG)).findFirst().orElseThrow();
    }

    @Test
    void theOldIncarnationCannotGrantOnceTheNewOneHasClaimedTheBudget() {
        String workspace = "shared-budget";
        ActorRef<WorkspaceBudget.Command> old = testKit.spawn(WorkspaceBudget.create(workspace, settings("node-a")), "old");
        TestProbe<StatusReply<Done>> admin = testKit.createTestProbe();
        old.tell(new WorkspaceBudget.SetBudget(
                new BudgetSpec(BudgetSpec.ORG, BudgetWindow.MONTH, credits(100), List.of(), null), admin.ref()));
        assertTrue(admin.receiveMessage(Duration.ofSeconds(20)).isSuccess());
        TestProbe<ReserveResult> gatewayOfOld = testKit.createTestProbe();
        assertInstanceOf(ReserveResult.Reserved.class, reserve(old, gatewayOfOld, 60));

        // another node recovers the budget (the old one's node was downed) and claims it
        ActorRef<WorkspaceBudget.Command> next = testKit.spawn(WorkspaceBudget.create(workspace, settings("node-b")), "next");
        assertEquals(credits(60), org(next).reservedMicros()); // it recovered the old one's grant
        awaitEpoch(workspace, 2);

        // the old incarnation wakes up and grants from what it knows: its write is refused by the fence
        old.tell(new WorkspaceBudget.Reserve("ana", credits(30), Optional.empty(), gatewayOfOld.ref()));
        gatewayOfOld.expectNoMessage(Duration.ofSeconds(2));
        testKit.createTestProbe().expectTerminated(old, Duration.ofSeconds(20));

        // the new owner counts the 60 the old one granted and nothing of the 30 it never answered
        TestProbe<ReserveResult> gateway = testKit.createTestProbe();
        assertInstanceOf(ReserveResult.Reserved.class, reserve(next, gateway, 40));
        assertInstanceOf(ReserveResult.Denied.class, reserve(next, gateway, 1));
        testKit.stop(next, Duration.ofSeconds(20));

        // Two events at seq 3 now: the old one's, never answered, written first, and the new one's. The
        // journal's replay stops at the highest seq, so it returns the first written: a later recovery finds
        // the old one's event where the fence holds the new one's, mends the journal, and stops.
        assertEquals(2, eventsAt(workspace, 3));
        ActorRef<WorkspaceBudget.Command> later = testKit.spawn(WorkspaceBudget.create(workspace, settings("node-c")),
                "later");
        testKit.createTestProbe().expectTerminated(later, Duration.ofSeconds(20));
        assertEquals(1, eventsAt(workspace, 3));

        // the next start holds exactly what was answered: 60 + 40
        ActorRef<WorkspaceBudget.Command> again = testKit.spawn(WorkspaceBudget.create(workspace, settings("node-c")),
                "again");
        assertEquals(credits(100), org(again).reservedMicros());
        assertInstanceOf(ReserveResult.Denied.class, reserve(again, gateway, 1));
        again.tell(new WorkspaceBudget.SetMember("bob", Optional.empty(), admin.ref())); // and it writes (is fenced) again
        assertTrue(admin.receiveMessage(Duration.ofSeconds(20)).isSuccess());
    }

    private static int eventsAt(String workspace, long seq) {
        return session.execute(session.prepare("SELECT timestamp FROM " + keyspace + ".messages WHERE persistence_id = ?"
                + " AND partition_nr = 0 AND sequence_nr = ?").bind("WorkspaceBudget|" + workspace, seq)
                .setConsistencyLevel(com.datastax.oss.driver.api.core.ConsistencyLevel.QUORUM)).all().size();
    }

    private static void awaitEpoch(String workspace, long epoch) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            Row row = session.execute(session.prepare("SELECT epoch FROM " + keyspace
                    + ".budget_writers WHERE workspace = ?").bind(workspace)
                    .setConsistencyLevel(com.datastax.oss.driver.api.core.ConsistencyLevel.SERIAL)).one();
            if (row != null && row.getLong("epoch") >= epoch) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new AssertionError("the budget was never claimed at epoch " + epoch);
    }
}

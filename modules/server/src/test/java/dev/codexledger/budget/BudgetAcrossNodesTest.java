package dev.codexledger.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.codexledger.testing.TwoNodes;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The budget's commands and replies between two real nodes: a gateway's request taken by a node that does
 * not host the workspace's budget is decided there and answered back over Artery.
 */
class BudgetAcrossNodesTest {

    private static final Duration ASK = Duration.ofSeconds(20);
    private static final long CREDIT = 1_000_000;
    private static final Duration TWO_MINUTES = Duration.ofMinutes(2);

    private static TwoNodes nodes;

    @BeforeAll
    static void start() {
        nodes = TwoNodes.start("budget-across");
        WorkspaceBudget.Settings settings = new WorkspaceBudget.Settings(ZoneId.of("UTC"), Duration.ofMinutes(5),
                Duration.ofHours(1), Clock.systemUTC(), new BudgetViews(), BudgetAlerts.NONE, UsageSource.NONE);
        for (var kit : List.of(nodes.host(), nodes.client())) {
            ClusterSharding.get(kit.system()).init(Entity.of(WorkspaceBudget.ENTITY_TYPE_KEY,
                    entity -> WorkspaceBudget.create(entity.getEntityId(), settings)).withRole(TwoNodes.HOST_ROLE));
        }
    }

    @AfterAll
    static void stop() {
        nodes.close();
    }

    private static <T> T ask(Function<ActorRef<T>, WorkspaceBudget.Command> command) throws Exception {
        EntityRef<WorkspaceBudget.Command> budget = ClusterSharding.get(nodes.client().system())
                .entityRefFor(WorkspaceBudget.ENTITY_TYPE_KEY, "acme");
        return budget.ask(command::apply, ASK).toCompletableFuture().get(ASK.toSeconds(), TimeUnit.SECONDS);
    }

    /** A change's answer, Pekko's StatusReply. */
    private static StatusReply<Done> change(Function<ActorRef<StatusReply<Done>>, WorkspaceBudget.Command> command)
            throws Exception {
        return ask(command);
    }

    @Test
    void everyCommandCrossesAndItsReplyComesBack() throws Exception {
        StatusReply<Done> ok = StatusReply.ack();
        BudgetSpec eng = new BudgetSpec(BudgetSpec.team("eng"), BudgetWindow.MONTH, 10 * CREDIT, List.of(50), null);
        assertEquals(ok, change(r -> new WorkspaceBudget.SetBudget(eng, r)));
        assertEquals(ok, change(r -> new WorkspaceBudget.SetMember("ana", Optional.of("eng"), r)));
        assertEquals(ok, change(r -> new WorkspaceBudget.SetSpendFrom("settlements", r)));

        ReserveResult reserved = ask(r -> new WorkspaceBudget.Reserve("ana", 4 * CREDIT, Optional.of(TWO_MINUTES), r));
        var held = assertInstanceOf(ReserveResult.Reserved.class, reserved);
        assertEquals(6 * CREDIT, held.decision().binding().remainingMicros(), "the reservation counted");
        ReserveResult denied = ask(r -> new WorkspaceBudget.Reserve("ana", 7 * CREDIT, Optional.empty(), r));
        assertInstanceOf(ReserveResult.Denied.class, denied);
        BudgetBook.Decision check = ask(r -> new WorkspaceBudget.Check("ana", 7 * CREDIT, r));
        assertFalse(check.allowed());
        assertEquals(BudgetSpec.team("eng"), check.binding().key());

        assertEquals(ok, change(r -> new WorkspaceBudget.Settle(held.id(), 6 * CREDIT, r)));
        assertTrue(change(r -> new WorkspaceBudget.Release(held.id(), r)).isError(), "an error reply crosses too");
        ClusterSharding.get(nodes.client().system()).entityRefFor(WorkspaceBudget.ENTITY_TYPE_KEY, "acme")
                .tell(new WorkspaceBudget.ReportUsage(1, 1, List.of(new WorkspaceBudget.SeqUsage(1, "ana", 1, 0))));

        BudgetStatus status = ask(WorkspaceBudget.GetStatus::new);
        assertEquals(Map.of("ana", "eng"), status.members());
        assertEquals(6 * CREDIT, status.levels().get(0).spentMicros(), "the settlement");
        assertEquals(List.of("team:eng@50%"), status.firedThisWindow());
        assertEquals(1, status.countedThroughSeq(), "the told report arrived before the status was asked");
        assertEquals(ok, change(r -> new WorkspaceBudget.RemoveBudget(eng.key(), r)));
    }
}

package dev.codexledger.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.codexledger.testing.SerializationChecks;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.WriterFence;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The budget's answers wait for the writer fence (Pekko's in-memory journal, a fence the test decides):
 * nothing granted is answered before the fence holds its write, one fence update covers the writes done
 * while it is in flight, and a budget fenced off answers nothing more and stops. Against Cassandra's
 * fence with two live incarnations: {@link BudgetFenceIT}.
 */
class BudgetFenceTest {

    private final ActorTestKit testKit = ActorTestKit.create(WorkspaceBudgetTest.CONFIG);
    private final org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit journal =
            org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit.create(testKit.system());
    private final HeldFence fence = new HeldFence();
    private final WorkspaceBudget.Settings settings = new WorkspaceBudget.Settings(ZoneId.of("UTC"),
            Duration.ofMinutes(5), Duration.ofHours(1),
            new WorkspaceBudgetTest.ManualClock(Instant.parse("2026-12-07T10:00:00Z")), new BudgetViews(),
            BudgetAlerts.NONE, UsageSource.NONE, fence, dev.codexledger.workspace.ForkRepair.NONE);

    {
        SerializationChecks.watch(testKit.system());
    }

    @AfterEach
    void stop() {
        testKit.shutdownTestKit();
        SerializationChecks.assertNoneFailed();
    }

    /** A fence whose claims and advances complete when the test says so. */
    static final class HeldFence implements WriterFence {
        record Call(String kind, long seq, long epoch, CompletableFuture<Object> result) {}

        final LinkedBlockingQueue<Call> calls = new LinkedBlockingQueue<>();

        @Override
        @SuppressWarnings("unchecked")
        public CompletionStage<Long> claim(String workspace, long recoveredSeq, Digest recoveredHead) {
            CompletableFuture<Object> result = new CompletableFuture<>();
            calls.add(new Call("claim", recoveredSeq, 0, result));
            return result.thenApply(epoch -> (Long) epoch);
        }

        @Override
        public CompletionStage<Void> advance(String workspace, long epoch, long throughSeq, Digest head) {
            CompletableFuture<Object> result = new CompletableFuture<>();
            calls.add(new Call("advance", throughSeq, epoch, result));
            return result.thenApply(done -> null);
        }

        Call next(String kind) throws InterruptedException {
            Call call = calls.poll(10, TimeUnit.SECONDS);
            assertTrue(call != null, "no " + kind + " of the fence");
            assertEquals(kind, call.kind());
            return call;
        }
    }

    private static long credits(double credits) {
        return Math.round(credits * 1_000_000);
    }

    private void setOrg(ActorRef<WorkspaceBudget.Command> budget, TestProbe<StatusReply<Done>> probe) {
        budget.tell(new WorkspaceBudget.SetBudget(
                new BudgetSpec(BudgetSpec.ORG, BudgetWindow.MONTH, credits(100), List.of(), null), probe.ref()));
    }

    private void reserve(ActorRef<WorkspaceBudget.Command> budget, TestProbe<ReserveResult> probe, double estimate) {
        budget.tell(new WorkspaceBudget.Reserve("ana", credits(estimate), Optional.empty(), probe.ref()));
    }

    /** The budget claims (epoch 1) and gets an org budget of 100 credits, fenced. */
    private void claimWithOrg(ActorRef<WorkspaceBudget.Command> budget) throws InterruptedException {
        fence.next("claim").result().complete(1L);
        TestProbe<StatusReply<Done>> admin = testKit.createTestProbe();
        setOrg(budget, admin);
        fence.next("advance").result().complete(null);
        assertTrue(admin.receiveMessage(Duration.ofSeconds(5)).isSuccess());
    }

    @Test
    void answersWaitForTheClaimAndTheFenceAndOneUpdateCoversTheWritesDoneMeanwhile() throws Exception {
        var budget = testKit.spawn(WorkspaceBudget.create("fenced", settings));
        HeldFence.Call claim = fence.next("claim");
        assertEquals(0, claim.seq()); // recovered nothing
        TestProbe<StatusReply<Done>> admin = testKit.createTestProbe();
        setOrg(budget, admin);
        admin.expectNoMessage(Duration.ofMillis(300));
        journal.expectNothingPersisted("WorkspaceBudget|fenced"); // nothing is written before the claim
        claim.result().complete(7L);
        HeldFence.Call first = fence.next("advance");
        assertEquals(7, first.epoch());
        assertEquals(1, first.seq());
        admin.expectNoMessage(Duration.ofMillis(200)); // the fence does not hold the write yet

        TestProbe<ReserveResult> gateway = testKit.createTestProbe();
        reserve(budget, gateway, 10); // decided and written (seq 2) while the first update is in flight
        gateway.expectNoMessage(Duration.ofMillis(300));
        reserve(budget, gateway, 20); // and another write (seq 3)
        gateway.expectNoMessage(Duration.ofMillis(300));
        first.result().complete(null);
        assertTrue(admin.receiveMessage(Duration.ofSeconds(5)).isSuccess());
        HeldFence.Call second = fence.next("advance");
        assertEquals(3, second.seq()); // one update covers both writes done meanwhile
        gateway.expectNoMessage(Duration.ofMillis(200));
        second.result().complete(null);
        assertInstanceOf(ReserveResult.Reserved.class, gateway.receiveMessage(Duration.ofSeconds(5)));
        assertInstanceOf(ReserveResult.Reserved.class, gateway.receiveMessage(Duration.ofSeconds(5)));
        assertTrue(fence.calls.isEmpty(), "no more fence updates: " + fence.calls);

        // a denial needs no write, so it is answered at once, whatever the fence is doing
        reserve(budget, gateway, 90);
        assertInstanceOf(ReserveResult.Denied.class, gateway.receiveMessage(Duration.ofSeconds(5)));
    }

    @Test
    void aBudgetFencedOffAnswersNothingMoreAndStops() throws Exception {
        var budget = testKit.spawn(WorkspaceBudget.create("zombie", settings));
        claimWithOrg(budget);

        TestProbe<ReserveResult> gateway = testKit.createTestProbe();
        reserve(budget, gateway, 10);
        HeldFence.Call advance = fence.next("advance");
        advance.result().completeExceptionally(new WriterFence.Refused("claimed by a newer writer"));
        gateway.expectNoMessage(Duration.ofMillis(500)); // its write may not count: no grant
        testKit.createTestProbe().expectTerminated(budget, Duration.ofSeconds(5));
    }

    @Test
    void aRefusedClaimStopsTheBudgetBeforeItAnswersAnything() throws Exception {
        var budget = testKit.spawn(WorkspaceBudget.create("behind", settings));
        TestProbe<StatusReply<Done>> admin = testKit.createTestProbe();
        setOrg(budget, admin);
        fence.next("claim").result().completeExceptionally(
                new WriterFence.Refused("recovered through seq 0 but seq 3 was already acknowledged"));
        admin.expectNoMessage(Duration.ofMillis(500));
        testKit.createTestProbe().expectTerminated(budget, Duration.ofSeconds(5));
        // a recovery behind what was acknowledged wrote nothing that could push the acknowledged event out
        journal.expectNothingPersisted("WorkspaceBudget|behind");
    }

    @Test
    void aRetryUnderAnIdempotencyKeyIsAnsweredOnlyOnceTheFenceHoldsTheLastWrite() throws Exception {
        var budget = testKit.spawn(WorkspaceBudget.create("retried", settings));
        claimWithOrg(budget);
        TestProbe<ReserveResult> gateway = testKit.createTestProbe();
        budget.tell(new WorkspaceBudget.Reserve("ana", credits(10), Optional.empty(), Optional.of("call-1"), gateway.ref()));
        HeldFence.Call held = fence.next("advance"); // its write is done, its fence update is not
        budget.tell(new WorkspaceBudget.Reserve("ana", credits(10), Optional.empty(), Optional.of("call-1"), gateway.ref()));
        gateway.expectNoMessage(Duration.ofMillis(300)); // not the retry either: a zombie's grant is not answered
        held.result().complete(null);
        ReserveResult.Reserved first = assertInstanceOf(ReserveResult.Reserved.class, gateway.receiveMessage(Duration.ofSeconds(5)));
        ReserveResult.Reserved again = assertInstanceOf(ReserveResult.Reserved.class, gateway.receiveMessage(Duration.ofSeconds(5)));
        assertEquals(first.id(), again.id());
    }

    @Test
    void aStoppedBudgetAnswersItsLastWriteBeforeItStops() throws Exception {
        var budget = testKit.spawn(WorkspaceBudget.create("handed-off", settings));
        claimWithOrg(budget);
        TestProbe<ReserveResult> gateway = testKit.createTestProbe();
        reserve(budget, gateway, 10);
        HeldFence.Call held = fence.next("advance");
        budget.tell(WorkspaceBudget.Stop.INSTANCE); // sharding hands the budget off
        TestProbe<BudgetStatus> status = testKit.createTestProbe();
        Thread.sleep(300);
        budget.tell(new WorkspaceBudget.GetStatus(status.ref()));
        status.receiveMessage(Duration.ofSeconds(5)); // still there: it waits for its answers to go out
        gateway.expectNoMessage(Duration.ofMillis(100));
        held.result().complete(null);
        assertInstanceOf(ReserveResult.Reserved.class, gateway.receiveMessage(Duration.ofSeconds(5)));
        testKit.createTestProbe().expectTerminated(budget, Duration.ofSeconds(5));
    }
}

package dev.codexledger.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.codexledger.testing.SerializationChecks;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess$;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Group commit of the budget's changes, on Pekko's in-memory journal: changes decided while a write is in
 * flight go out together as one event, nothing is answered before its write, a crash between decision
 * and write grants nothing, a retry with the same idempotency key is not held twice, and checks are
 * answered while a write is in flight.
 */
class BudgetGroupCommitTest {

    private final ActorTestKit testKit = ActorTestKit.create(WorkspaceBudgetTest.CONFIG);
    private final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
    private final WorkspaceBudgetTest.ManualClock clock =
            new WorkspaceBudgetTest.ManualClock(Instant.parse("2026-11-22T22:00:00Z"));
    private final WorkspaceBudget.Settings settings = new WorkspaceBudget.Settings(ZoneId.of("UTC"),
            Duration.ofMinutes(5), Duration.ofHours(1), clock, new BudgetViews(), BudgetAlerts.NONE, UsageSource.NONE);
    /** Writes wait while closed (the journal's thread waits: a slow Cassandra). */
    private volatile CountDownLatch writes = new CountDownLatch(0);

    {
        SerializationChecks.watch(testKit.system());
        journal.withPolicy(new ProcessingPolicy<JournalOperation>() {
            @Override
            public ProcessingResult tryProcess(String persistenceId, JournalOperation operation) {
                if (operation instanceof WriteEvents) {
                    try {
                        if (!writes.await(20, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("the test never opened the journal");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return ProcessingSuccess$.MODULE$;
            }
        });
    }

    @AfterEach
    void stop() {
        writes.countDown();
        testKit.shutdownTestKit();
        SerializationChecks.assertNoneFailed();
    }

    private static long credits(double credits) {
        return Math.round(credits * 1_000_000);
    }

    private static String pid(String workspace) {
        return WorkspaceBudget.ENTITY_TYPE_KEY.name() + "|" + workspace;
    }

    private <T> T ask(ActorRef<WorkspaceBudget.Command> budget,
                      java.util.function.Function<ActorRef<T>, WorkspaceBudget.Command> command) {
        TestProbe<T> probe = testKit.createTestProbe();
        budget.tell(command.apply(probe.ref()));
        return probe.receiveMessage(Duration.ofSeconds(10));
    }

    private void org(ActorRef<WorkspaceBudget.Command> budget, double cap) {
        StatusReply<Done> done = ask(budget, r -> new WorkspaceBudget.SetBudget(
                new BudgetSpec(BudgetSpec.ORG, BudgetWindow.MONTH, credits(cap), List.of(), null), r));
        assertTrue(done.isSuccess());
    }

    private ReserveResult reserve(ActorRef<WorkspaceBudget.Command> budget, String user, double estimate, String key) {
        return ask(budget, r -> new WorkspaceBudget.Reserve(user, credits(estimate), Optional.empty(),
                Optional.ofNullable(key), r));
    }

    private BudgetBook.Level orgLevel(ActorRef<WorkspaceBudget.Command> budget) {
        BudgetBook.Decision decision = ask(budget, r -> new WorkspaceBudget.Check("anyone", 0, r));
        return decision.binding();
    }

    private void closeJournal() {
        writes = new CountDownLatch(1);
    }

    private void openJournal() {
        writes.countDown();
    }

    @Test
    void reservationsDecidedWhileAWriteIsInFlightAreWrittenTogetherAndNoneBeforeItsWrite() {
        var budget = testKit.spawn(WorkspaceBudget.create("group", settings));
        org(budget, 100);
        ReserveResult first = reserve(budget, "ana", 90, null);
        assertTrue(ask(budget, (ActorRef<StatusReply<Done>> r) -> new WorkspaceBudget.Settle(
                ((ReserveResult.Reserved) first).id(), credits(90.5), r)).isSuccess()); // 9.5 credits left
        int writesBefore = journal.persistedInStorage(pid("group")).size();

        closeJournal();
        List<TestProbe<ReserveResult>> gateways = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            TestProbe<ReserveResult> gateway = testKit.createTestProbe();
            gateways.add(gateway);
            budget.tell(new WorkspaceBudget.Reserve("user-" + i, credits(1), Optional.empty(), gateway.ref()));
        }
        gateways.get(0).expectNoMessage(Duration.ofMillis(500)); // its write waits: not granted yet
        openJournal();

        int granted = 0;
        for (TestProbe<ReserveResult> gateway : gateways) {
            if (gateway.receiveMessage(Duration.ofSeconds(10)) instanceof ReserveResult.Reserved) {
                granted++;
            }
        }
        assertEquals(9, granted, "9 whole credits fit in 9.5, decided one after the other");
        BudgetBook.Level org = orgLevel(budget);
        assertEquals(credits(9), org.reservedMicros());
        assertTrue(org.remainingMicros() >= 0, "settled + reserved never exceeds the cap");
        List<Object> written = journal.persistedInStorage(pid("group"));
        assertTrue(written.size() - writesBefore <= 2,
                "64 reservations at once: the first alone, the rest together (writes: " + (written.size() - writesBefore) + ")");
        long reservedEvents = written.subList(writesBefore, written.size()).stream()
                .mapToLong(event -> event instanceof BudgetEvent.Changes changes ? changes.events().size() : 1).sum();
        assertEquals(9, reservedEvents, "only grants are written; denials need no write");
    }

    @Test
    void aCrashBetweenDecisionAndWriteGrantsNothingAndARetryWithTheSameKeyIsHeldOnce() {
        var budget = testKit.spawn(WorkspaceBudget.create("crash", settings));
        org(budget, 10);
        journal.failNextPersisted(pid("crash"));
        TestProbe<ReserveResult> lost = testKit.createTestProbe();
        budget.tell(new WorkspaceBudget.Reserve("ana", credits(4), Optional.empty(), Optional.of("gw:call-1"), lost.ref()));
        lost.expectNoMessage(Duration.ofMillis(800)); // the write failed: the budget restarted, nothing answered

        assertEquals(0, orgLevel(budget).reservedMicros(), "nothing held that was not written");
        var retried = assertInstanceOf(ReserveResult.Reserved.class, reserve(budget, "ana", 4, "gw:call-1"));
        assertFalse(retried.replayed());
        var again = assertInstanceOf(ReserveResult.Reserved.class, reserve(budget, "ana", 4, "gw:call-1"));
        assertTrue(again.replayed());
        assertEquals(retried.id(), again.id());
        assertEquals(credits(4), orgLevel(budget).reservedMicros(), "held once however often it is asked");
    }

    @Test
    void aReservationWrittenWhoseAnswerWasLostIsFoundByItsKeyAfterARestart() {
        var budget = testKit.spawn(WorkspaceBudget.create("lost", settings));
        org(budget, 10);
        var held = assertInstanceOf(ReserveResult.Reserved.class, reserve(budget, "ana", 3, "gw:call-7"));
        testKit.stop(budget);
        var restarted = testKit.spawn(WorkspaceBudget.create("lost", settings));

        var retried = assertInstanceOf(ReserveResult.Reserved.class, reserve(restarted, "ana", 3, "gw:call-7"));
        assertTrue(retried.replayed());
        assertEquals(held.id(), retried.id());
        assertEquals(credits(3), orgLevel(restarted).reservedMicros());
        var conflict = assertInstanceOf(ReserveResult.KeyConflict.class, reserve(restarted, "ana", 5, "gw:call-7"));
        assertEquals(held.id(), conflict.reservationId());
        assertEquals(credits(3), orgLevel(restarted).reservedMicros());

        // settled, the key is free again: a new call may use it
        assertTrue(ask(restarted, (ActorRef<StatusReply<Done>> r) -> new WorkspaceBudget.Settle(held.id(),
                credits(2), r)).isSuccess());
        var fresh = assertInstanceOf(ReserveResult.Reserved.class, reserve(restarted, "ana", 5, "gw:call-7"));
        assertNotEquals(held.id(), fresh.id());
    }

    @Test
    void retriesOfAReservationNotYetWrittenAreAnsweredWithItAfterItsWrite() {
        var budget = testKit.spawn(WorkspaceBudget.create("retry", settings));
        org(budget, 10);
        closeJournal();
        TestProbe<ReserveResult> writing = testKit.createTestProbe(); // in flight
        budget.tell(new WorkspaceBudget.Reserve("bob", credits(1), Optional.empty(), Optional.of("gw:1"), writing.ref()));
        TestProbe<ReserveResult> first = testKit.createTestProbe();
        TestProbe<ReserveResult> second = testKit.createTestProbe();
        budget.tell(new WorkspaceBudget.Reserve("ana", credits(2), Optional.empty(), Optional.of("gw:2"), first.ref()));
        budget.tell(new WorkspaceBudget.Reserve("ana", credits(2), Optional.empty(), Optional.of("gw:2"), second.ref()));
        TestProbe<ReserveResult> conflict = testKit.createTestProbe();
        budget.tell(new WorkspaceBudget.Reserve("ana", credits(9), Optional.empty(), Optional.of("gw:2"), conflict.ref()));
        first.expectNoMessage(Duration.ofMillis(300));
        second.expectNoMessage(Duration.ofMillis(10));
        conflict.expectNoMessage(Duration.ofMillis(10)); // not even a conflict before the reservation is written
        openJournal();
        var held = assertInstanceOf(ReserveResult.Reserved.class, first.receiveMessage(Duration.ofSeconds(10)));
        var replay = assertInstanceOf(ReserveResult.Reserved.class, second.receiveMessage(Duration.ofSeconds(10)));
        assertEquals(held.id(), replay.id());
        assertTrue(replay.replayed());
        assertInstanceOf(ReserveResult.Reserved.class, writing.receiveMessage(Duration.ofSeconds(10)));
        assertEquals(held.id(), assertInstanceOf(ReserveResult.KeyConflict.class,
                conflict.receiveMessage(Duration.ofSeconds(10))).reservationId());
        assertEquals(credits(3), orgLevel(budget).reservedMicros());
    }

    @Test
    void aReservationEndedByAPendingChangeCannotBeSettledOrReleasedAgain() {
        var budget = testKit.spawn(WorkspaceBudget.create("ended", settings));
        org(budget, 10);
        var a = assertInstanceOf(ReserveResult.Reserved.class, reserve(budget, "ana", 2, null));
        closeJournal();
        TestProbe<ReserveResult> writing = testKit.createTestProbe(); // a write in flight: the rest wait behind it
        budget.tell(new WorkspaceBudget.Reserve("bob", credits(1), Optional.empty(), writing.ref()));
        TestProbe<StatusReply<Done>> settle = testKit.createTestProbe();
        TestProbe<StatusReply<Done>> again = testKit.createTestProbe();
        TestProbe<StatusReply<Done>> release = testKit.createTestProbe();
        budget.tell(new WorkspaceBudget.Settle(a.id(), credits(2), settle.ref()));
        budget.tell(new WorkspaceBudget.Settle(a.id(), credits(2), again.ref()));
        budget.tell(new WorkspaceBudget.Release(a.id(), release.ref()));
        openJournal();
        assertTrue(settle.receiveMessage(Duration.ofSeconds(10)).isSuccess());
        assertTrue(again.receiveMessage(Duration.ofSeconds(10)).isError(), "settled by the pending change before it");
        assertTrue(release.receiveMessage(Duration.ofSeconds(10)).isError());
        BudgetBook.Level org = orgLevel(budget);
        assertEquals(credits(2), org.spentMicros(), "spent once");
        assertEquals(credits(1), org.reservedMicros());
    }

    @Test
    void afterAFailedWriteReservationsStillExpire() {
        var budget = testKit.spawn(WorkspaceBudget.create("expiry", settings));
        org(budget, 10);
        assertInstanceOf(ReserveResult.Reserved.class, ask(budget, (ActorRef<ReserveResult> r) ->
                new WorkspaceBudget.Reserve("ana", credits(3), Optional.of(Duration.ofSeconds(30)), r)));
        journal.failNextPersisted(pid("expiry"));
        TestProbe<ReserveResult> lost = testKit.createTestProbe();
        budget.tell(new WorkspaceBudget.Reserve("bob", credits(1), Optional.empty(), lost.ref()));
        lost.expectNoMessage(Duration.ofMillis(800)); // restarted
        assertEquals(credits(3), orgLevel(budget).reservedMicros(), "recovered: the written one, not the failed one");
        clock.advance(Duration.ofSeconds(31));
        TestProbe<BudgetBook.Decision> probe = testKit.createTestProbe();
        probe.awaitAssert(Duration.ofSeconds(5), () -> {
            assertEquals(0, orgLevel(budget).reservedMicros(), "the expiry timer runs again after the restart");
            return null;
        });
    }

    @Test
    void settlementsAndReleasesDecidedTogetherFreeRoomForTheReservationsAfterThem() {
        var budget = testKit.spawn(WorkspaceBudget.create("order", settings));
        org(budget, 10);
        var a = assertInstanceOf(ReserveResult.Reserved.class, reserve(budget, "ana", 6, null));
        var b = assertInstanceOf(ReserveResult.Reserved.class, reserve(budget, "bob", 4, null));
        closeJournal();
        TestProbe<ReserveResult> writing = testKit.createTestProbe(); // denied at once: no room, nothing to write
        budget.tell(new WorkspaceBudget.Reserve("cy", credits(1), Optional.empty(), writing.ref()));
        assertInstanceOf(ReserveResult.Denied.class, writing.receiveMessage(Duration.ofSeconds(5)));
        TestProbe<StatusReply<Done>> settled = testKit.createTestProbe();
        TestProbe<StatusReply<Done>> released = testKit.createTestProbe();
        TestProbe<ReserveResult> fits = testKit.createTestProbe();
        TestProbe<ReserveResult> tooMuch = testKit.createTestProbe();
        budget.tell(new WorkspaceBudget.Settle(a.id(), credits(5), settled.ref())); // 6 reserved → 5 spent
        budget.tell(new WorkspaceBudget.Release(b.id(), released.ref()));           // 4 reserved → 0
        budget.tell(new WorkspaceBudget.Reserve("cy", credits(5), Optional.empty(), fits.ref()));
        budget.tell(new WorkspaceBudget.Reserve("dan", credits(0.5), Optional.empty(), tooMuch.ref()));
        fits.expectNoMessage(Duration.ofMillis(300));
        openJournal();
        assertTrue(settled.receiveMessage(Duration.ofSeconds(10)).isSuccess());
        assertTrue(released.receiveMessage(Duration.ofSeconds(10)).isSuccess());
        assertInstanceOf(ReserveResult.Reserved.class, fits.receiveMessage(Duration.ofSeconds(10)));
        assertInstanceOf(ReserveResult.Denied.class, tooMuch.receiveMessage(Duration.ofSeconds(10)));
        BudgetBook.Level org = orgLevel(budget);
        assertEquals(credits(5), org.spentMicros());
        assertEquals(credits(5), org.reservedMicros());
        StatusReply<Done> twice = ask(budget, r -> new WorkspaceBudget.Settle(a.id(), credits(5), r));
        assertTrue(twice.isError(), "a settlement counts once");
    }

    @Test
    void checksAreAnsweredByTheFrontWhileTheBudgetWaitsOnAWrite() {
        var budget = testKit.spawn(WorkspaceBudget.front("front", settings));
        org(budget, 10);
        assertInstanceOf(ReserveResult.Reserved.class, reserve(budget, "ana", 2, null));
        closeJournal();
        TestProbe<ReserveResult> writing = testKit.createTestProbe();
        budget.tell(new WorkspaceBudget.Reserve("bob", credits(3), Optional.empty(), writing.ref()));
        writing.expectNoMessage(Duration.ofMillis(300));
        // the journal stays closed until after this answer: had the check waited for the write, ask would fail
        BudgetBook.Decision decision = ask(budget, r -> new WorkspaceBudget.Check("cy", credits(1), r));
        assertTrue(decision.allowed());
        assertEquals(credits(5), decision.binding().reservedMicros(), "the book as it is, the write in flight counted");
        writing.expectNoMessage(Duration.ofMillis(10)); // and the reservation is still not answered
        openJournal();
        assertInstanceOf(ReserveResult.Reserved.class, writing.receiveMessage(Duration.ofSeconds(10)));
    }
}

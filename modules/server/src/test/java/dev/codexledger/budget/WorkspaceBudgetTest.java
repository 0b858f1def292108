package dev.codexledger.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.codexledger.testing.SerializationChecks;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Budget decisions of one workspace's entity, on Pekko's in-memory journal and snapshot store. */
class WorkspaceBudgetTest {

    /** Every message between actors goes through its serializer, as between nodes (not the entity's own). */
    static final Config CONFIG = ConfigFactory.parseString(
                    "pekko.actor.serialize-messages = on\npekko.actor.serialize-creators = off")
            .withFallback(EventSourcedBehaviorTestKit.config())
            .withFallback(ConfigFactory.parseResources("ledger-budget.conf"))
            .withFallback(ConfigFactory.defaultReference())
            .resolve();

    /** A clock the test moves. */
    static final class ManualClock extends Clock {
        private volatile Instant now;

        ManualClock(Instant start) {
            this.now = start;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final ActorTestKit testKit = ActorTestKit.create(CONFIG);
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-22T22:00:00Z"));
    private final WorkspaceBudget.Settings settings = new WorkspaceBudget.Settings(ZoneId.of("Europe/Berlin"),
            Duration.ofMinutes(5), Duration.ofHours(1), clock, new BudgetViews(), BudgetAlerts.NONE, UsageSource.NONE);
    private int entities;

    {
        SerializationChecks.watch(testKit.system());
    }

    /** Also fails a test whose messages were dropped for want of a wire format (serialize-messages is on). */
    @AfterEach
    void stop() {
        testKit.shutdownTestKit();
        SerializationChecks.assertNoneFailed();
    }

    private ActorRef<WorkspaceBudget.Command> budget() {
        return testKit.spawn(WorkspaceBudget.create("ws-" + (++entities), settings));
    }

    private static long credits(double credits) {
        return Math.round(credits * 1_000_000);
    }

    private <T> T ask(ActorRef<WorkspaceBudget.Command> budget,
                      java.util.function.Function<ActorRef<T>, WorkspaceBudget.Command> command) {
        TestProbe<T> probe = testKit.createTestProbe();
        budget.tell(command.apply(probe.ref()));
        return probe.receiveMessage(Duration.ofSeconds(5));
    }

    /** The reason a change was refused, null when it was made. */
    private static String error(StatusReply<Done> reply) {
        return reply.isError() ? reply.getError().getMessage() : null;
    }

    /** The reservation's id, null when denied. */
    private static String id(ReserveResult result) {
        return result instanceof ReserveResult.Reserved reserved ? reserved.id() : null;
    }

    private void set(ActorRef<WorkspaceBudget.Command> budget, String key, BudgetWindow window, double cap,
                     String parent, Integer... thresholds) {
        StatusReply<Done> done = ask(budget, r -> new WorkspaceBudget.SetBudget(
                new BudgetSpec(key, window, credits(cap), List.of(thresholds), parent), r));
        assertNull(error(done));
    }

    private void member(ActorRef<WorkspaceBudget.Command> budget, String user, String team) {
        assertNull(error(this.<StatusReply<Done>>ask(budget, r -> new WorkspaceBudget.SetMember(user, Optional.ofNullable(team), r))));
    }

    private BudgetBook.Decision check(ActorRef<WorkspaceBudget.Command> budget, String user, double estimate) {
        return ask(budget, r -> new WorkspaceBudget.Check(user, credits(estimate), r));
    }

    private void spend(ActorRef<WorkspaceBudget.Command> budget, String user, double amount) {
        ReserveResult reserved = ask(budget, r -> new WorkspaceBudget.Reserve(user, 0, Optional.empty(), r));
        assertNotNull(id(reserved));
        StatusReply<Done> settled = ask(budget, r -> new WorkspaceBudget.Settle(id(reserved), credits(amount), r));
        assertNull(error(settled));
    }

    @Test
    void aRequestNeedsRoomAtEveryLevelAndADenialNamesTheLevelWithout() {
        var budget = budget();
        set(budget, BudgetSpec.ORG, BudgetWindow.MONTH, 100, null);
        set(budget, BudgetSpec.team("eng"), BudgetWindow.MONTH, 50, null);
        set(budget, BudgetSpec.team("platform"), BudgetWindow.MONTH, 10, "eng");
        set(budget, BudgetSpec.user("ana"), BudgetWindow.MONTH, 20, null);
        member(budget, "ana", "platform");

        BudgetBook.Decision fits = check(budget, "ana", 5);
        assertTrue(fits.allowed());
        assertEquals(List.of("user:ana", "team:platform", "team:eng", "org"),
                fits.levels().stream().map(BudgetBook.Level::key).toList(), "nearest first, the department above its team");

        BudgetBook.Decision denied = check(budget, "ana", 15);
        assertFalse(denied.allowed(), "the user has room (20), the team does not (10)");
        assertEquals("team:platform", denied.binding().key());
        assertEquals(credits(10), denied.binding().remainingMicros());

        spend(budget, "bob", 95); // bob is in no team: the org pool only
        BudgetBook.Decision poolDry = check(budget, "ana", 6);
        assertFalse(poolDry.allowed());
        assertEquals("org", poolDry.binding().key());
    }

    @Test
    void aWindowStartsAgainAtMidnightInTheConfiguredZone() {
        var budget = budget();
        set(budget, BudgetSpec.user("ana"), BudgetWindow.DAY, 10, null);
        spend(budget, "ana", 8); // 22:00 UTC = 23:00 in Berlin
        BudgetBook.Decision denied = check(budget, "ana", 5);
        assertFalse(denied.allowed());
        assertEquals(Instant.parse("2026-11-22T23:00:00Z"), denied.binding().resetsAt(), "Berlin midnight");

        clock.advance(Duration.ofMinutes(59));
        assertFalse(check(budget, "ana", 5).allowed(), "22:59 UTC: still the same Berlin day");
        clock.advance(Duration.ofMinutes(2));
        BudgetBook.Decision next = check(budget, "ana", 5);
        assertTrue(next.allowed(), "23:01 UTC: a new day in Berlin");
        assertEquals(0, next.binding().spentMicros());
        assertEquals(Instant.parse("2026-11-23T23:00:00Z"), next.binding().resetsAt());
    }

    @Test
    void sixtyFourReservationsAtOnceNeverOverspend() throws Exception {
        var budget = budget();
        set(budget, BudgetSpec.ORG, BudgetWindow.MONTH, 100, null);
        spend(budget, "ana", 90.5); // 9.5 credits left
        List<CompletionStage<ReserveResult>> asks = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            String user = "user-" + i;
            asks.add(AskPattern.<WorkspaceBudget.Command, ReserveResult>ask(budget,
                    r -> new WorkspaceBudget.Reserve(user, credits(1), Optional.empty(), r), Duration.ofSeconds(10),
                    testKit.scheduler()));
        }
        int granted = 0;
        for (CompletionStage<ReserveResult> result : asks) {
            if (id(result.toCompletableFuture().get()) != null) {
                granted++;
            }
        }
        assertEquals(9, granted, "9 whole credits fit in 9.5");
        BudgetBook.Decision after = check(budget, "ana", 0);
        assertEquals(credits(90.5), after.binding().spentMicros());
        assertEquals(credits(9), after.binding().reservedMicros());
        assertTrue(after.binding().remainingMicros() >= 0, "settled + reserved never exceeds the cap");
    }

    @Test
    void settlingReplacesTheEstimateReleaseAndExpiryFreeIt() throws Exception {
        var budget = budget();
        set(budget, BudgetSpec.ORG, BudgetWindow.MONTH, 10, null);
        ReserveResult first = ask(budget, r -> new WorkspaceBudget.Reserve("ana", credits(6), Optional.empty(), r));
        assertNotNull(id(first));
        assertFalse(check(budget, "ana", 5).allowed(), "6 reserved of 10");
        assertNull(error(this.<StatusReply<Done>>ask(budget, r -> new WorkspaceBudget.Settle(id(first), credits(2), r))));
        BudgetBook.Decision settled = check(budget, "ana", 0);
        assertEquals(credits(2), settled.binding().spentMicros(), "the actual replaces the estimate");
        assertEquals(0, settled.binding().reservedMicros());
        assertEquals("no reservation " + id(first) + " in force (expired, released or settled)",
                error(this.<StatusReply<Done>>ask(budget, r -> new WorkspaceBudget.Settle(id(first), credits(2), r))),
                "settled once only");

        ReserveResult second = ask(budget, r -> new WorkspaceBudget.Reserve("ana", credits(8), Optional.empty(), r));
        assertNull(error(this.<StatusReply<Done>>ask(budget, r -> new WorkspaceBudget.Release(id(second), r))));
        assertEquals(0, check(budget, "ana", 0).binding().reservedMicros());

        ReserveResult third = ask(budget, r -> new WorkspaceBudget.Reserve("ana", credits(8),
                Optional.of(Duration.ofSeconds(30)), r));
        assertEquals(clock.instant().plusSeconds(30), ((ReserveResult.Reserved) third).expiresAt());
        clock.advance(Duration.ofSeconds(31));
        TestProbe<BudgetBook.Decision> probe = testKit.createTestProbe();
        probe.awaitAssert(Duration.ofSeconds(5), () -> {
            budget.tell(new WorkspaceBudget.Check("ana", 0, probe.ref()));
            assertEquals(0, probe.receiveMessage().binding().reservedMicros(), "expired and freed");
            return null;
        });
    }

    @Test
    void ledgerUsageCountsOnceAndThresholdsFireOncePerWindow() {
        var budget = budget();
        set(budget, BudgetSpec.team("eng"), BudgetWindow.MONTH, 10, null, 50, 100);
        member(budget, "ana", "eng");
        long now = java.time.temporal.ChronoUnit.MICROS.between(Instant.EPOCH, clock.instant());
        var report = new WorkspaceBudget.ReportUsage(1, 3, List.of(new WorkspaceBudget.SeqUsage(1, "ana", credits(3), now),
                new WorkspaceBudget.SeqUsage(3, "ana", credits(3), now)));
        budget.tell(report);
        budget.tell(report); // the ledger writes its last batch again after a restart
        budget.tell(new WorkspaceBudget.ReportUsage(3, 4, List.of(new WorkspaceBudget.SeqUsage(3, "ana", credits(3), now),
                new WorkspaceBudget.SeqUsage(4, "ana", credits(1), now))));
        BudgetStatus status = ask(budget, WorkspaceBudget.GetStatus::new);
        assertEquals(4, status.countedThroughSeq());
        assertEquals(credits(7), status.levels().get(0).spentMicros(), "3 + 3 + 1: seq 3 counted once");
        TestProbe<BudgetStatus> probe = testKit.createTestProbe();
        probe.awaitAssert(Duration.ofSeconds(5), () -> {
            budget.tell(new WorkspaceBudget.GetStatus(probe.ref()));
            assertEquals(List.of("team:eng@50%"), probe.receiveMessage().firedThisWindow());
            return null;
        });
        spend(budget, "ana", 4);
        probe.awaitAssert(Duration.ofSeconds(5), () -> {
            budget.tell(new WorkspaceBudget.GetStatus(probe.ref()));
            assertEquals(List.of("team:eng@100%", "team:eng@50%"),
                    probe.receiveMessage().firedThisWindow().stream().sorted().toList());
            return null;
        });
    }

    @Test
    void theEntityPublishesItsBookForChecksWithoutAMessageAndWithdrawsItWhenItStops() {
        BudgetViews views = new BudgetViews();
        var budget = testKit.spawn(WorkspaceBudget.create("viewed", new WorkspaceBudget.Settings(settings.zone(),
                settings.reservationTtl(), settings.maxReservationTtl(), clock, views, BudgetAlerts.NONE, UsageSource.NONE)));
        set(budget, BudgetSpec.ORG, BudgetWindow.MONTH, 10, null);
        long now = java.time.temporal.ChronoUnit.MICROS.between(Instant.EPOCH, clock.instant());
        assertTrue(views.decide("viewed", "ana", credits(10), now).orElseThrow().allowed());
        spend(budget, "ana", 4);
        BudgetBook.Decision local = views.decide("viewed", "ana", credits(7), now).orElseThrow();
        assertFalse(local.allowed(), "the settled spend is seen at once");
        assertEquals(check(budget, "ana", 7), local, "the same decision as the entity's");
        testKit.stop(budget);
        assertTrue(views.decide("viewed", "ana", 0, now).isEmpty(), "withdrawn: then asked through sharding");
    }

    @Test
    void aCallReportedByTelemetryAndAGatewayCountsOnceFromTheChosenSource() {
        long now = java.time.temporal.ChronoUnit.MICROS.between(Instant.EPOCH, clock.instant());
        var gatewayOnly = budget();
        set(gatewayOnly, BudgetSpec.ORG, BudgetWindow.MONTH, 100, null);
        assertNull(error(this.<StatusReply<Done>>ask(gatewayOnly, r -> new WorkspaceBudget.SetSpendFrom("settlements", r))));
        spend(gatewayOnly, "ana", 3); // the gateway settles the call…
        gatewayOnly.tell(new WorkspaceBudget.ReportUsage(1, 1, List.of(new WorkspaceBudget.SeqUsage(1, "ana", credits(3), now))));
        BudgetStatus settled = ask(gatewayOnly, WorkspaceBudget.GetStatus::new); // …and telemetry reports it
        assertEquals(credits(3), settled.levels().get(0).spentMicros(), "once, from the settlement");
        assertEquals(1, settled.countedThroughSeq(), "the records are still counted as seen");

        var telemetryOnly = budget();
        set(telemetryOnly, BudgetSpec.ORG, BudgetWindow.MONTH, 100, null);
        assertNull(error(this.<StatusReply<Done>>ask(telemetryOnly, r -> new WorkspaceBudget.SetSpendFrom("records", r))));
        spend(telemetryOnly, "ana", 3);
        telemetryOnly.tell(new WorkspaceBudget.ReportUsage(1, 1, List.of(new WorkspaceBudget.SeqUsage(1, "ana", credits(3), now))));
        BudgetStatus fromRecords = ask(telemetryOnly, WorkspaceBudget.GetStatus::new);
        assertEquals(credits(3), fromRecords.levels().get(0).spentMicros(), "once, from the telemetry");
        assertEquals("records", fromRecords.spendFrom());
    }

    @Test
    void recordsTheBudgetNeverHeardOfAreReadBackBeforeTheNextReportCounts() {
        long now = java.time.temporal.ChronoUnit.MICROS.between(Instant.EPOCH, clock.instant());
        List<long[]> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<List<WorkspaceBudget.SeqUsage>> gap = new CompletableFuture<>();
        UsageSource source = (workspace, from, to) -> {
            asked.add(new long[] {from, to});
            return gap;
        };
        var budget = testKit.spawn(WorkspaceBudget.create("gappy", new WorkspaceBudget.Settings(settings.zone(),
                settings.reservationTtl(), settings.maxReservationTtl(), clock, new BudgetViews(), BudgetAlerts.NONE,
                source)));
        set(budget, BudgetSpec.ORG, BudgetWindow.MONTH, 100, null);
        budget.tell(new WorkspaceBudget.ReportUsage(1, 2, List.of(new WorkspaceBudget.SeqUsage(2, "ana", credits(1), now))));
        // seqs 3..9 were never reported (a journal write of the budget failed, say)
        budget.tell(new WorkspaceBudget.ReportUsage(10, 11, List.of(new WorkspaceBudget.SeqUsage(10, "ana", credits(2), now))));
        budget.tell(new WorkspaceBudget.ReportUsage(12, 12, List.of(new WorkspaceBudget.SeqUsage(12, "ana", credits(4), now))));
        TestProbe<BudgetStatus> probe = testKit.createTestProbe();
        probe.awaitAssert(Duration.ofSeconds(5), () -> {
            assertEquals(1, asked.size());
            return null;
        });
        assertEquals(3, asked.get(0)[0]);
        assertEquals(9, asked.get(0)[1]);
        assertEquals(2, this.<BudgetStatus>ask(budget, WorkspaceBudget.GetStatus::new).countedThroughSeq(),
                "nothing after the gap counts before the gap is read");
        gap.complete(List.of(new WorkspaceBudget.SeqUsage(5, "ana", credits(8), now)));
        probe.awaitAssert(Duration.ofSeconds(5), () -> {
            budget.tell(new WorkspaceBudget.GetStatus(probe.ref()));
            BudgetStatus status = probe.receiveMessage();
            assertEquals(12, status.countedThroughSeq());
            assertEquals(credits(1 + 8 + 2 + 4), status.levels().get(0).spentMicros(), "gap and both reports, once");
            return null;
        });
        assertEquals(1, asked.size(), "the report waiting behind the gap found none");
    }

    @Test
    void theBookSurvivesASnapshotAndEvents() {
        var kit = EventSourcedBehaviorTestKit.<WorkspaceBudget.Command, BudgetEvent, BudgetBook>create(testKit.system(),
                WorkspaceBudget.create("snap", settings), EventSourcedBehaviorTestKit.enabledSerializationSettings()
                        .withVerifyState(false)); // the snapshot form is checked below
        kit.<StatusReply<Done>>runCommand(r -> new WorkspaceBudget.SetBudget(new BudgetSpec(BudgetSpec.ORG, BudgetWindow.WEEK, credits(10),
                List.of(80), null), r));
        kit.<StatusReply<Done>>runCommand(r -> new WorkspaceBudget.SetMember("ana", Optional.of("eng"), r));
        var reserved = kit.<ReserveResult>runCommand(r -> new WorkspaceBudget.Reserve("ana", credits(2),
                Optional.empty(), r)).reply();
        kit.restart();
        BudgetBook book = kit.getState();
        assertEquals(List.of("user:ana", "team:eng", "org"), book.chain("ana"));
        assertEquals(credits(2), book.reservation(id(reserved)).amountMicros());
        // and through the snapshot form
        BudgetBook copy = BudgetSerializer.bookOf(BudgetSerializer.snapshotOf(book), settings.zone());
        assertEquals(book.budgets(), copy.budgets());
        assertEquals(book.members(), copy.members());
        assertEquals(book.reservation(id(reserved)), copy.reservation(id(reserved)));
    }
}

package dev.codexledger.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.codexledger.testing.WireFormats;
import dev.codexledger.testing.WireFormats.Sample;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.remote.serialization.MiscMessageSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The wire format of the budget's commands and replies between nodes: golden bytes per message, round
 * trips through the configured bindings, no message type left without one — and the answer to changes,
 * {@code StatusReply<Done>}, carried by Pekko's own serializer.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class BudgetMessageSerializerTest {

    /** The golden bytes hold actor references of a system of this name. */
    @JUnit5TestKit
    public ActorTestKit testKit = new JUnit5TestKitBuilder().withName("golden").withCustomConfig(WireFormats.config())
            .build();

    private BudgetMessageSerializer serializer() {
        return new BudgetMessageSerializer((ExtendedActorSystem) Adapter.toClassic(testKit.system()));
    }

    private <T> ActorRef<T> replyTo() {
        return WireFormats.replyTo(testKit.system());
    }

    private static final BudgetBook.Level TEAM = new BudgetBook.Level("team:eng", 10_000_000, 7_500_000, 1_000_000,
            Instant.parse("2026-12-01T00:00:00Z"), "month");
    private static final BudgetBook.Level USER = new BudgetBook.Level("user:ana", 2_000_000, 1_999_999, 0,
            Instant.parse("2026-11-24T05:00:00.000000001Z"), "day");
    private static final BudgetBook.Decision ALLOWED = new BudgetBook.Decision(true, TEAM, List.of(USER, TEAM));
    private static final BudgetBook.Decision DENIED = new BudgetBook.Decision(false, USER, List.of(USER, TEAM));

    private List<Sample> samples() {
        return List.of(
                new Sample(BudgetMessageSerializer.SET_BUDGET, new WorkspaceBudget.SetBudget(
                        new BudgetSpec("team:platform", BudgetWindow.WEEK, 10_000_000, List.of(80, 100), "eng"), replyTo())),
                new Sample(BudgetMessageSerializer.SET_BUDGET, "org", new WorkspaceBudget.SetBudget(
                        new BudgetSpec(BudgetSpec.ORG, BudgetWindow.MONTH, 1, List.of(), null), replyTo())),
                new Sample(BudgetMessageSerializer.REMOVE_BUDGET, new WorkspaceBudget.RemoveBudget("user:ana", replyTo())),
                new Sample(BudgetMessageSerializer.SET_MEMBER,
                        new WorkspaceBudget.SetMember("ana", Optional.of("platform"), replyTo())),
                new Sample(BudgetMessageSerializer.SET_MEMBER, "no-team",
                        new WorkspaceBudget.SetMember("bob", Optional.empty(), replyTo())),
                new Sample(BudgetMessageSerializer.CHECK, new WorkspaceBudget.Check("ana", 250_000, replyTo())),
                new Sample(BudgetMessageSerializer.RESERVE,
                        new WorkspaceBudget.Reserve("ana", 250_000, Optional.of(Duration.ofSeconds(90, 5)), replyTo())),
                new Sample(BudgetMessageSerializer.RESERVE, "default-ttl",
                        new WorkspaceBudget.Reserve("ana", 250_000, Optional.empty(), replyTo())),
                new Sample(BudgetMessageSerializer.RESERVE, "idempotency-key", new WorkspaceBudget.Reserve("ana", 250_000,
                        Optional.empty(), Optional.of("gw-7f3a:call-0042"), replyTo())),
                new Sample(BudgetMessageSerializer.SETTLE, new WorkspaceBudget.Settle("res_0a1b", 180_000, replyTo())),
                new Sample(BudgetMessageSerializer.RELEASE, new WorkspaceBudget.Release("res_0a1b", replyTo())),
                new Sample(BudgetMessageSerializer.REPORT_USAGE, new WorkspaceBudget.ReportUsage(41, 43, List.of(
                        new WorkspaceBudget.SeqUsage(41, "ana", 978, 1_795_000_000_000_000L),
                        new WorkspaceBudget.SeqUsage(43, "", 12, 1_795_000_000_500_000L)))),
                new Sample(BudgetMessageSerializer.GET_STATUS, new WorkspaceBudget.GetStatus(replyTo())),
                new Sample(BudgetMessageSerializer.SET_SPEND_FROM, new WorkspaceBudget.SetSpendFrom("records", replyTo())),
                new Sample(BudgetMessageSerializer.DECISION, ALLOWED),
                new Sample(BudgetMessageSerializer.DECISION, "no-budgets", new BudgetBook.Decision(true, null, List.of())),
                new Sample(BudgetMessageSerializer.RESERVED,
                        new ReserveResult.Reserved("res_0a1b", Instant.parse("2026-11-23T10:05:00.123456Z"), ALLOWED)),
                new Sample(BudgetMessageSerializer.RESERVED, "replayed",
                        new ReserveResult.Reserved("res_0a1b", Instant.parse("2026-11-23T10:05:00.123456Z"), ALLOWED, true)),
                new Sample(BudgetMessageSerializer.DENIED, new ReserveResult.Denied(DENIED)),
                new Sample(BudgetMessageSerializer.KEY_CONFLICT, new ReserveResult.KeyConflict("res_0a1b",
                        "idempotency key gw-7f3a:call-0042 holds reservation res_0a1b of user ana for 0.25 credits",
                        ALLOWED)),
                new Sample(BudgetMessageSerializer.STATUS, new BudgetStatus(
                        List.of(new BudgetSpec("team:eng", BudgetWindow.MONTH, 10_000_000, List.of(50, 80), null),
                                new BudgetSpec("user:ana", BudgetWindow.DAY, 2_000_000, List.of(), null)),
                        Map.of("ana", "eng", "bob", "eng", "cy", "ops"), List.of(TEAM, USER),
                        List.of("team:eng@50%"), 43, "both")));
    }

    @Test
    void everyMessageIsWrittenAsItsGoldenBytesAndReadBack() {
        WireFormats.assertGolden(serializer(), "budget-messages", samples());
    }

    @Test
    void everyMessageRoundTripsThroughTheConfiguredBindings() {
        WireFormats.assertRoundTrips(testKit.system(), BudgetMessageSerializer.class, samples());
    }

    @Test
    void everyCommandAndReplyThatLeavesTheNodeIsBound() {
        WireFormats.assertEveryMessageBound(testKit.system(), BudgetMessageSerializer.class, samples(),
                WorkspaceBudget.Command.class, BudgetBook.Decision.class, ReserveResult.class, BudgetStatus.class);
    }

    /** Checked, not assumed: Pekko binds StatusReply and Done to its MiscMessageSerializer (pekko-remote). */
    @Test
    void statusRepliesToChangesArePekkosOwnWireFormat() {
        WireFormats.assertRoundTrips(testKit.system(), MiscMessageSerializer.class, List.of(
                new Sample("ack", StatusReply.ack()),
                new Sample("error", StatusReply.<Done>error("no reservation res_1 in force"))));
    }

    @Test
    void statusMembersAreWrittenInUserOrderWhateverTheMapsOrder() {
        BudgetStatus status = new BudgetStatus(List.of(), Map.of("zoe", "a", "ana", "b", "max", "c"), List.of(),
                List.of(), 0, "both");
        BudgetStatus same = new BudgetStatus(List.of(), new java.util.LinkedHashMap<>(Map.of("max", "c", "zoe", "a",
                "ana", "b")), List.of(), List.of(), 0, "both");
        assertEquals(java.util.HexFormat.of().formatHex(serializer().toBinary(status)),
                java.util.HexFormat.of().formatHex(serializer().toBinary(same)));
    }

    @Test
    void unknownsAreRefused() {
        assertThrows(java.io.NotSerializableException.class, () -> serializer().fromBinary(new byte[0], "Nope.v1"));
        assertThrows(IllegalArgumentException.class, () -> serializer().manifest("a string"));
        assertEquals(7304, serializer().identifier());
    }
}

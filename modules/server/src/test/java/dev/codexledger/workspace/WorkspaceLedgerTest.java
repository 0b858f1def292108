package dev.codexledger.workspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.codexledger.testing.SerializationChecks;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Entity logic of the WorkspaceLedger, on Pekko's in-memory journal and snapshot store. */
@ExtendWith(TestKitJUnit5Extension.class)
class WorkspaceLedgerTest {

    /** Every message between actors goes through its serializer, as between nodes (not the entity's own). */
    static final Config CONFIG = ConfigFactory.parseString(
                    "pekko.actor.serialize-messages = on\npekko.actor.serialize-creators = off")
            .withFallback(EventSourcedBehaviorTestKit.config())
            .withFallback(ConfigFactory.parseResources("ledger-workspace.conf"))
            .withFallback(ConfigFactory.parseResources("ledger-records.conf"))
            .withFallback(ConfigFactory.defaultReference())
            .resolve();

    @JUnit5TestKit
    public ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(CONFIG).build();

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

    private static final LedgerSettings SETTINGS = new LedgerSettings(1000, 100, 2, 4000, 8L << 20, CLOCK);

    private final RecordingReadModel readModel = new RecordingReadModel();

    @BeforeEach
    void watchSerialization() {
        SerializationChecks.watch(testKit.system());
    }

    /** Fails a test whose messages were dropped for want of a wire format (serialize-messages is on). */
    @AfterEach
    void noMessageLackedAWireFormat() {
        SerializationChecks.assertNoneFailed();
    }

    private EventSourcedBehaviorTestKit<WorkspaceLedger.Command, LedgerEvent, LedgerState> ledger(
            LedgerSettings settings) {
        return EventSourcedBehaviorTestKit.create(testKit.system(),
                WorkspaceLedger.create("acme", readModel, settings, JournalCleanup.NONE, WriterFence.NONE),
                EventSourcedBehaviorTestKit.enabledSerializationSettings()
                        .withVerifyState(false)); // a snapshot keeps no ids: see LedgerSerializerTest
    }

    private EventSourcedBehaviorTestKit<WorkspaceLedger.Command, LedgerEvent, LedgerState> ledger() {
        return ledger(SETTINGS);
    }

    /** A ledger spawned as a plain actor, for tests that watch replies arrive over time. */
    private ActorRef<WorkspaceLedger.Command> spawnLedger(String workspace) {
        return testKit.spawn(WorkspaceLedger.create(workspace, readModel, SETTINGS, JournalCleanup.NONE, WriterFence.NONE));
    }

    private static NewRecord record(String id, long micros, String body) {
        return new NewRecord(id, "CODEX_LOG", micros, "u", "{\"event_id\":\"" + id + "\",\"body\":\"" + body + "\"}");
    }

    private static List<NewRecord> batch(String prefix, int size) {
        return IntStream.range(0, size).mapToObj(i -> record(prefix + i, 1_000_000L * i, "b" + i)).toList();
    }

    /** Waits until the ledger has started {@code count} row writes (held by the read model). */
    private void awaitHeldWrites(TestProbe<?> probe, int count) {
        probe.awaitAssert(() -> {
            assertEquals(count, readModel.held.size());
            return null;
        });
    }

    private static WorkspaceLedger.AppendResult append(
            EventSourcedBehaviorTestKit<WorkspaceLedger.Command, LedgerEvent, LedgerState> ledger,
            List<NewRecord> records) {
        return ledger.<WorkspaceLedger.AppendResult>runCommand(
                replyTo -> new WorkspaceLedger.Append(records, replyTo)).reply();
    }

    @Test
    void aBatchGetsGapFreeSequenceNumbersAChainAndOneEvent() {
        var ledger = ledger();
        var first = ledger.<WorkspaceLedger.AppendResult>runCommand(
                replyTo -> new WorkspaceLedger.Append(batch("a", 3), replyTo));
        assertEquals(new WorkspaceLedger.Accepted(3, 0, 1, 3), first.reply());
        assertEquals(1, first.events().size(), "one event for the whole batch");
        var second = ledger.<WorkspaceLedger.AppendResult>runCommand(
                replyTo -> new WorkspaceLedger.Append(batch("b", 2), replyTo));
        assertEquals(new WorkspaceLedger.Accepted(2, 0, 4, 5), second.reply());

        Digest previous = Digest.ZERO;
        long expectedSeq = 1;
        for (LedgerEvent appended : List.of(first.events().get(0), second.events().get(0))) {
            RecordsAppended event = (RecordsAppended) appended;
            for (LedgerRecord record : event.records()) {
                assertEquals(expectedSeq, record.seq());
                assertEquals(Digest.chain(previous, expectedSeq, record.contentText()), record.chainHash());
                previous = record.chainHash();
                expectedSeq++;
            }
        }
        assertEquals(6, ledger.getState().nextSeq());
        assertEquals(previous, ledger.getState().headHash());
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), readModel.writtenSeqs(), "rows written before the reply");
    }

    @Test
    void forgettingDropsErasedContentFromTheLastBatchSnapshotsAndAsksForTheJournalToBeCleaned() {
        List<String> cleaned = new java.util.concurrent.CopyOnWriteArrayList<>();
        var ledger = EventSourcedBehaviorTestKit.<WorkspaceLedger.Command, LedgerEvent, LedgerState>create(
                testKit.system(), WorkspaceLedger.create("acme", readModel, SETTINGS, persistenceId -> {
                    cleaned.add(persistenceId);
                    return java.util.concurrent.CompletableFuture.completedFuture(null);
                }, WriterFence.NONE), EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
        append(ledger, List.of(new NewRecord("x-1", "CODEX_LOG", 1, "alice", "{\"prompt\":\"alice secret\"}"),
                new NewRecord("x-2", "CODEX_LOG", 2, "bob", "{\"prompt\":\"bob text\"}")));
        Digest head = ledger.getState().headHash();

        var forgotten = ledger.<WorkspaceLedger.Forgotten>runCommand(
                replyTo -> new WorkspaceLedger.Forget("user_id", "alice", 1_800_000_000_000_000L, replyTo));
        assertEquals(new WorkspaceLedger.Forgotten(1, null), forgotten.reply(), "after the snapshot and the cleanup");
        assertEquals(List.of(new RecordsForgotten(1_800_000_000_000_000L, List.of(1L))), forgotten.events());
        assertEquals(List.of("WorkspaceLedger|acme"), cleaned);

        LedgerState state = ledger.getState();
        assertEquals(head, state.headHash(), "the chain is untouched");
        assertEquals(3, state.nextSeq());
        String erased = state.lastBatch().records().get(0).contentText();
        assertFalse(erased.contains("alice"), erased);
        assertTrue(erased.contains("\"erased\":true"), erased);
        assertNull(state.lastBatch().records().get(0).userId());
        assertEquals("{\"prompt\":\"bob text\"}", state.lastBatch().records().get(1).contentText());

        // recovered from the snapshot (or the events): still forgotten, and the batch re-written as such
        ledger.restart();
        assertFalse(ledger.getState().lastBatch().records().get(0).contentText().contains("alice"));
        RecordsAppended rewritten = readModel.writes.get(readModel.writes.size() - 1);
        assertFalse(rewritten.records().get(0).contentText().contains("alice secret"));
        assertEquals(head, ledger.getState().headHash());
    }

    @Test
    void reSendsAreDuplicatesAndPersistNothing() {
        var ledger = ledger();
        append(ledger, batch("a", 3));
        var again = ledger.<WorkspaceLedger.AppendResult>runCommand(
                replyTo -> new WorkspaceLedger.Append(batch("a", 3), replyTo));
        assertEquals(new WorkspaceLedger.Accepted(0, 3, 0, 0), again.reply());
        assertTrue(again.hasNoEvents());
        assertEquals(1, readModel.lookups.get(),
                "the window holds only digests of ids: a re-send is confirmed in the id index, once for the batch");
        append(ledger, batch("fresh", 3));
        assertEquals(1, readModel.lookups.get(), "new ids the window does not hold need no read");
    }

    @Test
    void anIdReusedWithOtherContentIsRefusedWhole() {
        var ledger = ledger();
        append(ledger, List.of(record("x", 1, "original")));
        var conflict = ledger.<WorkspaceLedger.AppendResult>runCommand(replyTo -> new WorkspaceLedger.Append(
                List.of(record("new", 2, "fine"), record("x", 1, "changed")), replyTo));
        assertEquals(new WorkspaceLedger.Conflict(1, "x"), conflict.reply());
        assertTrue(conflict.hasNoEvents());

        var inBatch = ledger.<WorkspaceLedger.AppendResult>runCommand(replyTo -> new WorkspaceLedger.Append(
                List.of(record("y", 3, "one"), record("y", 3, "two")), replyTo));
        assertEquals(new WorkspaceLedger.Conflict(1, "y"), inBatch.reply());
        var sameTwice = append(ledger, List.of(record("z", 4, "one"), record("z", 4, "one")));
        assertEquals(new WorkspaceLedger.Accepted(1, 1, 2, 2), sameTwice);
    }

    @Test
    void aRestartedLedgerRecoversSequenceChainAndDuplicates() {
        var ledger = ledger();
        append(ledger, batch("a", 4));
        LedgerState before = ledger.getState();
        ledger.restart();
        assertEquals(before.nextSeq(), ledger.getState().nextSeq());
        assertEquals(before.headHash(), ledger.getState().headHash());
        assertEquals(new WorkspaceLedger.Accepted(0, 4, 0, 0), append(ledger, batch("a", 4)));
        assertEquals(new WorkspaceLedger.Accepted(1, 0, 5, 5), append(ledger, batch("c", 1)));
    }

    @Test
    void recoveryWritesTheLastBatchAgainInCaseItNeverReachedTheTables() {
        var ledger = ledger();
        append(ledger, batch("a", 3));
        append(ledger, batch("b", 2));
        int writesBefore = readModel.writes.size();
        ledger.restart();
        // after recovery the ledger claims the workspace, then writes (a message later)
        dev.codexledger.testing.Eventually.assertThat(java.time.Duration.ofSeconds(5), () ->
                assertEquals(writesBefore + 1, readModel.writes.size(), "recovery re-writes one batch"));
        assertEquals(readModel.writes.get(writesBefore - 1), readModel.writes.get(writesBefore), "the last one");
    }

    @Test
    void idsOlderThanTheWindowAreCheckedInTheTable() {
        var ledger = ledger(new LedgerSettings(2, 100, 2, 4000, 8L << 20, CLOCK));
        append(ledger, batch("a", 3));
        assertEquals(2, ledger.getState().window().size());
        assertEquals(new WorkspaceLedger.Accepted(0, 3, 0, 0), append(ledger, batch("a", 3)));
        assertEquals(1, readModel.lookups.get(), "the evicted id a0 is looked up, once for the batch");
        var newer = record("late-but-new", 10_000_000_000L, "n");
        assertEquals(new WorkspaceLedger.Accepted(1, 0, 4, 4), append(ledger, List.of(newer)));
        assertEquals(1, readModel.lookups.get(), "a record newer than the horizon needs no lookup");
    }

    @Test
    void aFailedJournalWriteLeavesNoTraceAndTheRetryIsAccepted() {
        PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
        ActorRef<WorkspaceLedger.Command> ledger = spawnLedger("failing");
        TestProbe<WorkspaceLedger.AppendResult> probe = testKit.createTestProbe();
        ledger.tell(new WorkspaceLedger.Append(batch("a", 2), probe.getRef()));
        assertEquals(new WorkspaceLedger.Accepted(2, 0, 1, 2), probe.receiveMessage());

        journal.failNextPersisted();
        ledger.tell(new WorkspaceLedger.Append(batch("b", 2), probe.getRef()));
        probe.expectNoMessage(Duration.ofMillis(500));

        ledger.tell(new WorkspaceLedger.Append(batch("b", 2), probe.getRef()));
        assertEquals(new WorkspaceLedger.Accepted(2, 0, 3, 4), probe.receiveMessage(Duration.ofSeconds(10)),
                "the failed batch was not remembered as stored, and its sequence numbers were not used");
    }

    /** A fence with the Cassandra one's rules, in memory: the entity's side of the protocol. */
    private static final class EpochFence implements WriterFence {
        long epoch;
        long fencedSeq;
        final List<Long> advanced = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** Claims answer once this completes (a test sends its commands first). */
        java.util.concurrent.CompletableFuture<Void> claimsAnswered = java.util.concurrent.CompletableFuture.completedFuture(null);

        @Override
        public synchronized java.util.concurrent.CompletionStage<Long> claim(String workspace, long recoveredSeq,
                                                                          Digest recoveredHead) {
            if (fencedSeq > recoveredSeq) {
                return claimsAnswered.thenCompose(ok -> java.util.concurrent.CompletableFuture.failedFuture(new Refused("behind")));
            }
            fencedSeq = recoveredSeq;
            return java.util.concurrent.CompletableFuture.completedFuture(++epoch);
        }

        @Override
        public synchronized java.util.concurrent.CompletionStage<Void> advance(String workspace, long claimed,
                                                                            long throughSeq, Digest head) {
            if (claimed != epoch) {
                return java.util.concurrent.CompletableFuture.failedFuture(new Refused("epoch " + epoch));
            }
            fencedSeq = throughSeq;
            advanced.add(throughSeq);
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
    }

    @Test
    void aLedgerWhoseWorkspaceWasClaimedByANewerIncarnationWritesNoRowsAndAcknowledgesNothing() {
        EpochFence fence = new EpochFence();
        ActorRef<WorkspaceLedger.Command> old = testKit.spawn(
                WorkspaceLedger.create("zombie", readModel, SETTINGS, JournalCleanup.NONE, fence));
        TestProbe<WorkspaceLedger.AppendResult> probe = testKit.createTestProbe();
        old.tell(new WorkspaceLedger.Append(batch("a", 2), probe.getRef()));
        assertEquals(new WorkspaceLedger.Accepted(2, 0, 1, 2), probe.receiveMessage());
        assertEquals(List.of(2L), fence.advanced, "fenced through its last seq before the answer");

        // the node was downed while frozen; another incarnation recovered the workspace and claimed it
        ActorRef<WorkspaceLedger.Command> next = testKit.spawn(
                WorkspaceLedger.create("zombie", readModel, SETTINGS, JournalCleanup.NONE, fence));
        TestProbe<WorkspaceLedger.Head> head = testKit.createTestProbe();
        next.tell(new WorkspaceLedger.GetHead(head.getRef()));
        assertEquals(3, head.receiveMessage().nextSeq());
        probe.awaitAssert(() -> {
            assertEquals(2, fence.epoch);
            assertEquals(2, readModel.writes.size(), "its batch, and the new owner's rewrite of it on recovery");
            return null;
        });
        int rowsBefore = readModel.writes.size();

        old.tell(new WorkspaceLedger.Append(batch("late", 1), probe.getRef()));
        assertInstanceOf(WorkspaceLedger.Unavailable.class, probe.receiveMessage(), "the zombie acknowledges nothing");
        probe.expectTerminated(old);
        assertEquals(rowsBefore, readModel.writes.size(), "and writes no rows");

        next.tell(new WorkspaceLedger.Append(batch("b", 1), probe.getRef()));
        assertEquals(new WorkspaceLedger.Accepted(1, 0, 3, 3), probe.receiveMessage(), "the new owner goes on");
    }

    @Test
    void aRecoveryThatMissedAnAcknowledgedBatchIsRefusedAndAnswersNothing() {
        EpochFence fence = new EpochFence();
        fence.fencedSeq = 5; // acknowledged by an earlier incarnation, not (yet) seen by this recovery
        fence.claimsAnswered = new java.util.concurrent.CompletableFuture<>();
        ActorRef<WorkspaceLedger.Command> ledger = testKit.spawn(
                WorkspaceLedger.create("behind", readModel, SETTINGS, JournalCleanup.NONE, fence));
        TestProbe<WorkspaceLedger.AppendResult> probe = testKit.createTestProbe();
        ledger.tell(new WorkspaceLedger.Append(batch("a", 1), probe.getRef()));
        // the claim is answered after the append is in the mailbox: the refused ledger answers it, not drops it
        fence.claimsAnswered.complete(null);
        assertInstanceOf(WorkspaceLedger.Unavailable.class, probe.receiveMessage());
        probe.expectTerminated(ledger);
        assertTrue(readModel.writes.isEmpty(), "nothing written over seq 1..5");
    }

    @Test
    void askedToStopItWritesWhatIsQueuedThenHandsOverThenStops() {
        readModel.holdWrites = true;
        ActorRef<WorkspaceLedger.Command> ledger = spawnLedger("moving");
        TestProbe<WorkspaceLedger.AppendResult> first = testKit.createTestProbe();
        TestProbe<WorkspaceLedger.AppendResult> queued = testKit.createTestProbe();
        ledger.tell(new WorkspaceLedger.Append(batch("a", 2), first.getRef()));
        awaitHeldWrites(first, 1);
        ledger.tell(new WorkspaceLedger.Append(batch("b", 1), queued.getRef()));
        ledger.tell(WorkspaceLedger.HandOver.INSTANCE);

        readModel.held.get(0).complete(null);
        assertEquals(new WorkspaceLedger.Accepted(2, 0, 1, 2), first.receiveMessage());
        awaitHeldWrites(first, 2);
        assertTrue(readModel.handOvers.isEmpty(), "no hand-over while a batch is being written");
        readModel.held.get(1).complete(null);
        assertEquals(new WorkspaceLedger.Accepted(1, 0, 3, 3), queued.receiveMessage(), "the queue is written first");

        first.awaitAssert(() -> {
            assertEquals(1, readModel.handOvers.size());
            return null;
        });
        TestProbe<WorkspaceLedger.AppendResult> late = testKit.createTestProbe();
        ledger.tell(new WorkspaceLedger.Append(batch("c", 1), late.getRef()));
        first.expectNoMessage(Duration.ofMillis(200));
        readModel.handOvers.get(0).complete(null);
        assertInstanceOf(WorkspaceLedger.Unavailable.class, late.receiveMessage(),
                "an append that reached it while it handed over is refused, to be re-sent to its next incarnation");
        first.expectTerminated(ledger);
    }

    @Test
    void appendsQueuedDuringAWriteArePersistedTogetherAsOneEvent() {
        readModel.holdWrites = true;
        ActorRef<WorkspaceLedger.Command> ledger = spawnLedger("coalescing");
        TestProbe<WorkspaceLedger.AppendResult> first = testKit.createTestProbe();
        TestProbe<WorkspaceLedger.AppendResult> second = testKit.createTestProbe();
        TestProbe<WorkspaceLedger.AppendResult> third = testKit.createTestProbe();
        ledger.tell(new WorkspaceLedger.Append(batch("a", 2), first.getRef()));
        awaitHeldWrites(first, 1);
        ledger.tell(new WorkspaceLedger.Append(batch("b", 3), second.getRef()));
        ledger.tell(new WorkspaceLedger.Append(List.of(record("b0", 0, "b0"), record("c", 9, "c")), third.getRef()));
        second.expectNoMessage(Duration.ofMillis(200));

        readModel.held.get(0).complete(null);
        assertEquals(new WorkspaceLedger.Accepted(2, 0, 1, 2), first.receiveMessage());
        awaitHeldWrites(first, 2);
        assertEquals(List.of(3L, 4L, 5L, 6L), readModel.writes.get(1).records().stream().map(LedgerRecord::seq).toList(),
                "both queued requests in one batch; b0 repeated across them is stored once");
        readModel.held.get(1).complete(null);
        assertEquals(new WorkspaceLedger.Accepted(3, 0, 3, 5), second.receiveMessage());
        assertEquals(new WorkspaceLedger.Accepted(1, 1, 6, 6), third.receiveMessage());
    }

    @Test
    void aDuplicateOfARecordInTheSameUnpersistedBatchIsNotAnsweredBeforeThatBatchIsDurable() {
        PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
        readModel.holdWrites = true;
        ActorRef<WorkspaceLedger.Command> ledger = spawnLedger("resends");
        TestProbe<WorkspaceLedger.AppendResult> first = testKit.createTestProbe();
        TestProbe<WorkspaceLedger.AppendResult> original = testKit.createTestProbe();
        TestProbe<WorkspaceLedger.AppendResult> resent = testKit.createTestProbe();
        ledger.tell(new WorkspaceLedger.Append(batch("a", 1), first.getRef()));
        awaitHeldWrites(first, 1);
        // a client's request and its re-send queue together behind the write in flight
        ledger.tell(new WorkspaceLedger.Append(batch("x", 1), original.getRef()));
        ledger.tell(new WorkspaceLedger.Append(batch("x", 1), resent.getRef()));
        journal.failNextPersisted();
        readModel.holdWrites = false;
        readModel.held.get(0).complete(null);
        assertEquals(new WorkspaceLedger.Accepted(1, 0, 1, 1), first.receiveMessage());

        original.expectNoMessage(Duration.ofMillis(500));
        // never told "duplicate" of a batch that failed to persist
        resent.expectNoMessage(Duration.ofMillis(1));
        TestProbe<WorkspaceLedger.AppendResult> retry = testKit.createTestProbe();
        ledger.tell(new WorkspaceLedger.Append(batch("x", 1), retry.getRef()));
        assertEquals(new WorkspaceLedger.Accepted(1, 0, 2, 2), retry.receiveMessage(Duration.ofSeconds(10)));
    }

    @Test
    void acceptanceTimeNeverGoesBackwards() {
        LedgerState state = LedgerState.empty(10).apply(new RecordsAppended(500, List.of(
                LedgerRecord.append(record("a", 1, "x"), 1, Digest.ZERO))));
        assertEquals(500, state.acceptanceTime(400));
        assertEquals(600, state.acceptanceTime(600));
        assertInstanceOf(DedupWindow.class, state.window());
    }
}

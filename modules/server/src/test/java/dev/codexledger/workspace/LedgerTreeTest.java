package dev.codexledger.workspace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.codexledger.verify.Checkpoint;
import dev.codexledger.verify.Merkle;
import dev.codexledger.verify.MerkleFrontier;
import dev.codexledger.verify.NoteKey;
import dev.codexledger.verify.SignedNote;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The workspace's Merkle tree kept by its ledger: the right edge in state, the tiles written, checkpoints signed. */
class LedgerTreeTest {

    private static final ActorTestKit testKit = ActorTestKit.create(WorkspaceLedgerTest.CONFIG);
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC);

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    /** Signs with a real key and keeps every note, as the Cassandra-backed Checkpoints would store them. */
    static final class SigningCheckpointer implements Checkpointer {
        final NoteKey key = NoteKey.generate("test.local");
        final List<String> notes = new CopyOnWriteArrayList<>();

        @Override
        public CompletableFuture<String> sign(String workspace, long size, byte[] root) {
            String note = SignedNote.sign(new Checkpoint("test.local/" + workspace, size, root).text(), key);
            notes.add(note);
            return CompletableFuture.completedFuture(note);
        }

        Checkpoint open(String note) {
            return Checkpoint.parse(SignedNote.open(note, List.of(key.verifierOnly())).text());
        }
    }

    private static List<NewRecord> batch(String prefix, int size) {
        return IntStream.range(0, size).mapToObj(i -> new NewRecord(prefix + i, "CODEX_LOG", 1_000_000L * i, "u",
                "{\"event_id\":\"" + prefix + i + "\",\"n\":" + i + "}")).toList();
    }

    @Test
    void theStateKeepsTheRightEdgeAndTheTilesHoldEveryLeafAndEveryFullSubtree() {
        RecordingReadModel readModel = new RecordingReadModel();
        var ledger = EventSourcedBehaviorTestKit.<WorkspaceLedger.Command, LedgerEvent, LedgerState>create(testKit.system(),
                WorkspaceLedger.create("acme", readModel, new LedgerSettings(1000, 2, 2, 4000, 8L << 20, CLOCK),
                        JournalCleanup.NONE, WriterFence.NONE),
                EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
        List<byte[]> leaves = new ArrayList<>();
        for (int b = 0; b < 7; b++) {
            List<NewRecord> records = batch("b" + b + "-", 100);
            ledger.<WorkspaceLedger.AppendResult>runCommand(replyTo -> new WorkspaceLedger.Append(records, replyTo));
            records.forEach(r -> leaves.add(Merkle.leafHash(r.content().toByteArray())));
        }
        MerkleFrontier tree = ledger.getState().tree();
        assertEquals(700, tree.size());
        assertArrayEquals(Merkle.root(Merkle.overLeaves(leaves), 700), tree.root());

        Map<String, byte[]> tiles = new HashMap<>();
        for (TreeWrites writes : readModel.treeWrites) {
            for (TreeWrites.TileEntry entry : writes.entries()) {
                tiles.put(entry.level() + "/" + entry.tile() + "/" + entry.position(), entry.hash());
            }
        }
        assertEquals(700 + 2, tiles.size(), "700 leaves and the two full subtrees of 256");
        for (int i = 0; i < 700; i++) {
            assertArrayEquals(leaves.get(i), tiles.get("0/" + (i / 256) + "/" + (i % 256)));
        }
        assertArrayEquals(Merkle.overLeaves(leaves).node(8, 1), tiles.get("1/0/1"));

        // a snapshot keeps the tree: a restart from it goes on with the same edge
        var restarted = ledger.restart();
        assertEquals(tree, restarted.state().tree());
    }

    /** What the writer fence asks a recovered ledger: does its chain pass through the acknowledged head? */
    @Test
    void aRecoveredStateTellsWhetherItsChainPassesThroughAnEarlierHead() {
        List<LedgerRecord> first = new ArrayList<>();
        Digest previous = Digest.ZERO;
        for (int seq = 1; seq <= 10; seq++) {
            LedgerRecord record = LedgerRecord.append(new NewRecord("f" + seq, "CODEX_LOG", seq, "u",
                    "{\"event_id\":\"f" + seq + "\"}"), seq, previous);
            first.add(record);
            previous = record.chainHash();
        }
        Digest head10 = previous;
        List<LedgerRecord> second = new ArrayList<>();
        for (int seq = 11; seq <= 20; seq++) {
            LedgerRecord record = LedgerRecord.append(new NewRecord("s" + seq, "CODEX_LOG", seq, "u",
                    "{\"event_id\":\"s" + seq + "\"}"), seq, previous);
            second.add(record);
            previous = record.chainHash();
        }
        LedgerState state = LedgerState.empty(100).apply(new RecordsAppended(1, first)).apply(new RecordsAppended(2, second));
        assertEquals(java.util.Optional.of(true), state.passesThrough(20, previous));
        assertEquals(java.util.Optional.of(true), state.passesThrough(15, second.get(4).chainHash()));
        assertEquals(java.util.Optional.of(false), state.passesThrough(15, Digest.sha256("another 15")));
        assertEquals(java.util.Optional.of(true), state.passesThrough(10, head10), "just before the last batch");
        assertEquals(java.util.Optional.of(false), state.passesThrough(10, Digest.sha256("another 10")));
        assertEquals(java.util.Optional.empty(), state.passesThrough(5, first.get(4).chainHash()), "further back: unknown");
    }

    @Test
    void checkpointsAreSignedOnDemandAndPeriodicallyForTheFencedTree() {
        SigningCheckpointer signer = new SigningCheckpointer();
        RecordingReadModel readModel = new RecordingReadModel();
        LedgerSettings settings = new LedgerSettings(1000, 100, 2, 4000, 8L << 20, CLOCK)
                .withCheckpoints(Duration.ofMillis(200), signer);
        ActorRef<WorkspaceLedger.Command> ledger = testKit.spawn(WorkspaceLedger.create("signed", readModel, settings,
                JournalCleanup.NONE, WriterFence.NONE));
        TestProbe<WorkspaceLedger.AppendResult> appended = testKit.createTestProbe();
        ledger.tell(new WorkspaceLedger.Append(batch("x", 5), appended.ref()));
        appended.expectMessageClass(WorkspaceLedger.Accepted.class);

        TestProbe<WorkspaceLedger.CheckpointSigned> signed = testKit.createTestProbe();
        ledger.tell(new WorkspaceLedger.SignCheckpoint(signed.ref()));
        WorkspaceLedger.CheckpointSigned now = signed.receiveMessage();
        assertNull(now.error());
        assertEquals(5, now.size());
        Checkpoint opened = signer.open(now.note());
        assertEquals("test.local/signed", opened.origin());

        ledger.tell(new WorkspaceLedger.Append(batch("y", 3), appended.ref()));
        appended.expectMessageClass(WorkspaceLedger.Accepted.class);
        // the periodic checkpoint follows the new records within the interval
        appended.awaitAssert(Duration.ofSeconds(5), () -> {
            assertTrue(signer.notes.stream().map(signer::open).anyMatch(c -> c.size() == 8), signer.notes.toString());
            return null;
        });
        int signedSoFar = signer.notes.size();
        // nothing new: no more checkpoints
        try {
            Thread.sleep(700);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assertEquals(signedSoFar, signer.notes.size(), "no new records, no new checkpoint");
    }
}

package dev.codexledger.tlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.codexledger.budget.Pricing;
import dev.codexledger.pipeline.AfterWrite;
import dev.codexledger.records.HeldRecords;
import dev.codexledger.records.RecordQuery;
import dev.codexledger.records.RecordSearch;
import dev.codexledger.records.RecordStore;
import dev.codexledger.records.StoredRecord;
import dev.codexledger.storage.CassandraWriterFence;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import dev.codexledger.verify.Checkpoint;
import dev.codexledger.verify.Merkle;
import dev.codexledger.verify.MerkleFrontier;
import dev.codexledger.verify.SignedNote;
import dev.codexledger.workspace.JournalCleanup;
import dev.codexledger.workspace.LedgerSettings;
import dev.codexledger.workspace.NewRecord;
import dev.codexledger.workspace.WorkspaceLedger;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two live incarnations of one workspace's ledger on the real journal and tables, as after a node was frozen
 * long enough to be replaced and then woke: the old one can sign only a prefix of what the new one holds,
 * never a checkpoint of its refused batch, so every stored checkpoint is consistent with the final log.
 */
@ExtendWith(SharedCassandra.class)
class CheckpointFenceIT {

    private static TestNodes.Schema schema;
    private static ActorTestKit testKit;
    private static AfterWrite table;
    private static RecordSearch search;
    private static Checkpoints checkpoints;
    private static CheckpointKeys keys;

    @BeforeAll
    static void start() {
        schema = TestNodes.newSchema("ckfence", Duration.ofDays(30));
        RecordStore store = new RecordStore(schema.session(), schema.settings(), workspace -> Duration.ofDays(30),
                Clock.systemUTC());
        table = new AfterWrite(store, new MerkleTiles(schema.session(), schema.keyspace(), 4)::write, List.of(),
                Pricing.FREE, List.of(), Runnable::run);
        search = new RecordSearch(store, HeldRecords.NONE, Duration.ofDays(1));
        keys = new CheckpointKeys(schema.session(), schema.keyspace(), "fence.test", "", Clock.systemUTC());
        keys.start();
        checkpoints = new Checkpoints(schema.session(), schema.keyspace(), keys, Clock.systemUTC(), "");
        testKit = TestNodes.journalTestKit("ckfence", schema);
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
        schema.close();
    }

    private static List<NewRecord> batch(String prefix, int size) {
        return IntStream.range(0, size).mapToObj(i -> new NewRecord(prefix + i, "CODEX_LOG", 1_700_000_000_000_000L + i,
                "u", "{\"event_id\":\"" + prefix + i + "\",\"n\":" + i + "}")).toList();
    }

    private static ActorRef<WorkspaceLedger.Command> incarnation(String node) {
        LedgerSettings settings = new LedgerSettings(1000, 100, 2, 4000, 8L << 20, Clock.systemUTC())
                .withCheckpoints(Duration.ofMillis(100), checkpoints);
        return testKit.spawn(WorkspaceLedger.create("zombie", table, settings, JournalCleanup.NONE,
                new CassandraWriterFence(schema.session(), schema.keyspace(), node)));
    }

    private static WorkspaceLedger.CheckpointSigned sign(ActorRef<WorkspaceLedger.Command> ledger) {
        TestProbe<WorkspaceLedger.CheckpointSigned> signed = testKit.createTestProbe();
        ledger.tell(new WorkspaceLedger.SignCheckpoint(signed.getRef()));
        return signed.receiveMessage(Duration.ofSeconds(30));
    }

    @Test
    void aWokenOldOwnerSignsOnlyAPrefixOfTheNewOwnersLog() throws Exception {
        TestProbe<WorkspaceLedger.AppendResult> replies = testKit.createTestProbe();
        ActorRef<WorkspaceLedger.Command> old = incarnation("node-a");
        old.tell(new WorkspaceLedger.Append(batch("a-", 10), replies.getRef()));
        assertInstanceOf(WorkspaceLedger.Accepted.class, replies.receiveMessage(Duration.ofSeconds(30)));

        // the old owner is "frozen": a new incarnation recovers, claims and goes on
        ActorRef<WorkspaceLedger.Command> next = incarnation("node-b");
        next.tell(new WorkspaceLedger.Append(batch("b-", 5), replies.getRef()));
        WorkspaceLedger.Accepted accepted = (WorkspaceLedger.Accepted) replies.receiveMessage(Duration.ofSeconds(30));
        assertEquals(11, accepted.firstSeq());
        assertEquals(15, sign(next).size());

        // it wakes: what it can still sign is its fenced prefix, and its next write is refused by the fence
        var zombieCheckpoint = sign(old);
        assertNull(zombieCheckpoint.error(), zombieCheckpoint.toString());
        assertEquals(10, zombieCheckpoint.size(), "only what its fence confirmed");
        old.tell(new WorkspaceLedger.Append(batch("z-", 3), replies.getRef()));
        assertInstanceOf(WorkspaceLedger.Unavailable.class, replies.receiveMessage(Duration.ofSeconds(30)),
                "the zombie's batch is never acknowledged");
        replies.expectTerminated(old, Duration.ofSeconds(10));

        next.tell(new WorkspaceLedger.Append(batch("c-", 4), replies.getRef()));
        assertInstanceOf(WorkspaceLedger.Accepted.class, replies.receiveMessage(Duration.ofSeconds(30)));
        assertEquals(19, sign(next).size());

        // every stored checkpoint is the root of a prefix of the log the new owner holds
        List<byte[]> leaves = new ArrayList<>();
        for (StoredRecord record : search.read(RecordQuery.everything("zombie", 1000, 10_000)).records()) {
            assertEquals(leaves.size() + 1, record.seq());
            assertTrue(!record.content().contains("\"z-"), "the zombie's records are not in the log");
            leaves.add(Merkle.leafHash(record.content().getBytes(StandardCharsets.UTF_8)));
        }
        assertEquals(19, leaves.size());
        List<Checkpoints.Stored> stored = checkpoints.list("zombie", Long.MAX_VALUE, 1000).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        assertTrue(stored.stream().anyMatch(c -> c.size() == 10) && stored.stream().anyMatch(c -> c.size() == 19),
                "sizes " + stored.stream().map(Checkpoints.Stored::size).toList());
        for (Checkpoints.Stored checkpoint : stored) {
            assertTrue(checkpoint.size() <= 10 || checkpoint.size() >= 15, "no checkpoint of the zombie's batch: "
                    + checkpoint.size());
            MerkleFrontier prefix = MerkleFrontier.EMPTY;
            for (byte[] leaf : leaves.subList(0, (int) checkpoint.size())) {
                prefix = prefix.append(leaf);
            }
            assertArrayEquals(prefix.root(), checkpoint.root(), "checkpoint " + checkpoint.size() + " is a prefix");
            Checkpoint opened = Checkpoint.parse(SignedNote.open(checkpoint.note(), List.of(keys.current().verifierOnly())).text());
            assertEquals(checkpoint.size(), opened.size());
        }
    }
}

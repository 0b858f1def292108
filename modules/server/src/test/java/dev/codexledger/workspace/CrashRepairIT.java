package dev.codexledger.workspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import dev.codexledger.records.RecordCursor;
import dev.codexledger.records.RecordPage;
import dev.codexledger.records.RecordQuery;
import dev.codexledger.budget.Pricing;
import dev.codexledger.pipeline.AfterWrite;
import dev.codexledger.tlog.MerkleTiles;
import dev.codexledger.records.HeldRecords;
import dev.codexledger.records.RecordSearch;
import dev.codexledger.records.RecordStore;
import dev.codexledger.storage.CassandraSettings;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A batch persisted to the journal whose rows never reached the records table (the node "crashed"
 * in between) becomes queryable when the ledger recovers. Real journal, real tables.
 */
@ExtendWith(SharedCassandra.class)
class CrashRepairIT {

    private static ActorTestKit testKit;
    private static TestNodes.Schema schema;
    private static CqlSession session;
    /** The records table and nothing after it: the ledger's read model, as the node's without its features. */
    private static AfterWrite table;
    private static RecordSearch search;

    @BeforeAll
    static void start() {
        schema = TestNodes.newSchema("crash", Duration.ofDays(30));
        session = schema.session();
        CassandraSettings settings = schema.settings();
        RecordStore store = new RecordStore(session, settings, workspace -> Duration.ofDays(30), Clock.systemUTC());
        table = new AfterWrite(store, new MerkleTiles(session, settings.keyspace(), 4)::write, List.of(), Pricing.FREE, List.of(), Runnable::run);
        search = new RecordSearch(store, HeldRecords.NONE, Duration.ofDays(1));
        testKit = TestNodes.journalTestKit("crash", schema);
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
        schema.close();
    }

    /** The real table, except that writing rows fails: what a crash after the persist looks like. */
    private record RowsNeverWritten(AfterWrite real) implements LedgerReadModel {
        @Override
        public CompletionStage<Void> write(String workspace, RecordsAppended batch, TreeWrites tree) {
            return CompletableFuture.failedFuture(new IllegalStateException("injected crash before the row write"));
        }

        @Override
        public CompletionStage<Map<String, Digest>> storedContentHashes(String workspace, Collection<String> ids) {
            return real.storedContentHashes(workspace, ids);
        }
    }

    private static List<NewRecord> batch(String prefix, int size) {
        return java.util.stream.IntStream.range(0, size)
                .mapToObj(i -> new NewRecord(prefix + i, "CODEX_LOG", 1_700_000_000_000_000L + i, "u",
                        "{\"event_id\":\"" + prefix + i + "\",\"n\":" + i + "}"))
                .toList();
    }

    private static RecordPage readAll(String workspace) {
        return search.read(RecordQuery.everything(workspace, 1000, 10_000));
    }

    @Test
    void aBatchPersistedButNeverWrittenIsRepairedOnRecovery() {
        LedgerSettings settings = new LedgerSettings(1000, 100, 2, 4000, 8L << 20, Clock.systemUTC());
        TestProbe<WorkspaceLedger.AppendResult> replies = testKit.createTestProbe();

        ActorRef<WorkspaceLedger.Command> crashing = testKit.spawn(
                WorkspaceLedger.create("crashy", new RowsNeverWritten(table), settings, JournalCleanup.NONE, WriterFence.NONE));
        crashing.tell(new WorkspaceLedger.Append(batch("c-", 5), replies.getRef()));
        assertInstanceOf(WorkspaceLedger.Unavailable.class, replies.receiveMessage(Duration.ofSeconds(30)));
        replies.expectTerminated(crashing, Duration.ofSeconds(10));
        assertEquals(0, readAll("crashy").records().size(), "the rows were never written");

        ActorRef<WorkspaceLedger.Command> recovered = testKit.spawn(
                WorkspaceLedger.create("crashy", table, settings, JournalCleanup.NONE, WriterFence.NONE));
        recovered.tell(new WorkspaceLedger.Append(batch("c-", 6), replies.getRef()));
        WorkspaceLedger.Accepted accepted = (WorkspaceLedger.Accepted) replies.receiveMessage(Duration.ofSeconds(30));
        assertEquals(1, accepted.accepted(), "the 5 persisted records count as stored");
        assertEquals(5, accepted.duplicates());
        assertEquals(6, accepted.firstSeq());

        RecordPage page = readAll("crashy");
        assertEquals(6, page.records().size());
        for (int i = 0; i < 6; i++) {
            assertEquals(i + 1, page.records().get(i).seq());
        }
        assertTrue(page.next() == null);
    }
}

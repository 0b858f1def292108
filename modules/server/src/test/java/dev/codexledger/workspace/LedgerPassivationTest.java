package dev.codexledger.workspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.TwoNodes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ledgers under sharding with a memory budget for two of them ({@link ActiveLedgers}): writing to more
 * workspaces passivates the least recently used, whose memory is then free, and a passivated ledger
 * recovers when addressed again, still catches a re-sent batch and goes on with its sequence.
 */
class LedgerPassivationTest {

    private static final Duration ASK = Duration.ofSeconds(20);
    private static final LedgerSettings SETTINGS = new LedgerSettings(1000, 100, 2, 4000, 8L << 20,
            Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC));
    private static final RecordingReadModel READ_MODEL = new RecordingReadModel();
    private static TwoNodes nodes;
    private static ActiveLedgers active;
    private static long oneLedger;

    @BeforeAll
    static void start() {
        READ_MODEL.handOverAtOnce = true;
        // what one ledger holds after one batch of 10: a first window allocation and the batch
        DedupWindow window = DedupWindow.empty(SETTINGS.dedupWindowSize());
        batch("probe").forEach(r -> window.add(LedgerRecord.append(r, 1, Digest.ZERO)));
        oneLedger = window.bytes() + new RecordsAppended(1, batch("probe").stream()
                .map(r -> LedgerRecord.append(r, 1, Digest.ZERO)).toList()).heapBytes();
        active = new ActiveLedgers(oneLedger * 5 / 2);
        nodes = TwoNodes.start("ledger-passivation");
        for (var kit : List.of(nodes.host(), nodes.client())) {
            ClusterSharding.get(kit.system()).init(Entity.of(WorkspaceLedger.ENTITY_TYPE_KEY,
                    entity -> WorkspaceLedger.create(entity.getEntityId(), READ_MODEL, SETTINGS, JournalCleanup.NONE,
                            WriterFence.NONE, active, entity.getShard()))
                    .withStopMessage(WorkspaceLedger.HandOver.INSTANCE)
                    .withRole(TwoNodes.HOST_ROLE));
        }
    }

    @AfterAll
    static void stop() {
        nodes.close();
    }

    private static List<NewRecord> batch(String workspace) {
        return IntStream.range(0, 10).mapToObj(i -> {
            ByteString content = ByteString.copyFromUtf8("{\"event_id\":\"" + workspace + "-" + i + "\",\"n\":" + i + "}");
            return new NewRecord(workspace + "-" + i, "CODEX_LOG", 1_765_100_000_000_000L + i, "u", content,
                    Digest.sha256(content), LedgerMessageSerializerTest.FACTS);
        }).toList();
    }

    private static WorkspaceLedger.AppendResult append(String workspace, List<NewRecord> records) throws Exception {
        return ClusterSharding.get(nodes.client().system()).entityRefFor(WorkspaceLedger.ENTITY_TYPE_KEY, workspace)
                .<WorkspaceLedger.AppendResult>ask(r -> new WorkspaceLedger.Append(records, r), ASK)
                .toCompletableFuture().get(ASK.toSeconds(), TimeUnit.SECONDS);
    }

    private static long writesOf(String eventId) {
        return READ_MODEL.writes.stream().filter(w -> w.records().get(0).eventId().equals(eventId)).count();
    }

    @Test
    void theLeastRecentlyUsedArePassivatedAndComeBackExact() throws Exception {
        for (String workspace : List.of("w1", "w2", "w3", "w4")) {
            assertEquals(new WorkspaceLedger.Accepted(10, 0, 1, 10), append(workspace, batch(workspace)));
        }
        Eventually.assertThat(Duration.ofSeconds(20), () -> {
            assertTrue(active.totalBytes() <= active.budgetBytes(), active.totalBytes() + " held of "
                    + active.budgetBytes());
            assertEquals(2, active.active(), "two ledgers fit the budget");
        });
        assertTrue(active.passivations() >= 2, active.passivations() + " passivations");
        assertEquals(1, writesOf("w1-0"), "w1's batch written once so far");

        // w1 was the least recently used: it recovers, writes its last batch again, catches the re-send
        int lookups = READ_MODEL.lookups.get();
        assertEquals(new WorkspaceLedger.Accepted(0, 10, 0, 0), append("w1", batch("w1")), "a re-send after passivation");
        assertEquals(2, writesOf("w1-0"), "recovered: its last batch written again");
        assertTrue(READ_MODEL.lookups.get() > lookups, "the re-send was checked against the id index");
        List<NewRecord> more = batch("w1-more");
        assertEquals(new WorkspaceLedger.Accepted(10, 0, 11, 20), append("w1", more), "the sequence goes on");
        Eventually.assertThat(Duration.ofSeconds(20), () -> assertTrue(active.totalBytes() <= active.budgetBytes()));
    }
}

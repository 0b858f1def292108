package dev.codexledger.workspace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import dev.codexledger.testing.TwoNodes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.japi.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ledger's commands and replies between two real nodes: a request taken by a node that does not host
 * the workspace reaches its ledger over Artery and is answered back, a full-size batch included.
 */
class LedgerAcrossNodesTest {

    private static final Duration ASK = Duration.ofSeconds(20);
    private static final LedgerSettings SETTINGS = new LedgerSettings(1000, 100, 2, 4000, 8L << 20,
            Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC));

    private static TwoNodes nodes;
    private static final RecordingReadModel READ_MODEL = new RecordingReadModel();

    @BeforeAll
    static void start() {
        nodes = TwoNodes.start("ledger-across");
        for (var kit : List.of(nodes.host(), nodes.client())) {
            ClusterSharding.get(kit.system()).init(Entity.of(WorkspaceLedger.ENTITY_TYPE_KEY,
                    entity -> WorkspaceLedger.create(entity.getEntityId(), READ_MODEL, SETTINGS, JournalCleanup.NONE,
                            WriterFence.NONE))
                    .withRole(TwoNodes.HOST_ROLE));
        }
    }

    @AfterAll
    static void stop() {
        nodes.close();
    }

    private static <T> T ask(String workspace, Function<ActorRef<T>, WorkspaceLedger.Command> command)
            throws Exception {
        EntityRef<WorkspaceLedger.Command> ledger = ClusterSharding.get(nodes.client().system())
                .entityRefFor(WorkspaceLedger.ENTITY_TYPE_KEY, workspace);
        return ledger.ask(command::apply, ASK).toCompletableFuture().get(ASK.toSeconds(), TimeUnit.SECONDS);
    }

    private static WorkspaceLedger.AppendResult append(String workspace, List<NewRecord> records) throws Exception {
        return ask(workspace, r -> new WorkspaceLedger.Append(records, r));
    }

    /** Records with facts unlike their content's: what the ledger writes must be what was sent. */
    private static NewRecord record(String id, int contentBytes) {
        ByteString content = ByteString.copyFromUtf8("{\"body\":\"" + "x".repeat(contentBytes) + "\",\"event_id\":\""
                + id + "\"}");
        return new NewRecord(id, "CODEX_LOG", 1_763_800_000_000_000L, "user-" + id, content, Digest.sha256(content),
                LedgerMessageSerializerTest.FACTS);
    }

    @Test
    void aFullSizeBatchFromAnotherNodeIsAcceptedWithItsFactsAndAnswered() throws Exception {
        // about 8 MB of content in 1,000 records: near what one request may carry (max-batch-content-bytes)
        List<NewRecord> batch = IntStream.range(0, 1000).mapToObj(i -> record("big-" + i, 8 * 1024 - 40)).toList();
        assertEquals(new WorkspaceLedger.Accepted(1000, 0, 1, 1000), append("big", batch));
        RecordsAppended written = READ_MODEL.writes.stream()
                .filter(w -> w.records().get(0).eventId().equals("big-0")).findFirst().orElseThrow();
        assertEquals(LedgerMessageSerializerTest.FACTS, written.records().get(999).facts(), "facts as sent, not re-read");
        assertEquals(batch.get(999).content(), written.records().get(999).content());
    }

    @Test
    void everyCommandCrossesAndItsReplyComesBack() throws Exception {
        var first = record("a-1", 10);
        assertEquals(new WorkspaceLedger.Accepted(1, 0, 1, 1), append("acme", List.of(first)));
        assertEquals(new WorkspaceLedger.Accepted(0, 1, 0, 0), append("acme", List.of(first)), "a re-send");
        assertEquals(new WorkspaceLedger.Conflict(0, "a-1"), append("acme", List.of(record("a-1", 11))));
        WorkspaceLedger.Head head = ask("acme", WorkspaceLedger.GetHead::new);
        assertEquals(2, head.nextSeq());
        assertEquals(Digest.chain(Digest.ZERO, 1, first.content()), head.headHash());
        WorkspaceLedger.Forgotten forgotten =
                ask("acme", r -> new WorkspaceLedger.Forget("user_id", "user-a-1", 1_800_000_000_000_000L, r));
        assertEquals(new WorkspaceLedger.Forgotten(1, null), forgotten);
    }
}

package dev.codexledger.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.WriterFence;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The writer fence's rules, against a real Cassandra's lightweight transactions. */
@ExtendWith(SharedCassandra.class)
class WriterFenceIT {

    private static TestNodes.Schema schema;
    private static CqlSession session;
    private static String keyspace;

    @BeforeAll
    static void start() {
        schema = TestNodes.newSchema("fence", Duration.ofDays(1));
        session = schema.session();
        keyspace = schema.keyspace();
    }

    @AfterAll
    static void stop() {
        schema.close();
    }

    private static WriterFence fence(String node) {
        return new CassandraWriterFence(session, keyspace, node);
    }

    private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    private static Throwable refusal(java.util.concurrent.CompletionStage<?> stage) {
        ExecutionException failed = assertThrows(ExecutionException.class,
                () -> stage.toCompletableFuture().get(20, TimeUnit.SECONDS));
        return assertInstanceOf(WriterFence.Refused.class, failed.getCause());
    }

    private static Digest hash(String text) {
        return Digest.sha256(text);
    }

    @Test
    void aNewerClaimFencesTheOlderWriterOff() throws Exception {
        WriterFence old = fence("node-a");
        WriterFence next = fence("node-b");
        long first = await(old.claim("ws-1", 0, Digest.ZERO));
        await(old.advance("ws-1", first, 10, hash("10")));
        long second = await(next.claim("ws-1", 10, hash("10")));
        assertEquals(first + 1, second);
        Throwable refused = refusal(old.advance("ws-1", first, 11, hash("11-old")));
        assertTrue(refused.getMessage().contains("claimed by a newer writer"), refused.getMessage());
        await(next.advance("ws-1", second, 11, hash("11-new")));
    }

    @Test
    void aRecoveryBehindWhatWasAcknowledgedCannotClaim() throws Exception {
        WriterFence old = fence("node-a");
        long epoch = await(old.claim("ws-2", 0, Digest.ZERO));
        await(old.advance("ws-2", epoch, 7, hash("7")));
        Throwable refused = refusal(fence("node-b").claim("ws-2", 6, hash("6")));
        assertTrue(refused.getMessage().contains("already acknowledged"), refused.getMessage());
        await(old.advance("ws-2", epoch, 8, hash("8")));
    }

    @Test
    void aForkedHeadAtTheAcknowledgedSeqIsRefused() throws Exception {
        WriterFence old = fence("node-a");
        long epoch = await(old.claim("ws-3", 0, Digest.ZERO));
        await(old.advance("ws-3", epoch, 4, hash("4")));
        Throwable refused = refusal(fence("node-b").claim("ws-3", 4, hash("4-other")));
        assertTrue(refused.getMessage().contains("forked"), refused.getMessage());
    }

    /**
     * A recovery ahead of the fenced seq whose history does not pass through the fenced head: the zombie's
     * late batch replaced the acknowledged one at the journal's highest sequence number.
     */
    @Test
    void aRecoveryAheadThatDoesNotPassThroughTheFencedHeadIsForked() throws Exception {
        WriterFence old = fence("node-a");
        long epoch = await(old.claim("ws-5", 0, Digest.ZERO));
        await(old.advance("ws-5", epoch, 15, hash("15-acknowledged")));
        WriterFence.History forkedHistory = (seq, head) -> java.util.Optional.of(head.equals(hash("15-zombie")));
        Throwable refused = refusal(fence("node-b").claim("ws-5", 20, hash("20-zombie"), forkedHistory));
        assertInstanceOf(WriterFence.Forked.class, refused);
        assertTrue(refused.getMessage().contains("does not pass through"), refused.getMessage());
        WriterFence.History goodHistory = (seq, head) -> java.util.Optional.of(seq == 15 && head.equals(hash("15-acknowledged")));
        assertEquals(epoch + 1, await(fence("node-b").claim("ws-5", 20, hash("20"), goodHistory)));
    }

    @Test
    void ofManyConcurrentClaimsAtMostOneWinsEachEpoch() throws Exception {
        await(fence("node-0").claim("ws-4", 0, Digest.ZERO));
        List<CompletableFuture<Long>> claims = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            claims.add(fence("node-" + i).claim("ws-4", 0, Digest.ZERO).toCompletableFuture());
        }
        List<Long> won = new ArrayList<>();
        for (CompletableFuture<Long> claim : claims) {
            try {
                won.add(claim.get(30, TimeUnit.SECONDS));
            } catch (ExecutionException refused) {
                assertInstanceOf(WriterFence.Refused.class, refused.getCause());
            }
        }
        assertEquals(won.size(), won.stream().distinct().count(), "no epoch granted twice: " + won);
        assertTrue(!won.isEmpty(), "one of them wins");
    }
}

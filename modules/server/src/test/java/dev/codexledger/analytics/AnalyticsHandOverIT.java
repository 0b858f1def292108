package dev.codexledger.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.google.protobuf.ByteString;
import dev.codexledger.budget.PricedBatch;
import dev.codexledger.budget.Pricing;
import dev.codexledger.records.RecordStore;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.LedgerRecord;
import dev.codexledger.workspace.RecordsAppended;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One counter per workspace at a time: when a workspace's ledger stops on a node (passivation, or its
 * shard moving), that node's analytics count what they were handed — at once, not after the coalescing
 * delay — and forget the workspace; the next node counts on from the stored progress, each record once.
 * Real tables; two {@link Analytics} stand for two nodes.
 */
@ExtendWith(SharedCassandra.class)
class AnalyticsHandOverIT {

    private static final String WORKSPACE = "moving";
    private static final long NOON = TimeUnit.SECONDS.toMicros(
            LocalDate.of(2026, 11, 2).atTime(12, 0).toEpochSecond(ZoneOffset.UTC));

    private static CqlSession session;
    private static String keyspace;
    private static RecordStore store;
    private static ExecutorService threads;

    @BeforeAll
    static void start() {
        TestNodes.Schema schema = TestNodes.newSchema("handover", Duration.ofDays(30));
        keyspace = schema.keyspace();
        session = schema.session();
        store = new RecordStore(session, schema.settings(), workspace -> Duration.ofDays(30), Clock.systemUTC());
        threads = Executors.newFixedThreadPool(2);
    }

    @AfterAll
    static void stop() {
        threads.shutdownNow();
        session.close();
    }

    /** A node's analytics, counting batches together after a whole second (as configured by default). */
    private static Analytics node() {
        return new Analytics(session, keyspace, Pricing.FREE, store, workspace -> Duration.ofDays(30), threads,
                Duration.ofSeconds(1));
    }

    /** Prompts {@code first..last}: each a turn of user ana on the CLI. */
    private static PricedBatch prompts(long first, long last) {
        List<LedgerRecord> records = LongStream.rangeClosed(first, last).mapToObj(seq -> {
            ByteString content = ByteString.copyFromUtf8("{\"event_id\":\"p" + seq + "\",\"event_type\":\"CODEX_LOG\","
                    + "\"model\":\"gpt-5-codex\",\"prompt\":\"turn " + seq + "\",\"surface\":\"cli\"}");
            return new LedgerRecord(seq, "p" + seq, "CODEX_LOG", NOON + seq, "ana", content, Digest.sha256(content),
                    Digest.sha256(content));
        }).toList();
        return PricedBatch.of(WORKSPACE, new RecordsAppended(NOON + last, records), Pricing.FREE);
    }

    private static long turns(Analytics analytics) {
        LocalDate day = LocalDate.of(2026, 11, 2);
        return analytics.rows(WORKSPACE, day, day).stream()
                .mapToLong(row -> row.counts()[Metric.TURNS.ordinal()]).sum();
    }

    @Test
    void theNodeALedgerLeavesCountsWhatItWasHandedAndTheNextNodeCountsOnOnce() throws Exception {
        Analytics first = node();
        first.follow(prompts(1, 3));
        first.follow(prompts(4, 5));
        first.handOver(WORKSPACE).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(5, turns(first), "handed over only once everything it was handed is counted");

        Analytics next = node();
        next.follow(prompts(1, 5)); // told again (the ledger's recovery re-writes its last batch)
        next.follow(prompts(6, 7));
        next.handOver(WORKSPACE).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(7, turns(next), "each prompt counted once, across both nodes");

        // a ledger that comes back to the first node finds nothing of the workspace left there
        first.follow(prompts(8, 8));
        first.handOver(WORKSPACE).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(8, turns(first), "it counts on from the stored progress, not from what it knew before");
    }
    @Test
    void aNodeThatRemembersOneConversationStillCountsEachThreadOnce() throws Exception {
        String workspace = "threads-hint";
        Analytics small = new Analytics(session, keyspace, Pricing.FREE, store, w -> Duration.ofDays(30), threads,
                Duration.ZERO, 1);
        long seq = 0;
        for (int batch = 0; batch < 4; batch++) { // c1..c3 in every batch, in a rotated order
            List<LedgerRecord> records = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                seq++;
                String conversation = "c" + (1 + (batch + i) % 3);
                ByteString content = ByteString.copyFromUtf8("{\"event_id\":\"t" + seq + "\",\"event_type\":\"CODEX_LOG\","
                        + "\"model\":\"gpt-5-codex\",\"prompt\":\"turn\",\"surface\":\"cli\",\"conversation_id\":\""
                        + conversation + "\"}");
                records.add(new LedgerRecord(seq, "t" + seq, "CODEX_LOG", NOON + seq, "ana", content,
                        Digest.sha256(content), Digest.sha256(content)));
            }
            small.follow(PricedBatch.of(workspace, new RecordsAppended(NOON + seq, records), Pricing.FREE));
            long through = seq;
            dev.codexledger.testing.Eventually.assertThat(Duration.ofSeconds(10), () -> assertEquals(through,
                    threadsAndTurns(small, workspace)[1], "counted through batch"));
        }
        small.handOver(workspace).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(3, threadsAndTurns(small, workspace)[0], "three conversations, each counted once");
        assertEquals(1, small.knownThreadsCapacity());
        assertEquals(1, small.knownThreadsHeld(), "the node's hint stays in its bound");
    }

    private static long[] threadsAndTurns(Analytics analytics, String workspace) {
        LocalDate day = LocalDate.of(2026, 11, 2);
        long[] sums = new long[2];
        for (var row : analytics.rows(workspace, day, day)) {
            sums[0] += row.counts()[Metric.THREADS.ordinal()];
            sums[1] += row.counts()[Metric.TURNS.ordinal()];
        }
        return sums;
    }
}

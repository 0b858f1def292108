package dev.codexledger.analytics;

import com.datastax.oss.driver.api.core.CqlSession;
import dev.codexledger.budget.PricedBatch;
import dev.codexledger.budget.Pricing;
import dev.codexledger.pipeline.AfterWrite;
import dev.codexledger.records.RecordStore;
import dev.codexledger.records.StoredRecord;
import dev.codexledger.workspace.LedgerRecord;
import dev.codexledger.workspace.RecordFacts;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the analytics as data arrives: every batch the ledger writes is handed over, priced, with the
 * facts its records were decoded with ({@link #follow}), and counted in the background by its workspace's single writer ({@link WorkspaceAnalytics}), never on
 * the ingest path. Exactness does not depend on every hand-over arriving: a workspace's progress says
 * which sequence numbers are counted, and a range it never got (a full queue, a failed write, another
 * node that owned the workspace meanwhile, a node that stopped) is read back from the records table
 * before counting on. {@link #tick()} (every few seconds) catches up workspaces that saw no batch since.
 */
public final class Analytics implements AfterWrite.Follower {

    private static final Logger LOG = LoggerFactory.getLogger(Analytics.class);
    private static final int MAX_QUEUED_BATCHES = 64;
    private static final int READ_BACK_CHUNK = 2000;
    private static final int MAX_RECORDS_COUNTED_TOGETHER = 20_000;
    private static final long IDLE_NANOS = TimeUnit.MINUTES.toNanos(10);
    private static final long ONE_HOUR_MICROS = TimeUnit.HOURS.toMicros(1);

    private final AnalyticsStore store;
    private final Pricing prices;
    private final RecordStore records;
    /** Runs a lane's drain after the coalescing delay, so batches arriving meanwhile are counted together. */
    private final Executor delayed;
    private final Executor executor;
    private final java.util.function.Function<String, java.time.Duration> retention;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
    private final KnownThreads knownThreads;

    /** A handed-over batch, as the facts it adds. */
    private record Counted(long firstSeq, long lastSeq, long acceptedAtMicros, List<Fact> facts) {}

    /** One workspace's queue of batches to count and its state, used by one thread at a time. */
    private static final class Lane {
        final String workspace;
        final ConcurrentLinkedQueue<Counted> queue = new ConcurrentLinkedQueue<>();
        final AtomicInteger queued = new AtomicInteger();
        final AtomicBoolean running = new AtomicBoolean();
        volatile long lastSeenSeq;
        /** The last seq counted and stored (before the lane's first batch when new); with lastSeenSeq, the lag. */
        volatile long countedSeq;
        /**
         * When the lane fell behind (a batch arrived while it was caught up); 0 while caught up. Set only from
         * 0 (compareAndSet) by follow; the drain clears it when caught up and sets it again if a batch came
         * in between (it reads lastSeenSeq after clearing).
         */
        final java.util.concurrent.atomic.AtomicLong behindSinceNanos = new java.util.concurrent.atomic.AtomicLong();
        volatile long lastUsedNanos = System.nanoTime();
        /** Only the thread that holds {@code running} changes it. */
        volatile WorkspaceAnalytics state;
        /** State dropped because the workspace was idle (not because counting failed). */
        volatile boolean evicted;
        /** The workspace's ledger stops here: count what is queued, then forget the lane. */
        volatile boolean closing;
        final CompletableFuture<Void> handedOver = new CompletableFuture<>();

        Lane(String workspace, long countedBefore) {
            this.workspace = workspace;
            this.countedSeq = countedBefore;
        }
    }

    public Analytics(CqlSession session, String keyspace, Pricing prices, RecordStore records,
                     java.util.function.Function<String, java.time.Duration> retention, Executor executor,
                     java.time.Duration coalesce) {
        this(session, keyspace, prices, records, retention, executor, coalesce, 100_000);
    }

    /** @param knownThreads conversations the node remembers as counted, for all its workspaces together */
    public Analytics(CqlSession session, String keyspace, Pricing prices, RecordStore records,
                     java.util.function.Function<String, java.time.Duration> retention, Executor executor,
                     java.time.Duration coalesce, int knownThreads) {
        this.knownThreads = new KnownThreads(knownThreads);
        this.retention = retention;
        this.executor = executor;
        this.delayed = coalesce.isZero() ? executor
                : java.util.concurrent.CompletableFuture.delayedExecutor(coalesce.toMillis(), TimeUnit.MILLISECONDS,
                        executor);
        this.store = new AnalyticsStore(session, keyspace);
        this.prices = prices;
        this.records = records;
    }

    /** Records written on this node's workspaces and not yet counted into analytics. */
    public long lagRecords() {
        long behind = 0;
        for (Lane lane : lanes.values()) {
            behind += Math.max(0, lane.lastSeenSeq - lane.countedSeq);
        }
        return behind;
    }

    /** How long the lane furthest behind has been behind (0 when every workspace is counted). */
    public double lagSeconds() {
        long now = System.nanoTime();
        long oldest = 0;
        for (Lane lane : lanes.values()) {
            long since = lane.behindSinceNanos.get();
            if (since != 0) {
                oldest = Math.max(oldest, now - since);
            }
        }
        return oldest / 1e9;
    }

    /** Conversations the node holds as counted (for every workspace together), and how many it may. */
    public int knownThreadsHeld() {
        return knownThreads.size();
    }

    public int knownThreadsCapacity() {
        return knownThreads.capacity();
    }

    /** The most heap the held conversations take (an estimate per entry, see KnownThreads). */
    public long knownThreadsMaxBytes() {
        return (long) knownThreads.capacity() * KnownThreads.BYTES_PER_ENTRY;
    }

    /**
     * The workspace's ledger stops on this node: counts what this node was handed (at once, without the
     * coalescing delay), then forgets the workspace; completes when done. The ledger stops only then, so
     * its next incarnation — on this node or another — counts alone, from the stored progress.
     */
    @Override
    public CompletionStage<Void> handOver(String workspace) {
        Lane lane = lanes.get(workspace);
        if (lane == null) {
            return CompletableFuture.completedFuture(null);
        }
        lane.closing = true;
        if (lane.running.compareAndSet(false, true)) {
            executor.execute(() -> drain(lane));
        }
        return lane.handedOver;
    }

    /** Hands over a batch the ledger has written; returns at once. */
    @Override
    public void follow(PricedBatch priced) {
        if (priced.isEmpty()) {
            return;
        }
        Lane lane = lanes.computeIfAbsent(priced.workspace(), workspace -> new Lane(workspace, priced.batch().firstSeq() - 1));
        lane.lastSeenSeq = Math.max(lane.lastSeenSeq, priced.batch().lastSeq());
        lane.behindSinceNanos.compareAndSet(0, System.nanoTime());
        if (lane.queued.incrementAndGet() > MAX_QUEUED_BATCHES) {
            lane.queued.decrementAndGet(); // counted later, read back from the records table
        } else {
            lane.queue.add(counted(priced));
        }
        schedule(lane);
    }

    private static Counted counted(PricedBatch priced) {
        List<LedgerRecord> records = priced.records();
        List<Fact> facts = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            LedgerRecord record = records.get(i);
            Fact fact = Facts.of(record.seq(), record.eventType(), record.timestampMicros(), record.userId(),
                    priced.facts().get(i), priced.costMicros()[i]);
            if (fact != null) {
                facts.add(fact);
            }
        }
        return new Counted(priced.batch().firstSeq(), priced.batch().lastSeq(), priced.batch().acceptedAtMicros(),
                facts);
    }

    /** Catches up workspaces whose last batches were not counted; forgets idle ones. Call every few seconds. */
    public void tick() {
        long now = System.nanoTime();
        lanes.values().forEach(lane -> {
            if (lane.running.get() || !lane.queue.isEmpty()) {
                return;
            }
            WorkspaceAnalytics state = lane.state;
            if (state == null ? !lane.evicted : state.countedThrough() < lane.lastSeenSeq) {
                schedule(lane); // a failed count, or batches that never reached the queue
            } else if (state != null && now - lane.lastUsedNanos > IDLE_NANOS && lane.running.compareAndSet(false, true)) {
                // idle: forget its days and threads (the lane itself stays, so it never has two writers)
                lane.state = null;
                lane.evicted = true;
                lane.running.set(false);
                if (!lane.queue.isEmpty() || lane.closing) {
                    schedule(lane); // a hand-over that came meanwhile completes in the drain
                }
            }
        });
    }

    private void schedule(Lane lane) {
        if (lane.running.compareAndSet(false, true)) {
            (lane.closing ? executor : delayed).execute(() -> drain(lane));
        }
    }

    private void drain(Lane lane) {
        try {
            Counted batch;
            while ((batch = lane.queue.poll()) != null) {
                lane.queued.decrementAndGet();
                // batches queued meanwhile that follow on are counted together: one write per row for all
                List<Fact> facts = batch.facts();
                long lastSeq = batch.lastSeq();
                long acceptedAt = batch.acceptedAtMicros();
                Counted next;
                while ((next = lane.queue.peek()) != null && next.firstSeq() == lastSeq + 1
                        && facts.size() + next.facts().size() <= MAX_RECORDS_COUNTED_TOGETHER) {
                    lane.queue.poll();
                    lane.queued.decrementAndGet();
                    if (facts == batch.facts()) {
                        facts = new ArrayList<>(facts);
                    }
                    facts.addAll(next.facts());
                    lastSeq = next.lastSeq();
                    acceptedAt = Math.max(acceptedAt, next.acceptedAtMicros());
                }
                count(lane, batch.firstSeq(), lastSeq, acceptedAt, facts);
            }
            if (lane.state == null || lane.state.countedThrough() < lane.lastSeenSeq) {
                count(lane, lane.lastSeenSeq + 1, lane.lastSeenSeq, 0, List.of());
            }
        } finally {
            lane.lastUsedNanos = System.nanoTime();
            WorkspaceAnalytics counted = lane.state;
            if (counted != null) {
                lane.countedSeq = counted.countedThrough();
                if (lane.countedSeq >= lane.lastSeenSeq) {
                    lane.behindSinceNanos.set(0);
                    if (lane.lastSeenSeq > lane.countedSeq) { // a batch came in meanwhile: behind again
                        lane.behindSinceNanos.compareAndSet(0, System.nanoTime());
                    }
                }
            }
            lane.running.set(false);
            if (!lane.queue.isEmpty()) {
                schedule(lane);
            } else if (lane.closing && lane.running.compareAndSet(false, true)) {
                lanes.remove(lane.workspace, lane);
                lane.handedOver.complete(null);
            }
        }
    }

    /**
     * Counts the records {@code firstSeq..lastSeq} (given) after reading back any range before them that
     * is not counted yet.
     */
    private void count(Lane lane, long firstSeq, long lastSeq, long acceptedAtMicros, List<Fact> batch) {
        try {
            if (lane.state == null) {
                lane.state = new WorkspaceAnalytics(lane.workspace, store, retention.apply(lane.workspace), knownThreads);
                lane.evicted = false;
            }
            WorkspaceAnalytics state = lane.state;
            if (lastSeq <= state.countedThrough() && firstSeq <= lastSeq) {
                return;
            }
            if (firstSeq > state.countedThrough() + 1) {
                // counted elsewhere meanwhile (another node owned the workspace), or never handed over
                state = lane.state = new WorkspaceAnalytics(lane.workspace, store, retention.apply(lane.workspace), knownThreads);
                if (firstSeq > state.countedThrough() + 1) {
                    readBack(state, firstSeq - 1);
                }
            }
            if (firstSeq > lastSeq) {
                return;
            }
            List<Fact> counted = new ArrayList<>(batch.size());
            for (Fact fact : batch) {
                if (fact.seq() > state.countedThrough()) {
                    counted.add(fact);
                }
            }
            state.count(counted, lastSeq, acceptedAtMicros);
        } catch (RuntimeException e) {
            LOG.warn("analytics of workspace {} could not count seqs {}..{}; counting on from what is stored",
                    lane.workspace, firstSeq, lastSeq, e);
            lane.state = null;
        }
    }

    /**
     * Counts the stored records after the state's progress up to {@code toSeq}, in chunks, with the facts
     * read again from their content and priced as when they were written.
     */
    private void readBack(WorkspaceAnalytics state, long toSeq) {
        long acceptedAt = state.acceptedAtMicros();
        long since = acceptedAt == 0 ? Long.MIN_VALUE : acceptedAt - ONE_HOUR_MICROS;
        List<Fact> chunk = new ArrayList<>();
        records.between(state.workspace(), state.countedThrough() + 1, toSeq, since, record -> {
            Fact fact = factOf(record);
            if (fact != null) {
                chunk.add(fact);
            }
            if (chunk.size() >= READ_BACK_CHUNK) {
                state.count(List.copyOf(chunk), record.seq(), acceptedAt);
                chunk.clear();
            }
        });
        state.count(chunk, toSeq, acceptedAt);
    }

    private Fact factOf(StoredRecord record) {
        RecordFacts facts = RecordFacts.read(record.content().getBytes(StandardCharsets.UTF_8));
        return Facts.of(record.seq(), record.eventType(), record.timestampMicros(), record.userId(), facts,
                prices.costMicros(facts, record.timestampMicros()));
    }

    /** The stored rows of the days {@code first..last}. Blocking. */
    List<AnalyticsStore.StoredRow> rows(String workspace, LocalDate first, LocalDate last) {
        return store.days(workspace, first, last);
    }
}

package dev.codexledger.pipeline;

import dev.codexledger.budget.PricedBatch;
import dev.codexledger.budget.Pricing;
import dev.codexledger.records.RecordStore;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.LedgerReadModel;
import dev.codexledger.workspace.RecordsAppended;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Everything that follows the persist of a workspace's batch, in one place and in this order, before
 * the batch is acknowledged:
 * <ol>
 *   <li><b>stored with the batch</b> (together, each durable before the ack): its rows and ids in the
 *       {@link RecordStore}, then the {@code stored} steps given (compliance windows, held copies);</li>
 *   <li><b>priced once</b>: each record's cost from the facts it was decoded with (nothing is parsed
 *       again);</li>
 *   <li><b>told to the followers</b>, in order (budget usage, analytics): each counts by seq and keeps its
 *       own progress (the last seq it counted), so a batch it never got — a failed hand-over, a batch
 *       written on another node, a node that stopped — is read back from the records table
 *       ({@link RecordStore#between}) before it counts on, and a batch told twice counts once.</li>
 * </ol>
 * The stored steps need no progress of their own: the ledger writes one batch at a time and acknowledges
 * it only after all of them, so only its last batch can be missing anywhere, and its recovery writes that
 * batch again ({@link #rewrite}: rows a crash left unwritten, the same steps, the followers told again).
 * All writes are idempotent upserts.
 */
public final class AfterWrite implements LedgerReadModel {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AfterWrite.class);

    /** A table written with each batch before its acknowledgement; writing it twice changes nothing. */
    @FunctionalInterface
    public interface StoredStep {
        /** {@code alreadyStored}: seqs whose rows existed before (and may have been erased since). */
        CompletionStage<Void> write(String workspace, RecordsAppended batch, Set<Long> alreadyStored,
                                    RecordStore.Lifetime lifetime);
    }

    /** A feature counting written batches by seq, with its own progress; told, never waited for. */
    @FunctionalInterface
    public interface Follower {
        void follow(PricedBatch batch);
    }

    /** A step with the name it is known by in logs and docs. */
    public record Named<T>(String name, T step) {}

    private final RecordStore store;
    private final List<Named<StoredStep>> stored;
    private final Pricing prices;
    private final List<Named<Follower>> followers;
    private final Executor executor;

    /**
     * @param executor where pricing and the followers run: not on the Cassandra driver's I/O thread that
     *                 completes the writes
     */
    public AfterWrite(RecordStore store, List<Named<StoredStep>> stored, Pricing prices,
                      List<Named<Follower>> followers, Executor executor) {
        this.store = store;
        this.stored = List.copyOf(stored);
        this.prices = prices;
        this.followers = List.copyOf(followers);
        this.executor = executor;
    }

    @Override
    public CompletionStage<Void> write(String workspace, RecordsAppended batch) {
        return store(workspace, batch, Set.of());
    }

    @Override
    public CompletionStage<Void> rewrite(String workspace, RecordsAppended batch) {
        return store.presentSeqs(workspace, batch).thenCompose(present -> store(workspace, batch, present));
    }

    @Override
    public CompletionStage<Map<String, Digest>> storedContentHashes(String workspace, Collection<String> eventIds) {
        return store.storedContentHashes(workspace, eventIds);
    }

    private CompletionStage<Void> store(String workspace, RecordsAppended batch, Set<Long> alreadyStored) {
        RecordStore.Lifetime lifetime = store.lifetimeOf(workspace, batch.acceptedAtMicros());
        List<CompletableFuture<Void>> writes = new ArrayList<>(stored.size() + 1);
        writes.add(store.write(workspace, batch, alreadyStored, lifetime).toCompletableFuture());
        for (Named<StoredStep> step : stored) {
            writes.add(step.step().write(workspace, batch, alreadyStored, lifetime).toCompletableFuture());
        }
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
                .thenRunAsync(() -> follow(workspace, batch), executor);
    }

    private void follow(String workspace, RecordsAppended batch) {
        if (batch.isEmpty()) {
            return;
        }
        PricedBatch priced = PricedBatch.of(workspace, batch, prices);
        for (Named<Follower> follower : followers) {
            try {
                follower.step().follow(priced);
            } catch (RuntimeException e) {
                // it catches up from its own progress later: the batch itself is stored
                LOG.warn("{} could not take seqs {}..{} of workspace {}", follower.name(), batch.firstSeq(),
                        batch.lastSeq(), workspace, e);
            }
        }
    }

    /** The names of the steps, in the order they run (for the node's log at start). */
    public String describe() {
        List<String> names = new ArrayList<>();
        names.add("records");
        stored.forEach(step -> names.add(step.name()));
        List<String> told = followers.stream().map(Named::name).toList();
        return "stored with each batch: " + String.join(", ", names) + "; then told: " + String.join(", ", told);
    }
}

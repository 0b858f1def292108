package dev.codexledger.pipeline;

import dev.codexledger.budget.PricedBatch;
import dev.codexledger.budget.Pricing;
import dev.codexledger.records.RecordStore;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.LedgerReadModel;
import dev.codexledger.workspace.RecordsAppended;
import dev.codexledger.workspace.TreeWrites;
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
 *   <li><b>stored with the batch</b>, each durable before the ack: the {@code stored} steps given
 *       (compliance windows, held copies), together, and then its rows and ids in the {@link RecordStore};</li>
 *   <li><b>priced once</b>: each record's cost from the facts it was decoded with (nothing is parsed
 *       again);</li>
 *   <li><b>told to the followers</b>, in order (budget usage, analytics): each counts by seq and keeps its
 *       own progress (the last seq it counted), so a batch it never got — a failed hand-over, a batch
 *       written on another node, a node that stopped — is read back from the records table
 *       ({@link RecordStore#between}) before it counts on, and a batch told twice counts once.</li>
 * </ol>
 * The stored steps need no progress of their own: the ledger writes one batch at a time and acknowledges
 * it only after all of them, so only its last batch can be missing anywhere, and its recovery writes that
 * batch again ({@link #rewrite}: the steps and rows of the records a crash left without a row — a row
 * is written after its steps, so a row found means its steps were done — and the followers told again).
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

        /**
         * The workspace's ledger stops on this node: finish counting what was told here and forget the
         * workspace, so the next node to count it is the only one (one counter per workspace at a time).
         */
        default CompletionStage<Void> handOver(String workspace) {
            return CompletableFuture.completedFuture(null);
        }
    }

    /** Where a batch's Merkle tile entries go (before its rows, like the stored steps). */
    @FunctionalInterface
    public interface TreeStep {
        CompletionStage<Void> write(String workspace, TreeWrites tree);
    }

    /** A step with the name it is known by in logs and docs. */
    public record Named<T>(String name, T step) {}

    private final RecordStore store;
    private final List<Named<StoredStep>> stored;
    private final Pricing prices;
    private final List<Named<Follower>> followers;
    private final Executor executor;
    private final TreeStep tree;

    /**
     * @param tree     where the tile entries of each batch's Merkle tree go
     * @param executor where pricing and the followers run: not on the Cassandra driver's I/O thread that
     *                 completes the writes
     */
    public AfterWrite(RecordStore store, TreeStep tree, List<Named<StoredStep>> stored, Pricing prices,
                      List<Named<Follower>> followers, Executor executor) {
        this.store = store;
        this.tree = tree;
        this.stored = List.copyOf(stored);
        this.prices = prices;
        this.followers = List.copyOf(followers);
        this.executor = executor;
    }

    @Override
    public CompletionStage<Void> write(String workspace, RecordsAppended batch, TreeWrites tree) {
        return store(workspace, batch, tree, Set.of());
    }

    @Override
    public CompletionStage<Void> rewrite(String workspace, RecordsAppended batch, TreeWrites tree) {
        return store.presentSeqs(workspace, batch)
                .thenComposeAsync(present -> store(workspace, batch, tree, present), executor);
    }

    @Override
    public CompletionStage<Void> handOver(String workspace) {
        List<CompletableFuture<Void>> followed = new ArrayList<>(followers.size());
        for (Named<Follower> follower : followers) {
            followed.add(attempt(() -> follower.step().handOver(workspace)));
        }
        return CompletableFuture.allOf(followed.toArray(CompletableFuture[]::new));
    }

    @Override
    public CompletionStage<Map<String, Digest>> storedContentHashes(String workspace, Collection<String> eventIds) {
        return store.storedContentHashes(workspace, eventIds);
    }

    /**
     * The stored steps first, then the rows: a row that exists means its batch's steps were done, which
     * is what lets a rewrite skip the steps of rows it finds (their content may have been erased since,
     * and must not be copied again from the journal).
     */
    private CompletionStage<Void> store(String workspace, RecordsAppended batch, TreeWrites treeWrites,
                                        Set<Long> alreadyStored) {
        RecordStore.Lifetime lifetime = store.lifetimeOf(workspace, batch.acceptedAtMicros());
        List<CompletableFuture<Void>> steps = new ArrayList<>(stored.size());
        // tile entries never change: written every time (also for rows already stored), beside the steps and
        // the rows rather than before them, so they add no round trip to the write
        CompletableFuture<Void> tiles = attempt(() -> tree.write(workspace, treeWrites));
        for (Named<StoredStep> step : stored) {
            steps.add(attempt(() -> step.step().write(workspace, batch, alreadyStored, lifetime)));
        }
        CompletableFuture<Void> rows = CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new))
                .thenCompose(done -> store.write(workspace, batch, alreadyStored, lifetime)).toCompletableFuture();
        return CompletableFuture.allOf(rows, tiles).thenRunAsync(() -> follow(workspace, batch), executor);
    }

    /** A step that throws instead of failing its future fails the write all the same (the ledger then restarts). */
    private static CompletableFuture<Void> attempt(java.util.function.Supplier<CompletionStage<Void>> step) {
        try {
            return step.get().toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void follow(String workspace, RecordsAppended batch) {
        if (batch.isEmpty()) {
            return;
        }
        PricedBatch priced;
        try {
            priced = PricedBatch.of(workspace, batch, prices);
        } catch (RuntimeException e) {
            // the batch is stored: its followers read it back once pricing works again
            LOG.warn("could not price seqs {}..{} of workspace {}", batch.firstSeq(), batch.lastSeq(), workspace, e);
            return;
        }
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
        List<String> steps = stored.stream().map(Named::name).toList();
        List<String> told = followers.stream().map(Named::name).toList();
        return "stored with each batch: " + String.join(", ", steps) + ", then records; then told: "
                + String.join(", ", told);
    }
}

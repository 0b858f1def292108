package dev.codexledger.workspace;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test double of the records tables for unit tests of the entity's logic: remembers what was written
 * and counts lookups. The Cassandra implementation is tested against a real Cassandra in the ITs.
 */
final class RecordingReadModel implements LedgerReadModel {

    final List<RecordsAppended> writes = new CopyOnWriteArrayList<>();
    final List<TreeWrites> treeWrites = new CopyOnWriteArrayList<>();
    final AtomicInteger lookups = new AtomicInteger();
    /** When set, writes complete only when the test completes the future it finds in {@link #held}. */
    volatile boolean holdWrites;
    final List<CompletableFuture<Void>> held = new CopyOnWriteArrayList<>();

    @Override
    public CompletionStage<Void> write(String workspace, RecordsAppended batch, TreeWrites tree) {
        writes.add(batch);
        if (tree != null) {
            treeWrites.add(tree);
        }
        if (holdWrites) {
            CompletableFuture<Void> write = new CompletableFuture<>();
            held.add(write);
            return write;
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Completed by the test: the hand-overs the ledger asked for. */
    final List<CompletableFuture<Void>> handOvers = new CopyOnWriteArrayList<>();

    /** When set, hand-overs complete at once instead of waiting for the test. */
    volatile boolean handOverAtOnce;

    @Override
    public CompletionStage<Void> handOver(String workspace) {
        CompletableFuture<Void> handOver = new CompletableFuture<>();
        handOvers.add(handOver);
        if (handOverAtOnce) {
            handOver.complete(null);
        }
        return handOver;
    }

    @Override
    public CompletionStage<Map<String, Digest>> storedContentHashes(String workspace, Collection<String> eventIds) {
        lookups.incrementAndGet();
        Map<String, Digest> found = new HashMap<>();
        for (RecordsAppended batch : writes) {
            for (LedgerRecord record : batch.records()) {
                if (eventIds.contains(record.eventId())) {
                    found.put(record.eventId(), record.contentHash());
                }
            }
        }
        return CompletableFuture.completedFuture(found);
    }

    List<Long> writtenSeqs() {
        List<Long> seqs = new ArrayList<>();
        writes.forEach(batch -> batch.records().forEach(r -> seqs.add(r.seq())));
        return seqs;
    }
}

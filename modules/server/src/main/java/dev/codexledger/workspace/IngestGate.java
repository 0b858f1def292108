package dev.codexledger.workspace;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission control in front of the ledgers: bounds the records a node holds in flight and the batches
 * queued per workspace, so overload is answered at once (429, retry later) instead of queueing without
 * bound until requests time out.
 */
public final class IngestGate {

    private final long maxInFlightRecords;
    private final int maxPendingBatchesPerWorkspace;
    private final AtomicLong inFlightRecords = new AtomicLong();
    private final ConcurrentHashMap<String, AtomicInteger> pendingBatches = new ConcurrentHashMap<>();

    public IngestGate(long maxInFlightRecords, int maxPendingBatchesPerWorkspace) {
        this.maxInFlightRecords = maxInFlightRecords;
        this.maxPendingBatchesPerWorkspace = maxPendingBatchesPerWorkspace;
    }

    /** @return false when admitting the batch would exceed a bound; nothing is held then */
    public boolean tryAcquire(String workspace, int records) {
        long held = inFlightRecords.addAndGet(records);
        // a batch alone is always admitted, however large: the request size limits bound it
        if (held > maxInFlightRecords && held != records) {
            inFlightRecords.addAndGet(-records);
            return false;
        }
        AtomicInteger pending = pendingBatches.computeIfAbsent(workspace, w -> new AtomicInteger());
        if (pending.incrementAndGet() > maxPendingBatchesPerWorkspace) {
            pending.decrementAndGet();
            inFlightRecords.addAndGet(-records);
            return false;
        }
        return true;
    }

    public void release(String workspace, int records) {
        inFlightRecords.addAndGet(-records);
        pendingBatches.computeIfPresent(workspace, (w, pending) -> pending.decrementAndGet() <= 0 ? null : pending);
    }

    public long inFlightRecords() {
        return inFlightRecords.get();
    }
}

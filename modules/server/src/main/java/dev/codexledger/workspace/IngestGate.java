package dev.codexledger.workspace;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission control in front of the ledgers: bounds the records a node holds in flight, shares them
 * fairly among the workspaces sending, and stops taking work while the heap is full, so overload is
 * answered at once (429 or 503, retry later) instead of queueing without bound until requests time out
 * or the node runs out of memory.
 *
 * <p>Fairness: while other workspaces have sent within the last {@value #RECENT_SECONDS} seconds, a
 * workspace may hold no more than {@code contendedShareRecords} in flight (its first batch is always
 * admitted). One workspace sending flat out then keeps the node only as busy as that share makes it,
 * and a quiet workspace's first batch is never refused by a share (only by the node-wide bounds). While the node holds more
 * than half of {@code maxInFlightRecords}, a workspace may also hold no more than an equal share of it
 * among the workspaces with records in flight. A workspace past its share or its queue bound
 * ({@code maxPendingBatchesPerWorkspace}) is refused before its body is read ({@link #refusesBeforeReading}),
 * so refusing it costs no parsing.
 *
 * <p>A share of records in flight bounds how much of the node one workspace holds at a time, not how
 * fast it goes: one large batch after another still keeps 2 cores busy. So while others send, a workspace
 * may also add no more than {@code contendedRecordsPerSecond} records a second (a token bucket holding one
 * second's worth; a batch is admitted while any are left, so the bucket goes at most one batch into debt). Alone, a workspace is paced by nothing but the
 * node-wide bounds.
 */
public final class IngestGate {

    /** Why a batch was not admitted. */
    public enum Refusal {
        /** The node holds as many records in flight as it may: 429. */
        NODE_AT_CAPACITY(429, "ingest is at capacity on this node; retry later"),
        /** This workspace holds its share (or its queue bound) while others wait: 429. */
        WORKSPACE_AT_SHARE(429, "this workspace is sending more than its share of the node; retry later"),
        /** The heap is nearly full after garbage collection: 503. */
        HEAP_FULL(503, "the node is low on memory; retry later");

        public final int status;
        public final String message;

        Refusal(int status, String message) {
            this.status = status;
            this.message = message;
        }
    }

    private static final class Load {
        long records;
        int batches;
    }

    /** A workspace's records/s while contended: tokens refill at the rate, up to one second's worth. */
    private static final class Pace {
        double tokens;
        long refilledAt;
    }

    static final int RECENT_SECONDS = 2;

    private final long maxInFlightRecords;
    private final int maxPendingBatchesPerWorkspace;
    private final long contendedShareRecords;
    private final long contendedRecordsPerSecond;
    private final ConcurrentHashMap<String, Pace> paces = new ConcurrentHashMap<>();
    private final HeapGuard heap;
    private final java.util.function.LongSupplier nanoTime;
    /** When each workspace last sent (pruned to the last {@value #RECENT_SECONDS} s now and then). */
    private final ConcurrentHashMap<String, Long> lastSent = new ConcurrentHashMap<>();
    private volatile long prunedAt;
    private volatile int recentlySending;
    private final AtomicLong inFlightRecords = new AtomicLong();
    private final ConcurrentHashMap<String, Load> loads = new ConcurrentHashMap<>();
    private final AtomicLong[] refused = new AtomicLong[Refusal.values().length];

    public IngestGate(long maxInFlightRecords, int maxPendingBatchesPerWorkspace, long contendedShareRecords,
                      HeapGuard heap, java.util.function.LongSupplier nanoTime) {
        this(maxInFlightRecords, maxPendingBatchesPerWorkspace, contendedShareRecords, 0, heap, nanoTime);
    }

    /** @param contendedRecordsPerSecond records/s one workspace may add while others send (0: no such limit) */
    public IngestGate(long maxInFlightRecords, int maxPendingBatchesPerWorkspace, long contendedShareRecords,
                      long contendedRecordsPerSecond, HeapGuard heap, java.util.function.LongSupplier nanoTime) {
        this.maxInFlightRecords = maxInFlightRecords;
        this.maxPendingBatchesPerWorkspace = maxPendingBatchesPerWorkspace;
        this.contendedShareRecords = contendedShareRecords;
        this.contendedRecordsPerSecond = contendedRecordsPerSecond;
        this.heap = heap;
        this.nanoTime = nanoTime;
        this.prunedAt = nanoTime.getAsLong();
        for (int i = 0; i < refused.length; i++) {
            refused[i] = new AtomicLong();
        }
    }

    public IngestGate(long maxInFlightRecords, int maxPendingBatchesPerWorkspace) {
        this(maxInFlightRecords, maxPendingBatchesPerWorkspace, maxInFlightRecords, HeapGuard.OFF, System::nanoTime);
    }

    /** Notes that {@code workspace} sends now; now and then forgets those that have not sent lately. */
    private void sending(String workspace) {
        long now = nanoTime.getAsLong();
        lastSent.put(workspace, now);
        long recent = java.util.concurrent.TimeUnit.SECONDS.toNanos(RECENT_SECONDS);
        if (now - prunedAt > recent / 4) {
            prunedAt = now;
            lastSent.values().removeIf(at -> now - at > recent);
            paces.values().removeIf(this::refilled); // a pace still in debt is kept until it is paid
        }
        recentlySending = lastSent.size();
    }

    /** True while other workspaces than this one sent lately: then shares apply. */
    private boolean contended() {
        return recentlySending > 1;
    }

    /** True while others send and this workspace has used its records/s (its pace is spent). */
    private boolean overPace(String workspace) {
        if (contendedRecordsPerSecond <= 0 || !contended()) {
            return false;
        }
        Pace pace = paces.get(workspace);
        if (pace == null) {
            return false;
        }
        synchronized (pace) {
            refill(pace);
            return pace.tokens <= 0;
        }
    }

    /**
     * Admits a batch against its workspace's pace while others send, and counts it (one step, so two
     * requests cannot both pass on the same records). Alone, a workspace is not paced. A batch is
     * admitted while any of the pace is left, so the pace may go into debt by up to one batch, paid back
     * before its next batch: over any stretch, no more than the rate plus one batch.
     */
    private boolean paceAdmits(String workspace, int records) {
        if (contendedRecordsPerSecond <= 0 || !contended()) {
            return true;
        }
        Pace pace = paces.computeIfAbsent(workspace, w -> {
            Pace fresh = new Pace();
            fresh.tokens = contendedRecordsPerSecond;
            fresh.refilledAt = nanoTime.getAsLong();
            return fresh;
        });
        synchronized (pace) {
            refill(pace);
            if (pace.tokens <= 0) {
                return false;
            }
            pace.tokens -= records;
            return true;
        }
    }

    private void refill(Pace pace) {
        long now = nanoTime.getAsLong();
        double elapsedSeconds = Math.max(0, now - pace.refilledAt) / 1e9; // in double: no overflow, however long
        pace.tokens = Math.min(contendedRecordsPerSecond, pace.tokens + elapsedSeconds * contendedRecordsPerSecond);
        pace.refilledAt = now;
    }

    private boolean refilled(Pace pace) {
        synchronized (pace) {
            refill(pace);
            return pace.tokens >= contendedRecordsPerSecond;
        }
    }

    /**
     * What can be refused before a body is read (so a refused client costs no parsing): a full heap, or
     * a workspace that already has as many batches queued as it may. Null when the body should be read.
     */
    public Refusal refusesBeforeReading(String workspace) {
        if (heap.full()) {
            return count(Refusal.HEAP_FULL);
        }
        sending(workspace);
        if (overPace(workspace)) {
            return count(Refusal.WORKSPACE_AT_SHARE);
        }
        Load load = loads.get(workspace);
        if (load != null) {
            synchronized (load) {
                if (load.batches >= maxPendingBatchesPerWorkspace
                        || (contended() && load.records >= contendedShareRecords)) {
                    return count(Refusal.WORKSPACE_AT_SHARE);
                }
            }
        }
        return null;
    }

    /** @return null when admitted (then {@link #release} it), else why not; nothing is held then */
    public Refusal tryAcquire(String workspace, int records) {
        if (heap.full()) {
            return count(Refusal.HEAP_FULL);
        }
        return acquire(workspace, records, false);
    }

    /**
     * For the ledger's own records (AUTH_LOG, BUDGET_LOG): the audit of what happened is never refused
     * for a workspace's share or a full heap, only when the node holds as much in flight as it may. Its
     * records are few and small; refusing them would lose the audit of an action already taken.
     */
    public Refusal tryAcquireInternal(String workspace, int records) {
        return acquire(workspace, records, true);
    }

    private Refusal acquire(String workspace, int records, boolean internal) {
        if (!internal) {
            sending(workspace);
        }
        long held = inFlightRecords.addAndGet(records);
        // a batch alone is always admitted, however large: the request size limits bound it
        if (held > maxInFlightRecords && held != records) {
            inFlightRecords.addAndGet(-records);
            return count(Refusal.NODE_AT_CAPACITY);
        }
        Refusal refusal = null;
        while (true) {
            Load load = loads.computeIfAbsent(workspace, w -> new Load());
            synchronized (load) {
                if (loads.get(workspace) != load) {
                    continue; // released and removed meanwhile: take the current one
                }
                if (internal) {
                    load.records += records;
                    load.batches++;
                } else if (load.batches >= maxPendingBatchesPerWorkspace) {
                    refusal = Refusal.WORKSPACE_AT_SHARE;
                } else if (contended() && load.records > 0 && load.records + records > contendedShareRecords) {
                    refusal = Refusal.WORKSPACE_AT_SHARE;
                } else if (!paceAdmits(workspace, records)) {
                    refusal = Refusal.WORKSPACE_AT_SHARE;
                } else if (held > maxInFlightRecords / 2 && load.records > 0
                        && load.records + records > maxInFlightRecords / Math.max(1, loads.size())) {
                    refusal = Refusal.WORKSPACE_AT_SHARE;
                } else {
                    load.records += records;
                    load.batches++;
                }
                if (refusal != null && load.batches == 0) {
                    loads.remove(workspace, load);
                }
            }
            break;
        }
        if (refusal != null) {
            inFlightRecords.addAndGet(-records);
            return count(refusal);
        }
        return null;
    }

    public void release(String workspace, int records) {
        inFlightRecords.addAndGet(-records);
        Load load = loads.get(workspace);
        if (load != null) {
            synchronized (load) {
                load.records -= records;
                load.batches--;
                if (load.batches <= 0) {
                    loads.remove(workspace, load);
                }
            }
        }
    }

    private Refusal count(Refusal refusal) {
        refused[refusal.ordinal()].incrementAndGet();
        return refusal;
    }

    public long inFlightRecords() {
        return inFlightRecords.get();
    }

    /** Workspaces that sent within the last {@value #RECENT_SECONDS} seconds (about). */
    public int recentlySending() {
        return recentlySending;
    }

    /** Workspaces with records in flight now. */
    public int sendingWorkspaces() {
        return loads.size();
    }

    public long refused(Refusal refusal) {
        return refused[refusal.ordinal()].get();
    }

    public HeapGuard heap() {
        return heap;
    }
}

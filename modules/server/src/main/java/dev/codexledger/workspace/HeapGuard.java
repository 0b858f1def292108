package dev.codexledger.workspace;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * Watches the heap that is still in use after each garbage collection, and says when it is past the
 * share above which the node refuses new work ({@code ledger.http.refuse-ingest-above-heap}). Heap in use after
 * a collection is what the node really holds; the heap in use at any moment is mostly garbage and says
 * nothing. Past the share, ingest is answered 503 + Retry-After at once, before its body is read, so the
 * node slows its clients down instead of running out of memory; it admits again once a collection finds
 * the heap below the share.
 */
public final class HeapGuard {

    /** Never refuses (tests of other things, and nodes that turn the guard off). */
    public static final HeapGuard OFF = new HeapGuard(Long.MAX_VALUE, Long.MAX_VALUE);

    private final long maxHeapBytes;
    private final long refuseAboveBytes;
    private volatile long usedAfterGcBytes;
    private volatile long collections;
    private volatile Runnable whenFull = () -> { };

    public HeapGuard(long maxHeapBytes, long refuseAboveBytes) {
        this.maxHeapBytes = maxHeapBytes;
        this.refuseAboveBytes = refuseAboveBytes;
    }

    /** A guard fed by this JVM's collectors: refuses past {@code share} (0..1] of the max heap. */
    public static HeapGuard watchingThisJvm(double share) {
        long max = Runtime.getRuntime().maxMemory();
        HeapGuard guard = new HeapGuard(max, (long) (max * share));
        Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName)
                .collect(Collectors.toSet());
        for (var collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (collector instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener((notification, handback) -> {
                    if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
                        var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
                        guard.collected(heapUsed(info.getGcInfo().getMemoryUsageAfterGc(), heapPools));
                    }
                }, null, null);
            }
        }
        return guard;
    }

    private static long heapUsed(Map<String, MemoryUsage> pools, Set<String> heapPools) {
        long used = 0;
        for (Map.Entry<String, MemoryUsage> pool : pools.entrySet()) {
            if (heapPools.contains(pool.getKey())) {
                used += pool.getValue().getUsed();
            }
        }
        return used;
    }

    /** A collection ended with {@code usedBytes} of heap still in use. */
    public void collected(long usedBytes) {
        usedAfterGcBytes = usedBytes;
        collections++;
        if (full()) {
            whenFull.run();
        }
    }

    /**
     * Run after each collection that leaves the heap full: something that frees memory (the node
     * passivates ledgers), since refusing ingest alone frees nothing that is already held.
     */
    public void whenFull(Runnable action) {
        this.whenFull = action;
    }

    /** True while the last collection left more heap in use than the node admits new work with. */
    public boolean full() {
        return usedAfterGcBytes > refuseAboveBytes;
    }

    public long usedAfterGcBytes() {
        return usedAfterGcBytes;
    }

    public long refuseAboveBytes() {
        return refuseAboveBytes;
    }

    public long maxHeapBytes() {
        return maxHeapBytes;
    }

    public long collections() {
        return collections;
    }
}

package dev.codexledger.workspace;

import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;

/**
 * The ids of recently accepted records, bounded in size, with an exact guarantee: every accepted record
 * whose timestamp is at or above {@link #horizonMicros()} is in the window. So a record at or above the
 * horizon that is not in the window is new, and only a record below it (a late arrival, or any record
 * after a restart from a snapshot) needs a read of the records table.
 *
 * <p>Mutable on purpose, and changed only by the entity's event handler: copying a window of tens of
 * thousands of ids for every batch would cost more than the batch.
 */
public final class DedupWindow {

    private record Entry(String eventId, long timestampMicros, Digest contentHash) {}

    private final int capacity;
    private final Map<String, Entry> byId = new HashMap<>();
    private final PriorityQueue<Entry> oldestFirst =
            new PriorityQueue<>(Comparator.comparingLong(Entry::timestampMicros));
    private long horizonMicros;
    private long maxTimestampMicros = Long.MIN_VALUE;

    /** @param horizonMicros below this, accepted ids may exist that the window does not hold */
    public DedupWindow(int capacity, long horizonMicros) {
        if (capacity < 1) {
            throw new IllegalArgumentException("dedup window capacity must be positive");
        }
        this.capacity = capacity;
        this.horizonMicros = horizonMicros;
    }

    /** A window for a workspace that has never accepted anything: it is complete. */
    public static DedupWindow empty(int capacity) {
        return new DedupWindow(capacity, Long.MIN_VALUE);
    }

    /** A window with the same capacity and horizon, holding no ids (so it knows nothing above the horizon). */
    DedupWindow emptyCopy() {
        return new DedupWindow(capacity, horizonMicros);
    }

    public int capacity() {
        return capacity;
    }

    public long horizonMicros() {
        return horizonMicros;
    }

    /**
     * The horizon to record in a snapshot, which carries no ids: everything accepted so far falls below it.
     */
    public long horizonWithoutIds() {
        return maxTimestampMicros == Long.MIN_VALUE
                ? horizonMicros
                : Math.max(horizonMicros, saturatedIncrement(maxTimestampMicros));
    }

    public int size() {
        return byId.size();
    }

    public Optional<Digest> contentHashOf(String eventId) {
        Entry entry = byId.get(eventId);
        return entry == null ? Optional.empty() : Optional.of(entry.contentHash());
    }

    /** True when a record with this timestamp, absent from the window, may still be stored. */
    public boolean needsLookup(long timestampMicros) {
        return timestampMicros < horizonMicros;
    }

    void add(LedgerRecord record) {
        Entry entry = new Entry(record.eventId(), record.timestampMicros(), record.contentHash());
        if (byId.putIfAbsent(entry.eventId(), entry) != null) {
            return;
        }
        oldestFirst.add(entry);
        maxTimestampMicros = Math.max(maxTimestampMicros, entry.timestampMicros());
        while (byId.size() > capacity) {
            Entry evicted = oldestFirst.poll();
            byId.remove(evicted.eventId());
            horizonMicros = Math.max(horizonMicros, saturatedIncrement(evicted.timestampMicros()));
        }
    }

    private static long saturatedIncrement(long value) {
        return value == Long.MAX_VALUE ? value : value + 1;
    }
}

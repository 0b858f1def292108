package dev.codexledger.workspace;

import java.time.Instant;

/**
 * The ids of recently accepted records, bounded in size and compact, with an exact guarantee: every
 * accepted record whose timestamp is at or above {@link #horizonMicros()} is in the window. So a record
 * at or above the horizon whose id the window does not hold is new, without reading anything; a record
 * whose id it may hold (a re-send, or an id whose 64-bit digest happens to equal a held one), or one
 * below the horizon (a late arrival, or any record after a restart from a snapshot), is decided by a read
 * of the records' id index, which stores the exact id and content hash.
 *
 * <p>Each id is kept as a 64-bit digest and its timestamp in whole seconds, in a ring in acceptance order
 * (the oldest accepted leaves first, raising the horizon past its timestamp), with an open-addressing
 * index over the ring: about 17 bytes per id at a full window (12 in the ring, 4 per index slot, the
 * index at most 4/5 full), allocated as the window fills, so a quiet workspace costs little. A digest can only make the
 * window answer "maybe" for a new id, which costs a read, never a wrong answer.
 *
 * <p>Mutable on purpose, and changed only by the entity's event handler: copying a window of tens of
 * thousands of ids for every batch would cost more than the batch.
 */
public final class DedupWindow {

    /** Timestamps are kept in seconds from here, in an int: 1952 to 2088; beyond that they saturate. */
    private static final long EPOCH_SECONDS = Instant.parse("2020-01-01T00:00:00Z").getEpochSecond();
    /** A saturated "after 2088": leaving the window raises the horizon to the end of time (only reads follow). */
    private static final int LATEST = Integer.MAX_VALUE;
    private static final int FIRST_ALLOCATION = 1024;

    private final int capacity;
    private long horizonMicros;
    private long maxTimestampMicros = Long.MIN_VALUE;

    /** Ring of ids in acceptance order: slot {@code (oldest + i) % length} holds the i-th oldest. */
    private long[] digests = new long[0];
    private int[] seconds = new int[0];
    private int oldest;
    private int size;
    /** Open addressing, linear probing: ring slot + 1 of an id, 0 for an empty slot. */
    private int[] index = new int[0];

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
        return size;
    }

    /**
     * The most ids a window of at most {@code bytes} holds when full (its ring and index together).
     *
     * @throws IllegalArgumentException when not even one id fits
     */
    public static int capacityFor(long bytes) {
        if (bytes < bytesWhenFull(1)) {
            throw new IllegalArgumentException("a dedup window needs at least " + bytesWhenFull(1) + " bytes");
        }
        int low = 1;
        int high = (int) Math.min(Integer.MAX_VALUE / 2, bytes / 12);
        while (low < high) {
            int middle = (int) (((long) low + high + 1) / 2);
            if (bytesWhenFull(middle) <= bytes) {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        return low;
    }

    /** Bytes the arrays of a full window of {@code capacity} ids take. */
    public static long bytesWhenFull(int capacity) {
        return 12L * capacity + 4L * indexSlots(capacity);
    }

    /** Index slots for a ring of {@code length}: a power of two, the index at most 4/5 full when the ring is. */
    private static int indexSlots(int length) {
        return Integer.highestOneBit(Math.max(4, length + length / 4) - 1) << 1;
    }

    /** Bytes the window's arrays take now (what {@code size()} ids cost, plus the room allocated ahead). */
    public long bytes() {
        return 8L * digests.length + 4L * seconds.length + 4L * index.length;
    }

    /**
     * False when no accepted record with this id is in the window; true when one may be (its digest is
     * held): then only the id index can tell.
     */
    public boolean mayContain(String eventId) {
        if (size == 0) {
            return false;
        }
        long digest = digest(eventId);
        int mask = index.length - 1;
        for (int at = slotOf(digest, mask); index[at] != 0; at = (at + 1) & mask) {
            if (digests[index[at] - 1] == digest) {
                return true;
            }
        }
        return false;
    }

    /** True when a record with this timestamp, absent from the window, may still be stored. */
    public boolean needsLookup(long timestampMicros) {
        return timestampMicros < horizonMicros;
    }

    void add(LedgerRecord record) {
        long timestamp = record.timestampMicros();
        maxTimestampMicros = Math.max(maxTimestampMicros, timestamp);
        if (size == capacity) {
            evictOldest();
        }
        if (size == digests.length) {
            grow();
        }
        int slot = (oldest + size) % digests.length;
        long digest = digest(record.eventId());
        digests[slot] = digest;
        seconds[slot] = secondsAtOrAfter(timestamp);
        size++;
        insertIntoIndex(digest, slot);
    }

    private void evictOldest() {
        int slot = oldest;
        int stored = seconds[slot];
        // the stored second is at or after the record's timestamp: the new horizon is above it
        long above = stored == LATEST ? Long.MAX_VALUE : (EPOCH_SECONDS + stored) * 1_000_000L + 1;
        horizonMicros = Math.max(horizonMicros, above);
        removeFromIndex(digests[slot], slot);
        oldest = (oldest + 1) % digests.length;
        size--;
    }

    /** Doubles the ring (up to the capacity) and rebuilds the index for it. */
    private void grow() {
        int length = (int) Math.min(capacity, Math.max(FIRST_ALLOCATION, 2L * digests.length));
        long[] newDigests = new long[length];
        int[] newSeconds = new int[length];
        for (int i = 0; i < size; i++) {
            int from = (oldest + i) % digests.length;
            newDigests[i] = digests[from];
            newSeconds[i] = seconds[from];
        }
        digests = newDigests;
        seconds = newSeconds;
        oldest = 0;
        index = new int[indexSlots(length)];
        for (int i = 0; i < size; i++) {
            insertIntoIndex(digests[i], i);
        }
    }

    private void insertIntoIndex(long digest, int slot) {
        int mask = index.length - 1;
        int at = slotOf(digest, mask);
        while (index[at] != 0) {
            at = (at + 1) & mask;
        }
        index[at] = slot + 1;
    }

    /** Removes the index entry pointing at ring {@code slot}, shifting later entries of its run back. */
    private void removeFromIndex(long digest, int slot) {
        int mask = index.length - 1;
        int at = slotOf(digest, mask);
        while (index[at] != slot + 1) {
            at = (at + 1) & mask;
        }
        int hole = at;
        for (int next = (hole + 1) & mask; index[next] != 0; next = (next + 1) & mask) {
            int home = slotOf(digests[index[next] - 1], mask);
            // an entry may fill the hole if its home is not in (hole, next] (cyclically)
            boolean homeBetween = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
            if (!homeBetween) {
                index[hole] = index[next];
                hole = next;
            }
        }
        index[hole] = 0;
    }

    private static int slotOf(long digest, int mask) {
        return (int) (digest ^ (digest >>> 32)) & mask;
    }

    /** The smallest whole second (from {@link #EPOCH_SECONDS}) at or after the timestamp, saturated. */
    private static int secondsAtOrAfter(long timestampMicros) {
        long second = Math.floorDiv(timestampMicros, 1_000_000L) + (Math.floorMod(timestampMicros, 1_000_000L) == 0 ? 0 : 1);
        long relative = second - EPOCH_SECONDS;
        if (relative >= LATEST) {
            return LATEST;
        }
        // below the range: the earliest second still lies at or after the timestamp
        return (int) Math.max(Integer.MIN_VALUE, relative);
    }

    /** A 64-bit digest of an id (FNV-1a over its chars, then a finalizing mix). */
    static long digest(String eventId) {
        long hash = 0xcbf29ce484222325L;
        for (int i = 0; i < eventId.length(); i++) {
            hash ^= eventId.charAt(i);
            hash *= 0x100000001b3L;
        }
        hash ^= hash >>> 33;
        hash *= 0xff51afd7ed558ccdL;
        hash ^= hash >>> 33;
        hash *= 0xc4ceb9fe1a85ec53L;
        hash ^= hash >>> 33;
        return hash;
    }

    private static long saturatedIncrement(long value) {
        return value == Long.MAX_VALUE ? value : value + 1;
    }

    @Override
    public String toString() {
        return "DedupWindow[" + size + "/" + capacity + " ids, horizon " + horizonMicros + ", "
                + bytes() + " bytes]";
    }
}

package dev.codexledger.workspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DedupWindowTest {

    private static LedgerRecord accepted(String id, long micros) {
        return LedgerRecord.append(new NewRecord(id, "CODEX_LOG", micros, "u", "{\"id\":\"" + id + "\"}"), 1,
                Digest.ZERO);
    }

    @Test
    void aNewWorkspaceWindowIsCompleteSoNothingNeedsALookup() {
        DedupWindow window = DedupWindow.empty(3);
        assertFalse(window.needsLookup(Long.MIN_VALUE + 1));
        assertFalse(window.needsLookup(0));
    }

    @Test
    void theFirstAcceptedLeavesFirstAndTheHorizonRisesPastItsSecond() {
        DedupWindow window = DedupWindow.empty(3);
        long second = 1_700_000_000_000_000L;
        window.add(accepted("t20", second + 20));
        window.add(accepted("t10", second + 10));
        window.add(accepted("t30", second + 1_000_030));
        window.add(accepted("t40", second + 1_000_040));
        assertEquals(3, window.size());
        assertFalse(window.mayContain("t20"), "the first accepted leaves first");
        assertEquals(second + 1_000_001, window.horizonMicros(), "past the whole second t20 was in");
        assertTrue(window.needsLookup(second + 20), "t20 may be stored: look it up");
        assertTrue(window.needsLookup(second + 10), "t10 is held, but a record there absent from the window may be stored");
        assertFalse(window.needsLookup(second + 1_000_001));
        assertTrue(window.mayContain("t10"));
        assertTrue(window.mayContain("t40"));
        assertFalse(window.mayContain("never-seen"));
    }

    /**
     * The guarantee, against a model that remembers every accepted id: each one is either held or below
     * the horizon; through growth of the arrays, wrapping of the ring and removals from the index.
     */
    @Test
    void everyAcceptedIdIsHeldOrBelowTheHorizon() {
        java.util.Random random = new java.util.Random(42);
        for (int capacity : new int[] {1, 7, 1000, 2500}) {
            DedupWindow window = DedupWindow.empty(capacity);
            java.util.Map<String, Long> accepted = new java.util.LinkedHashMap<>();
            long now = 1_750_000_000_000_000L;
            for (int i = 0; i < 6 * capacity + 50; i++) {
                // mostly increasing, some late (an hour back) and some ahead (skewed clocks)
                long ts = now + i * 1_000L + (random.nextInt(10) == 0 ? -3_600_000_000L : 0)
                        + (random.nextInt(50) == 0 ? 120_000_000L : 0);
                String id = "id-" + i + "-" + random.nextInt();
                window.add(accepted(id, ts));
                accepted.put(id, ts);
                if (i % 97 == 0 || i > 6 * capacity) {
                    for (var entry : accepted.entrySet()) {
                        assertTrue(window.mayContain(entry.getKey()) || window.needsLookup(entry.getValue()),
                                "capacity " + capacity + ": " + entry.getKey() + " at " + entry.getValue()
                                        + " neither held nor below the horizon " + window.horizonMicros());
                    }
                }
            }
            assertEquals(capacity, window.size());
            int held = 0;
            for (String id : accepted.keySet()) {
                held += window.mayContain(id) ? 1 : 0;
            }
            // the last `capacity` accepted are held (and, by chance of a digest, hardly any other)
            assertTrue(held >= capacity && held <= capacity + 1, "held " + held + " of capacity " + capacity);
        }
    }

    @Test
    void aFullWindowOfFiftyThousandIdsTakesUnderOneMegabyte() {
        DedupWindow window = DedupWindow.empty(50_000);
        for (int i = 0; i < 60_000; i++) {
            window.add(accepted("0196f2a8-" + i + "-7c1e-b3a5-e3f0c1d2a4b6", 1_750_000_000_000_000L + i));
        }
        assertEquals(50_000, window.size());
        double perId = (double) window.bytes() / window.size();
        assertTrue(window.bytes() <= 1_000_000, "a full window takes " + window.bytes() + " bytes");
        assertTrue(perId <= 18.0, perId + " bytes per id");
        assertTrue(DedupWindow.empty(50_000).bytes() == 0, "an empty window allocates nothing");
    }

    @Test
    void aWindowSizedInBytesHoldsAsManyIdsAsFitAndNoMore() {
        assertEquals(52_429, DedupWindow.capacityFor(1 << 20), "the default 1 MiB");
        for (long bytes : new long[] {28, 92, 1000, 65_536, 1 << 20, 10L << 20}) {
            int capacity = DedupWindow.capacityFor(bytes);
            assertTrue(DedupWindow.bytesWhenFull(capacity) <= bytes, bytes + " bytes: " + capacity + " ids");
            assertTrue(DedupWindow.bytesWhenFull(capacity + 1) > bytes, bytes + " bytes: room for one more");
            DedupWindow window = DedupWindow.empty(capacity);
            for (int i = 0; i < capacity + 10; i++) {
                window.add(accepted("id-" + i, 1_750_000_000_000_000L + i));
            }
            assertEquals(DedupWindow.bytesWhenFull(capacity), window.bytes(), "what a full window really allocates");
        }
        assertThrows(IllegalArgumentException.class, () -> DedupWindow.capacityFor(27));
    }

    @Test
    void timestampsBeyondTheKeptRangeSaturateTowardsMoreLookups() {
        DedupWindow window = DedupWindow.empty(1);
        long year2200 = java.time.Instant.parse("2200-01-01T00:00:00Z").getEpochSecond() * 1_000_000L;
        window.add(accepted("future", year2200));
        window.add(accepted("next", 5));
        assertEquals(Long.MAX_VALUE, window.horizonMicros(), "an id from beyond 2088 leaving: everything is looked up");
        DedupWindow past = DedupWindow.empty(1);
        past.add(accepted("ancient", Long.MIN_VALUE + 7));
        past.add(accepted("next", 5));
        assertTrue(past.needsLookup(Long.MIN_VALUE + 7));
    }

    @Test
    void aSnapshotHorizonCoversEverythingAccepted() {
        DedupWindow window = DedupWindow.empty(100);
        window.add(accepted("a", 5));
        window.add(accepted("b", 50));
        assertEquals(51, window.horizonWithoutIds());
        assertEquals(Long.MIN_VALUE, DedupWindow.empty(5).horizonWithoutIds());
    }
}

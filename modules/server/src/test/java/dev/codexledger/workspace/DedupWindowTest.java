package dev.codexledger.workspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void evictingTheOldestRaisesTheHorizonPastIt() {
        DedupWindow window = DedupWindow.empty(3);
        window.add(accepted("t20", 20));
        window.add(accepted("t10", 10));
        window.add(accepted("t30", 30));
        window.add(accepted("t40", 40));
        assertEquals(3, window.size());
        assertTrue(window.contentHashOf("t10").isEmpty(), "the oldest timestamp goes first");
        assertEquals(11, window.horizonMicros());
        assertTrue(window.needsLookup(10), "t10 may be stored: look it up");
        assertFalse(window.needsLookup(11));
        assertTrue(window.contentHashOf("t40").isPresent());
    }

    @Test
    void aSnapshotHorizonCoversEverythingAccepted() {
        DedupWindow window = DedupWindow.empty(100);
        window.add(accepted("a", 5));
        window.add(accepted("b", 50));
        assertEquals(51, window.horizonWithoutIds());
        assertEquals(Long.MIN_VALUE, DedupWindow.empty(5).horizonWithoutIds());
    }

    @Test
    void addingAnIdTwiceKeepsOneEntry() {
        DedupWindow window = DedupWindow.empty(2);
        window.add(accepted("a", 5));
        window.add(accepted("a", 5));
        assertEquals(1, window.size());
    }
}

package dev.codexledger.workspace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ActiveLedgersTest {

    private final List<String> asked = new ArrayList<>();
    private final ActiveLedgers active = new ActiveLedgers(300);

    private void use(String workspace, Object incarnation, long bytes) {
        active.used(workspace, incarnation, bytes, () -> asked.add(workspace));
    }

    @Test
    void pastTheBudgetTheLeastRecentlyUsedAreAskedOnceToPassivate() {
        Object a = new Object();
        Object b = new Object();
        Object c = new Object();
        use("a", a, 100);
        use("b", b, 100);
        use("c", c, 100);
        assertEquals(List.of(), asked, "300 of 300: all fit");
        use("a", a, 100); // a is now the most recently used
        Object d = new Object();
        use("d", d, 150);
        assertEquals(List.of("b", "c"), asked, "b then c, the least recently used, make room for d");
        use("d", d, 150);
        assertEquals(List.of("b", "c"), asked, "asked once: their memory is counted until they stop");
        active.stopped("b", b);
        active.stopped("c", c);
        assertEquals(2, active.active());
        assertEquals(250, active.totalBytes());
        assertEquals(2, active.passivations());
    }

    @Test
    void aLedgerThatGrowsIsCountedAtItsNewSizeAndALaterIncarnationIsNotForgotten() {
        Object first = new Object();
        use("a", first, 100);
        use("a", first, 250);
        assertEquals(250, active.totalBytes());
        Object second = new Object();
        use("a", second, 50); // recovered elsewhere in the meantime: replaces the first
        active.stopped("a", first); // the first's stop arrives late: ignored
        assertEquals(50, active.totalBytes());
        assertEquals(1, active.active());
        use("b", new Object(), 400); // over the budget alone: the others go, it stays
        assertEquals(List.of("a"), asked);
    }

    @Test
    void aFullHeapPassivatesTheLeastRecentlyUsedDownToAMark() {
        HeapGuard heap = new HeapGuard(1000, 850);
        heap.whenFull(() -> active.passivateDownTo(active.budgetBytes() / 2));
        use("a", new Object(), 100);
        use("b", new Object(), 100);
        use("c", new Object(), 100);
        heap.collected(800);
        assertEquals(List.of(), asked, "below the heap's share: nothing");
        heap.collected(900);
        assertEquals(List.of("a", "b"), asked, "down to half the budget (150): a and b go, c stays");
        heap.collected(900);
        assertEquals(List.of("a", "b"), asked, "asked once");
    }
}

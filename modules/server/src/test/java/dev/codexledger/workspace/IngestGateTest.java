package dev.codexledger.workspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class IngestGateTest {

    @Test
    void aWorkspaceAloneMayFillTheNodeButNotPastIt() {
        IngestGate gate = new IngestGate(1000, 64);
        for (int i = 0; i < 10; i++) {
            assertNull(gate.tryAcquire("loud", 100), "batch " + i);
        }
        assertEquals(IngestGate.Refusal.NODE_AT_CAPACITY, gate.tryAcquire("loud", 100));
        assertEquals(1000, gate.inFlightRecords());
        gate.release("loud", 100);
        assertNull(gate.tryAcquire("loud", 100));
    }

    @Test
    void onceContendedALoudWorkspaceKeepsToItsShareAndAQuietOneIsAdmittedAtOnce() {
        IngestGate gate = new IngestGate(1000, 64);
        for (int i = 0; i < 6; i++) {
            assertNull(gate.tryAcquire("loud", 100));
        }
        // past half the node, the quiet workspace's first batch is always admitted...
        assertNull(gate.tryAcquire("quiet", 100));
        // ...and the loud one, holding 600 of an equal share of 500 between two, is refused
        assertEquals(IngestGate.Refusal.WORKSPACE_AT_SHARE, gate.tryAcquire("loud", 100));
        assertEquals(IngestGate.Refusal.WORKSPACE_AT_SHARE, gate.refusesBeforeReading("loud") == null
                ? gate.tryAcquire("loud", 1) : null);
        assertEquals(2, gate.sendingWorkspaces());
        assertEquals(2, gate.refused(IngestGate.Refusal.WORKSPACE_AT_SHARE));
        // the quiet one may go on up to its own share
        assertNull(gate.tryAcquire("quiet", 100));
        for (int i = 0; i < 6; i++) {
            gate.release("loud", 100);
        }
        assertNull(gate.tryAcquire("loud", 100), "below half the node again: no shares");
        assertEquals(300, gate.inFlightRecords());
    }

    @Test
    void whileOthersSendALoudWorkspaceKeepsToItsContendedShare() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
        IngestGate gate = new IngestGate(1_000_000, 64, 1000, HeapGuard.OFF, now::get);
        for (int i = 0; i < 5; i++) {
            assertNull(gate.tryAcquire("loud", 500), "alone, no share: batch " + i);
        }
        assertNull(gate.tryAcquire("quiet", 10), "the quiet one is admitted at once");
        gate.release("quiet", 10);
        assertEquals(IngestGate.Refusal.WORKSPACE_AT_SHARE, gate.refusesBeforeReading("loud"),
                "2,500 in flight, past its share of 1,000 while another sends: refused before reading");
        for (int i = 0; i < 4; i++) {
            gate.release("loud", 500);
        }
        assertNull(gate.tryAcquire("loud", 500), "500 + 500 within its share");
        assertEquals(IngestGate.Refusal.WORKSPACE_AT_SHARE, gate.tryAcquire("loud", 500));
        now.addAndGet(java.util.concurrent.TimeUnit.SECONDS.toNanos(3));
        assertNull(gate.tryAcquire("loud", 500), "the quiet one has not sent for 3 s: alone again");
        assertEquals(1, gate.recentlySending());
    }

    @Test
    void aWorkspaceWithAFullQueueIsRefusedBeforeItsBodyIsRead() {
        IngestGate gate = new IngestGate(1_000_000, 3);
        assertNull(gate.refusesBeforeReading("w"));
        for (int i = 0; i < 3; i++) {
            assertNull(gate.tryAcquire("w", 1));
        }
        assertEquals(IngestGate.Refusal.WORKSPACE_AT_SHARE, gate.refusesBeforeReading("w"));
        assertEquals(IngestGate.Refusal.WORKSPACE_AT_SHARE, gate.tryAcquire("w", 1));
        assertNull(gate.refusesBeforeReading("other"));
        gate.release("w", 1);
        assertNull(gate.refusesBeforeReading("w"));
    }

    @Test
    void aFullHeapRefusesEverythingWith503UntilACollectionFreesIt() {
        HeapGuard heap = new HeapGuard(1000, 850);
        IngestGate gate = new IngestGate(1_000_000, 64, 1_000_000, heap, System::nanoTime);
        heap.collected(800);
        assertNull(gate.tryAcquire("w", 10));
        heap.collected(900);
        assertEquals(IngestGate.Refusal.HEAP_FULL, gate.refusesBeforeReading("other"));
        assertEquals(IngestGate.Refusal.HEAP_FULL, gate.tryAcquire("w", 10));
        assertEquals(503, new LedgerOverloaded(IngestGate.Refusal.HEAP_FULL).status());
        assertEquals(10, gate.inFlightRecords(), "a refusal holds nothing");
        heap.collected(500);
        assertNull(gate.tryAcquire("w", 10));
    }

    @Test
    void theLedgersOwnAuditRecordsAreNotRefusedForAShareOrAFullHeap() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
        HeapGuard heap = new HeapGuard(1000, 850);
        IngestGate gate = new IngestGate(2000, 64, 500, heap, now::get);
        assertNull(gate.tryAcquire("loud", 500));
        assertNull(gate.tryAcquire("other", 10));
        assertEquals(IngestGate.Refusal.WORKSPACE_AT_SHARE, gate.tryAcquire("loud", 100), "past its share");
        assertNull(gate.tryAcquireInternal("loud", 1), "but a key.revoke record of that workspace is written");
        heap.collected(900);
        assertEquals(IngestGate.Refusal.HEAP_FULL, gate.tryAcquire("other", 10));
        assertNull(gate.tryAcquireInternal("other", 1), "and a denial record while the heap is full");
        assertEquals(IngestGate.Refusal.NODE_AT_CAPACITY, gate.tryAcquireInternal("loud", 2000),
                "only the node's bound refuses it");
        gate.release("loud", 1);
        gate.release("other", 1);
        assertEquals(510, gate.inFlightRecords());
    }
    @Test
    void whileOthersSendALoudWorkspaceIsPacedToItsRecordsPerSecondAndAloneItIsNot() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);
        IngestGate gate = new IngestGate(1_000_000, 64, 1_000_000, 1000, HeapGuard.OFF, now::get);
        for (int i = 0; i < 10; i++) { // alone: 5,000 records in no time, nothing paced
            assertNull(gate.tryAcquire("loud", 500));
            gate.release("loud", 500);
        }
        assertNull(gate.tryAcquire("quiet", 10));
        gate.release("quiet", 10);
        // contended now: a second's worth (1,000) goes through, the batch that crosses it included
        assertNull(gate.tryAcquire("loud", 600));
        gate.release("loud", 600);
        assertNull(gate.tryAcquire("loud", 600), "400 were left: admitted, 200 into debt");
        gate.release("loud", 600);
        assertEquals(IngestGate.Refusal.WORKSPACE_AT_SHARE, gate.tryAcquire("loud", 10));
        assertEquals(IngestGate.Refusal.WORKSPACE_AT_SHARE, gate.refusesBeforeReading("loud"), "refused unread");
        assertNull(gate.tryAcquire("quiet", 10), "the quiet one is within its own pace");
        gate.release("quiet", 10);
        now.addAndGet(150_000_000L); // 150 ms: 150 back, still 50 in debt
        assertEquals(IngestGate.Refusal.WORKSPACE_AT_SHARE, gate.tryAcquire("loud", 10));
        now.addAndGet(100_000_000L); // 100 ms more: 50 left
        assertNull(gate.tryAcquire("loud", 10));
        gate.release("loud", 10);
        now.addAndGet(3_000_000_000L); // the quiet one stopped sending 3 s ago: alone again
        for (int i = 0; i < 10; i++) {
            assertNull(gate.tryAcquire("loud", 500), "alone, not paced");
            gate.release("loud", 500);
        }
    }
    @Test
    void aBatchLargerThanTheRateIsPaidBackInFullBeforeTheNext() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);
        IngestGate gate = new IngestGate(1_000_000, 64, 1_000_000, 1000, HeapGuard.OFF, now::get);
        assertNull(gate.tryAcquire("quiet", 1));
        gate.release("quiet", 1);
        assertNull(gate.tryAcquire("loud", 5000), "admitted: 4,000 into debt");
        gate.release("loud", 5000);
        for (int second = 1; second <= 3; second++) {
            now.addAndGet(1_000_000_000L);
            assertNull(gate.tryAcquire("quiet", 1), "the quiet one goes on");
            gate.release("quiet", 1);
            assertEquals(IngestGate.Refusal.WORKSPACE_AT_SHARE, gate.tryAcquire("loud", 10),
                    "still paying back after " + second + " s");
        }
        now.addAndGet(1_100_000_000L);
        assertNull(gate.tryAcquire("quiet", 1));
        gate.release("quiet", 1);
        assertNull(gate.tryAcquire("loud", 10), "paid back after 4 s: 5,000 records in 4 s + one batch");
    }

    @Test
    void aPaceNeverOverflowsHoweverLongItWasUntouched() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(0);
        IngestGate gate = new IngestGate(1_000_000, 64, 1_000_000, 100_000, HeapGuard.OFF, now::get);
        assertNull(gate.tryAcquire("a", 10));
        assertNull(gate.tryAcquire("b", 10));
        assertNull(gate.tryAcquire("a", 10), "contended: a has a pace now");
        now.addAndGet(java.util.concurrent.TimeUnit.DAYS.toNanos(400));
        assertNull(gate.tryAcquire("b", 10));
        assertNull(gate.tryAcquire("a", 10), "a year later its pace is full, not wrapped around");
    }
}

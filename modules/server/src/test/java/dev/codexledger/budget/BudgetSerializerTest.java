package dev.codexledger.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every budget event and the snapshot survive their persisted (protobuf) form. */
class BudgetSerializerTest {

    private final BudgetSerializer serializer = new BudgetSerializer();

    private static final BudgetBook.ThresholdCrossing CROSSING =
            new BudgetBook.ThresholdCrossing("team:eng", "2026-11-01", 80, 8_000_000, 10_000_000, 1_795_000_000_000_000L);

    @Test
    void everyEventRoundTrips() throws Exception {
        List<BudgetEvent> events = List.of(
                new BudgetEvent.BudgetSet(new BudgetSpec("team:platform", BudgetWindow.WEEK, 10_000_000, List.of(80, 100), "eng")),
                new BudgetEvent.BudgetSet(new BudgetSpec("org", BudgetWindow.MONTH, 1, List.of(), null)),
                new BudgetEvent.BudgetRemoved("user:ana"),
                new BudgetEvent.MemberSet("ana", "platform"),
                new BudgetEvent.MemberSet("bob", null),
                new BudgetEvent.Reserved(new BudgetBook.Reservation("res_1", "ana", List.of("user:ana", "org"), 5, 99)),
                new BudgetEvent.ReservationEnded("res_1", "settled", 4, List.of("user:ana", "org"), 77),
                new BudgetEvent.UsageCounted(42, List.of(new BudgetEvent.UsageLine(List.of("org"), 978, 123))),
                new BudgetEvent.ThresholdFired(CROSSING),
                new BudgetEvent.AlertDelivered(BudgetBook.alertId(CROSSING)),
                new BudgetEvent.SpendFromSet("settlements"),
                new BudgetEvent.Reserved(new BudgetBook.Reservation("res_2", "ana", List.of("org"), 5, 99, "gw:call-1")),
                CHANGES);
        for (BudgetEvent event : events) {
            assertEquals(BudgetSerializer.EVENT_V1, serializer.manifest(event));
            assertEquals(event, serializer.fromBinary(serializer.toBinary(event), BudgetSerializer.EVENT_V1), event.toString());
        }
        assertThrows(java.io.NotSerializableException.class, () -> serializer.fromBinary(new byte[0], "Nope.v1"));
    }

    /** A group commit's write: the changes decided while the write before it was in flight, in order. */
    private static final BudgetEvent.Changes CHANGES = new BudgetEvent.Changes(List.of(
            new BudgetEvent.Reserved(new BudgetBook.Reservation("res_3", "ana", List.of("user:ana", "org"), 500_000,
                    1_795_000_300_000_000L, "gw-7f3a:call-0042")),
            new BudgetEvent.ReservationEnded("res_1", "settled", 420_000, List.of("user:ana", "org"), 1_795_000_000_000_000L),
            new BudgetEvent.ReservationEnded("res_2", "expired", 0, List.of(), 1_795_000_000_000_001L),
            new BudgetEvent.UsageCounted(43, List.of())));

    @Test
    void theGroupCommitsEventIsWrittenAsReleased() {
        dev.codexledger.testing.WireFormats.assertGolden(serializer, "budget-events",
                List.of(new dev.codexledger.testing.WireFormats.Sample(BudgetSerializer.EVENT_V1, "changes", CHANGES)));
    }

    @Test
    void changesAreAppliedInOrderAndNeverNested() {
        BudgetBook book = new BudgetBook(ZoneId.of("UTC"));
        BudgetEvent.apply(book, new BudgetEvent.BudgetSet(new BudgetSpec("org", BudgetWindow.MONTH, 5_000_000, List.of(), null)));
        BudgetEvent.apply(book, new BudgetEvent.Reserved(new BudgetBook.Reservation("res_1", "ana", List.of("user:ana", "org"), 1_000_000, 1L << 60)));
        BudgetEvent.apply(book, new BudgetEvent.Reserved(new BudgetBook.Reservation("res_2", "ana", List.of("org"), 700_000, 1L << 60)));
        BudgetEvent.apply(book, CHANGES);
        assertEquals(null, book.reservation("res_1"));
        assertEquals(null, book.reservation("res_2"));
        assertEquals("res_3", book.reservationByKey("gw-7f3a:call-0042").id());
        BudgetBook.Level org = book.decide("ana", 0, 1_795_000_000_000_000L).binding();
        assertEquals(420_000, org.spentMicros());
        assertEquals(500_000, org.reservedMicros());
        assertEquals(43, book.countedThroughSeq());
        assertThrows(IllegalArgumentException.class, () -> new BudgetEvent.Changes(List.of(CHANGES)));
    }

    @Test
    void theSnapshotKeepsTheWholeBook() throws Exception {
        BudgetBook book = new BudgetBook(ZoneId.of("UTC"));
        BudgetEvent.apply(book, new BudgetEvent.BudgetSet(new BudgetSpec("org", BudgetWindow.DAY, 5_000_000, List.of(50), null)));
        BudgetEvent.apply(book, new BudgetEvent.MemberSet("ana", "eng"));
        BudgetEvent.apply(book, new BudgetEvent.Reserved(new BudgetBook.Reservation("res_1", "ana", List.of("org"), 1_000_000, 1L << 60, "gw:1")));
        BudgetEvent.apply(book, new BudgetEvent.UsageCounted(7, List.of(new BudgetEvent.UsageLine(List.of("org", "team:eng"), 3_000_000, 1_795_000_000_000_000L))));
        BudgetEvent.apply(book, new BudgetEvent.ThresholdFired(new BudgetBook.ThresholdCrossing("org", "2026-11-19", 50, 3_000_000, 5_000_000, 1_795_000_000_000_000L)));
        byte[] bytes = serializer.toBinary(BudgetSerializer.snapshotOf(book));
        BudgetBook back = BudgetSerializer.bookOf((BudgetSerializer.Snapshot) serializer.fromBinary(bytes,
                BudgetSerializer.SNAPSHOT_V1), ZoneId.of("UTC"));
        long at = 1_795_000_000_000_000L;
        assertEquals(book.decide("ana", 0, at), back.decide("ana", 0, at));
        assertEquals(book.members(), back.members());
        assertEquals("res_1", back.reservationByKey("gw:1").id(), "a retry after recovery finds its reservation");
        assertEquals(7, back.countedThroughSeq());
        assertEquals(book.pendingAlerts(), back.pendingAlerts(), "undelivered alerts are delivered after recovery");
        assertEquals(book.crossings(List.of("org"), at), back.crossings(List.of("org"), at), "fired thresholds stay fired");
    }
}

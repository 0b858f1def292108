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
                new BudgetEvent.SpendFromSet("settlements"));
        for (BudgetEvent event : events) {
            assertEquals(BudgetSerializer.EVENT_V1, serializer.manifest(event));
            assertEquals(event, serializer.fromBinary(serializer.toBinary(event), BudgetSerializer.EVENT_V1), event.toString());
        }
        assertThrows(java.io.NotSerializableException.class, () -> serializer.fromBinary(new byte[0], "Nope.v1"));
    }

    @Test
    void theSnapshotKeepsTheWholeBook() throws Exception {
        BudgetBook book = new BudgetBook(ZoneId.of("UTC"));
        BudgetEvent.apply(book, new BudgetEvent.BudgetSet(new BudgetSpec("org", BudgetWindow.DAY, 5_000_000, List.of(50), null)));
        BudgetEvent.apply(book, new BudgetEvent.MemberSet("ana", "eng"));
        BudgetEvent.apply(book, new BudgetEvent.Reserved(new BudgetBook.Reservation("res_1", "ana", List.of("org"), 1_000_000, 1L << 60)));
        BudgetEvent.apply(book, new BudgetEvent.UsageCounted(7, List.of(new BudgetEvent.UsageLine(List.of("org", "team:eng"), 3_000_000, 1_795_000_000_000_000L))));
        BudgetEvent.apply(book, new BudgetEvent.ThresholdFired(new BudgetBook.ThresholdCrossing("org", "2026-11-19", 50, 3_000_000, 5_000_000, 1_795_000_000_000_000L)));
        byte[] bytes = serializer.toBinary(BudgetSerializer.snapshotOf(book));
        BudgetBook back = BudgetSerializer.bookOf((BudgetSerializer.Snapshot) serializer.fromBinary(bytes,
                BudgetSerializer.SNAPSHOT_V1), ZoneId.of("UTC"));
        long at = 1_795_000_000_000_000L;
        assertEquals(book.decide("ana", 0, at), back.decide("ana", 0, at));
        assertEquals(book.members(), back.members());
        assertEquals(7, back.countedThroughSeq());
        assertEquals(book.pendingAlerts(), back.pendingAlerts(), "undelivered alerts are delivered after recovery");
        assertEquals(book.crossings(List.of("org"), at), back.crossings(List.of("org"), at), "fired thresholds stay fired");
    }
}

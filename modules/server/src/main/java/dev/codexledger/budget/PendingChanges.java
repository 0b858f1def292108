package dev.codexledger.budget;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The budget changes a {@link WorkspaceBudget} has decided and not yet written (group commit): the events,
 * in the order they were decided, and what to do once they are written (answer the gateways). Decisions
 * made meanwhile count them as if they were written — reserved and spent per budget key, reservations
 * added and ended — so settled + reserved never exceeds a cap whatever a write contains. Nothing is
 * answered before its write: a crash between the decision and the write loses the decision, never a grant.
 * Owned by the entity (its thread only).
 */
final class PendingChanges {

    /** No changes: decisions on the book alone (checks from other threads). */
    static final PendingChanges NONE = new PendingChanges();

    private final List<BudgetEvent> events = new ArrayList<>();
    private final List<Consumer<BudgetBook>> afterWrite = new ArrayList<>();
    private final Map<String, Long> reserved = new HashMap<>();
    /** budget key → epoch day → micros spent */
    private final Map<String, TreeMap<Long, Long>> spent = new HashMap<>();
    private final Map<String, BudgetBook.Reservation> added = new HashMap<>();
    private final Map<String, String> addedByKey = new HashMap<>();
    private final Set<String> ended = new HashSet<>();

    /** Counts {@code event} (decided against {@code book} and the changes before it) as pending. */
    void add(BudgetEvent event, BudgetBook book) {
        if (this == NONE) {
            throw new IllegalStateException("NONE holds no changes");
        }
        events.add(event);
        if (event instanceof BudgetEvent.Reserved r) {
            BudgetBook.Reservation reservation = r.reservation();
            added.put(reservation.id(), reservation);
            if (reservation.idempotencyKey() != null) {
                addedByKey.put(reservation.idempotencyKey(), reservation.id());
            }
            reservation.levels().forEach(key -> reserved.merge(key, reservation.amountMicros(), Long::sum));
        } else if (event instanceof BudgetEvent.ReservationEnded e) {
            BudgetBook.Reservation reservation = added.remove(e.id());
            if (reservation == null) {
                reservation = ended.add(e.id()) ? book.reservation(e.id()) : null;
            } else if (reservation.idempotencyKey() != null) {
                addedByKey.remove(reservation.idempotencyKey());
            }
            if (reservation != null) {
                long amount = reservation.amountMicros();
                reservation.levels().forEach(key -> reserved.merge(key, -amount, Long::sum));
            }
            spend(e.levels(), e.spentMicros(), e.atMicros(), book);
        } else if (event instanceof BudgetEvent.UsageCounted counted) {
            counted.lines().forEach(line -> spend(line.levels(), line.micros(), line.atMicros(), book));
        } else {
            // budgets, membership, thresholds, alerts and the spend source change what decisions read in
            // other ways: they are written at once, with the changes pending before them
            throw new IllegalArgumentException("not a pending change: " + event.getClass().getSimpleName());
        }
    }

    private void spend(List<String> keys, long micros, long atMicros, BudgetBook book) {
        if (micros <= 0) {
            return;
        }
        long day = book.day(atMicros).toEpochDay();
        keys.forEach(key -> spent.computeIfAbsent(key, k -> new TreeMap<>()).merge(day, micros, Long::sum));
    }

    /** Run once the pending changes are written, with the book as it then is. */
    void afterWrite(Consumer<BudgetBook> action) {
        if (this == NONE) {
            throw new IllegalStateException("NONE holds no changes");
        }
        afterWrite.add(action);
    }

    int size() {
        return events.size();
    }

    long reserved(String key) {
        return reserved.getOrDefault(key, 0L);
    }

    long spentBetween(String key, LocalDate from, LocalDate until) {
        return BudgetBook.sumOfDays(spent.get(key), from, until);
    }

    /** The reservation in force once the pending changes are written, or null. */
    BudgetBook.Reservation reservation(String id, BudgetBook book) {
        BudgetBook.Reservation pending = added.get(id);
        if (pending != null) {
            return pending;
        }
        return ended.contains(id) ? null : book.reservation(id);
    }

    /** The reservation in force under an idempotency key once the pending changes are written, or null. */
    BudgetBook.Reservation reservationByKey(String idempotencyKey, BudgetBook book) {
        String id = addedByKey.get(idempotencyKey);
        if (id != null) {
            return added.get(id);
        }
        BudgetBook.Reservation held = book.reservationByKey(idempotencyKey);
        return held == null || ended.contains(held.id()) ? null : held;
    }

    /** Whether the reservation is decided and not written yet. */
    boolean isPending(String reservationId) {
        return added.containsKey(reservationId);
    }

    /** Whether the reservation is ended by a pending change. */
    boolean isEnded(String reservationId) {
        return ended.contains(reservationId);
    }

    /** The pending changes and their after-write actions, handed over for one write; this is empty after. */
    Taken take() {
        if (this == NONE) {
            throw new IllegalStateException("NONE holds no changes");
        }
        Taken taken = new Taken(List.copyOf(events), List.copyOf(afterWrite));
        events.clear();
        afterWrite.clear();
        reserved.clear();
        spent.clear();
        added.clear();
        addedByKey.clear();
        ended.clear();
        return taken;
    }

    record Taken(List<BudgetEvent> events, List<Consumer<BudgetBook>> afterWrite) {}
}

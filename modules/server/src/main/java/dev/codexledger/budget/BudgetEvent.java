package dev.codexledger.budget;

import java.util.List;

/** What a {@link WorkspaceBudget} persists (serialized by {@link BudgetSerializer}). */
public sealed interface BudgetEvent {

    record BudgetSet(BudgetSpec spec) implements BudgetEvent {}

    record BudgetRemoved(String key) implements BudgetEvent {}

    /** {@code team} null or empty: the user belongs to no team. */
    record MemberSet(String user, String team) implements BudgetEvent {}

    record Reserved(BudgetBook.Reservation reservation) implements BudgetEvent {}

    /** outcome settled (then {@code spentMicros} counts on {@code levels} at {@code atMicros}), released or expired. */
    record ReservationEnded(String id, String outcome, long spentMicros, List<String> levels, long atMicros)
            implements BudgetEvent {
        public ReservationEnded {
            levels = List.copyOf(levels);
        }
    }

    /** Spending from the ledger's records up to {@code throughSeq}, each line on the levels of its user then. */
    record UsageCounted(long throughSeq, List<UsageLine> lines) implements BudgetEvent {
        public UsageCounted {
            lines = List.copyOf(lines);
        }
    }

    record UsageLine(List<String> levels, long micros, long atMicros) {
        public UsageLine {
            levels = List.copyOf(levels);
        }
    }

    record ThresholdFired(BudgetBook.ThresholdCrossing crossing) implements BudgetEvent {}

    /**
     * Which source of usage counts as spend in this workspace: {@code both} (the default: each call is
     * reported by one source only), {@code records} (ingested usage; a settlement only ends its
     * reservation) or {@code settlements} (gateway settlements; records' usage is not counted).
     */
    record SpendFromSet(String source) implements BudgetEvent {}

    /** The alert of a fired threshold was recorded and its webhook answered 2xx (or none is configured). */
    record AlertDelivered(String alertId) implements BudgetEvent {}

    /**
     * Changes decided while a write was in flight (reservations, settlements, releases, expiries, usage,
     * and the change that closed the group), in the order they were decided, written as one journal
     * event (group commit). Never nested. {@code writeId}: random per write (empty in old writes), the
     * head the writer fence holds for it (see {@link FencedReplies}).
     */
    record Changes(List<BudgetEvent> events, String writeId) implements BudgetEvent {

        public Changes(List<BudgetEvent> events) {
            this(events, "");
        }

        public Changes {
            events = List.copyOf(events);
            writeId = writeId == null ? "" : writeId;
            if (events.stream().anyMatch(Changes.class::isInstance)) {
                throw new IllegalArgumentException("changes are never nested");
            }
        }
    }

    /** The state change of an event (the entity's event handler). */
    static BudgetBook apply(BudgetBook book, BudgetEvent event) {
        if (event instanceof Changes changes) {
            changes.events().forEach(change -> apply(book, change));
            book.lastWriteId = changes.writeId();
        } else if (event instanceof BudgetSet set) {
            book.setBudget(set.spec());
        } else if (event instanceof BudgetRemoved removed) {
            book.removeBudget(removed.key());
        } else if (event instanceof MemberSet member) {
            book.setMember(member.user(), member.team());
        } else if (event instanceof Reserved reserved) {
            book.reserve(reserved.reservation());
        } else if (event instanceof ReservationEnded ended) {
            // spend first: a check reading meanwhile never sees the hold gone and the spend not yet there
            book.spend(ended.levels(), ended.spentMicros(), ended.atMicros());
            book.endReservation(ended.id());
        } else if (event instanceof UsageCounted counted) {
            counted.lines().forEach(line -> book.spend(line.levels(), line.micros(), line.atMicros()));
            book.counted(counted.throughSeq());
        } else if (event instanceof ThresholdFired fired) {
            book.fired(fired.crossing());
        } else if (event instanceof SpendFromSet set) {
            book.spendFrom = set.source();
        } else if (event instanceof AlertDelivered delivered) {
            book.delivered(delivered.alertId());
        }
        return book;
    }
}

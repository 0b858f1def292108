package dev.codexledger.budget;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.codexledger.protocol.ledger.v1.BudgetChangesProto;
import dev.codexledger.protocol.ledger.v1.BudgetEventProto;
import dev.codexledger.protocol.ledger.v1.BudgetSnapshotProto;
import dev.codexledger.protocol.ledger.v1.BudgetSpecProto;
import dev.codexledger.protocol.ledger.v1.MemberSetProto;
import dev.codexledger.protocol.ledger.v1.ReservationEndedProto;
import dev.codexledger.protocol.ledger.v1.ReservationProto;
import dev.codexledger.protocol.ledger.v1.SpendDayProto;
import dev.codexledger.protocol.ledger.v1.ThresholdProto;
import dev.codexledger.protocol.ledger.v1.UsageCountedProto;
import dev.codexledger.protocol.ledger.v1.UsageLineProto;
import java.io.NotSerializableException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Protobuf serialization of the budget entity's events and snapshots (proto/ledger/v1/budget.proto).
 * Identifier and manifests are persisted with every row: append-only.
 */
public final class BudgetSerializer extends SerializerWithStringManifest {

    static final int IDENTIFIER = 7302;
    static final String EVENT_V1 = "BudgetEvent.v1";
    static final String SNAPSHOT_V1 = "BudgetSnapshot.v1";

    /** The snapshot as taken (in the entity's thread, from its mutable book): immutable bytes. */
    public record Snapshot(BudgetSnapshotProto proto) {}

    public BudgetSerializer(ExtendedActorSystem system) {}

    BudgetSerializer() {}

    @Override
    public int identifier() {
        return IDENTIFIER;
    }

    @Override
    public String manifest(Object o) {
        if (o instanceof BudgetEvent) {
            return EVENT_V1;
        }
        if (o instanceof Snapshot) {
            return SNAPSHOT_V1;
        }
        throw new IllegalArgumentException("BudgetSerializer cannot serialize " + o.getClass().getName());
    }

    @Override
    public byte[] toBinary(Object o) {
        if (o instanceof BudgetEvent event) {
            return toProto(event).toByteArray();
        }
        if (o instanceof Snapshot snapshot) {
            return snapshot.proto().toByteArray();
        }
        throw new IllegalArgumentException("BudgetSerializer cannot serialize " + o.getClass().getName());
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        try {
            return switch (manifest) {
                case EVENT_V1 -> fromProto(BudgetEventProto.parseFrom(bytes));
                case SNAPSHOT_V1 -> new Snapshot(BudgetSnapshotProto.parseFrom(bytes));
                default -> throw new NotSerializableException("unknown manifest " + manifest);
            };
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("corrupt " + manifest, e);
        }
    }

    // ---------------------------------------------------------------- events

    static BudgetEventProto toProto(BudgetEvent event) {
        BudgetEventProto.Builder out = BudgetEventProto.newBuilder();
        if (event instanceof BudgetEvent.BudgetSet set) {
            out.setBudgetSet(spec(set.spec()));
        } else if (event instanceof BudgetEvent.BudgetRemoved removed) {
            out.setBudgetRemoved(removed.key());
        } else if (event instanceof BudgetEvent.MemberSet member) {
            out.setMemberSet(MemberSetProto.newBuilder().setUser(member.user())
                    .setTeam(member.team() == null ? "" : member.team()));
        } else if (event instanceof BudgetEvent.Reserved reserved) {
            out.setReserved(reservation(reserved.reservation()));
        } else if (event instanceof BudgetEvent.ReservationEnded ended) {
            out.setReservationEnded(ReservationEndedProto.newBuilder().setId(ended.id()).setOutcome(ended.outcome())
                    .setSpentMicros(ended.spentMicros()).addAllLevels(ended.levels()).setAtMicros(ended.atMicros()));
        } else if (event instanceof BudgetEvent.UsageCounted counted) {
            UsageCountedProto.Builder usage = UsageCountedProto.newBuilder().setThroughSeq(counted.throughSeq());
            counted.lines().forEach(line -> usage.addLines(UsageLineProto.newBuilder().addAllLevels(line.levels())
                    .setMicros(line.micros()).setAtMicros(line.atMicros())));
            out.setUsageCounted(usage);
        } else if (event instanceof BudgetEvent.ThresholdFired fired) {
            out.setThresholdFired(threshold(fired.crossing()));
        } else if (event instanceof BudgetEvent.SpendFromSet set) {
            out.setSpendFromSet(set.source());
        } else if (event instanceof BudgetEvent.AlertDelivered delivered) {
            out.setAlertDelivered(delivered.alertId());
        } else if (event instanceof BudgetEvent.Changes changes) {
            BudgetChangesProto.Builder group = BudgetChangesProto.newBuilder().setWriteId(changes.writeId());
            changes.events().forEach(change -> group.addEvents(toProto(change)));
            out.setChanges(group);
        }
        return out.build();
    }

    static BudgetEvent fromProto(BudgetEventProto proto) throws NotSerializableException {
        return switch (proto.getEventCase()) {
            case BUDGET_SET -> new BudgetEvent.BudgetSet(spec(proto.getBudgetSet()));
            case BUDGET_REMOVED -> new BudgetEvent.BudgetRemoved(proto.getBudgetRemoved());
            case MEMBER_SET -> new BudgetEvent.MemberSet(proto.getMemberSet().getUser(),
                    proto.getMemberSet().getTeam().isEmpty() ? null : proto.getMemberSet().getTeam());
            case RESERVED -> new BudgetEvent.Reserved(reservation(proto.getReserved()));
            case RESERVATION_ENDED -> {
                ReservationEndedProto ended = proto.getReservationEnded();
                yield new BudgetEvent.ReservationEnded(ended.getId(), ended.getOutcome(), ended.getSpentMicros(),
                        ended.getLevelsList(), ended.getAtMicros());
            }
            case USAGE_COUNTED -> {
                List<BudgetEvent.UsageLine> lines = new ArrayList<>();
                proto.getUsageCounted().getLinesList().forEach(line -> lines.add(new BudgetEvent.UsageLine(
                        line.getLevelsList(), line.getMicros(), line.getAtMicros())));
                yield new BudgetEvent.UsageCounted(proto.getUsageCounted().getThroughSeq(), lines);
            }
            case THRESHOLD_FIRED -> new BudgetEvent.ThresholdFired(threshold(proto.getThresholdFired()));
            case ALERT_DELIVERED -> new BudgetEvent.AlertDelivered(proto.getAlertDelivered());
            case SPEND_FROM_SET -> new BudgetEvent.SpendFromSet(proto.getSpendFromSet());
            case CHANGES -> {
                List<BudgetEvent> changes = new ArrayList<>();
                for (BudgetEventProto change : proto.getChanges().getEventsList()) {
                    changes.add(fromProto(change));
                }
                yield new BudgetEvent.Changes(changes, proto.getChanges().getWriteId());
            }
            case EVENT_NOT_SET -> throw new NotSerializableException("empty budget event");
        };
    }

    static BudgetSpecProto spec(BudgetSpec spec) {
        return BudgetSpecProto.newBuilder().setKey(spec.key()).setWindow(spec.window().wireName())
                .setCapMicros(spec.capMicros()).addAllThresholds(spec.thresholds())
                .setParent(spec.parent() == null ? "" : spec.parent()).build();
    }

    static BudgetSpec spec(BudgetSpecProto proto) {
        return new BudgetSpec(proto.getKey(), BudgetWindow.parse(proto.getWindow()), proto.getCapMicros(),
                proto.getThresholdsList(), proto.getParent().isEmpty() ? null : proto.getParent());
    }

    private static ReservationProto reservation(BudgetBook.Reservation reservation) {
        return ReservationProto.newBuilder().setId(reservation.id()).setUser(reservation.user())
                .addAllLevels(reservation.levels()).setAmountMicros(reservation.amountMicros())
                .setExpiresAtMicros(reservation.expiresAtMicros())
                .setIdempotencyKey(reservation.idempotencyKey() == null ? "" : reservation.idempotencyKey()).build();
    }

    private static BudgetBook.Reservation reservation(ReservationProto proto) {
        return new BudgetBook.Reservation(proto.getId(), proto.getUser(), List.copyOf(proto.getLevelsList()),
                proto.getAmountMicros(), proto.getExpiresAtMicros(),
                proto.getIdempotencyKey().isEmpty() ? null : proto.getIdempotencyKey());
    }

    private static ThresholdProto threshold(BudgetBook.ThresholdCrossing crossing) {
        return ThresholdProto.newBuilder().setKey(crossing.key()).setWindowStart(crossing.windowStart())
                .setPercent(crossing.percent()).setSpentMicros(crossing.spentMicros())
                .setCapMicros(crossing.capMicros()).setAtMicros(crossing.atMicros()).build();
    }

    private static BudgetBook.ThresholdCrossing threshold(ThresholdProto proto) {
        return new BudgetBook.ThresholdCrossing(proto.getKey(), proto.getWindowStart(), proto.getPercent(),
                proto.getSpentMicros(), proto.getCapMicros(), proto.getAtMicros());
    }

    // ---------------------------------------------------------------- snapshots

    /** Copies the book into an immutable snapshot (called in the entity's thread). */
    static Snapshot snapshotOf(BudgetBook book) {
        BudgetSnapshotProto.Builder out = BudgetSnapshotProto.newBuilder()
                .setCountedThroughSeq(book.countedThroughSeq).setZone(book.zone().getId()).setSpendFrom(book.spendFrom)
                .setLastWriteId(book.lastWriteId)
                .putAllTeamOf(book.teamOf);
        book.budgets.values().forEach(spec -> out.addBudgets(spec(spec)));
        book.spent.forEach((key, days) -> days.forEach((day, micros) -> out.addSpent(SpendDayProto.newBuilder()
                .setKey(key).setEpochDay(day).setMicros(micros))));
        book.reservations.values().forEach(r -> out.addReservations(reservation(r)));
        book.fired.forEach((key, marks) -> out.putFired(key, String.join(",", marks)));
        book.pendingAlerts.values().forEach(crossing -> out.addPendingAlerts(threshold(crossing)));
        return new Snapshot(out.build());
    }

    static BudgetBook bookOf(Snapshot snapshot, ZoneId zone) {
        BudgetSnapshotProto proto = snapshot.proto();
        BudgetBook book = new BudgetBook(zone);
        proto.getBudgetsList().forEach(spec -> book.setBudget(spec(spec)));
        book.teamOf.putAll(proto.getTeamOfMap());
        for (SpendDayProto day : proto.getSpentList()) {
            book.spent.computeIfAbsent(day.getKey(), k -> new java.util.concurrent.ConcurrentSkipListMap<>())
                    .put(day.getEpochDay(), day.getMicros());
        }
        proto.getReservationsList().forEach(r -> book.reserve(reservation(r)));
        for (Map.Entry<String, String> fired : proto.getFiredMap().entrySet()) {
            book.fired.put(fired.getKey(), new java.util.HashSet<>(List.of(fired.getValue().split(","))));
        }
        book.counted(proto.getCountedThroughSeq());
        book.spendFrom = proto.getSpendFrom().isEmpty() ? "both" : proto.getSpendFrom();
        book.lastWriteId = proto.getLastWriteId();
        proto.getPendingAlertsList().forEach(t -> book.pendingAlerts.put(BudgetBook.alertId(threshold(t)), threshold(t)));
        return book;
    }
}

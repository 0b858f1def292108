package dev.codexledger.budget;

import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Timestamp;
import dev.codexledger.cluster.ClusterMessageSerializer;
import dev.codexledger.protocol.ledger.v1.BudgetStatusProto;
import dev.codexledger.protocol.ledger.v1.CheckProto;
import dev.codexledger.protocol.ledger.v1.DecisionProto;
import dev.codexledger.protocol.ledger.v1.DeniedProto;
import dev.codexledger.protocol.ledger.v1.GetStatusProto;
import dev.codexledger.protocol.ledger.v1.KeyConflictProto;
import dev.codexledger.protocol.ledger.v1.LevelProto;
import dev.codexledger.protocol.ledger.v1.ReleaseProto;
import dev.codexledger.protocol.ledger.v1.RemoveBudgetProto;
import dev.codexledger.protocol.ledger.v1.ReportUsageProto;
import dev.codexledger.protocol.ledger.v1.ReserveProto;
import dev.codexledger.protocol.ledger.v1.ReservedProto;
import dev.codexledger.protocol.ledger.v1.SeqUsageProto;
import dev.codexledger.protocol.ledger.v1.SetBudgetProto;
import dev.codexledger.protocol.ledger.v1.SetMemberProto;
import dev.codexledger.protocol.ledger.v1.SetSpendFromProto;
import dev.codexledger.protocol.ledger.v1.SettleProto;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.pekko.actor.ExtendedActorSystem;

/**
 * Protobuf serialization of the {@link WorkspaceBudget}'s commands and replies
 * (proto/ledger/v1/budget_messages.proto), for the nodes of a cluster: a gateway's reservation taken by
 * one node is decided by the budget on another. {@code StatusReply<Done>}, the answer to changes, is left
 * to Pekko's own serializer. Identifier and manifests are part of the wire format between versions during
 * a rolling update: append-only, never change one.
 */
public final class BudgetMessageSerializer extends ClusterMessageSerializer {

    static final int IDENTIFIER = 7304;
    static final String SET_BUDGET = "SetBudget.v1";
    static final String REMOVE_BUDGET = "RemoveBudget.v1";
    static final String SET_MEMBER = "SetMember.v1";
    static final String CHECK = "Check.v1";
    static final String RESERVE = "Reserve.v1";
    static final String SETTLE = "Settle.v1";
    static final String RELEASE = "Release.v1";
    static final String REPORT_USAGE = "ReportUsage.v1";
    static final String GET_STATUS = "GetStatus.v1";
    static final String SET_SPEND_FROM = "SetSpendFrom.v1";
    static final String DECISION = "Decision.v1";
    static final String RESERVED = "Reserved.v1";
    static final String DENIED = "Denied.v1";
    static final String KEY_CONFLICT = "KeyConflict.v1";
    static final String STATUS = "BudgetStatus.v1";

    public BudgetMessageSerializer(ExtendedActorSystem system) {
        super(system, IDENTIFIER, Map.ofEntries(
                Map.entry(WorkspaceBudget.SetBudget.class, SET_BUDGET),
                Map.entry(WorkspaceBudget.RemoveBudget.class, REMOVE_BUDGET),
                Map.entry(WorkspaceBudget.SetMember.class, SET_MEMBER),
                Map.entry(WorkspaceBudget.Check.class, CHECK),
                Map.entry(WorkspaceBudget.Reserve.class, RESERVE),
                Map.entry(WorkspaceBudget.Settle.class, SETTLE),
                Map.entry(WorkspaceBudget.Release.class, RELEASE),
                Map.entry(WorkspaceBudget.ReportUsage.class, REPORT_USAGE),
                Map.entry(WorkspaceBudget.GetStatus.class, GET_STATUS),
                Map.entry(WorkspaceBudget.SetSpendFrom.class, SET_SPEND_FROM),
                Map.entry(BudgetBook.Decision.class, DECISION),
                Map.entry(ReserveResult.Reserved.class, RESERVED),
                Map.entry(ReserveResult.Denied.class, DENIED),
                Map.entry(ReserveResult.KeyConflict.class, KEY_CONFLICT),
                Map.entry(BudgetStatus.class, STATUS)));
    }

    @Override
    protected MessageLite write(Object o) {
        if (o instanceof WorkspaceBudget.SetBudget c) {
            return SetBudgetProto.newBuilder().setSpec(BudgetSerializer.spec(c.spec())).setReplyTo(ref(c.replyTo())).build();
        } else if (o instanceof WorkspaceBudget.RemoveBudget c) {
            return RemoveBudgetProto.newBuilder().setKey(c.key()).setReplyTo(ref(c.replyTo())).build();
        } else if (o instanceof WorkspaceBudget.SetMember c) {
            SetMemberProto.Builder out = SetMemberProto.newBuilder().setUser(c.user()).setReplyTo(ref(c.replyTo()));
            c.team().ifPresent(out::setTeam);
            return out.build();
        } else if (o instanceof WorkspaceBudget.Check c) {
            return CheckProto.newBuilder().setUser(c.user()).setEstimateMicros(c.estimateMicros())
                    .setReplyTo(ref(c.replyTo())).build();
        } else if (o instanceof WorkspaceBudget.Reserve c) {
            ReserveProto.Builder out = ReserveProto.newBuilder().setUser(c.user()).setEstimateMicros(c.estimateMicros())
                    .setReplyTo(ref(c.replyTo()));
            c.ttl().ifPresent(ttl -> out.setTtl(Duration.newBuilder().setSeconds(ttl.getSeconds()).setNanos(ttl.getNano())));
            c.idempotencyKey().ifPresent(out::setIdempotencyKey);
            return out.build();
        } else if (o instanceof WorkspaceBudget.Settle c) {
            return SettleProto.newBuilder().setId(c.id()).setActualMicros(c.actualMicros()).setReplyTo(ref(c.replyTo()))
                    .build();
        } else if (o instanceof WorkspaceBudget.Release c) {
            return ReleaseProto.newBuilder().setId(c.id()).setReplyTo(ref(c.replyTo())).build();
        } else if (o instanceof WorkspaceBudget.ReportUsage c) {
            ReportUsageProto.Builder out = ReportUsageProto.newBuilder().setFromSeq(c.fromSeq())
                    .setThroughSeq(c.throughSeq());
            c.lines().forEach(line -> out.addLines(toProto(line)));
            return out.build();
        } else if (o instanceof WorkspaceBudget.GetStatus c) {
            return GetStatusProto.newBuilder().setReplyTo(ref(c.replyTo())).build();
        } else if (o instanceof WorkspaceBudget.SetSpendFrom c) {
            return SetSpendFromProto.newBuilder().setSource(c.source()).setReplyTo(ref(c.replyTo())).build();
        } else if (o instanceof BudgetBook.Decision decision) {
            return toProto(decision);
        } else if (o instanceof ReserveResult.Reserved reserved) {
            return ReservedProto.newBuilder().setId(reserved.id()).setExpiresAt(timestamp(reserved.expiresAt()))
                    .setDecision(toProto(reserved.decision())).setReplayed(reserved.replayed()).build();
        } else if (o instanceof ReserveResult.Denied denied) {
            return DeniedProto.newBuilder().setDecision(toProto(denied.decision())).build();
        } else if (o instanceof ReserveResult.KeyConflict conflict) {
            return KeyConflictProto.newBuilder().setReservationId(conflict.reservationId()).setReason(conflict.reason())
                    .setDecision(toProto(conflict.decision())).build();
        }
        return toProto((BudgetStatus) o);
    }

    @Override
    protected Object read(byte[] bytes, String manifest) throws InvalidProtocolBufferException {
        return switch (manifest) {
            case SET_BUDGET -> {
                SetBudgetProto proto = SetBudgetProto.parseFrom(bytes);
                yield new WorkspaceBudget.SetBudget(BudgetSerializer.spec(proto.getSpec()), resolve(proto.getReplyTo()));
            }
            case REMOVE_BUDGET -> {
                RemoveBudgetProto proto = RemoveBudgetProto.parseFrom(bytes);
                yield new WorkspaceBudget.RemoveBudget(proto.getKey(), resolve(proto.getReplyTo()));
            }
            case SET_MEMBER -> {
                SetMemberProto proto = SetMemberProto.parseFrom(bytes);
                yield new WorkspaceBudget.SetMember(proto.getUser(),
                        proto.hasTeam() ? Optional.of(proto.getTeam()) : Optional.empty(), resolve(proto.getReplyTo()));
            }
            case CHECK -> {
                CheckProto proto = CheckProto.parseFrom(bytes);
                yield new WorkspaceBudget.Check(proto.getUser(), proto.getEstimateMicros(), resolve(proto.getReplyTo()));
            }
            case RESERVE -> reserve(ReserveProto.parseFrom(bytes));
            case SETTLE -> {
                SettleProto proto = SettleProto.parseFrom(bytes);
                yield new WorkspaceBudget.Settle(proto.getId(), proto.getActualMicros(), resolve(proto.getReplyTo()));
            }
            case RELEASE -> {
                ReleaseProto proto = ReleaseProto.parseFrom(bytes);
                yield new WorkspaceBudget.Release(proto.getId(), resolve(proto.getReplyTo()));
            }
            case REPORT_USAGE -> {
                ReportUsageProto proto = ReportUsageProto.parseFrom(bytes);
                yield new WorkspaceBudget.ReportUsage(proto.getFromSeq(), proto.getThroughSeq(),
                        proto.getLinesList().stream().map(BudgetMessageSerializer::fromProto).toList());
            }
            case GET_STATUS -> new WorkspaceBudget.GetStatus(resolve(GetStatusProto.parseFrom(bytes).getReplyTo()));
            case SET_SPEND_FROM -> {
                SetSpendFromProto proto = SetSpendFromProto.parseFrom(bytes);
                yield new WorkspaceBudget.SetSpendFrom(proto.getSource(), resolve(proto.getReplyTo()));
            }
            case DECISION -> fromProto(DecisionProto.parseFrom(bytes));
            case RESERVED -> {
                ReservedProto proto = ReservedProto.parseFrom(bytes);
                yield new ReserveResult.Reserved(proto.getId(), instant(proto.getExpiresAt()),
                        fromProto(proto.getDecision()), proto.getReplayed());
            }
            case DENIED -> new ReserveResult.Denied(fromProto(DeniedProto.parseFrom(bytes).getDecision()));
            case KEY_CONFLICT -> {
                KeyConflictProto proto = KeyConflictProto.parseFrom(bytes);
                yield new ReserveResult.KeyConflict(proto.getReservationId(), proto.getReason(),
                        fromProto(proto.getDecision()));
            }
            case STATUS -> fromProto(BudgetStatusProto.parseFrom(bytes));
            default -> throw new IllegalStateException("manifest without a reader: " + manifest);
        };
    }

    private WorkspaceBudget.Reserve reserve(ReserveProto proto) {
        Optional<java.time.Duration> ttl = proto.hasTtl()
                ? Optional.of(java.time.Duration.ofSeconds(proto.getTtl().getSeconds(), proto.getTtl().getNanos()))
                : Optional.empty();
        return new WorkspaceBudget.Reserve(proto.getUser(), proto.getEstimateMicros(), ttl,
                proto.hasIdempotencyKey() ? Optional.of(proto.getIdempotencyKey()) : Optional.empty(),
                resolve(proto.getReplyTo()));
    }

    // ---------------------------------------------------------------- parts

    private static SeqUsageProto toProto(WorkspaceBudget.SeqUsage line) {
        SeqUsageProto.Builder out = SeqUsageProto.newBuilder().setSeq(line.seq()).setMicros(line.micros())
                .setAtMicros(line.atMicros());
        setIfPresent(line.user(), out::setUser);
        return out.build();
    }

    private static WorkspaceBudget.SeqUsage fromProto(SeqUsageProto proto) {
        return new WorkspaceBudget.SeqUsage(proto.getSeq(), proto.hasUser() ? proto.getUser() : null,
                proto.getMicros(), proto.getAtMicros());
    }

    private static DecisionProto toProto(BudgetBook.Decision decision) {
        DecisionProto.Builder out = DecisionProto.newBuilder().setAllowed(decision.allowed());
        if (decision.binding() != null) {
            out.setBinding(toProto(decision.binding()));
        }
        decision.levels().forEach(level -> out.addLevels(toProto(level)));
        return out.build();
    }

    private static BudgetBook.Decision fromProto(DecisionProto proto) {
        return new BudgetBook.Decision(proto.getAllowed(), proto.hasBinding() ? fromProto(proto.getBinding()) : null,
                proto.getLevelsList().stream().map(BudgetMessageSerializer::fromProto).toList());
    }

    private static LevelProto toProto(BudgetBook.Level level) {
        return LevelProto.newBuilder().setKey(level.key()).setCapMicros(level.capMicros())
                .setSpentMicros(level.spentMicros()).setReservedMicros(level.reservedMicros())
                .setResetsAt(timestamp(level.resetsAt())).setWindow(level.window()).build();
    }

    private static BudgetBook.Level fromProto(LevelProto proto) {
        return new BudgetBook.Level(proto.getKey(), proto.getCapMicros(), proto.getSpentMicros(),
                proto.getReservedMicros(), instant(proto.getResetsAt()), proto.getWindow());
    }

    /** Members in user order: the same status gives the same bytes. */
    private static BudgetStatusProto toProto(BudgetStatus status) {
        BudgetStatusProto.Builder out = BudgetStatusProto.newBuilder().putAllMembers(new TreeMap<>(status.members()))
                .addAllFiredThisWindow(status.firedThisWindow()).setCountedThroughSeq(status.countedThroughSeq())
                .setSpendFrom(status.spendFrom());
        status.budgets().forEach(spec -> out.addBudgets(BudgetSerializer.spec(spec)));
        status.levels().forEach(level -> out.addLevels(toProto(level)));
        return out.build();
    }

    private static BudgetStatus fromProto(BudgetStatusProto proto) {
        List<BudgetSpec> budgets = proto.getBudgetsList().stream().map(BudgetSerializer::spec).toList();
        return new BudgetStatus(budgets, Map.copyOf(proto.getMembersMap()),
                proto.getLevelsList().stream().map(BudgetMessageSerializer::fromProto).toList(),
                List.copyOf(proto.getFiredThisWindowList()), proto.getCountedThroughSeq(), proto.getSpendFrom());
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    private static Instant instant(Timestamp timestamp) {
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
    }
}

package dev.codexledger.workspace;

import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import dev.codexledger.cluster.ClusterMessageSerializer;
import dev.codexledger.protocol.ledger.v1.AcceptedProto;
import dev.codexledger.protocol.ledger.v1.AppendProto;
import dev.codexledger.protocol.ledger.v1.ConflictProto;
import dev.codexledger.protocol.ledger.v1.ForgetProto;
import dev.codexledger.protocol.ledger.v1.ForgottenProto;
import dev.codexledger.protocol.ledger.v1.GetHeadProto;
import dev.codexledger.protocol.ledger.v1.SignCheckpointProto;
import dev.codexledger.protocol.ledger.v1.CheckpointSignedProto;
import dev.codexledger.protocol.ledger.v1.HeadProto;
import dev.codexledger.protocol.ledger.v1.NewRecordProto;
import dev.codexledger.protocol.ledger.v1.RecordFactsProto;
import dev.codexledger.protocol.ledger.v1.UnavailableProto;
import dev.codexledger.protocol.ledger.v1.UsageProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;

/**
 * Protobuf serialization of the {@link WorkspaceLedger}'s commands and replies
 * (proto/ledger/v1/ledger_messages.proto), for the nodes of a cluster: a request taken by one node is
 * answered by the ledger on another. A record travels with the facts read at the edge, so the ledger's
 * node never parses its JSON again. Identifier and manifests are part of the wire format between
 * versions during a rolling update: append-only, never change one.
 */
public final class LedgerMessageSerializer extends ClusterMessageSerializer {

    static final int IDENTIFIER = 7303;
    static final String APPEND = "Append.v1";
    static final String GET_HEAD = "GetHead.v1";
    static final String FORGET = "Forget.v1";
    static final String HAND_OVER = "HandOver.v1";
    static final String ACCEPTED = "Accepted.v1";
    static final String CONFLICT = "Conflict.v1";
    static final String UNAVAILABLE = "Unavailable.v1";
    static final String HEAD = "Head.v1";
    static final String FORGOTTEN = "Forgotten.v1";
    static final String SIGN_CHECKPOINT = "SignCheckpoint.v1";
    static final String CHECKPOINT_SIGNED = "CheckpointSigned.v1";

    public LedgerMessageSerializer(ExtendedActorSystem system) {
        super(system, IDENTIFIER, Map.ofEntries(
                Map.entry(WorkspaceLedger.SignCheckpoint.class, SIGN_CHECKPOINT),
                Map.entry(WorkspaceLedger.CheckpointSigned.class, CHECKPOINT_SIGNED),
                Map.entry(WorkspaceLedger.Append.class, APPEND),
                Map.entry(WorkspaceLedger.GetHead.class, GET_HEAD),
                Map.entry(WorkspaceLedger.Forget.class, FORGET),
                Map.entry(WorkspaceLedger.HandOver.class, HAND_OVER),
                Map.entry(WorkspaceLedger.Accepted.class, ACCEPTED),
                Map.entry(WorkspaceLedger.Conflict.class, CONFLICT),
                Map.entry(WorkspaceLedger.Unavailable.class, UNAVAILABLE),
                Map.entry(WorkspaceLedger.Head.class, HEAD),
                Map.entry(WorkspaceLedger.Forgotten.class, FORGOTTEN)));
    }

    @Override
    protected MessageLite write(Object o) {
        if (o instanceof WorkspaceLedger.Append append) {
            AppendProto.Builder out = AppendProto.newBuilder().setReplyTo(ref(append.replyTo()));
            append.records().forEach(record -> out.addRecords(toProto(record)));
            return out.build();
        } else if (o instanceof WorkspaceLedger.GetHead get) {
            return GetHeadProto.newBuilder().setReplyTo(ref(get.replyTo())).build();
        } else if (o instanceof WorkspaceLedger.Forget forget) {
            return ForgetProto.newBuilder().setField(forget.field()).setValue(forget.value())
                    .setErasedAtMicros(forget.erasedAtMicros()).setReplyTo(ref(forget.replyTo())).build();
        } else if (o instanceof WorkspaceLedger.HandOver) {
            return Empty.getDefaultInstance();
        } else if (o instanceof WorkspaceLedger.Accepted accepted) {
            return AcceptedProto.newBuilder().setAccepted(accepted.accepted()).setDuplicates(accepted.duplicates())
                    .setFirstSeq(accepted.firstSeq()).setLastSeq(accepted.lastSeq()).build();
        } else if (o instanceof WorkspaceLedger.Conflict conflict) {
            return ConflictProto.newBuilder().setIndex(conflict.index()).setEventId(conflict.eventId()).build();
        } else if (o instanceof WorkspaceLedger.Unavailable unavailable) {
            return UnavailableProto.newBuilder().setReason(unavailable.reason()).build();
        } else if (o instanceof WorkspaceLedger.SignCheckpoint sign) {
            return SignCheckpointProto.newBuilder().setReplyTo(ref(sign.replyTo())).build();
        } else if (o instanceof WorkspaceLedger.CheckpointSigned signed) {
            CheckpointSignedProto.Builder out = CheckpointSignedProto.newBuilder().setSize(signed.size())
                    .setNote(signed.note());
            setIfPresent(signed.error(), out::setError);
            return out.build();
        } else if (o instanceof WorkspaceLedger.Head head) {
            return HeadProto.newBuilder().setNextSeq(head.nextSeq()).setHeadHash(head.headHash().toByteString())
                    .setWindowSize(head.windowSize()).build();
        }
        WorkspaceLedger.Forgotten forgotten = (WorkspaceLedger.Forgotten) o;
        ForgottenProto.Builder out = ForgottenProto.newBuilder().setInLastBatch(forgotten.inLastBatch());
        setIfPresent(forgotten.error(), out::setError);
        return out.build();
    }

    @Override
    protected Object read(byte[] bytes, String manifest) throws InvalidProtocolBufferException {
        return switch (manifest) {
            case APPEND -> {
                AppendProto proto = AppendProto.parseFrom(bytes);
                List<NewRecord> records = new ArrayList<>(proto.getRecordsCount());
                proto.getRecordsList().forEach(record -> records.add(fromProto(record)));
                yield new WorkspaceLedger.Append(records, resolve(proto.getReplyTo()));
            }
            case GET_HEAD -> new WorkspaceLedger.GetHead(resolve(GetHeadProto.parseFrom(bytes).getReplyTo()));
            case FORGET -> {
                ForgetProto proto = ForgetProto.parseFrom(bytes);
                yield new WorkspaceLedger.Forget(proto.getField(), proto.getValue(), proto.getErasedAtMicros(),
                        resolve(proto.getReplyTo()));
            }
            case HAND_OVER -> WorkspaceLedger.HandOver.INSTANCE;
            case ACCEPTED -> {
                AcceptedProto proto = AcceptedProto.parseFrom(bytes);
                yield new WorkspaceLedger.Accepted(proto.getAccepted(), proto.getDuplicates(), proto.getFirstSeq(),
                        proto.getLastSeq());
            }
            case CONFLICT -> {
                ConflictProto proto = ConflictProto.parseFrom(bytes);
                yield new WorkspaceLedger.Conflict(proto.getIndex(), proto.getEventId());
            }
            case UNAVAILABLE -> new WorkspaceLedger.Unavailable(UnavailableProto.parseFrom(bytes).getReason());
            case HEAD -> {
                HeadProto proto = HeadProto.parseFrom(bytes);
                yield new WorkspaceLedger.Head(proto.getNextSeq(), Digest.of(proto.getHeadHash().toByteArray()),
                        proto.getWindowSize());
            }
            case SIGN_CHECKPOINT -> new WorkspaceLedger.SignCheckpoint(
                    resolve(SignCheckpointProto.parseFrom(bytes).getReplyTo()));
            case CHECKPOINT_SIGNED -> {
                CheckpointSignedProto proto = CheckpointSignedProto.parseFrom(bytes);
                yield new WorkspaceLedger.CheckpointSigned(proto.getSize(), proto.getNote(),
                        proto.hasError() ? proto.getError() : null);
            }
            case FORGOTTEN -> {
                ForgottenProto proto = ForgottenProto.parseFrom(bytes);
                yield new WorkspaceLedger.Forgotten(proto.getInLastBatch(), proto.hasError() ? proto.getError() : null);
            }
            default -> throw new IllegalStateException("manifest without a reader: " + manifest);
        };
    }

    // ---------------------------------------------------------------- records and their facts

    private static NewRecordProto toProto(NewRecord record) {
        NewRecordProto.Builder out = NewRecordProto.newBuilder().setEventId(record.eventId())
                .setEventType(record.eventType()).setTimestampMicros(record.timestampMicros())
                .setContent(record.content()).setContentHash(record.contentHash().toByteString())
                .setFacts(toProto(record.facts()));
        setIfPresent(record.userId(), out::setUserId);
        return out.build();
    }

    /** The content hash and facts are taken as sent: computed at the edge, they are not computed again. */
    private static NewRecord fromProto(NewRecordProto proto) {
        return new NewRecord(proto.getEventId(), proto.getEventType(), proto.getTimestampMicros(),
                proto.hasUserId() ? proto.getUserId() : null, proto.getContent(),
                Digest.of(proto.getContentHash().toByteArray()), fromProto(proto.getFacts()));
    }

    private static RecordFactsProto toProto(RecordFacts facts) {
        Usage usage = facts.usage();
        RecordFactsProto.Builder out = RecordFactsProto.newBuilder().setPrompt(facts.prompt())
                .setUsage(UsageProto.newBuilder().setInput(usage.input()).setCachedInput(usage.cachedInput())
                        .setOutput(usage.output()).setReasoning(usage.reasoning()));
        setIfPresent(facts.surface(), out::setSurface);
        setIfPresent(facts.model(), out::setModel);
        setIfPresent(facts.conversation(), out::setConversation);
        setIfPresent(facts.action(), out::setAction);
        setIfPresent(facts.priority(), out::setPriority);
        setIfPresent(facts.reaction(), out::setReaction);
        setIfPresent(facts.toolName(), out::setToolName);
        setIfPresent(facts.decision(), out::setDecision);
        return out.build();
    }

    private static RecordFacts fromProto(RecordFactsProto proto) {
        UsageProto usage = proto.getUsage();
        return new RecordFacts(
                proto.hasSurface() ? proto.getSurface() : null,
                proto.hasModel() ? proto.getModel() : null,
                proto.hasConversation() ? proto.getConversation() : null,
                proto.hasAction() ? proto.getAction() : null,
                proto.getPrompt(),
                new Usage(usage.getInput(), usage.getCachedInput(), usage.getOutput(), usage.getReasoning()),
                proto.hasPriority() ? proto.getPriority() : null,
                proto.hasReaction() ? proto.getReaction() : null,
                proto.hasToolName() ? proto.getToolName() : null,
                proto.hasDecision() ? proto.getDecision() : null);
    }
}

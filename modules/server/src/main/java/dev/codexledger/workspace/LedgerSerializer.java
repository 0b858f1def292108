package dev.codexledger.workspace;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.codexledger.protocol.ledger.v1.CompressedRecordsAppended;
import dev.codexledger.protocol.ledger.v1.WorkspaceLedgerSnapshot;
import dev.codexledger.verify.MerkleFrontier;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.List;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Protobuf serialization of the ledger's events and snapshots (proto/ledger/v1/ledger.proto). The
 * identifier and manifests are persisted with every journal row: append-only, never change one.
 */
public final class LedgerSerializer extends SerializerWithStringManifest {

    static final int IDENTIFIER = 7301;
    static final String RECORDS_APPENDED_V1 = "RecordsAppended.v1";
    static final String RECORDS_APPENDED_V2 = "RecordsAppended.v2";
    /** Any LZ4 block decompressing to more than this is corrupt: no event is that large. */
    private static final int MAX_EVENT_BYTES = 256 << 20;
    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    static final String SNAPSHOT_V1 = "WorkspaceLedgerSnapshot.v1";
    static final String RECORDS_FORGOTTEN_V1 = "RecordsForgotten.v1";

    private final int dedupWindowSize;

    public LedgerSerializer(ExtendedActorSystem system) {
        this(LedgerSettings.dedupWindowIds(system.settings().config()));
    }

    LedgerSerializer(int dedupWindowSize) {
        this.dedupWindowSize = dedupWindowSize;
    }

    @Override
    public int identifier() {
        return IDENTIFIER;
    }

    @Override
    public String manifest(Object o) {
        if (o instanceof RecordsAppended) {
            return RECORDS_APPENDED_V2;
        }
        if (o instanceof LedgerState) {
            return SNAPSHOT_V1;
        }
        if (o instanceof RecordsForgotten) {
            return RECORDS_FORGOTTEN_V1;
        }
        throw new IllegalArgumentException("LedgerSerializer cannot serialize " + o.getClass().getName());
    }

    @Override
    public byte[] toBinary(Object o) {
        if (o instanceof RecordsAppended event) {
            byte[] plain = toProto(event).toByteArray();
            LZ4Compressor compressor = LZ4.fastCompressor();
            byte[] block = new byte[compressor.maxCompressedLength(plain.length)];
            int length = compressor.compress(plain, 0, plain.length, block, 0, block.length);
            return CompressedRecordsAppended.newBuilder()
                    .setUncompressedSize(plain.length)
                    .setLz4Block(ByteString.copyFrom(block, 0, length))
                    .build()
                    .toByteArray();
        }
        if (o instanceof LedgerState state) {
            var snapshot = WorkspaceLedgerSnapshot.newBuilder()
                    .setNextSeq(state.nextSeq())
                    .setHeadHash(state.headHash().toByteString())
                    .setDedupHorizonMicros(state.window().horizonWithoutIds())
                    .setLastBatch(toProto(state.lastBatch()));
            if (state.tree() != null) {
                snapshot.setHasTree(true);
                for (byte[] root : state.tree().roots()) {
                    snapshot.addTreeEdge(ByteString.copyFrom(root));
                }
                for (byte[] root : state.treeBeforeLastBatch().roots()) {
                    snapshot.addTreeEdgeBeforeLastBatch(ByteString.copyFrom(root));
                }
            }
            return snapshot.build().toByteArray();
        }
        if (o instanceof RecordsForgotten event) {
            return dev.codexledger.protocol.ledger.v1.RecordsForgotten.newBuilder()
                    .setErasedAtMicros(event.erasedAtMicros())
                    .addAllSeqs(event.seqs())
                    .build()
                    .toByteArray();
        }
        throw new IllegalArgumentException("LedgerSerializer cannot serialize " + o.getClass().getName());
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        try {
            return switch (manifest) {
                case RECORDS_APPENDED_V1 -> fromProto(
                        dev.codexledger.protocol.ledger.v1.RecordsAppended.parseFrom(bytes));
                case RECORDS_APPENDED_V2 -> fromProto(
                        dev.codexledger.protocol.ledger.v1.RecordsAppended.parseFrom(decompress(bytes)));
                case SNAPSHOT_V1 -> snapshotFromProto(WorkspaceLedgerSnapshot.parseFrom(bytes));
                case RECORDS_FORGOTTEN_V1 -> {
                    var proto = dev.codexledger.protocol.ledger.v1.RecordsForgotten.parseFrom(bytes);
                    yield new RecordsForgotten(proto.getErasedAtMicros(), proto.getSeqsList());
                }
                default -> throw new NotSerializableException("unknown manifest " + manifest);
            };
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("corrupt " + manifest, e);
        }
    }

    private static byte[] decompress(byte[] bytes) throws InvalidProtocolBufferException {
        CompressedRecordsAppended compressed = CompressedRecordsAppended.parseFrom(bytes);
        int size = compressed.getUncompressedSize();
        if (size < 0 || size > MAX_EVENT_BYTES) {
            throw new InvalidProtocolBufferException("implausible event size " + size);
        }
        byte[] plain = new byte[size];
        byte[] block = compressed.getLz4Block().toByteArray();
        try {
            int written = LZ4.safeDecompressor().decompress(block, 0, block.length, plain, 0, size);
            if (written != size) {
                throw new InvalidProtocolBufferException("event decompressed to " + written + " bytes, not " + size);
            }
        } catch (LZ4Exception e) {
            throw new InvalidProtocolBufferException("corrupt LZ4 block: " + e.getMessage());
        }
        return plain;
    }

    private LedgerState snapshotFromProto(WorkspaceLedgerSnapshot proto) {
        RecordsAppended lastBatch = fromProto(proto.getLastBatch());
        MerkleFrontier tree = null;
        TreeWrites lastBatchTree = null;
        if (proto.getHasTree()) {
            long size = proto.getNextSeq() - 1;
            tree = MerkleFrontier.of(size, edge(proto.getTreeEdgeList()));
            MerkleFrontier before = MerkleFrontier.of(size - lastBatch.records().size(),
                    edge(proto.getTreeEdgeBeforeLastBatchList()));
            lastBatchTree = TreeWrites.of(before, lastBatch.records());
            if (!lastBatchTree.after().equals(tree)) {
                throw new IllegalArgumentException("snapshot's tree is not its last batch over the tree before it");
            }
        }
        return new LedgerState(proto.getNextSeq(), Digest.of(proto.getHeadHash().toByteArray()),
                lastBatch, new DedupWindow(dedupWindowSize, proto.getDedupHorizonMicros()), tree, lastBatchTree);
    }

    private static byte[][] edge(List<ByteString> roots) {
        return roots.stream().map(ByteString::toByteArray).toArray(byte[][]::new);
    }

    private static dev.codexledger.protocol.ledger.v1.RecordsAppended toProto(RecordsAppended event) {
        var builder = dev.codexledger.protocol.ledger.v1.RecordsAppended.newBuilder()
                .setAcceptedAtMicros(event.acceptedAtMicros());
        for (LedgerRecord record : event.records()) {
            var proto = dev.codexledger.protocol.ledger.v1.LedgerRecord.newBuilder()
                    .setSeq(record.seq())
                    .setEventId(record.eventId())
                    .setEventType(record.eventType())
                    .setTimestampMicros(record.timestampMicros())
                    .setContentBytes(record.content())
                    .setContentHash(record.contentHash().toByteString())
                    .setChainHash(record.chainHash().toByteString());
            if (record.userId() != null) { // erased records have none
                proto.setUserId(record.userId());
            }
            builder.addRecords(proto);
        }
        return builder.build();
    }

    private static RecordsAppended fromProto(dev.codexledger.protocol.ledger.v1.RecordsAppended proto) {
        List<LedgerRecord> records = new ArrayList<>(proto.getRecordsCount());
        for (var record : proto.getRecordsList()) {
            records.add(new LedgerRecord(record.getSeq(), record.getEventId(), record.getEventType(),
                    record.getTimestampMicros(), record.getUserId(), record.getContentBytes(),
                    Digest.of(record.getContentHash().toByteArray()), Digest.of(record.getChainHash().toByteArray())));
        }
        return new RecordsAppended(proto.getAcceptedAtMicros(), records);
    }
}

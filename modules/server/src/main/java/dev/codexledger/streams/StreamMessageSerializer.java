package dev.codexledger.streams;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import dev.codexledger.cluster.ClusterMessageSerializer;
import dev.codexledger.protocol.ledger.v1.WakeProto;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;

/**
 * Protobuf serialization of what reaches a {@link StreamLane} from another node
 * (proto/ledger/v1/stream_messages.proto). Identifier and manifests are part of the wire format between
 * versions during a rolling update: append-only, never change one.
 */
public final class StreamMessageSerializer extends ClusterMessageSerializer {

    static final int IDENTIFIER = 7306;
    static final String WAKE = "Wake.v1";

    public StreamMessageSerializer(ExtendedActorSystem system) {
        super(system, IDENTIFIER, Map.of(StreamLane.Wake.class, WAKE));
    }

    @Override
    protected MessageLite write(Object message) {
        StreamLane.Wake wake = (StreamLane.Wake) message;
        return WakeProto.newBuilder().setHeadSeq(wake.headSeq()).setWritten(wake.written()).build();
    }

    @Override
    protected Object read(byte[] bytes, String manifest) throws InvalidProtocolBufferException {
        WakeProto wake = WakeProto.parseFrom(bytes);
        return new StreamLane.Wake(wake.getHeadSeq(), wake.getWritten());
    }
}

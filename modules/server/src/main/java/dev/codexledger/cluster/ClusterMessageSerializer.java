package dev.codexledger.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import java.io.NotSerializableException;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * What the Protobuf serializers of messages between nodes share: a fixed identifier, one manifest per
 * message class (its name and version), actor references in {@link ActorRefResolver}'s format, and one
 * way to refuse bytes they cannot read. Identifiers and manifests are the wire format between two versions
 * during a rolling update: append-only.
 */
public abstract class ClusterMessageSerializer extends SerializerWithStringManifest {

    private final int identifier;
    private final Map<Class<?>, String> manifests;
    private final ActorRefResolver refs;

    /** {@code manifests}: by the exact class of each message (an enum's too). */
    protected ClusterMessageSerializer(ExtendedActorSystem system, int identifier, Map<Class<?>, String> manifests) {
        this.identifier = identifier;
        this.manifests = Map.copyOf(manifests);
        this.refs = ActorRefResolver.get(Adapter.toTyped(system));
    }

    /** The message as Protobuf; only called for a class with a manifest. */
    protected abstract MessageLite write(Object message);

    /** The message of a manifest of this serializer, from its Protobuf bytes. */
    protected abstract Object read(byte[] bytes, String manifest) throws InvalidProtocolBufferException;

    @Override
    public final int identifier() {
        return identifier;
    }

    @Override
    public final String manifest(Object o) {
        String manifest = manifests.get(o.getClass());
        if (manifest == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " cannot serialize " + o.getClass().getName());
        }
        return manifest;
    }

    @Override
    public final byte[] toBinary(Object o) {
        manifest(o);
        return write(o).toByteArray();
    }

    @Override
    public final Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        if (!manifests.containsValue(manifest)) {
            throw new NotSerializableException("unknown manifest " + manifest + " for " + getClass().getSimpleName());
        }
        try {
            return read(bytes, manifest);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("corrupt " + manifest, e);
        }
    }

    protected final String ref(ActorRef<?> ref) {
        return refs.toSerializationFormat(ref);
    }

    protected final <T> ActorRef<T> resolve(String ref) {
        return refs.resolveActorRef(ref);
    }

    /** Sets a proto3 {@code optional} field when the value is not null. */
    protected static void setIfPresent(String value, Consumer<String> setter) {
        if (value != null) {
            setter.accept(value);
        }
    }
}

package dev.codexledger.auth;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import dev.codexledger.cluster.ClusterMessageSerializer;
import dev.codexledger.protocol.ledger.v1.GrantedProto;
import dev.codexledger.protocol.ledger.v1.LeaseProto;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;

/**
 * Protobuf serialization of the {@link KeyRateLimiter}'s lease and its answer
 * (proto/ledger/v1/rate_limit_messages.proto). Identifier and manifests are part of the wire format
 * between versions during a rolling update: append-only, never change one.
 */
public final class RateLimitMessageSerializer extends ClusterMessageSerializer {

    static final int IDENTIFIER = 7305;
    static final String LEASE = "Lease.v1";
    static final String GRANTED = "Granted.v1";

    public RateLimitMessageSerializer(ExtendedActorSystem system) {
        super(system, IDENTIFIER, Map.of(KeyRateLimiter.Lease.class, LEASE, KeyRateLimiter.Granted.class, GRANTED));
    }

    @Override
    protected MessageLite write(Object message) {
        if (message instanceof KeyRateLimiter.Lease lease) {
            return LeaseProto.newBuilder().setPerSecond(lease.perSecond()).setBurst(lease.burst())
                    .setWanted(lease.wanted()).setReplyTo(ref(lease.replyTo())).build();
        }
        KeyRateLimiter.Granted granted = (KeyRateLimiter.Granted) message;
        return GrantedProto.newBuilder().setTokens(granted.tokens()).setRetryAfterMillis(granted.retryAfterMillis())
                .build();
    }

    @Override
    protected Object read(byte[] bytes, String manifest) throws InvalidProtocolBufferException {
        if (LEASE.equals(manifest)) {
            LeaseProto lease = LeaseProto.parseFrom(bytes);
            return new KeyRateLimiter.Lease(lease.getPerSecond(), lease.getBurst(), lease.getWanted(),
                    resolve(lease.getReplyTo()));
        }
        GrantedProto granted = GrantedProto.parseFrom(bytes);
        return new KeyRateLimiter.Granted(granted.getTokens(), granted.getRetryAfterMillis());
    }
}

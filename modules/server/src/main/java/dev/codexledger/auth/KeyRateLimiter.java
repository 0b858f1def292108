package dev.codexledger.auth;

import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The cluster's one token bucket of a key and scope (sharded: entity id {@code "<key id> <scope>"}), from
 * which nodes lease tokens a few at a time ({@link ClusterRateLimits}). Tokens only come from here, so
 * the nodes together never admit more than the limit; the bucket is in memory only, so when its node
 * dies it starts again full elsewhere (a key may get one extra burst per failover).
 */
public final class KeyRateLimiter {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "KeyRateLimiter");

    private KeyRateLimiter() {}

    /** Travels between nodes as Protobuf ({@link RateLimitMessageSerializer}). */
    public sealed interface Command {}

    /**
     * Up to {@code wanted} tokens, from the bucket of this limit (carried with each lease, so a node with a
     * changed configuration changes the bucket).
     */
    public record Lease(double perSecond, double burst, long wanted, ActorRef<Granted> replyTo) implements Command {}

    /**
     * {@code tokens} granted (0: none left); when fewer than wanted, {@code retryAfterMillis} until a whole
     * lease is back (0 otherwise).
     */
    public record Granted(long tokens, long retryAfterMillis) {}

    /** What the bucket grants a lease of {@code wanted} tokens now. */
    static Granted grant(TokenBucket bucket, RateLimits.Limit limit, long nowNanos, long wanted) {
        long whole = Math.max(1, wanted);
        long granted = bucket.take(limit, nowNanos, whole);
        // short of a whole lease: once through what it got, the node refuses on its own until a whole
        // lease is back, instead of asking for every token
        long retryAfter = granted == whole ? 0 : Math.max(1, bucket.nanosUntil(limit, nowNanos, whole) / 1_000_000);
        return new Granted(granted, retryAfter);
    }

    public static void init(ActorSystem<?> system) {
        ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY, entity -> create(System::nanoTime)));
    }

    public static Behavior<Command> create(LongSupplier nanoTime) {
        return Behaviors.setup(context -> {
            TokenBucket[] bucket = new TokenBucket[1];
            return Behaviors.receive(Command.class)
                    .onMessage(Lease.class, lease -> {
                        RateLimits.Limit limit = new RateLimits.Limit(lease.perSecond(), lease.burst());
                        long now = nanoTime.getAsLong();
                        if (bucket[0] == null) {
                            bucket[0] = new TokenBucket(limit.burst(), now);
                        }
                        lease.replyTo().tell(grant(bucket[0], limit, now, lease.wanted()));
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}

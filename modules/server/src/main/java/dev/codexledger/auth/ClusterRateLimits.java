package dev.codexledger.auth;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Per-key rate limits that hold across the cluster. Each key and scope has one token bucket in the
 * cluster ({@link KeyRateLimiter}); a node leases tokens from it a few at a time (about
 * {@value #LEASE_SHARE_OF_A_SECOND} of a second's rate) and admits requests from its lease, leasing
 * the next one before this one runs out. So N nodes together admit no more than the key's limit, and most
 * requests are decided without leaving the node: one lease travels per
 * {@code rate × } {@value #LEASE_SHARE_OF_A_SECOND} requests.
 *
 * <p>Leased tokens not used within {@code lease-validity} are dropped (a node does not sit on tokens
 * another could use), so a key spread over nodes gets slightly less than its limit, never more. While the
 * bucket cannot be reached (its node died and the entity is moving), the node falls back to its own
 * per-node limits ({@link RateLimits}) for {@code fallback} and then tries the bucket again: a failover
 * makes a key's requests wait at most the lease {@code timeout}, once per {@code fallback}.
 */
public final class ClusterRateLimits {

    /** A lease is this share of a second's rate (at least one token, at most half the burst). */
    static final double LEASE_SHARE_OF_A_SECOND = 0.05;

    /** Asks the cluster's bucket of {@code entityId} (with this limit) for up to {@code wanted} tokens. */
    public interface Leases {
        CompletionStage<KeyRateLimiter.Granted> lease(String entityId, RateLimits.Limit limit, long wanted);
    }

    private final RateLimits local;
    private final Leases leases;
    private final LongSupplier nanoTime;
    private final long validityNanos;
    private final long fallbackNanos;
    private final Map<String, Allowance> allowances = new ConcurrentHashMap<>();

    /** A node's tokens of one key and scope. Guarded by itself. */
    private static final class Allowance {
        long tokens;
        // nanoTime values may be negative: "never" is the smallest long
        long expiresAt = Long.MIN_VALUE;
        long refusedUntil = Long.MIN_VALUE;
        long fallbackUntil = Long.MIN_VALUE;
        CompletableFuture<Void> leasing;
    }

    public ClusterRateLimits(RateLimits local, Leases leases, LongSupplier nanoTime, Duration validity, Duration fallback) {
        this.local = local;
        this.leases = leases;
        this.nanoTime = nanoTime;
        this.validityNanos = validity.toNanos();
        this.fallbackNanos = fallback.toNanos();
    }

    static long leaseSize(RateLimits.Limit limit) {
        return Math.max(1, Math.min((long) Math.floor(limit.burst() / 2),
                (long) Math.ceil(limit.perSecond() * LEASE_SHARE_OF_A_SECOND)));
    }

    /** Admitted or refused (with Retry-After); completes at once unless the node must lease first. */
    public CompletionStage<RateLimits.Decision> acquire(String keyId, Scope scope) {
        String id = keyId + " " + scope.wireName();
        Allowance allowance = allowances.computeIfAbsent(id, k -> new Allowance());
        long now = nanoTime.getAsLong();
        CompletableFuture<Void> lease;
        synchronized (allowance) {
            if (now < allowance.fallbackUntil) {
                return CompletableFuture.completedFuture(local.tryAcquire(keyId, scope));
            }
            RateLimits.Decision decision = takeOne(allowance, now);
            if (decision != null) {
                if (decision.allowed() && allowance.tokens < leaseSize(local.limit(scope)) / 2 + 1
                        && allowance.leasing == null && now >= allowance.refusedUntil) {
                    startLease(allowance, id, scope); // the next lease, before this one runs out
                }
                return CompletableFuture.completedFuture(decision);
            }
            lease = allowance.leasing != null ? allowance.leasing : startLease(allowance, id, scope);
        }
        return lease.thenCompose(leased -> {
            long later = nanoTime.getAsLong();
            synchronized (allowance) {
                if (later < allowance.fallbackUntil) {
                    return CompletableFuture.completedFuture(local.tryAcquire(keyId, scope));
                }
                RateLimits.Decision decision = takeOne(allowance, later);
                if (decision != null) {
                    return CompletableFuture.completedFuture(decision);
                }
            }
            // others waiting on the same lease took its tokens, and the bucket still had some: lease again
            return acquire(keyId, scope);
        });
    }

    /** From the node's tokens: admitted, refused while the bucket said it is empty, or null (lease first). */
    private static RateLimits.Decision takeOne(Allowance allowance, long now) {
        if (now > allowance.expiresAt) {
            allowance.tokens = 0;
        }
        if (allowance.tokens > 0) {
            allowance.tokens--;
            return RateLimits.ALLOWED;
        }
        if (now < allowance.refusedUntil) {
            return RateLimits.refused(allowance.refusedUntil - now);
        }
        return null;
    }

    private CompletableFuture<Void> startLease(Allowance allowance, String id, Scope scope) {
        RateLimits.Limit limit = local.limit(scope);
        CompletableFuture<Void> done = new CompletableFuture<>();
        allowance.leasing = done;
        CompletionStage<KeyRateLimiter.Granted> asked;
        try {
            asked = leases.lease(id, limit, leaseSize(limit));
        } catch (RuntimeException e) {
            asked = CompletableFuture.failedFuture(e);
        }
        asked.whenComplete((granted, failure) -> {
            long now = nanoTime.getAsLong();
            try {
                synchronized (allowance) {
                    allowance.leasing = null;
                    if (failure != null) {
                        allowance.fallbackUntil = now + fallbackNanos;
                    } else {
                        if (granted.tokens() > 0) {
                            allowance.tokens = (now > allowance.expiresAt ? 0 : allowance.tokens) + granted.tokens();
                            allowance.expiresAt = now + validityNanos;
                        }
                        // short of a whole lease: through these tokens, refuse until the bucket has one again
                        allowance.refusedUntil = now + granted.retryAfterMillis() * 1_000_000;
                    }
                }
            } finally {
                done.complete(null); // whatever happened, the requests waiting on this lease go on
            }
        });
        return done;
    }

    /** The leases of a cluster: asks the sharded {@link KeyRateLimiter}s, each ask bounded by {@code timeout}. */
    public static Leases sharded(org.apache.pekko.actor.typed.ActorSystem<?> system, Duration timeout) {
        var sharding = org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(system);
        return (entityId, limit, wanted) -> sharding.entityRefFor(KeyRateLimiter.ENTITY_TYPE_KEY, entityId)
                .ask(replyTo -> new KeyRateLimiter.Lease(limit.perSecond(), limit.burst(), wanted, replyTo), timeout);
    }

    /** Forgets the allowances of keys that no longer exist (called when keys are re-read). */
    public void retainKeys(Set<String> keyIds) {
        local.retainKeys(keyIds);
        allowances.keySet().removeIf(k -> !keyIds.contains(k.substring(0, k.indexOf(' '))));
    }
}

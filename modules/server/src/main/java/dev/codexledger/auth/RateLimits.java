package dev.codexledger.auth;

import com.typesafe.config.Config;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Per-key request rate limits of one node: one token bucket per key and scope, sized per scope from
 * config ({@code ledger.auth.rate-limits}). On their own they hold per node (N nodes would give a key N
 * times the rate): {@link ClusterRateLimits} holds them across the cluster, and falls back to these
 * while the cluster's bucket of a key cannot be reached.
 */
public final class RateLimits {

    /** Requests per second and burst of one scope. */
    public record Limit(double perSecond, double burst) {}

    /** Admitted, or refused with the wait until the next request would be admitted. */
    public record Decision(boolean allowed, long retryAfterSeconds) {}

    private final Map<Scope, Limit> limits;
    private final LongSupplier nanoTime;
    private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();

    public RateLimits(Map<Scope, Limit> limits, LongSupplier nanoTime) {
        this.limits = Map.copyOf(limits);
        this.nanoTime = nanoTime;
    }

    public static RateLimits fromConfig(Config config) {
        Config block = config.getConfig("ledger.auth.rate-limits");
        Map<Scope, Limit> limits = new EnumMap<>(Scope.class);
        for (Scope scope : Scope.values()) {
            String path = "\"" + scope.wireName() + "\"";
            Config scoped = block.hasPath(path) ? block.getConfig(path).withFallback(block.getConfig("default"))
                    : block.getConfig("default");
            limits.put(scope, new Limit(scoped.getDouble("requests-per-second"), scoped.getDouble("burst")));
        }
        return new RateLimits(limits, System::nanoTime);
    }

    public Decision tryAcquire(String keyId, Scope scope) {
        Limit limit = limits.get(scope);
        long now = nanoTime.getAsLong();
        TokenBucket bucket = buckets.computeIfAbsent(keyId + " " + scope.wireName(), k -> new TokenBucket(limit.burst(), now));
        if (bucket.take(limit, now, 1) == 1) {
            return ALLOWED;
        }
        return refused(bucket.nanosUntilOne(limit, now));
    }

    static final Decision ALLOWED = new Decision(true, 0);

    /** Refused, with Retry-After in whole seconds, at least 1. */
    static Decision refused(long nanosUntilAdmitted) {
        return new Decision(false, Math.max(1, (long) Math.ceil(nanosUntilAdmitted / 1e9)));
    }

    Limit limit(Scope scope) {
        return limits.get(scope);
    }

    /** Forgets the buckets of keys that no longer exist (called when keys are re-read). */
    public void retainKeys(java.util.Set<String> keyIds) {
        buckets.keySet().removeIf(k -> !keyIds.contains(k.substring(0, k.indexOf(' '))));
    }
}

package dev.codexledger.auth;

import com.typesafe.config.Config;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Per-key request rate limits: one token bucket per key and scope, sized per scope from config
 * ({@code ledger.auth.rate-limits}). Limits are per node: behind a load balancer over N nodes a key gets
 * up to N times the rate.
 */
public final class RateLimits {

    /** Requests per second and burst of one scope. */
    public record Limit(double perSecond, double burst) {}

    /** Admitted, or refused with the wait until the next request would be admitted. */
    public record Decision(boolean allowed, long retryAfterSeconds) {}

    private final Map<Scope, Limit> limits;
    private final LongSupplier nanoTime;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

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
        Bucket bucket = buckets.computeIfAbsent(keyId + " " + scope.wireName(), k -> new Bucket(limit, nanoTime.getAsLong()));
        return bucket.take(limit, nanoTime.getAsLong());
    }

    /** Forgets the buckets of keys that no longer exist (called when keys are re-read). */
    public void retainKeys(java.util.Set<String> keyIds) {
        buckets.keySet().removeIf(k -> !keyIds.contains(k.substring(0, k.indexOf(' '))));
    }

    private static final class Bucket {
        private double tokens;
        private long updatedAt;

        Bucket(Limit limit, long now) {
            this.tokens = limit.burst();
            this.updatedAt = now;
        }

        synchronized Decision take(Limit limit, long now) {
            tokens = Math.min(limit.burst(), tokens + (now - updatedAt) / 1e9 * limit.perSecond());
            updatedAt = now;
            if (tokens >= 1) {
                tokens -= 1;
                return new Decision(true, 0);
            }
            double wait = (1 - tokens) / limit.perSecond();
            return new Decision(false, Math.max(1, (long) Math.ceil(wait)));
        }
    }
}

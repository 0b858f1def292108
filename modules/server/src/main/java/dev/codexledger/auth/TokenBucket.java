package dev.codexledger.auth;

/**
 * A token bucket: refills at {@code perSecond} up to {@code burst}, starts full. Thread-safe. The
 * per-node limits ({@link RateLimits}) take one token per request; the cluster's bucket of a key
 * ({@link KeyRateLimiter}) hands out several at once to a node that leases them.
 */
final class TokenBucket {

    private double tokens;
    private long updatedAt;

    TokenBucket(double burst, long nowNanos) {
        this.tokens = burst;
        this.updatedAt = nowNanos;
    }

    /** Takes up to {@code wanted} whole tokens: how many it took (0 when not even one is there). */
    synchronized long take(RateLimits.Limit limit, long nowNanos, long wanted) {
        refill(limit, nowNanos);
        long taken = Math.min(wanted, (long) Math.floor(tokens));
        tokens -= taken;
        return taken;
    }

    /** Nanoseconds until one whole token is there (0 when one is). */
    synchronized long nanosUntilOne(RateLimits.Limit limit, long nowNanos) {
        return nanosUntil(limit, nowNanos, 1);
    }

    /** Nanoseconds until {@code count} whole tokens (at most the burst) are there (0 when they are). */
    synchronized long nanosUntil(RateLimits.Limit limit, long nowNanos, long count) {
        refill(limit, nowNanos);
        double wanted = Math.min(count, limit.burst());
        return tokens >= wanted ? 0 : (long) Math.ceil((wanted - tokens) / limit.perSecond() * 1e9);
    }

    private void refill(RateLimits.Limit limit, long nowNanos) {
        tokens = Math.min(limit.burst(), tokens + Math.max(0, nowNanos - updatedAt) / 1e9 * limit.perSecond());
        updatedAt = nowNanos;
    }
}

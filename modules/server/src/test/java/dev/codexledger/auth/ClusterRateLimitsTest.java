package dev.codexledger.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Three nodes' limits over one bucket per key (the entity's logic, called directly), on a test clock:
 * together they admit what one bucket admits, most requests without a lease, and while the bucket cannot
 * be reached each node falls back to its own limit.
 */
class ClusterRateLimitsTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Map<String, TokenBucket> cluster = new java.util.HashMap<>();
    private final AtomicInteger leases = new AtomicInteger();
    private volatile boolean unreachable;

    private RateLimits perNode(double perSecond, double burst) {
        Map<Scope, RateLimits.Limit> all = new EnumMap<>(Scope.class);
        for (Scope scope : Scope.values()) {
            all.put(scope, new RateLimits.Limit(perSecond, burst));
        }
        return new RateLimits(all, now::get);
    }

    private ClusterRateLimits node(double perSecond, double burst) {
        ClusterRateLimits.Leases leasing = (id, limit, wanted) -> {
            leases.incrementAndGet();
            if (unreachable) {
                return CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("ask timed out"));
            }
            TokenBucket bucket = cluster.computeIfAbsent(id, k -> new TokenBucket(limit.burst(), now.get()));
            return CompletableFuture.completedFuture(KeyRateLimiter.grant(bucket, limit, now.get(), wanted));
        };
        return new ClusterRateLimits(perNode(perSecond, burst), leasing, now::get, Duration.ofSeconds(1),
                Duration.ofSeconds(10));
    }

    private static boolean allowed(ClusterRateLimits limits) {
        return limits.acquire("k", Scope.INGEST).toCompletableFuture().join().allowed();
    }

    @Test
    void threeNodesTogetherAdmitWhatOneBucketAdmits() {
        List<ClusterRateLimits> nodes = List.of(node(1000, 2000), node(1000, 2000), node(1000, 2000));
        // within the limit (3 x 300/s of 1,000/s), for 10 simulated seconds: everything, rarely leasing
        int requests = 0;
        for (int ms = 0; ms < 10_000; ms++) {
            for (ClusterRateLimits node : nodes) {
                if (ms % 10 < 3) {
                    requests++;
                    assertTrue(allowed(node), "within the limit, at " + ms + " ms");
                }
            }
            now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
        }
        assertTrue(leases.get() <= requests / 40, leases.get() + " leases for " + requests + " requests");
        int admittedWithin = requests;

        // then each node asked 1,000 times a second, 3x the limit: together no more than one bucket admits
        int admitted = 0;
        requests = 0;
        int leasesBefore = leases.get();
        for (int ms = 0; ms < 10_000; ms++) {
            for (ClusterRateLimits node : nodes) {
                requests++;
                admitted += allowed(node) ? 1 : 0;
            }
            now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
        }
        long ceiling = 2000 + 1000 * 20; // the burst and 20 s of the rate, for both phases
        assertTrue(admittedWithin + admitted <= ceiling, (admittedWithin + admitted) + " admitted, more than " + ceiling);
        assertTrue(admitted >= 1000 * 10 * 0.9, admitted + " admitted in 10 s of a limit of 1,000/s");
        assertTrue(leases.get() - leasesBefore <= requests / 10, (leases.get() - leasesBefore) + " leases for "
                + requests + " requests");
    }

    @Test
    void aRefusalSaysWhenToRetryAndAsksTheBucketNoMoreMeanwhile() {
        ClusterRateLimits node = node(1, 2);
        assertTrue(allowed(node));
        assertTrue(allowed(node));
        RateLimits.Decision refused = node.acquire("k", Scope.INGEST).toCompletableFuture().join();
        assertFalse(refused.allowed());
        assertEquals(1, refused.retryAfterSeconds());
        int asked = leases.get();
        for (int i = 0; i < 100; i++) {
            assertFalse(allowed(node));
        }
        assertEquals(asked, leases.get(), "refused locally until the bucket has a token again");
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertTrue(allowed(node), "one token back after 1/rate");
    }

    @Test
    void unreachableTheNodesFallBackToTheirOwnLimitsThenTryTheBucketAgain() {
        ClusterRateLimits node = node(10, 20);
        unreachable = true;
        int admitted = 0;
        for (int i = 0; i < 100; i++) {
            admitted += allowed(node) ? 1 : 0;
        }
        assertEquals(20, admitted, "the node's own burst");
        assertEquals(1, leases.get(), "one failed lease, then no more until the fallback ends");
        unreachable = false;
        now.addAndGet(TimeUnit.SECONDS.toNanos(11));
        assertTrue(allowed(node));
        assertEquals(2, leases.get(), "back on the cluster's bucket");
    }

    @Test
    void leasedTokensNotUsedInTimeAreDropped() {
        ClusterRateLimits node = node(100, 200);
        assertTrue(allowed(node)); // leases 5, uses 1
        int asked = leases.get();
        now.addAndGet(TimeUnit.SECONDS.toNanos(2));
        assertTrue(allowed(node));
        assertTrue(leases.get() > asked, "the old lease expired: a new one");
    }
}

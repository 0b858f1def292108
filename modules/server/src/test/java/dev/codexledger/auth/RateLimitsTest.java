package dev.codexledger.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimitsTest {

    private final AtomicLong now = new AtomicLong();

    private RateLimits limits(double perSecond, double burst) {
        Map<Scope, RateLimits.Limit> all = new EnumMap<>(Scope.class);
        for (Scope scope : Scope.values()) {
            all.put(scope, new RateLimits.Limit(perSecond, burst));
        }
        return new RateLimits(all, now::get);
    }

    @Test
    void aBurstThenTheSteadyRate() {
        RateLimits limits = limits(2, 4);
        for (int i = 0; i < 4; i++) {
            assertTrue(limits.tryAcquire("k", Scope.INGEST).allowed(), "burst request " + i);
        }
        RateLimits.Decision refused = limits.tryAcquire("k", Scope.INGEST);
        assertFalse(refused.allowed());
        assertEquals(1, refused.retryAfterSeconds());
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
        assertTrue(limits.tryAcquire("k", Scope.INGEST).allowed(), "one token back after 1/rate");
        assertFalse(limits.tryAcquire("k", Scope.INGEST).allowed());
        now.addAndGet(TimeUnit.SECONDS.toNanos(60));
        for (int i = 0; i < 4; i++) {
            assertTrue(limits.tryAcquire("k", Scope.INGEST).allowed(), "refilled only up to the burst");
        }
        assertFalse(limits.tryAcquire("k", Scope.INGEST).allowed());
    }

    @Test
    void bucketsArePerKeyAndScope() {
        RateLimits limits = limits(1, 1);
        assertTrue(limits.tryAcquire("a", Scope.INGEST).allowed());
        assertFalse(limits.tryAcquire("a", Scope.INGEST).allowed());
        assertTrue(limits.tryAcquire("b", Scope.INGEST).allowed(), "another key");
        assertTrue(limits.tryAcquire("a", Scope.COMPLIANCE_READ).allowed(), "another scope");
    }

    @Test
    void slowRatesAskForALongerWait() {
        RateLimits limits = limits(0.1, 1);
        assertTrue(limits.tryAcquire("k", Scope.ADMIN).allowed());
        assertEquals(10, limits.tryAcquire("k", Scope.ADMIN).retryAfterSeconds());
    }

    @Test
    void configGivesEachScopeItsBlockOrTheDefault() {
        RateLimits limits = RateLimits.fromConfig(ConfigFactory.parseString("""
                ledger.auth.rate-limits {
                  default { requests-per-second = 1, burst = 1 }
                  "budget.check" { burst = 3 }
                }
                """));
        assertTrue(limits.tryAcquire("k", Scope.ADMIN).allowed());
        assertFalse(limits.tryAcquire("k", Scope.ADMIN).allowed());
        for (int i = 0; i < 3; i++) {
            assertTrue(limits.tryAcquire("k", Scope.BUDGET_CHECK).allowed());
        }
        assertFalse(limits.tryAcquire("k", Scope.BUDGET_CHECK).allowed());
    }
}

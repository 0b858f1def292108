package dev.codexledger.budget;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Amounts of credits. Internally whole micro-credits (a {@code long}), so sums and cap comparisons are
 * exact; on the API, decimal credits. A price in credits per million tokens is the same number in
 * micro-credits per token.
 */
public final class Credits {

    private static final BigDecimal MICROS = BigDecimal.valueOf(1_000_000);

    private Credits() {}

    /** Exact, without trailing zeros; integer arithmetic only (answers build several per decision). */
    public static BigDecimal toCredits(long micros) {
        long unscaled = micros;
        int scale = 6;
        while (scale > 0 && unscaled % 10 == 0) {
            unscaled /= 10;
            scale--;
        }
        return BigDecimal.valueOf(unscaled, scale);
    }

    /** Credits (at most 6 decimals kept, rounded up: a cost is never under-counted) to micro-credits. */
    public static long toMicros(BigDecimal credits) {
        return credits.multiply(MICROS).setScale(0, RoundingMode.CEILING).longValueExact();
    }
}

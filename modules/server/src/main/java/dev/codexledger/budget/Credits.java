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

    public static BigDecimal toCredits(long micros) {
        return BigDecimal.valueOf(micros).divide(MICROS).stripTrailingZeros();
    }

    /** Credits (at most 6 decimals kept, rounded up: a cost is never under-counted) to micro-credits. */
    public static long toMicros(BigDecimal credits) {
        return credits.multiply(MICROS).setScale(0, RoundingMode.CEILING).longValueExact();
    }
}

package dev.codexledger.verify;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Numbers as ECMAScript's {@code Number.prototype.toString} writes them (ECMA-262, Number::toString), which
 * RFC 8785 section 3.2.2.3 prescribes: the shortest decimal digits that read back as the same double,
 * the one closest to the double when several are that short, in plain notation for exponents from -7 to
 * 20 and in {@code 1.5e+21} notation outside.
 *
 * <p>Java 17's {@link Double#toString} is not always the shortest (JDK-4511638, fixed only in Java 19),
 * and uses other notations, so the digits are searched here with exact decimal arithmetic.
 */
public final class EcmaNumbers {

    /** Integers up to 2^53 are exactly doubles: written with {@link Long#toString}, no search. */
    private static final long EXACT_INTEGERS = 1L << 53;

    private EcmaNumbers() {
    }

    /** The ECMAScript text of a finite double; -0 is written "0". */
    public static String format(double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("JSON has no " + value);
        }
        if (value == 0) {
            return "0";
        }
        if (value == Math.rint(value) && Math.abs(value) <= EXACT_INTEGERS) {
            return Long.toString((long) value);
        }
        if (value < 0) {
            return "-" + format(-value);
        }
        BigDecimal shortest = shortestDigits(value);
        String digits = shortest.unscaledValue().toString();
        // value = digits × 10^(n - k), k = number of digits
        int k = digits.length();
        int n = k - shortest.scale();
        return layout(digits, k, n);
    }

    /** The fewest significant digits that parse back to {@code value} (positive, finite), closest first. */
    private static BigDecimal shortestDigits(double value) {
        BigDecimal exact = new BigDecimal(value);
        // Whether the nearest p-digit decimal reads back is monotonic in p: search for the least such p.
        int low = 1;
        int high = 17;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (readsBack(nearest(exact, middle), value)) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        BigDecimal shortest = nearest(exact, low);
        if (low > 1) {
            // Next to a power of two the interval that reads back is narrower below than above: a decimal one
            // digit shorter can read back although the nearest one of that length does not.
            BigDecimal shorter = neighbourReadingBack(exact, low - 1, value);
            if (shorter != null) {
                return shorter.stripTrailingZeros();
            }
        }
        return shortest.stripTrailingZeros();
    }

    private static BigDecimal nearest(BigDecimal exact, int precision) {
        return exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
    }

    /** The p-digit neighbour (above or below the nearest p-digit decimal) that reads back, the closer if both do. */
    private static BigDecimal neighbourReadingBack(BigDecimal exact, int precision, double value) {
        BigDecimal nearest = nearest(exact, precision);
        BigDecimal unit = BigDecimal.ONE.scaleByPowerOfTen(-nearest.scale());
        BigDecimal above = nearest.add(unit);
        BigDecimal below = nearest.subtract(unit);
        boolean aboveReads = above.precision() == precision && readsBack(above, value);
        boolean belowReads = below.signum() > 0 && below.precision() == precision && readsBack(below, value);
        if (aboveReads && belowReads) {
            return above.subtract(exact).abs().compareTo(exact.subtract(below).abs()) <= 0 ? above : below;
        }
        return aboveReads ? above : belowReads ? below : null;
    }

    private static boolean readsBack(BigDecimal candidate, double value) {
        return Double.parseDouble(candidate.toString()) == value;
    }

    private static String layout(String digits, int k, int n) {
        StringBuilder out = new StringBuilder(k + 8);
        if (k <= n && n <= 21) {
            out.append(digits);
            out.append("0".repeat(n - k));
        } else if (0 < n && n <= 21) {
            out.append(digits, 0, n).append('.').append(digits, n, k);
        } else if (-6 < n && n <= 0) {
            out.append("0.").append("0".repeat(-n)).append(digits);
        } else {
            int exponent = n - 1;
            out.append(digits.charAt(0));
            if (k > 1) {
                out.append('.').append(digits, 1, k);
            }
            out.append('e').append(exponent < 0 ? '-' : '+').append(Math.abs(exponent));
        }
        return out.toString();
    }

    /**
     * Whether a JSON number's exact decimal value survives canonicalization: true when the double it reads
     * as, written back by {@link #format}, denotes the same number (so {@code 100.0}, {@code 1e3} and
     * {@code 0.1} do, {@code 9007199254740993} and {@code 0.10000000000000000001} do not).
     */
    public static boolean survives(BigDecimal exact) {
        double value = exact.doubleValue();
        if (!Double.isFinite(value)) {
            return false;
        }
        if (value == 0) {
            return exact.signum() == 0;
        }
        return new BigDecimal(format(value)).compareTo(exact) == 0;
    }
}

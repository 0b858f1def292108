package dev.codexledger.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EcmaNumbersTest {

    /** RFC 8785 Appendix B, every row with a value (NaN and Infinity have none), plus the test data README's extras. */
    @ParameterizedTest
    @CsvSource({
            "0000000000000000, 0",
            "8000000000000000, 0",
            "0000000000000001, 5e-324",
            "8000000000000001, -5e-324",
            "7fefffffffffffff, 1.7976931348623157e+308",
            "ffefffffffffffff, -1.7976931348623157e+308",
            "4340000000000000, 9007199254740992",
            "c340000000000000, -9007199254740992",
            "4430000000000000, 295147905179352830000",
            "44b52d02c7e14af5, 9.999999999999997e+22",
            "44b52d02c7e14af6, 1e+23",
            "44b52d02c7e14af7, 1.0000000000000001e+23",
            "444b1ae4d6e2ef4e, 999999999999999700000",
            "444b1ae4d6e2ef4f, 999999999999999900000",
            "444b1ae4d6e2ef50, 1e+21",
            "3eb0c6f7a0b5ed8c, 9.999999999999997e-7",
            "3eb0c6f7a0b5ed8d, 0.000001",
            "41b3de4355555553, 333333333.3333332",
            "41b3de4355555554, 333333333.33333325",
            "41b3de4355555555, 333333333.3333333",
            "41b3de4355555556, 333333333.3333334",
            "41b3de4355555557, 333333333.33333343",
            "becbf647612f3696, -0.0000033333333333333333",
            "43143ff3c1cb0959, 1424953923781206.2",
            "4340000000000001, 9007199254740994",
            "4340000000000002, 9007199254740996",
    })
    void rfc8785AppendixB(String ieeeHex, String expected) {
        double value = Double.longBitsToDouble(Long.parseUnsignedLong(ieeeHex, 16));
        assertEquals(expected, EcmaNumbers.format(value));
    }

    @Test
    void nanAndInfinitiesHaveNoJson() {
        assertThrows(IllegalArgumentException.class, () -> EcmaNumbers.format(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> EcmaNumbers.format(Double.POSITIVE_INFINITY));
    }

    @Test
    void theNotationsSwitchWhereEcmaScriptSwitchesThem() {
        assertEquals("1e+21", EcmaNumbers.format(1e21));
        assertEquals("100000000000000000000", EcmaNumbers.format(1e20));
        assertEquals("1e-7", EcmaNumbers.format(1e-7));
        assertEquals("0.000001", EcmaNumbers.format(1e-6));
        assertEquals("1.5e-7", EcmaNumbers.format(1.5e-7));
        assertEquals("123.456", EcmaNumbers.format(123.456));
        assertEquals("0.1", EcmaNumbers.format(0.1));
        assertEquals("0.30000000000000004", EcmaNumbers.format(0.1 + 0.2));
        // Java 17's Double.toString writes 2.0E-3 and is not always shortest (JDK-4511638)
        assertEquals("0.002", EcmaNumbers.format(2e-3));
        assertEquals("282879384806159000", EcmaNumbers.format(2.82879384806159E17));
    }

    /** Every output reads back as the same double, and is never longer than Java's own (round-tripping) digits. */
    @Test
    void randomDoublesReadBackAndAreNoLongerThanJavas() {
        SplittableRandom random = new SplittableRandom(8785);
        for (int i = 0; i < 200_000; i++) {
            double value = Double.longBitsToDouble(random.nextLong());
            if (!Double.isFinite(value)) {
                continue;
            }
            String text = EcmaNumbers.format(value);
            assertEquals(value == 0 ? 0.0 : value, Double.parseDouble(text), text);
            int ours = new BigDecimal(text).stripTrailingZeros().precision();
            int javas = new BigDecimal(Double.toString(value)).stripTrailingZeros().precision();
            assertTrue(ours <= javas, () -> text + " is longer than " + Double.toString(value));
        }
    }

    @Test
    void whatSurvivesExactly() {
        assertTrue(EcmaNumbers.survives(new BigDecimal("100.0")));
        assertTrue(EcmaNumbers.survives(new BigDecimal("1e3")));
        assertTrue(EcmaNumbers.survives(new BigDecimal("-0.0")));
        assertTrue(EcmaNumbers.survives(new BigDecimal("1.5e-7")));
        assertTrue(EcmaNumbers.survives(new BigDecimal("0.1")));
        assertTrue(EcmaNumbers.survives(new BigDecimal("9007199254740992")));
        assertTrue(EcmaNumbers.survives(new BigDecimal("123456789012345e-300")));
        assertFalse(EcmaNumbers.survives(new BigDecimal("9007199254740993")));
        assertFalse(EcmaNumbers.survives(new BigDecimal("1152921504606846976")), "2^60 is written 1152921504606847000");
        assertFalse(EcmaNumbers.survives(new BigDecimal("0.10000000000000000001")));
        assertFalse(EcmaNumbers.survives(new BigDecimal("333333333.33333329")));
        assertFalse(EcmaNumbers.survives(new BigDecimal("1e400")));
        assertFalse(EcmaNumbers.survives(new BigDecimal("1e-400")));
    }

    /** Decimals of up to 15 significant digits always survive (a double holds 15.95 decimal digits). */
    @Test
    void fifteenDigitDecimalsAlwaysSurvive() {
        SplittableRandom random = new SplittableRandom(15);
        for (int i = 0; i < 50_000; i++) {
            long digits = random.nextLong(1, 1_000_000_000_000_000L);
            int exponent = random.nextInt(-300, 290);
            BigDecimal value = BigDecimal.valueOf(digits, -exponent);
            assertTrue(EcmaNumbers.survives(value), value::toString);
        }
    }
}

package dev.codexledger.budget;

import dev.codexledger.workspace.Usage;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class CreditsTest {

    @Test
    void microCreditsPrintAsPlainDecimalsWithoutTrailingZeros() {
        assertEquals("0", Credits.toCredits(0).toPlainString());
        assertEquals("10", Credits.toCredits(10_000_000).toPlainString());
        assertEquals("1.25", Credits.toCredits(1_250_000).toPlainString());
        assertEquals("0.000001", Credits.toCredits(1).toPlainString());
        assertEquals("-2.5", Credits.toCredits(-2_500_000).toPlainString());
        for (long micros : List.of(7L, 120L, 999_999L, 1_000_001L, 123_456_789_000L)) {
            assertEquals(0, BigDecimal.valueOf(micros).movePointLeft(6).compareTo(Credits.toCredits(micros)));
        }
    }

    @Test
    void creditsBecomeMicroCreditsRoundedUp() {
        assertEquals(1_250_000, Credits.toMicros(new BigDecimal("1.25")));
        assertEquals(1, Credits.toMicros(new BigDecimal("0.0000001")), "a cost is never under-counted");
    }

    @Test
    void aCallIsPricedPerTokenKindWithCachedInputAndReasoningInsideTheirTotals() {
        Price price = new Price("m", 0, new BigDecimal("1.25"), new BigDecimal("0.125"), BigDecimal.TEN,
                new BigDecimal("20"));
        // 234 uncached × 1.25 + 1000 cached × 0.125 + 49 output × 10 + 7 reasoning × 20 = 1047.5 → 1048 µcredits
        assertEquals(1048, price.costMicros(new Usage(1234, 1000, 56, 7)));
        assertEquals(0, price.costMicros(Usage.NONE));
    }
}

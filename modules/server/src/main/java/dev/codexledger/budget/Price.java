package dev.codexledger.budget;

import dev.codexledger.workspace.Usage;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Credits per million tokens of each kind, for one model from {@code effectiveFromMicros} on. Cost of a
 * call: uncached input at {@code input}, cached input at {@code cachedInput}, output other than
 * reasoning at {@code output}, reasoning at {@code reasoning}; in micro-credits, rounded up.
 */
public record Price(String model, long effectiveFromMicros, BigDecimal input, BigDecimal cachedInput,
                    BigDecimal output, BigDecimal reasoning) {

    public long costMicros(Usage usage) {
        long cached = Math.min(usage.cachedInput(), usage.input());
        long reasoning = Math.min(usage.reasoning(), usage.output());
        BigDecimal cost = input.multiply(BigDecimal.valueOf(usage.input() - cached))
                .add(cachedInput.multiply(BigDecimal.valueOf(cached)))
                .add(output.multiply(BigDecimal.valueOf(usage.output() - reasoning)))
                .add(this.reasoning.multiply(BigDecimal.valueOf(reasoning)));
        return cost.setScale(0, RoundingMode.CEILING).longValueExact();
    }
}

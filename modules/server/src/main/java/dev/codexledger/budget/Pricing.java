package dev.codexledger.budget;

import dev.codexledger.workspace.RecordFacts;

/** What a record's usage costs, in micro-credits, at its model's price at its time. */
@FunctionalInterface
public interface Pricing {

    long costMicros(RecordFacts facts, long atMicros);

    /** Everything free (tests of the steps after a write that do not look at prices). */
    Pricing FREE = (facts, atMicros) -> 0;
}

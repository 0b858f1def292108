package dev.codexledger.budget;

import dev.codexledger.workspace.LedgerRecord;
import dev.codexledger.workspace.RecordFacts;
import dev.codexledger.workspace.RecordsAppended;
import java.util.List;

/**
 * A written batch with each record's facts and its cost in micro-credits, priced once for every step
 * that follows the write (the budget's usage and the analytics' credits agree by construction).
 *
 * @param costMicros by position in the batch; 0 for records without usage
 */
public record PricedBatch(String workspace, RecordsAppended batch, List<RecordFacts> facts, long[] costMicros) {

    /** Prices a batch at its records' models and times. */
    public static PricedBatch of(String workspace, RecordsAppended batch, Pricing prices) {
        List<LedgerRecord> records = batch.records();
        RecordFacts[] facts = new RecordFacts[records.size()];
        long[] costs = new long[records.size()];
        for (int i = 0; i < facts.length; i++) {
            LedgerRecord record = records.get(i);
            facts[i] = record.facts();
            costs[i] = prices.costMicros(facts[i], record.timestampMicros());
        }
        return new PricedBatch(workspace, batch, List.of(facts), costs);
    }

    public boolean isEmpty() {
        return batch.isEmpty();
    }

    public List<LedgerRecord> records() {
        return batch.records();
    }
}

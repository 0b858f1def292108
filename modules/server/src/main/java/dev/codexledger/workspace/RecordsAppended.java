package dev.codexledger.workspace;

import java.util.List;

/**
 * Event of the {@link WorkspaceLedger}: one accepted batch. Persisted as one journal row however many
 * records it holds.
 *
 * @param acceptedAtMicros when the ledger accepted the batch; never decreases within a workspace
 */
public record RecordsAppended(long acceptedAtMicros, List<LedgerRecord> records) {

    public RecordsAppended {
        records = List.copyOf(records);
    }

    public static final RecordsAppended NONE = new RecordsAppended(0, List.of());

    public boolean isEmpty() {
        return records.isEmpty();
    }

    public long firstSeq() {
        return records.get(0).seq();
    }

    public long lastSeq() {
        return records.get(records.size() - 1).seq();
    }
}

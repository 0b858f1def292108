package dev.codexledger.workspace;

import java.util.List;

/**
 * Event of the {@link WorkspaceLedger}: one accepted batch. Persisted as one journal row however many
 * records it holds.
 *
 * @param acceptedAtMicros when the ledger accepted the batch; never decreases within a workspace
 */
public record RecordsAppended(long acceptedAtMicros, List<LedgerRecord> records) implements LedgerEvent {

    public RecordsAppended {
        records = List.copyOf(records);
    }

    public static final RecordsAppended NONE = new RecordsAppended(0, List.of());

    public boolean isEmpty() {
        return records.isEmpty();
    }

    /** The batch with the content of {@code seqs} replaced by the erasure marker and their user ids dropped. */
    public RecordsAppended forget(java.util.Collection<Long> seqs, long erasedAtMicros) {
        if (seqs.isEmpty()) {
            return this;
        }
        java.time.Instant erasedAt = java.time.Instant.EPOCH.plus(erasedAtMicros, java.time.temporal.ChronoUnit.MICROS);
        List<LedgerRecord> kept = records.stream().map(r -> !seqs.contains(r.seq()) ? r
                : new LedgerRecord(r.seq(), r.eventId(), r.eventType(), r.timestampMicros(), null,
                        com.google.protobuf.ByteString.copyFromUtf8(
                                ErasedContent.marker(r.contentHash(), r.eventId(), r.eventType(), erasedAt)),
                        r.contentHash(), r.chainHash())).toList();
        return new RecordsAppended(acceptedAtMicros, kept);
    }

    public long firstSeq() {
        return records.get(0).seq();
    }

    public long lastSeq() {
        return records.get(records.size() - 1).seq();
    }
}

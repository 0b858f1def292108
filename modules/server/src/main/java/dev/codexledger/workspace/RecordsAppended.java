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
                                ErasedContent.marker(r.contentHash(), r.leafHash(), r.eventId(), r.eventType(), erasedAt)),
                        r.contentHash(), r.chainHash())).toList();
        return new RecordsAppended(acceptedAtMicros, kept);
    }

    /**
     * The batch as the ledger's state keeps it: without the records' decoded facts, which only the steps
     * after the write use (they get the event itself) and which a record recovered from the journal reads
     * again from its content when asked.
     */
    public RecordsAppended withoutFacts() {
        if (records.stream().allMatch(r -> r.factsIfDecoded() == null)) {
            return this;
        }
        return new RecordsAppended(acceptedAtMicros, records.stream().map(r -> new LedgerRecord(r.seq(), r.eventId(),
                r.eventType(), r.timestampMicros(), r.userId(), r.content(), r.contentHash(), r.chainHash())).toList());
    }

    /**
     * Heap the batch holds, estimated: each record's content plus {@link #RECORD_OVERHEAD_BYTES} for its
     * objects (ids, type, user, two digests, decoded facts).
     */
    public long heapBytes() {
        long bytes = 0;
        for (LedgerRecord record : records) {
            bytes += RECORD_OVERHEAD_BYTES + record.content().size();
        }
        return bytes;
    }

    /**
     * Besides the content, as the state keeps a record ({@link #withoutFacts}): the record, the strings of
     * its id, type and user, two 32-byte digests, the content's ByteString. Measured about 360 bytes for a
     * Codex-like record (heap after GC holding 200,000 of them); rounded up.
     */
    static final int RECORD_OVERHEAD_BYTES = 512;

    public long firstSeq() {
        return records.get(0).seq();
    }

    public long lastSeq() {
        return records.get(records.size() - 1).seq();
    }
}

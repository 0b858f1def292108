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
     * Besides the content: the record and its facts objects, the strings of its id, type and user, two
     * 32-byte digests, the content's ByteString: about 400 bytes for a Codex event, rounded up.
     */
    static final int RECORD_OVERHEAD_BYTES = 512;

    public long firstSeq() {
        return records.get(0).seq();
    }

    public long lastSeq() {
        return records.get(records.size() - 1).seq();
    }
}

package dev.codexledger.workspace;

import com.google.protobuf.ByteString;

/**
 * An accepted record: a {@link NewRecord} with its place in the workspace's sequence and hash chain.
 * Its facts are not journaled: a record recovered from the journal has none until they are asked for,
 * and then reads them from its content ({@link #facts()}).
 */
public record LedgerRecord(long seq, String eventId, String eventType, long timestampMicros, String userId,
                           ByteString content, Digest contentHash, Digest chainHash, RecordFacts facts) {

    /** A record recovered from the journal (or rewritten by an erasure): facts read from its content on demand. */
    public LedgerRecord(long seq, String eventId, String eventType, long timestampMicros, String userId,
                        ByteString content, Digest contentHash, Digest chainHash) {
        this(seq, eventId, eventType, timestampMicros, userId, content, contentHash, chainHash, null);
    }

    /** The facts it was decoded with, or (recovered from the journal) read from its content now. */
    @Override
    public RecordFacts facts() {
        return facts != null ? facts : RecordFacts.read(content.toByteArray());
    }

    /** Equal when everything but the facts is: the facts follow from the content. */
    @Override
    public boolean equals(Object other) {
        return other instanceof LedgerRecord that && seq == that.seq && timestampMicros == that.timestampMicros
                && eventId.equals(that.eventId) && eventType.equals(that.eventType)
                && java.util.Objects.equals(userId, that.userId) && content.equals(that.content)
                && contentHash.equals(that.contentHash) && chainHash.equals(that.chainHash);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(seq, eventId, eventType, timestampMicros, userId, content, contentHash, chainHash);
    }

    /** The facts if the record carries them decoded (null for one recovered from the journal). */
    RecordFacts factsIfDecoded() {
        return facts;
    }

    /**
     * The record's Merkle leaf hash, SHA-256(0x00 ‖ canonical content). An erased record's content is the
     * erasure marker, which keeps the leaf hash of what was there.
     */
    public byte[] leafHash() {
        return ErasedContent.isMarker(content) ? ErasedContent.leafHashOf(content)
                : dev.codexledger.verify.Merkle.leafHash(content.toByteArray());
    }

    public String contentText() {
        return content.toStringUtf8();
    }

    static LedgerRecord append(NewRecord record, long seq, Digest previous) {
        return new LedgerRecord(seq, record.eventId(), record.eventType(), record.timestampMicros(),
                record.userId(), record.content(), record.contentHash(),
                Digest.chain(previous, seq, record.content()), record.facts());
    }
}

package dev.codexledger.workspace;

import com.google.protobuf.ByteString;

/**
 * A validated record on its way into a workspace: its id, the fields the ledger indexes, its canonical
 * JSON content, encoded to UTF-8 once (hashes, journal and rows all use these bytes), and the
 * {@link RecordFacts} the steps after the write need, read in the same pass as the content was made.
 * It has no sequence number or chain hash yet.
 */
public record NewRecord(String eventId, String eventType, long timestampMicros, String userId, ByteString content,
                        Digest contentHash, RecordFacts facts) {

    public NewRecord {
        java.util.Objects.requireNonNull(facts, "facts");
    }

    /** A record decoded at the edge, with the facts read from the same parse. */
    public NewRecord(String eventId, String eventType, long timestampMicros, String userId, String content,
                     RecordFacts facts) {
        this(eventId, eventType, timestampMicros, userId, ByteString.copyFromUtf8(content), facts);
    }

    /** A record whose facts are read from its content (tests, and records made from stored content). */
    public NewRecord(String eventId, String eventType, long timestampMicros, String userId, String content) {
        this(eventId, eventType, timestampMicros, userId, ByteString.copyFromUtf8(content), null);
    }

    private NewRecord(String eventId, String eventType, long timestampMicros, String userId, ByteString content,
                      RecordFacts facts) {
        this(eventId, eventType, timestampMicros, userId, content, Digest.sha256(content),
                facts != null ? facts : RecordFacts.read(content.toByteArray()));
    }

    public String contentText() {
        return content.toStringUtf8();
    }
}

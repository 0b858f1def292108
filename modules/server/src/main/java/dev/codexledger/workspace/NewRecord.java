package dev.codexledger.workspace;

import com.google.protobuf.ByteString;

/**
 * A validated record on its way into a workspace: its id, the fields the ledger indexes, and its
 * canonical JSON content, encoded to UTF-8 once (hashes, journal and rows all use these bytes). It has no
 * sequence number or chain hash yet.
 */
public record NewRecord(String eventId, String eventType, long timestampMicros, String userId, ByteString content,
                        Digest contentHash) {

    public NewRecord(String eventId, String eventType, long timestampMicros, String userId, String content) {
        this(eventId, eventType, timestampMicros, userId, ByteString.copyFromUtf8(content));
    }

    private NewRecord(String eventId, String eventType, long timestampMicros, String userId, ByteString content) {
        this(eventId, eventType, timestampMicros, userId, content, Digest.sha256(content));
    }

    public String contentText() {
        return content.toStringUtf8();
    }
}

package dev.codexledger.workspace;

/**
 * A validated record on its way into a workspace: its id, the fields the ledger indexes, and its
 * canonical JSON content. It has no sequence number or chain hash yet.
 */
public record NewRecord(String eventId, String eventType, long timestampMicros, String userId, String content,
                        Digest contentHash) {

    public NewRecord(String eventId, String eventType, long timestampMicros, String userId, String content) {
        this(eventId, eventType, timestampMicros, userId, content, Digest.sha256(content));
    }
}

package dev.codexledger.workspace;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * The content an erased record keeps (keys sorted, like any canonical content): its content hash, event
 * id and type, when it was erased, and nothing of what was erased, not even what it was erased by.
 */
public final class ErasedContent {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ErasedContent() {}

    public static String marker(Digest contentHash, String eventId, String eventType, Instant erasedAt) {
        ObjectNode marker = JSON.createObjectNode()
                .put("content_hash", contentHash.hex())
                .put("erased", true)
                .put("erased_at", erasedAt.toString())
                .put("event_id", eventId)
                .put("event_type", eventType);
        return marker.toString();
    }

    /** Whether a record matches an erasure: by user id, or by its conversation (one of its facts). */
    static boolean matches(LedgerRecord record, String field, String value) {
        return value.equals(field.equals("user_id") ? record.userId() : record.facts().conversation());
    }
}

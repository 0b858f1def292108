package dev.codexledger.workspace;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.codexledger.verify.CanonicalJson;
import java.time.Instant;
import java.util.HexFormat;

/**
 * The content an erased record keeps (canonical JSON, like any content): its content hash, its Merkle leaf
 * hash (so its place in the workspace's tree still verifies), event id and type, when it was erased, and
 * nothing of what was erased, not even what it was erased by.
 */
public final class ErasedContent {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ErasedContent() {}

    /** A marker's first bytes: no record's content starts so, since records have no top-level content_hash. */
    private static final ByteString PREFIX = ByteString.copyFromUtf8("{\"content_hash\":\"");

    public static String marker(Digest contentHash, byte[] leafHash, String eventId, String eventType, Instant erasedAt) {
        ObjectNode marker = JSON.createObjectNode()
                .put("content_hash", contentHash.hex())
                .put("erased", true)
                .put("erased_at", erasedAt.toString())
                .put("event_id", eventId)
                .put("event_type", eventType)
                .put("leaf_hash", HexFormat.of().formatHex(leafHash));
        return CanonicalJson.canonicalize(marker);
    }

    public static boolean isMarker(ByteString content) {
        return content.startsWith(PREFIX);
    }

    private static final String LEAF_KEY = "\"leaf_hash\":\"";

    /**
     * The leaf hash an erasure marker keeps. Read from the canonical text without parsing it (record content
     * is parsed at the edge only): a marker's string values are hex digits, ids and types, so the key's text
     * cannot occur inside a value.
     */
    public static byte[] leafHashOf(ByteString marker) {
        String text = marker.toStringUtf8();
        int at = text.lastIndexOf(LEAF_KEY);
        if (at < 0 || at + LEAF_KEY.length() + 64 > text.length()) {
            throw new IllegalStateException("the record was erased before the Merkle log kept leaf hashes");
        }
        return HexFormat.of().parseHex(text, at + LEAF_KEY.length(), at + LEAF_KEY.length() + 64);
    }

    /** Whether a record matches an erasure: by user id, or by its conversation (one of its facts). */
    static boolean matches(LedgerRecord record, String field, String value) {
        return value.equals(field.equals("user_id") ? record.userId() : record.facts().conversation());
    }
}

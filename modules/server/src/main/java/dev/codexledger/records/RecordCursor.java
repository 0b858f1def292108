package dev.codexledger.records;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Where a scan of a workspace's records stopped: the hour bucket and the last sequence number seen.
 * Opaque to clients (base64url of "v1:bucket:seq").
 */
public record RecordCursor(long bucket, long seq) {

    public static final RecordCursor START = new RecordCursor(Long.MIN_VALUE, 0);

    public String encode() {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("v1:" + bucket + ":" + seq).getBytes(StandardCharsets.US_ASCII));
    }

    /** @throws IllegalArgumentException when the text is not a cursor this API issued */
    public static RecordCursor decode(String text) {
        String decoded;
        try {
            decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a cursor issued by this API");
        }
        String[] parts = decoded.split(":");
        if (parts.length != 3 || !parts[0].equals("v1")) {
            throw new IllegalArgumentException("not a cursor issued by this API");
        }
        try {
            return new RecordCursor(Long.parseLong(parts[1]), Long.parseLong(parts[2]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a cursor issued by this API");
        }
    }
}

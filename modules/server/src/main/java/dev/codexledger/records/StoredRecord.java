package dev.codexledger.records;

import dev.codexledger.workspace.Digest;

/** A record as read back from the records table. */
public record StoredRecord(long seq, String eventType, long timestampMicros, String userId, String content,
                           Digest chainHash) {

    /** The record's JSON as the API returns it: its canonical content plus {@code seq} and {@code hash}. */
    public String toJson() {
        String fields = content.substring(1);
        return "{\"seq\":" + seq + ",\"hash\":\"" + chainHash.hex() + "\"," + fields;
    }
}

package dev.codexledger.workspace;

import com.google.protobuf.ByteString;

/** An accepted record: a {@link NewRecord} with its place in the workspace's sequence and hash chain. */
public record LedgerRecord(long seq, String eventId, String eventType, long timestampMicros, String userId,
                           ByteString content, Digest contentHash, Digest chainHash) {

    public String contentText() {
        return content.toStringUtf8();
    }

    static LedgerRecord append(NewRecord record, long seq, Digest previous) {
        return new LedgerRecord(seq, record.eventId(), record.eventType(), record.timestampMicros(),
                record.userId(), record.content(), record.contentHash(),
                Digest.chain(previous, seq, record.content()));
    }
}

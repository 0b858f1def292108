package dev.codexledger.records;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code ledger.records} config block. */
public record RecordsSettings(Duration ttl, long maxBodyBytes, long maxDecompressedBytes, long maxRecordBytes,
                              long maxBatchContentBytes,
                              int maxRecordsPerRequest, int maxJsonDepth, int maxStringLength, int defaultPageSize,
                              int maxPageSize, int scanBudget, Duration bodyReadTimeout) {

    /**
     * The stored size of a request's records (the UTF-8 bytes of their canonical content) when it exceeds {@link #maxBatchContentBytes}, else empty.
     * A batch is one journal row: bigger than Cassandra's maximum mutation size it could never be written.
     */
    public java.util.OptionalLong oversizedBatch(java.util.List<dev.codexledger.workspace.NewRecord> records) {
        long total = 0;
        for (var record : records) {
            total += record.content().size();
        }
        return total > maxBatchContentBytes ? java.util.OptionalLong.of(total) : java.util.OptionalLong.empty();
    }

    public static RecordsSettings fromConfig(Config config) {
        Config block = config.getConfig("ledger.records");
        return new RecordsSettings(
                block.getDuration("ttl"),
                block.getBytes("max-body-bytes"),
                block.getBytes("max-decompressed-bytes"),
                block.getBytes("max-record-bytes"),
                block.getBytes("max-batch-content-bytes"),
                block.getInt("max-records-per-request"),
                block.getInt("max-json-depth"),
                (int) Math.min(Integer.MAX_VALUE, block.getBytes("max-string-length")),
                block.getInt("default-page-size"),
                block.getInt("max-page-size"),
                block.getInt("scan-budget"),
                block.getDuration("body-read-timeout"));
    }
}

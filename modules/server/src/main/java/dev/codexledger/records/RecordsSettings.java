package dev.codexledger.records;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code ledger.records} config block. */
public record RecordsSettings(Duration ttl, long maxBodyBytes, long maxDecompressedBytes, long maxRecordBytes,
                              int maxRecordsPerRequest, int maxJsonDepth, int maxStringLength, int defaultPageSize,
                              int maxPageSize, int scanBudget, Duration bodyReadTimeout) {

    public static RecordsSettings fromConfig(Config config) {
        Config block = config.getConfig("ledger.records");
        return new RecordsSettings(
                block.getDuration("ttl"),
                block.getBytes("max-body-bytes"),
                block.getBytes("max-decompressed-bytes"),
                block.getBytes("max-record-bytes"),
                block.getInt("max-records-per-request"),
                block.getInt("max-json-depth"),
                (int) Math.min(Integer.MAX_VALUE, block.getBytes("max-string-length")),
                block.getInt("default-page-size"),
                block.getInt("max-page-size"),
                block.getInt("scan-budget"),
                block.getDuration("body-read-timeout"));
    }
}

package dev.codexledger.otlp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.records.InvalidRecords;
import dev.codexledger.records.RecordParser;
import dev.codexledger.workspace.NewRecord;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * An OTLP logs request as ledger records: one record per log record, in request order. A log record that
 * cannot be stored (its record would exceed the per-record size limit) is rejected alone and counted for
 * the response's partial_success; the others go ahead.
 */
final class OtlpLogs {

    /** The records to append, and what was rejected. */
    record Batch(List<NewRecord> records, int rejected, String rejectionMessage) {}

    private final RecordParser parser;
    private final long maxRecordBytes;
    private final int maxRecords;
    private final Clock clock;

    OtlpLogs(RecordParser parser, long maxRecordBytes, int maxRecords, Clock clock) {
        this.parser = parser;
        this.maxRecordBytes = maxRecordBytes;
        this.maxRecords = maxRecords;
        this.clock = clock;
    }

    Batch toRecords(ExportLogsServiceRequest request) {
        int total = 0;
        for (ResourceLogs resourceLogs : request.getResourceLogsList()) {
            for (ScopeLogs scopeLogs : resourceLogs.getScopeLogsList()) {
                total += scopeLogs.getLogRecordsCount();
            }
        }
        if (total > maxRecords) {
            throw new InvalidRecords("body", total + " log records in one request; the limit is " + maxRecords);
        }
        Instant receivedAt = clock.instant();
        List<NewRecord> records = new ArrayList<>(total);
        int index = 0;
        int rejected = 0;
        String message = "";
        for (ResourceLogs resourceLogs : request.getResourceLogsList()) {
            for (ScopeLogs scopeLogs : resourceLogs.getScopeLogsList()) {
                for (LogRecord log : scopeLogs.getLogRecordsList()) {
                    ObjectNode record = CodexEvents.toRecord(resourceLogs.getResource(), scopeLogs.getScope(), log,
                            receivedAt);
                    NewRecord stored;
                    try {
                        stored = parser.fromTree(record, index);
                    } catch (InvalidRecords refused) {
                        // e.g. a lone surrogate in a string: this record is refused, the others are kept
                        rejected++;
                        message = "log record " + index + ": " + refused.field() + ": " + refused.getMessage();
                        index++;
                        continue;
                    }
                    if (stored.content().size() > maxRecordBytes) {
                        rejected++;
                        message = "log record " + index + " exceeds the per-record limit of " + maxRecordBytes
                                + " bytes";
                    } else {
                        records.add(stored);
                    }
                    index++;
                }
            }
        }
        return new Batch(records, rejected, rejected == 0 ? "" : rejected + " log record(s) rejected; " + message);
    }
}

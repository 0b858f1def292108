package dev.codexledger.compliance;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import dev.codexledger.records.RecordStore;
import dev.codexledger.storage.StatementWindow;
import dev.codexledger.workspace.LedgerRecord;
import dev.codexledger.workspace.RecordsAppended;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The ingestion windows compliance log files are listed and read by: for each written batch, one row per
 * event type in {@code compliance_windows} with the window the batch falls in (from its acceptance time)
 * and its sequence range. Written with the batch, before it is acknowledged; writing a batch's rows again
 * changes nothing.
 */
public final class ComplianceWindows {

    private final CqlSession session;
    private final long fileWindowMillis;
    private final PreparedStatement insertWindow;

    public ComplianceWindows(CqlSession session, String keyspace, Duration fileWindow) {
        this.session = session;
        this.fileWindowMillis = fileWindow.toMillis();
        this.insertWindow = session.prepare("INSERT INTO " + keyspace + ".compliance_windows (workspace, event_type,"
                + " window_start, window_millis, first_seq, last_seq, records) VALUES (?,?,?,?,?,?,?) USING TTL ?");
    }

    /** The rows of a written batch's windows (all of its records: the rows are the same however often written). */
    public CompletionStage<Void> record(String workspace, RecordsAppended batch, Set<Long> alreadyStored,
                                        RecordStore.Lifetime lifetime) {
        if (batch.isEmpty() || lifetime.over()) {
            return CompletableFuture.completedFuture(null);
        }
        long windowStart = windowStartOf(TimeUnit.MICROSECONDS.toMillis(batch.acceptedAtMicros()));
        Map<String, long[]> byType = new TreeMap<>();
        for (LedgerRecord record : batch.records()) {
            long[] range = byType.computeIfAbsent(record.eventType(), t -> new long[] {record.seq(), record.seq(), 0});
            range[0] = Math.min(range[0], record.seq());
            range[1] = Math.max(range[1], record.seq());
            range[2]++;
        }
        List<BoundStatement> rows = new ArrayList<>(byType.size());
        byType.forEach((type, range) -> rows.add(insertWindow.bind(workspace, type, windowStart, fileWindowMillis,
                range[0], range[1], (int) range[2], lifetime.ttlSeconds())));
        return StatementWindow.executeAll(session, rows, rows.size());
    }

    /** The start of the log-file window a record accepted at this time (milliseconds) falls in. */
    long windowStartOf(long acceptedMillis) {
        return Math.floorDiv(acceptedMillis, fileWindowMillis) * fileWindowMillis;
    }

    long fileWindowMillis() {
        return fileWindowMillis;
    }
}

package dev.codexledger.compliance;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.codexledger.records.StoredRecord;
import dev.codexledger.workspace.Digest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Reads compliance log files: lists the closed ingestion windows of a workspace and event type from
 * {@code compliance_windows}, and streams a file's records from the records table page by page (memory
 * stays flat however large the file).
 */
final class LogFiles {

    private static final long MICROS_PER_HOUR = TimeUnit.HOURS.toMicros(1);
    private static final int PAGE_SIZE = 500;

    private final CqlSession session;
    private final Duration fileWindow;
    private final Duration settle;
    private final PreparedStatement selectWindows;
    private final PreparedStatement selectWindow;
    private final PreparedStatement selectRange;

    LogFiles(CqlSession session, String keyspace, Duration fileWindow, Duration settle) {
        this.session = session;
        this.fileWindow = fileWindow;
        this.settle = settle;
        this.selectWindows = session.prepare("SELECT window_start, window_millis, first_seq, last_seq, records FROM "
                + keyspace + ".compliance_windows WHERE workspace = ? AND event_type = ? AND window_start >= ?");
        this.selectWindow = session.prepare("SELECT window_start, window_millis, first_seq, last_seq, records FROM "
                + keyspace + ".compliance_windows WHERE workspace = ? AND event_type = ? AND window_start = ?");
        this.selectRange = session.prepare("SELECT seq, event_type, ts_micros, user_id, content, chain_hash,"
                + " accepted_at FROM " + keyspace + ".records WHERE workspace = ? AND bucket = ? AND seq >= ? AND seq <= ?");
    }

    /** A window is closed once it ended and every batch accepted in it has had time to be written. */
    boolean isClosed(Instant windowEnd, Instant now) {
        return !windowEnd.plus(settle).isAfter(now);
    }

    /** Up to {@code limit} closed files ending after {@code after}, oldest first. Blocking. */
    List<LogFile> list(String workspace, String eventType, Instant after, int limit, Instant now) {
        // a window that started before `after` may end after it: look back a generous number of windows
        // (windows written under a longer, since changed, file-window setting included)
        long from = after.toEpochMilli() - fileWindow.toMillis() * 24;
        List<LogFile> files = new ArrayList<>();
        Accumulator current = null;
        for (Row row : session.execute(selectWindows.bind(workspace, eventType, Math.max(0, from)).setPageSize(1000))) {
            long start = row.getLong("window_start");
            long length = row.getLong("window_millis");
            if (current != null && current.start != start) {
                if (!add(files, current.toFile(eventType), after, now, limit)) {
                    return files;
                }
                current = null;
            }
            if (current == null) {
                current = new Accumulator(start, length);
            }
            current.add(row);
        }
        if (current != null) {
            add(files, current.toFile(eventType), after, now, limit);
        }
        return files;
    }

    /** @return false once the list is full or reached a window that is still open */
    private boolean add(List<LogFile> files, LogFile file, Instant after, Instant now, int limit) {
        if (!isClosed(file.end(), now)) {
            return false;
        }
        if (file.end().isAfter(after)) {
            files.add(file);
        }
        return files.size() < limit;
    }

    Optional<LogFile> find(String workspace, LogFile.Key key, Instant now) {
        Accumulator window = new Accumulator(key.startMillis(), key.windowMillis());
        for (Row row : session.execute(selectWindow.bind(workspace, key.eventType(), key.startMillis()))) {
            if (row.getLong("window_millis") == key.windowMillis()) {
                window.add(row);
            }
        }
        if (window.records == 0) {
            return Optional.empty();
        }
        LogFile file = window.toFile(key.eventType());
        return isClosed(file.end(), now) ? Optional.of(file) : Optional.empty();
    }

    /** The file's records as JSON lines, read one page at a time. */
    Source<ByteString, NotUsed> stream(String workspace, LogFile file) {
        long startMicros = TimeUnit.MILLISECONDS.toMicros(file.start().toEpochMilli());
        long endMicros = TimeUnit.MILLISECONDS.toMicros(file.end().toEpochMilli());
        List<Long> buckets = new ArrayList<>();
        for (long b = Math.floorDiv(startMicros, MICROS_PER_HOUR); b <= Math.floorDiv(endMicros - 1, MICROS_PER_HOUR); b++) {
            buckets.add(b);
        }
        return Source.from(buckets)
                .flatMapConcat(bucket -> rows(workspace, bucket, file))
                .filter(row -> file.eventType().equals(row.getString("event_type"))
                        && !row.getInstant("accepted_at").isBefore(file.start())
                        && row.getInstant("accepted_at").isBefore(file.end()))
                .map(row -> ByteString.fromString(toRecord(row).toJson() + "\n", StandardCharsets.UTF_8));
    }

    private Source<Row, NotUsed> rows(String workspace, long bucket, LogFile file) {
        return Source.unfoldAsync(Optional.<AsyncResultSet>empty(), previous -> {
            if (previous == null) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            CompletionStage<AsyncResultSet> page = previous.isEmpty()
                    ? session.executeAsync(selectRange.bind(workspace, bucket, file.firstSeq(), file.lastSeq())
                            .setPageSize(PAGE_SIZE))
                    : previous.get().fetchNextPage();
            return page.thenApply(rs -> {
                List<Row> rows = new ArrayList<>(rs.remaining());
                rs.currentPage().forEach(rows::add);
                Optional<AsyncResultSet> next = rs.hasMorePages() ? Optional.of(rs) : null;
                return Optional.of(Pair.create(next, rows));
            });
        }).mapConcat(rows -> rows);
    }

    static StoredRecord toRecord(Row row) {
        ByteBuffer hash = row.getByteBuffer("chain_hash");
        byte[] bytes = new byte[hash.remaining()];
        hash.duplicate().get(bytes);
        return new StoredRecord(row.getLong("seq"), row.getString("event_type"), row.getLong("ts_micros"),
                row.getString("user_id"), row.getString("content"), Digest.of(bytes));
    }

    private static final class Accumulator {
        final long start;
        final long length;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        long records;

        Accumulator(long start, long length) {
            this.start = start;
            this.length = length;
        }

        void add(Row row) {
            first = Math.min(first, row.getLong("first_seq"));
            last = Math.max(last, row.getLong("last_seq"));
            records += row.getInt("records");
        }

        LogFile toFile(String eventType) {
            return new LogFile(eventType, Instant.ofEpochMilli(start), length, first, last, records);
        }
    }
}

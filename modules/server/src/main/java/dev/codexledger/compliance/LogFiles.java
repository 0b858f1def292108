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
 * stays flat however large the file). Records a legal hold keeps past their retention are part of their
 * file too: {@code held_windows} keeps their windows listed after the window's own rows expired, and
 * their copies are merged into the stream by sequence number.
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
    private final PreparedStatement selectHeldWindows;
    private final PreparedStatement selectHeldWindow;
    private final PreparedStatement selectHeldRange;

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
        this.selectHeldWindows = session.prepare("SELECT window_start, window_millis, seq FROM " + keyspace
                + ".held_windows WHERE workspace = ? AND event_type = ? AND window_start >= ?");
        this.selectHeldWindow = session.prepare("SELECT window_start, window_millis, seq FROM " + keyspace
                + ".held_windows WHERE workspace = ? AND event_type = ? AND window_start = ?");
        this.selectHeldRange = session.prepare("SELECT seq, event_type, ts_micros, user_id, content, chain_hash,"
                + " accepted_at FROM " + keyspace + ".held_copies WHERE workspace = ? AND bucket = ? AND seq >= ?"
                + " AND seq <= ?");
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
        Windows batches = new Windows(session.execute(selectWindows.bind(workspace, eventType, Math.max(0, from))
                .setPageSize(1000)).iterator(), false);
        Windows held = new Windows(session.execute(selectHeldWindows.bind(workspace, eventType, Math.max(0, from))
                .setPageSize(1000)).iterator(), true);
        while (batches.hasNext() || held.hasNext()) {
            Accumulator window;
            if (!held.hasNext() || (batches.hasNext() && batches.peekStart() < held.peekStart())) {
                window = batches.next();
            } else if (!batches.hasNext() || held.peekStart() < batches.peekStart()) {
                window = held.next();
            } else {
                window = batches.next().with(held.next());
            }
            if (!add(files, window.toFile(eventType), after, now, limit)) {
                return files;
            }
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
        for (Row row : session.execute(selectHeldWindow.bind(workspace, key.eventType(), key.startMillis()))) {
            if (row.getLong("window_millis") == key.windowMillis()) {
                window.addHeld(row);
            }
        }
        if (window.records == 0 && window.held == 0) {
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
                .flatMapConcat(bucket -> rows(selectRange.bind(workspace, bucket, file.firstSeq(), file.lastSeq()))
                        .mergeSorted(rows(selectHeldRange.bind(workspace, bucket, file.firstSeq(), file.lastSeq())),
                                java.util.Comparator.comparingLong(row -> row.getLong("seq"))))
                .statefulMapConcat(() -> {
                    long[] last = {Long.MIN_VALUE};
                    return row -> {
                        // a record and its held copy: the same record once
                        long seq = row.getLong("seq");
                        boolean repeat = seq == last[0];
                        last[0] = seq;
                        return repeat ? List.of() : List.of(row);
                    };
                })
                .filter(row -> file.eventType().equals(row.getString("event_type"))
                        && !row.getInstant("accepted_at").isBefore(file.start())
                        && row.getInstant("accepted_at").isBefore(file.end()))
                .map(row -> ByteString.fromString(toRecord(row).toJson() + "\n", StandardCharsets.UTF_8));
    }

    private Source<Row, NotUsed> rows(com.datastax.oss.driver.api.core.cql.BoundStatement query) {
        return Source.unfoldAsync(Optional.<AsyncResultSet>empty(), previous -> {
            if (previous == null) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            CompletionStage<AsyncResultSet> page = previous.isEmpty()
                    ? session.executeAsync(query.setPageSize(PAGE_SIZE))
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

    /** One window's rows: of compliance_windows (a batch's range and count each) or of held_windows (a seq each). */
    private static final class Accumulator {
        final long start;
        final long length;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        long records;
        long held;

        Accumulator(long start, long length) {
            this.start = start;
            this.length = length;
        }

        void add(Row row) {
            first = Math.min(first, row.getLong("first_seq"));
            last = Math.max(last, row.getLong("last_seq"));
            records += row.getInt("records");
        }

        void addHeld(Row row) {
            first = Math.min(first, row.getLong("seq"));
            last = Math.max(last, row.getLong("seq"));
            held++;
        }

        Accumulator with(Accumulator heldWindow) {
            first = Math.min(first, heldWindow.first);
            last = Math.max(last, heldWindow.last);
            held += heldWindow.held;
            return this;
        }

        LogFile toFile(String eventType) {
            // once the window's own rows expired, the file holds only what holds keep
            return new LogFile(eventType, Instant.ofEpochMilli(start), length, first, last,
                    records > 0 ? records : held);
        }
    }

    /** Consecutive rows of one window_start, grouped, from rows in window order. */
    private static final class Windows {
        private final java.util.Iterator<Row> rows;
        private final boolean heldRows;
        private Row pending;

        Windows(java.util.Iterator<Row> rows, boolean heldRows) {
            this.rows = rows;
            this.heldRows = heldRows;
            this.pending = rows.hasNext() ? rows.next() : null;
        }

        boolean hasNext() {
            return pending != null;
        }

        long peekStart() {
            return pending.getLong("window_start");
        }

        Accumulator next() {
            Accumulator window = new Accumulator(peekStart(), pending.getLong("window_millis"));
            while (pending != null && pending.getLong("window_start") == window.start) {
                if (heldRows) {
                    window.addHeld(pending);
                } else {
                    window.add(pending);
                }
                pending = rows.hasNext() ? rows.next() : null;
            }
            return window;
        }
    }
}

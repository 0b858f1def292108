package dev.codexledger.analytics;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The analytics tables ({@code analytics_rows}, {@code analytics_threads}, {@code analytics_progress}). */
final class AnalyticsStore {

    /** A stored row of {@code analytics_rows}. */
    record StoredRow(LocalDate day, Fact.RowKey key, long throughSeq, long[] counts) {
        long get(Metric metric) {
            return counts[metric.ordinal()];
        }
    }

    /** How far a workspace's analytics have counted. */
    record Progress(long throughSeq, long acceptedAtMicros) {
        static final Progress NONE = new Progress(0, 0);
    }

    private final CqlSession session;
    private final PreparedStatement selectDay;
    private final PreparedStatement selectDays;
    private final PreparedStatement upsertRow;
    private final PreparedStatement selectThread;
    private final PreparedStatement insertThread;
    private final PreparedStatement selectProgress;
    private final PreparedStatement upsertProgress;

    AnalyticsStore(CqlSession session, String keyspace) {
        this.session = session;
        String columns = "day, user_id, surface, model, through_seq, counts";
        selectDay = session.prepare("SELECT " + columns + " FROM " + keyspace
                + ".analytics_rows WHERE workspace = ? AND month = ? AND day = ?");
        selectDays = session.prepare("SELECT " + columns + " FROM " + keyspace
                + ".analytics_rows WHERE workspace = ? AND month = ? AND day >= ? AND day <= ?");
        upsertRow = session.prepare("INSERT INTO " + keyspace + ".analytics_rows (workspace, month, " + columns
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?");
        selectThread = session.prepare("SELECT first_day FROM " + keyspace
                + ".analytics_threads WHERE workspace = ? AND conversation_id = ?");
        insertThread = session.prepare("INSERT INTO " + keyspace
                + ".analytics_threads (workspace, conversation_id, first_day) VALUES (?, ?, ?) USING TTL ?");
        selectProgress = session.prepare("SELECT through_seq, accepted_at_micros FROM " + keyspace
                + ".analytics_progress WHERE workspace = ?");
        upsertProgress = session.prepare("INSERT INTO " + keyspace
                + ".analytics_progress (workspace, through_seq, accepted_at_micros) VALUES (?, ?, ?)");
    }

    static String monthOf(LocalDate day) {
        return YearMonth.from(day).toString();
    }

    List<StoredRow> day(String workspace, LocalDate day) {
        List<StoredRow> rows = new ArrayList<>();
        session.execute(selectDay.bind(workspace, monthOf(day), day)).forEach(r -> rows.add(row(r)));
        return rows;
    }

    /** The rows of the days from {@code first} to {@code last} (inclusive), a month partition at a time. */
    List<StoredRow> days(String workspace, LocalDate first, LocalDate last) {
        List<StoredRow> rows = new ArrayList<>();
        for (YearMonth month = YearMonth.from(first); !month.isAfter(YearMonth.from(last)); month = month.plusMonths(1)) {
            LocalDate from = month.atDay(1).isBefore(first) ? first : month.atDay(1);
            LocalDate to = month.atEndOfMonth().isAfter(last) ? last : month.atEndOfMonth();
            for (Row r : session.execute(selectDays.bind(workspace, month.toString(), from, to).setPageSize(5000))) {
                rows.add(row(r));
            }
        }
        return rows;
    }

    private static StoredRow row(Row r) {
        long[] counts = new long[Metric.COUNT];
        List<Long> stored = r.getList("counts", Long.class);
        for (int i = 0; i < Math.min(counts.length, stored.size()); i++) {
            counts[i] = stored.get(i);
        }
        return new StoredRow(r.getLocalDate("day"),
                new Fact.RowKey(r.getString("user_id"), r.getString("surface"), r.getString("model")),
                r.getLong("through_seq"), counts);
    }

    /** A row to write: its day, key, the last seq counted into it and its totals. */
    record RowWrite(LocalDate day, Fact.RowKey key, long throughSeq, long[] counts) {}

    /** Rows per unlogged batch: one partition (a workspace's month) per batch, about 10 KB. */
    private static final int ROWS_PER_BATCH = 40;

    /**
     * Writes rows as unlogged batches of one partition each (a single mutation apiece, atomic per row
     * either way): hundreds of rows per counted batch cost a few requests, not hundreds.
     */
    List<CompletableFuture<?>> write(String workspace, List<RowWrite> rows, int ttlSeconds) {
        java.util.Map<String, List<BoundStatement>> byMonth = new java.util.HashMap<>();
        for (RowWrite row : rows) {
            byMonth.computeIfAbsent(monthOf(row.day()), m -> new ArrayList<>()).add(bind(workspace, row, ttlSeconds));
        }
        List<CompletableFuture<?>> writes = new ArrayList<>();
        byMonth.values().forEach(statements -> {
            for (int from = 0; from < statements.size(); from += ROWS_PER_BATCH) {
                List<BoundStatement> chunk = statements.subList(from, Math.min(statements.size(), from + ROWS_PER_BATCH));
                writes.add(session.executeAsync(chunk.size() == 1 ? chunk.get(0)
                        : com.datastax.oss.driver.api.core.cql.BatchStatement.newInstance(
                                com.datastax.oss.driver.api.core.cql.DefaultBatchType.UNLOGGED,
                                chunk.toArray(new BoundStatement[0]))).toCompletableFuture());
            }
        });
        return writes;
    }

    private BoundStatement bind(String workspace, RowWrite row, int ttlSeconds) {
        List<Long> counts = new ArrayList<>(Metric.COUNT);
        for (long count : row.counts()) {
            counts.add(count);
        }
        return upsertRow.bind(workspace, monthOf(row.day()), row.day(), row.key().user(), row.key().surface(),
                row.key().model(), row.throughSeq(), counts, ttlSeconds);
    }

    /** Whether the conversation's thread is counted already (completes with true) or not. */
    CompletableFuture<Boolean> threadKnown(String workspace, String conversation) {
        return session.executeAsync(selectThread.bind(workspace, conversation)).toCompletableFuture()
                .thenApply(rows -> rows.one() != null);
    }

    CompletableFuture<?> addThread(String workspace, String conversation, LocalDate firstDay, int ttlSeconds) {
        return session.executeAsync(insertThread.bind(workspace, conversation, firstDay, ttlSeconds))
                .toCompletableFuture();
    }

    Progress progress(String workspace) {
        Row row = session.execute(selectProgress.bind(workspace)).one();
        return row == null ? Progress.NONE : new Progress(row.getLong(0), row.getLong(1));
    }

    void setProgress(String workspace, Progress progress) {
        session.execute(upsertProgress.bind(workspace, progress.throughSeq(), progress.acceptedAtMicros()));
    }
}

package dev.codexledger.records;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import dev.codexledger.storage.CassandraSettings;
import dev.codexledger.storage.StatementWindow;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.LedgerReadModel;
import dev.codexledger.workspace.LedgerRecord;
import dev.codexledger.workspace.RecordsAppended;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The records tables: written by the workspace ledgers after each persisted batch, read by the records
 * API. Every row carries the TTL left of its workspace's retention, counted from when the batch was
 * accepted, so writing a batch again later never extends a record's life.
 */
public final class RecordTable implements LedgerReadModel {

    /** Rows of one unlogged batch; they share a partition (one workspace and hour). */
    private static final int ROWS_PER_BATCH = 50;
    private static final long MICROS_PER_HOUR = TimeUnit.HOURS.toMicros(1);

    private final CqlSession session;
    private final Duration ttl;
    private final Clock clock;
    private final int parallelism;
    private final PreparedStatement insertRecord;
    private final PreparedStatement insertId;
    private final PreparedStatement insertBucket;
    private final PreparedStatement selectIds;
    private final PreparedStatement selectBuckets;
    private final PreparedStatement selectRecords;

    public RecordTable(CqlSession session, CassandraSettings settings, Duration ttl, Clock clock) {
        this.session = session;
        this.ttl = ttl;
        this.clock = clock;
        this.parallelism = settings.writeParallelism();
        String ks = settings.keyspace();
        insertRecord = session.prepare("INSERT INTO " + ks + ".records (workspace, bucket, seq, event_id, event_type,"
                + " ts_micros, user_id, content, content_hash, chain_hash, accepted_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
                + " USING TTL ?");
        insertId = session.prepare("INSERT INTO " + ks + ".record_ids (workspace, event_id, seq, content_hash)"
                + " VALUES (?,?,?,?) USING TTL ?");
        insertBucket = session.prepare("INSERT INTO " + ks + ".record_buckets (workspace, bucket) VALUES (?,?)"
                + " USING TTL ?");
        selectIds = session.prepare("SELECT event_id, content_hash FROM " + ks + ".record_ids"
                + " WHERE workspace = ? AND event_id = ?");
        selectBuckets = session.prepare("SELECT bucket FROM " + ks + ".record_buckets"
                + " WHERE workspace = ? AND bucket >= ?");
        selectRecords = session.prepare("SELECT seq, event_type, ts_micros, user_id, content, chain_hash FROM " + ks
                + ".records WHERE workspace = ? AND bucket = ? AND seq > ?");
    }

    static long bucketOf(long acceptedAtMicros) {
        return Math.floorDiv(acceptedAtMicros, MICROS_PER_HOUR);
    }

    // ---------------------------------------------------------------- writes

    @Override
    public CompletionStage<Void> write(String workspace, RecordsAppended batch) {
        int remainingTtl = remainingTtlSeconds(batch.acceptedAtMicros());
        if (batch.isEmpty() || remainingTtl <= 0) {
            // Past retention already: such rows would expire at once (and TTL 0 would mean "never").
            return CompletableFuture.completedFuture(null);
        }
        long bucket = bucketOf(batch.acceptedAtMicros());
        Instant acceptedAt = Instant.EPOCH.plus(batch.acceptedAtMicros(), java.time.temporal.ChronoUnit.MICROS);
        List<Statement<?>> statements = new ArrayList<>();
        BatchStatementBuilder rows = BatchStatement.builder(DefaultBatchType.UNLOGGED);
        for (LedgerRecord record : batch.records()) {
            rows.addStatement(insertRecord.bind(workspace, bucket, record.seq(), record.eventId(), record.eventType(),
                    record.timestampMicros(), record.userId(), record.content(),
                    record.contentHash().toByteBuffer(), record.chainHash().toByteBuffer(), acceptedAt, remainingTtl));
            if (rows.getStatementsCount() == ROWS_PER_BATCH) {
                statements.add(rows.build());
                rows = BatchStatement.builder(DefaultBatchType.UNLOGGED);
            }
            statements.add(insertId.bind(workspace, record.eventId(), record.seq(), record.contentHash().toByteBuffer(),
                    remainingTtl));
        }
        if (rows.getStatementsCount() > 0) {
            statements.add(rows.build());
        }
        statements.add(insertBucket.bind(workspace, bucket, remainingTtl));
        return StatementWindow.executeAll(session, statements, parallelism);
    }

    int remainingTtlSeconds(long acceptedAtMicros) {
        long ageSeconds = TimeUnit.MICROSECONDS.toSeconds(
                TimeUnit.MILLISECONDS.toMicros(clock.millis()) - acceptedAtMicros);
        return (int) Math.min(Integer.MAX_VALUE, ttl.toSeconds() - Math.max(0, ageSeconds));
    }

    @Override
    public CompletionStage<Map<String, Digest>> storedContentHashes(String workspace, Collection<String> eventIds) {
        List<CompletableFuture<Row>> reads = new ArrayList<>();
        for (String id : eventIds) {
            BoundStatement read = selectIds.bind(workspace, id).setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM);
            reads.add(session.executeAsync(read).thenApply(rs -> rs.one()).toCompletableFuture());
        }
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            Map<String, Digest> found = new HashMap<>();
            for (CompletableFuture<Row> read : reads) {
                Row row = read.join();
                if (row != null) {
                    found.put(row.getString("event_id"), Digest.of(bytes(row.getByteBuffer("content_hash"))));
                }
            }
            return found;
        });
    }

    // ---------------------------------------------------------------- reads

    /**
     * One page of a workspace's records in sequence order. Blocking: call it off the HTTP threads.
     * Scans at most {@code query.scanBudget()} rows; a page can hold fewer than {@code limit} records and
     * still have a cursor when the filters matched few of the rows scanned.
     */
    public RecordPage read(RecordQuery query) {
        List<StoredRecord> matches = new ArrayList<>();
        RecordCursor position = query.cursor();
        int scanned = 0;
        for (Row bucketRow : session.execute(selectBuckets.bind(query.workspace(), position.bucket()))) {
            long bucket = bucketRow.getLong("bucket");
            long afterSeq = bucket == position.bucket() ? position.seq() : 0;
            BoundStatement scan = selectRecords.bind(query.workspace(), bucket, afterSeq)
                    .setPageSize(Math.min(query.scanBudget(), 1000));
            for (Row row : session.execute(scan)) {
                scanned++;
                position = new RecordCursor(bucket, row.getLong("seq"));
                StoredRecord record = new StoredRecord(row.getLong("seq"), row.getString("event_type"),
                        row.getLong("ts_micros"), row.getString("user_id"), row.getString("content"),
                        Digest.of(bytes(row.getByteBuffer("chain_hash"))));
                if (query.matches(record)) {
                    matches.add(record);
                }
                if (matches.size() == query.limit() || scanned >= query.scanBudget()) {
                    return new RecordPage(matches, position);
                }
            }
        }
        return new RecordPage(matches, null);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}

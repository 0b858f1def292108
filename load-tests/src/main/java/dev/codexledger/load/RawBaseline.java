package dev.codexledger.load;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Statement;
import dev.codexledger.records.RecordParser;
import dev.codexledger.workspace.NewRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The physical limit: the same rows the ledger writes to its records table (same table definition,
 * same content, prepared, async, default consistency), inserted with the driver and nothing else.
 */
final class RawBaseline {

    private final CqlSession session;
    private final PreparedStatement insert;
    /** Distinct rows, made before the clock starts, so the baseline measures Cassandra and not row making. */
    private final NewRecord[] pool;

    RawBaseline(CqlSession session, String keyspace) {
        this.session = session;
        RecordParser parser = new RecordParser(10_000, 64, 4 << 20);
        this.pool = new NewRecord[4096];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = parser.parseJson(CodexLikeRecords.json("raw-" + i, i % 200, i).getBytes(StandardCharsets.UTF_8))
                    .get(0);
        }
        this.insert = session.prepare("INSERT INTO " + keyspace + ".records (workspace, bucket, seq, event_id,"
                + " event_type, ts_micros, user_id, content, content_hash, chain_hash, accepted_at)"
                + " VALUES (?,?,?,?,?,?,?,?,?,?,?) USING TTL ?");
    }

    /**
     * @param rowsPerBatch 1 for single-row inserts, more for unlogged batches to one partition
     * @param inFlight     statements in flight at once
     */
    Measurement run(String name, Duration duration, int rowsPerBatch, int inFlight) throws InterruptedException {
        Semaphore permits = new Semaphore(inFlight);
        AtomicLong rows = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        CpuSampler cpu = new CpuSampler();
        long start = System.nanoTime();
        long deadline = start + duration.toNanos();
        long seq = 0;
        String workspace = "raw-" + System.nanoTime();
        while (System.nanoTime() < deadline) {
            permits.acquire();
            Statement<?> statement;
            if (rowsPerBatch == 1) {
                statement = row(workspace, seq++);
            } else {
                BatchStatementBuilder batch = BatchStatement.builder(DefaultBatchType.UNLOGGED);
                for (int i = 0; i < rowsPerBatch; i++) {
                    batch.addStatement(row(workspace, seq++));
                }
                statement = batch.build();
            }
            session.executeAsync(statement).whenComplete((ok, failure) -> {
                if (failure == null) {
                    rows.addAndGet(rowsPerBatch);
                } else {
                    failures.incrementAndGet();
                }
                permits.release();
            });
        }
        permits.acquire(inFlight);
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Measurement(name, rows.get(), seconds, Double.NaN, Double.NaN, cpu,
                rows.get() / rowsPerBatch, failures.get());
    }

    private BoundStatement row(String workspace, long seq) {
        NewRecord record = pool[(int) (seq % pool.length)];
        // bound as efficiently as the ledger binds its rows: typed setters, content as ready UTF-8 bytes
        return insert.boundStatementBuilder()
                .setString(0, workspace).setLong(1, seq / 50_000).setLong(2, seq)
                .setString(3, "raw-" + seq).setString(4, record.eventType()).setLong(5, record.timestampMicros())
                .setString(6, record.userId())
                .setBytesUnsafe(7, record.content().asReadOnlyByteBuffer())
                .setByteBuffer(8, record.contentHash().toByteBuffer())
                .setByteBuffer(9, ByteBuffer.wrap(record.contentHash().toBytes()))
                .setInstant(10, Instant.now()).setInt(11, 30 * 24 * 3600)
                .build();
    }
}

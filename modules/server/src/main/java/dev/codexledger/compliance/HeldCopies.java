package dev.codexledger.compliance;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import dev.codexledger.records.HeldRecords;
import dev.codexledger.records.RecordStore;
import dev.codexledger.records.StoredRecord;
import dev.codexledger.storage.StatementWindow;
import dev.codexledger.workspace.LedgerRecord;
import dev.codexledger.workspace.RecordsAppended;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Copies without TTL of the records legal holds keep ({@code held_copies}, partitioned like the records
 * by workspace and hour of acceptance; {@code held_buckets} lists the hours that have copies; {@code
 * held_windows} keeps their log-file windows listed). A copy names the holds that keep it; when the last
 * is released it expires when its original would have.
 */
public final class HeldCopies implements HeldRecords {

    private final CqlSession session;
    private final RecordStore store;
    private final ComplianceWindows windows;
    private final Clock clock;
    private final int parallelism;
    private final PreparedStatement holdRecord;
    private final PreparedStatement insertHeldBucket;
    private final PreparedStatement selectHeldBuckets;
    private final PreparedStatement selectHeld;
    private final PreparedStatement selectHeldBucket;
    private final PreparedStatement insertHeldWindow;
    private final PreparedStatement deleteHeldWindow;
    private final PreparedStatement dropHold;
    private final PreparedStatement deleteHeld;
    private final PreparedStatement expireHeld;
    private final PreparedStatement scanBucket;

    public HeldCopies(CqlSession session, String keyspace, int parallelism, RecordStore store,
                      ComplianceWindows windows, Clock clock) {
        this.session = session;
        this.store = store;
        this.windows = windows;
        this.clock = clock;
        this.parallelism = parallelism;
        String ks = keyspace;
        String heldColumns = "event_id = ?, event_type = ?, ts_micros = ?, user_id = ?, content = ?, content_hash = ?,"
                + " chain_hash = ?, accepted_at = ?, expires_at = ?, window_start = ?, window_millis = ?";
        holdRecord = session.prepare("UPDATE " + ks + ".held_copies SET " + heldColumns + ", hold_ids = hold_ids + ?"
                + " WHERE workspace = ? AND bucket = ? AND seq = ?");
        insertHeldBucket = session.prepare("INSERT INTO " + ks + ".held_buckets (workspace, bucket) VALUES (?,?)");
        insertHeldWindow = session.prepare("INSERT INTO " + ks + ".held_windows (workspace, event_type, window_start,"
                + " seq, window_millis) VALUES (?,?,?,?,?) USING TTL ?");
        deleteHeldWindow = session.prepare("DELETE FROM " + ks + ".held_windows WHERE workspace = ? AND event_type = ?"
                + " AND window_start = ? AND seq = ?");
        selectHeldBuckets = session.prepare("SELECT bucket FROM " + ks + ".held_buckets WHERE workspace = ? AND bucket >= ?");
        selectHeld = session.prepare("SELECT seq, event_type, ts_micros, user_id, content, chain_hash FROM " + ks
                + ".held_copies WHERE workspace = ? AND bucket = ? AND seq > ?");
        selectHeldBucket = session.prepare("SELECT * FROM " + ks + ".held_copies WHERE workspace = ? AND bucket = ?");
        dropHold = session.prepare("UPDATE " + ks + ".held_copies SET hold_ids = hold_ids - ?"
                + " WHERE workspace = ? AND bucket = ? AND seq = ?");
        deleteHeld = session.prepare("DELETE FROM " + ks + ".held_copies WHERE workspace = ? AND bucket = ? AND seq = ?");
        expireHeld = session.prepare("UPDATE " + ks + ".held_copies USING TTL ? SET " + heldColumns
                + " WHERE workspace = ? AND bucket = ? AND seq = ?");
        scanBucket = session.prepare("SELECT seq, event_id, event_type, ts_micros, user_id, content, content_hash,"
                + " chain_hash, accepted_at, TTL(content) AS ttl FROM " + ks + ".records WHERE workspace = ? AND bucket = ?");
    }

    /**
     * Copies the records of a written batch that active holds keep ({@code holdsOf} names them per record;
     * empty for most); records in {@code alreadyStored} were written before (and maybe erased since) and
     * are left alone.
     */
    CompletionStage<Void> copyArriving(String workspace, RecordsAppended batch, Set<Long> alreadyStored,
                                       RecordStore.Lifetime lifetime, Function<LedgerRecord, Set<String>> holdsOf) {
        if (batch.isEmpty() || lifetime.over()) {
            return CompletableFuture.completedFuture(null);
        }
        long bucket = RecordStore.bucketOf(batch.acceptedAtMicros());
        Instant acceptedAt = Instant.EPOCH.plus(batch.acceptedAtMicros(), ChronoUnit.MICROS);
        long windowStart = windowStartOf(acceptedAt);
        List<Statement<?>> statements = new ArrayList<>();
        for (LedgerRecord record : batch.records()) {
            if (alreadyStored.contains(record.seq())) {
                continue;
            }
            Set<String> holdIds = holdsOf.apply(record);
            if (!holdIds.isEmpty()) {
                statements.add(holdRecord.bind(record.eventId(), record.eventType(), record.timestampMicros(),
                        record.userId(), record.contentText(), record.contentHash().toByteBuffer(),
                        record.chainHash().toByteBuffer(), acceptedAt, lifetime.expiresAt(), windowStart,
                        windows.fileWindowMillis(), holdIds, workspace, bucket, record.seq()));
                statements.add(insertHeldWindow.bind(workspace, record.eventType(), windowStart, record.seq(),
                        windows.fileWindowMillis(), 0));
            }
        }
        if (statements.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        statements.add(insertHeldBucket.bind(workspace, bucket));
        return StatementWindow.executeAll(session, statements, parallelism);
    }

    private long windowStartOf(Instant acceptedAt) {
        return windows.windowStartOf(acceptedAt.toEpochMilli());
    }

    /**
     * Copies the stored records {@code matches} accepts into {@code held_copies} (no TTL) under
     * {@code holdId}; returns how many. Blocking: scans the workspace.
     */
    long holdExisting(String workspace, Predicate<StoredRecord> matches, String holdId) {
        long held = 0;
        for (long bucket : store.bucketsOf(workspace, Long.MIN_VALUE)) {
            boolean any = false;
            for (Row row : session.execute(scanBucket.bind(workspace, bucket).setPageSize(1000))) {
                StoredRecord record = RecordStore.storedRecord(row);
                if (row.isNull("ttl") || !matches.test(record)) {
                    continue;
                }
                Instant acceptedAt = row.getInstant("accepted_at");
                long windowStart = windowStartOf(acceptedAt);
                session.execute(holdRecord.bind(row.getString("event_id"), record.eventType(), record.timestampMicros(),
                        record.userId(), record.content(), row.getByteBuffer("content_hash"),
                        row.getByteBuffer("chain_hash"), acceptedAt, clock.instant().plusSeconds(row.getInt("ttl")),
                        windowStart, windows.fileWindowMillis(), Set.of(holdId), workspace, bucket, record.seq()));
                session.execute(insertHeldWindow.bind(workspace, record.eventType(), windowStart, record.seq(),
                        windows.fileWindowMillis(), 0));
                any = true;
                held++;
            }
            if (any) {
                session.execute(insertHeldBucket.bind(workspace, bucket));
            }
        }
        return held;
    }

    /**
     * Takes {@code holdId} off every held copy of the workspace; a copy no other hold keeps then expires
     * when its original would have (at once if that time has passed). Returns how many copies were freed.
     */
    long release(String workspace, String holdId) {
        long freed = 0;
        Instant now = clock.instant();
        for (long bucket : bucketsOf(workspace, Long.MIN_VALUE)) {
            for (Row row : session.execute(selectHeldBucket.bind(workspace, bucket).setPageSize(1000))) {
                Set<String> ids = row.getSet("hold_ids", String.class);
                if (!ids.contains(holdId)) {
                    continue;
                }
                long seq = row.getLong("seq");
                if (ids.size() > 1) {
                    session.execute(dropHold.bind(Set.of(holdId), workspace, bucket, seq));
                    continue;
                }
                freed++;
                expire(workspace, bucket, row, java.time.Duration.between(now, row.getInstant("expires_at")).toSeconds());
            }
        }
        return freed;
    }

    /** A copy no hold keeps any more: gone now, or living (and listed in its window) until its original's end. */
    private void expire(String workspace, long bucket, Row row, long secondsLeft) {
        long seq = row.getLong("seq");
        session.execute(deleteHeld.bind(workspace, bucket, seq));
        boolean windowed = !row.isNull("window_start");
        if (secondsLeft <= 0) {
            if (windowed) {
                session.execute(deleteHeldWindow.bind(workspace, row.getString("event_type"),
                        row.getLong("window_start"), seq));
            }
            return;
        }
        int ttl = (int) Math.min(Integer.MAX_VALUE, secondsLeft);
        session.execute(expireHeld.bind(ttl, row.getString("event_id"),
                row.getString("event_type"), row.getLong("ts_micros"), row.getString("user_id"),
                row.getString("content"), row.getByteBuffer("content_hash"), row.getByteBuffer("chain_hash"),
                row.getInstant("accepted_at"), row.getInstant("expires_at"),
                windowed ? row.getLong("window_start") : null, windowed ? row.getLong("window_millis") : null,
                workspace, bucket, seq));
        if (windowed) {
            session.execute(insertHeldWindow.bind(workspace, row.getString("event_type"),
                    row.getLong("window_start"), seq, row.getLong("window_millis"), ttl));
        }
    }

    /** The seqs of a workspace that a hold keeps (an erasure leaves those). Blocking. */
    Set<Long> heldSeqs(String workspace) {
        Set<Long> seqs = new HashSet<>();
        for (long bucket : bucketsOf(workspace, Long.MIN_VALUE)) {
            for (Row row : session.execute(selectHeldBucket.bind(workspace, bucket).setPageSize(1000))) {
                if (!row.getSet("hold_ids", String.class).isEmpty()) {
                    seqs.add(row.getLong("seq"));
                }
            }
        }
        return seqs;
    }

    @Override
    public NavigableSet<Long> bucketsOf(String workspace, long fromBucket) {
        NavigableSet<Long> buckets = new TreeSet<>();
        session.execute(selectHeldBuckets.bind(workspace, fromBucket)).forEach(r -> buckets.add(r.getLong("bucket")));
        return buckets;
    }

    @Override
    public List<StoredRecord> heldIn(String workspace, long bucket, long afterSeq, int limit) {
        List<StoredRecord> held = new ArrayList<>();
        for (Row row : session.execute(selectHeld.bind(workspace, bucket, afterSeq).setPageSize(Math.min(limit, 1000)))) {
            held.add(RecordStore.storedRecord(row));
            if (held.size() >= limit) {
                break;
            }
        }
        return held;
    }
}

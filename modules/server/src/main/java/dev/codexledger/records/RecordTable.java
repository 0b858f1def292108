package dev.codexledger.records;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.time.temporal.ChronoUnit;

/**
 * The records tables: written by the workspace ledgers after each persisted batch, read by the records
 * API. Every row carries the TTL left of its workspace's retention, counted from when the batch was
 * accepted, so writing a batch again later never extends a record's life.
 */
public final class RecordTable implements LedgerReadModel {

    /** Rows of one unlogged batch; they share a partition. */
    private static final int ROWS_PER_BATCH = 50;
    /**
     * Partitions of a workspace's id index. Part of the stored layout: changing it hides stored ids from
     * lookups, so it never changes for a keyspace that holds data.
     */
    static final int ID_BUCKETS = 16;
    private static final long MICROS_PER_HOUR = TimeUnit.HOURS.toMicros(1);

    private final CqlSession session;
    private final java.util.function.Function<String, Duration> ttlOf;
    private final Clock clock;
    private final int parallelism;
    private final PreparedStatement insertRecord;
    private final PreparedStatement insertId;
    private final PreparedStatement insertBucket;
    private final PreparedStatement insertWindow;
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
    private volatile HoldPolicy holds = HoldPolicy.NONE;
    private volatile long acceptSkewMicros = TimeUnit.DAYS.toMicros(1);
    private final long fileWindowMillis;
    private final PreparedStatement selectIds;
    private final PreparedStatement selectBuckets;
    private final PreparedStatement selectLegacyBuckets;
    private final PreparedStatement selectRecords;
    private final PreparedStatement selectRecordKeys;
    private final PreparedStatement selectContents;
    private final PreparedStatement selectPresent;

    /** {@code ttlOf}: the retention of a workspace (see {@link Retention#ttlOf}). */
    public RecordTable(CqlSession session, CassandraSettings settings, java.util.function.Function<String, Duration> ttlOf,
                       Duration fileWindow, Clock clock) {
        this.session = session;
        this.fileWindowMillis = fileWindow.toMillis();
        this.ttlOf = ttlOf;
        this.clock = clock;
        this.parallelism = settings.writeParallelism();
        String ks = settings.keyspace();
        insertRecord = session.prepare("INSERT INTO " + ks + ".records (workspace, bucket, seq, event_id, event_type,"
                + " ts_micros, user_id, content, content_hash, chain_hash, accepted_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
                + " USING TTL ?");
        insertId = session.prepare("INSERT INTO " + ks + ".record_id_index (workspace, id_bucket, event_id, seq,"
                + " content_hash) VALUES (?,?,?,?,?) USING TTL ?");
        insertBucket = session.prepare("INSERT INTO " + ks + ".record_hours (workspace, bucket, expires_day)"
                + " VALUES (?,?,?) USING TTL ?");
        insertWindow = session.prepare("INSERT INTO " + ks + ".compliance_windows (workspace, event_type,"
                + " window_start, window_millis, first_seq, last_seq, records) VALUES (?,?,?,?,?,?,?) USING TTL ?");
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
        selectIds = session.prepare("SELECT event_id, content_hash FROM " + ks + ".record_id_index"
                + " WHERE workspace = ? AND id_bucket = ? AND event_id IN ?");
        selectBuckets = session.prepare("SELECT bucket FROM " + ks + ".record_hours"
                + " WHERE workspace = ? AND bucket >= ?");
        selectLegacyBuckets = session.prepare("SELECT bucket FROM " + ks + ".record_buckets"
                + " WHERE workspace = ? AND bucket >= ?");
        selectRecordKeys = session.prepare("SELECT seq, event_type, ts_micros, user_id, chain_hash FROM " + ks
                + ".records WHERE workspace = ? AND bucket = ? AND seq > ?");
        selectPresent = session.prepare("SELECT seq FROM " + ks + ".records WHERE workspace = ? AND bucket = ?"
                + " AND seq >= ? AND seq <= ?");
        selectContents = session.prepare("SELECT seq, content FROM " + ks
                + ".records WHERE workspace = ? AND bucket = ? AND seq IN ?");
        selectRecords = session.prepare("SELECT seq, event_type, ts_micros, user_id, content, chain_hash FROM " + ks
                + ".records WHERE workspace = ? AND bucket = ? AND seq > ?");
    }

    /** The hour bucket of the records table that a record accepted at this time is in. */
    public static long bucketOf(long acceptedAtMicros) {
        return Math.floorDiv(acceptedAtMicros, MICROS_PER_HOUR);
    }

    // ---------------------------------------------------------------- writes

    @Override
    public CompletionStage<Void> write(String workspace, RecordsAppended batch) {
        return write(workspace, batch, Set.of());
    }

    @Override
    public CompletionStage<Void> rewrite(String workspace, RecordsAppended batch) {
        if (batch.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        long bucket = bucketOf(batch.acceptedAtMicros());
        long first = batch.records().get(0).seq();
        long last = batch.records().get(batch.records().size() - 1).seq();
        return session.executeAsync(selectPresent.bind(workspace, bucket, first, last).setPageSize(5000))
                .thenCompose(rows -> seqsOf(rows, new java.util.HashSet<>()))
                .thenCompose(present -> write(workspace, batch, present));
    }

    private static CompletionStage<Set<Long>> seqsOf(com.datastax.oss.driver.api.core.cql.AsyncResultSet rows,
                                                     Set<Long> into) {
        rows.currentPage().forEach(row -> into.add(row.getLong("seq")));
        return rows.hasMorePages() ? rows.fetchNextPage().thenCompose(next -> seqsOf(next, into))
                : CompletableFuture.completedFuture(into);
    }

    /** {@code present}: seqs whose row (and held copy) exists already and is left as it is. */
    private CompletionStage<Void> write(String workspace, RecordsAppended batch, Set<Long> present) {
        int remainingTtl = remainingTtlSeconds(ttlOf.apply(workspace), batch.acceptedAtMicros());
        if (batch.isEmpty() || remainingTtl <= 0) {
            // Past retention already: such rows would expire at once (and TTL 0 would mean "never").
            return CompletableFuture.completedFuture(null);
        }
        long bucket = bucketOf(batch.acceptedAtMicros());
        Instant acceptedAt = Instant.EPOCH.plus(batch.acceptedAtMicros(), ChronoUnit.MICROS);
        List<Statement<?>> statements = new ArrayList<>();
        List<BoundStatement> rows = new ArrayList<>(batch.records().size());
        Map<Integer, List<BoundStatement>> idsByBucket = new HashMap<>();
        Instant expiresAt = acceptedAt.plus(ttlOf.apply(workspace));
        boolean held = false;
        for (LedgerRecord record : batch.records()) {
            int idBucket = idBucketOf(record.eventId());
            idsByBucket.computeIfAbsent(idBucket, b -> new ArrayList<>()).add(insertId.boundStatementBuilder()
                    .setString(0, workspace).setInt(1, idBucket).setString(2, record.eventId())
                    .setLong(3, record.seq()).setByteBuffer(4, record.contentHash().toByteBuffer())
                    .setInt(5, remainingTtl).build());
            if (present.contains(record.seq())) {
                continue;
            }
            rows.add(recordRow(workspace, bucket, record, acceptedAt, remainingTtl));
            Set<String> holdIds = holds.holdsFor(workspace, record.userId(), record.timestampMicros(), record.eventType(),
                    record::contentText);
            if (!holdIds.isEmpty()) {
                long windowStart = windowStartOf(acceptedAt.toEpochMilli());
                statements.add(holdRecord.bind(record.eventId(), record.eventType(), record.timestampMicros(),
                        record.userId(), record.contentText(), record.contentHash().toByteBuffer(),
                        record.chainHash().toByteBuffer(), acceptedAt, expiresAt, windowStart, fileWindowMillis,
                        holdIds, workspace, bucket, record.seq()));
                statements.add(insertHeldWindow.bind(workspace, record.eventType(), windowStart, record.seq(),
                        fileWindowMillis, 0));
                held = true;
            }
        }
        addUnloggedBatches(statements, rows);
        idsByBucket.values().forEach(ids -> addUnloggedBatches(statements, ids));
        statements.add(hourMarker(workspace, bucket, remainingTtl));
        if (held) {
            statements.add(insertHeldBucket.bind(workspace, bucket));
        }
        statements.addAll(windowRows(workspace, batch, remainingTtl));
        return StatementWindow.executeAll(session, statements, parallelism);
    }

    /**
     * One row per event type of the batch in {@code compliance_windows}: the ingestion window the batch
     * falls in (from its acceptance time) and its sequence range, which is what compliance log files are
     * listed and read by.
     */
    private List<BoundStatement> windowRows(String workspace, RecordsAppended batch, int ttlSeconds) {
        long windowStart = windowStartOf(TimeUnit.MICROSECONDS.toMillis(batch.acceptedAtMicros()));
        Map<String, long[]> byType = new java.util.TreeMap<>();
        for (LedgerRecord record : batch.records()) {
            long[] range = byType.computeIfAbsent(record.eventType(), t -> new long[] {record.seq(), record.seq(), 0});
            range[0] = Math.min(range[0], record.seq());
            range[1] = Math.max(range[1], record.seq());
            range[2]++;
        }
        List<BoundStatement> rows = new ArrayList<>(byType.size());
        byType.forEach((type, range) -> rows.add(insertWindow.bind(workspace, type, windowStart, fileWindowMillis,
                range[0], range[1], (int) range[2], ttlSeconds)));
        return rows;
    }

    private long windowStartOf(long acceptedMillis) {
        return Math.floorDiv(acceptedMillis, fileWindowMillis) * fileWindowMillis;
    }

    /**
     * Typed setters, and the content as ready UTF-8 bytes: the driver's generic binding looks codecs up
     * per value and encodes text through a CharsetEncoder, which profiling showed as the ingest hot spot.
     */
    private BoundStatement recordRow(String workspace, long bucket, LedgerRecord record, Instant acceptedAt,
                                     int ttlSeconds) {
        return insertRecord.boundStatementBuilder()
                .setString(0, workspace).setLong(1, bucket).setLong(2, record.seq())
                .setString(3, record.eventId()).setString(4, record.eventType()).setLong(5, record.timestampMicros())
                .setString(6, record.userId())
                .setBytesUnsafe(7, record.content().asReadOnlyByteBuffer())
                .setByteBuffer(8, record.contentHash().toByteBuffer()).setByteBuffer(9, record.chainHash().toByteBuffer())
                .setInstant(10, acceptedAt).setInt(11, ttlSeconds)
                .build();
    }

    /** Statements of one partition, in unlogged batches of at most {@link #ROWS_PER_BATCH}. */
    private static void addUnloggedBatches(List<Statement<?>> out, List<BoundStatement> samePartition) {
        for (int from = 0; from < samePartition.size(); from += ROWS_PER_BATCH) {
            List<BoundStatement> chunk = samePartition.subList(from, Math.min(samePartition.size(), from + ROWS_PER_BATCH));
            out.add(chunk.size() == 1 ? chunk.get(0)
                    : BatchStatement.builder(DefaultBatchType.UNLOGGED).addStatements(List.copyOf(chunk)).build());
        }
    }

    static int idBucketOf(String eventId) {
        // String.hashCode is specified by the language, so the bucket of an id never changes
        return Math.floorMod(eventId.hashCode(), ID_BUCKETS);
    }

    int remainingTtlSeconds(Duration ttl, long acceptedAtMicros) {
        long ageSeconds = TimeUnit.MICROSECONDS.toSeconds(
                TimeUnit.MILLISECONDS.toMicros(clock.millis()) - acceptedAtMicros);
        return (int) Math.min(Integer.MAX_VALUE, ttl.toSeconds() - Math.max(0, ageSeconds));
    }

    @Override
    public CompletionStage<Map<String, Digest>> storedContentHashes(String workspace, Collection<String> eventIds) {
        Map<Integer, List<String>> byBucket = new HashMap<>();
        for (String id : eventIds) {
            byBucket.computeIfAbsent(idBucketOf(id), b -> new ArrayList<>()).add(id);
        }
        List<CompletableFuture<List<Row>>> reads = new ArrayList<>();
        byBucket.forEach((idBucket, ids) -> {
            for (int from = 0; from < ids.size(); from += ROWS_PER_BATCH) {
                BoundStatement read = selectIds.bind(workspace, idBucket,
                                List.copyOf(ids.subList(from, Math.min(ids.size(), from + ROWS_PER_BATCH))))
                        .setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM);
                reads.add(session.executeAsync(read).thenApply(rs -> {
                    List<Row> found = new ArrayList<>();
                    rs.currentPage().forEach(found::add);
                    return found;
                }).toCompletableFuture());
            }
        });
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            Map<String, Digest> found = new HashMap<>();
            for (CompletableFuture<List<Row>> read : reads) {
                for (Row row : read.join()) {
                    found.put(row.getString("event_id"), Digest.of(bytes(row.getByteBuffer("content_hash"))));
                }
            }
            return found;
        });
    }

    // ---------------------------------------------------------------- legal holds

    /**
     * Marks the hour bucket as holding rows until the end of the day its rows expire. One marker per
     * (bucket, expiry day): a later batch with a shorter retention never shortens the marker of rows that
     * live longer (one marker per bucket, overwritten with each batch's TTL, would hide them).
     */
    private BoundStatement hourMarker(String workspace, long bucket, int remainingTtl) {
        long nowSeconds = TimeUnit.MILLISECONDS.toSeconds(clock.millis());
        long expiresDay = Math.floorDiv(nowSeconds + remainingTtl, 86_400L);
        long markerTtl = Math.min(Integer.MAX_VALUE, (expiresDay + 1) * 86_400L - nowSeconds);
        return insertBucket.bind(workspace, bucket, expiresDay, (int) markerTtl);
    }

    /** The hour buckets of a workspace holding rows, from {@code fromBucket} on, in order. */
    public java.util.NavigableSet<Long> bucketsOf(String workspace, long fromBucket) {
        java.util.TreeSet<Long> buckets = new java.util.TreeSet<>();
        session.execute(selectBuckets.bind(workspace, fromBucket)).forEach(r -> buckets.add(r.getLong("bucket")));
        // rows written before record_hours existed
        session.execute(selectLegacyBuckets.bind(workspace, fromBucket)).forEach(r -> buckets.add(r.getLong("bucket")));
        return buckets;
    }

    /** How much earlier than its timestamp a record can have been accepted (clients' clocks run ahead). */
    public void acceptSkew(Duration skew) {
        this.acceptSkewMicros = TimeUnit.MILLISECONDS.toMicros(skew.toMillis());
    }

    /** Set once at start: which records new writes must also copy to {@code held_copies}. */
    public void holdWith(HoldPolicy policy) {
        this.holds = policy;
    }

    /**
     * Copies the stored records {@code matches} accepts into {@code held_copies} (no TTL) under
     * {@code holdId}; returns how many. Blocking: scans the workspace.
     */
    public long holdExisting(String workspace, java.util.function.Predicate<StoredRecord> matches, String holdId) {
        long held = 0;
        for (long bucket : bucketsOf(workspace, Long.MIN_VALUE)) {
            boolean any = false;
            for (Row row : session.execute(scanBucket.bind(workspace, bucket).setPageSize(1000))) {
                StoredRecord record = storedRecord(row);
                if (row.isNull("ttl") || !matches.test(record)) {
                    continue;
                }
                Instant acceptedAt = row.getInstant("accepted_at");
                long windowStart = windowStartOf(acceptedAt.toEpochMilli());
                session.execute(holdRecord.bind(row.getString("event_id"), record.eventType(), record.timestampMicros(),
                        record.userId(), record.content(), row.getByteBuffer("content_hash"),
                        row.getByteBuffer("chain_hash"), acceptedAt, clock.instant().plusSeconds(row.getInt("ttl")),
                        windowStart, fileWindowMillis, Set.of(holdId), workspace, bucket, record.seq()));
                session.execute(insertHeldWindow.bind(workspace, record.eventType(), windowStart, record.seq(),
                        fileWindowMillis, 0));
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
    public long releaseHold(String workspace, String holdId) {
        long freed = 0;
        Instant now = clock.instant();
        for (long bucket : heldBuckets(workspace)) {
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
                long left = java.time.Duration.between(now, row.getInstant("expires_at")).toSeconds();
                session.execute(deleteHeld.bind(workspace, bucket, seq));
                boolean windowed = !row.isNull("window_start");
                if (left <= 0) {
                    if (windowed) {
                        session.execute(deleteHeldWindow.bind(workspace, row.getString("event_type"),
                                row.getLong("window_start"), seq));
                    }
                    continue;
                }
                int ttl = (int) Math.min(Integer.MAX_VALUE, left);
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
        }
        return freed;
    }

    /** The hour buckets of a workspace that have (or had) held copies, in order. */
    private List<Long> heldBuckets(String workspace) {
        List<Long> buckets = new ArrayList<>();
        session.execute(selectHeldBuckets.bind(workspace, Long.MIN_VALUE)).forEach(r -> buckets.add(r.getLong("bucket")));
        return buckets;
    }

    /** Whether a held copy exists for a record (erasure keeps those). */
    public java.util.Set<Long> heldSeqs(String workspace) {
        java.util.Set<Long> seqs = new java.util.HashSet<>();
        for (long bucket : heldBuckets(workspace)) {
            for (Row row : session.execute(selectHeldBucket.bind(workspace, bucket).setPageSize(1000))) {
                if (!row.getSet("hold_ids", String.class).isEmpty()) {
                    seqs.add(row.getLong("seq"));
                }
            }
        }
        return seqs;
    }

    private static StoredRecord storedRecord(Row row) {
        return new StoredRecord(row.getLong("seq"), row.getString("event_type"), row.getLong("ts_micros"),
                row.getString("user_id"), row.getColumnDefinitions().contains("content") ? row.getString("content") : null,
                Digest.of(bytes(row.getByteBuffer("chain_hash"))));
    }

    /**
     * Fills in the content of records read without it (a scan whose filters need no content reads only
     * the small columns, then fetches the content of the matches).
     */
    private List<StoredRecord> withContent(String workspace, List<StoredRecord> records, Map<Long, Long> bucketOfSeq) {
        Map<Long, List<Long>> missing = new java.util.TreeMap<>();
        for (StoredRecord record : records) {
            if (record.content() == null) {
                missing.computeIfAbsent(bucketOfSeq.get(record.seq()), b -> new ArrayList<>()).add(record.seq());
            }
        }
        if (missing.isEmpty()) {
            return records;
        }
        Map<Long, String> contents = new HashMap<>();
        missing.forEach((bucket, seqs) -> {
            for (int from = 0; from < seqs.size(); from += 100) {
                for (Row row : session.execute(selectContents.bind(workspace, bucket,
                        List.copyOf(seqs.subList(from, Math.min(seqs.size(), from + 100)))))) {
                    contents.put(row.getLong("seq"), row.getString("content"));
                }
            }
        });
        List<StoredRecord> filled = new ArrayList<>(records.size());
        for (StoredRecord r : records) {
            filled.add(r.content() != null ? r : new StoredRecord(r.seq(), r.eventType(), r.timestampMicros(),
                    r.userId(), contents.get(r.seq()), r.chainHash()));
        }
        // a row that expired between the two reads has no content left: leave it out
        return filled.stream().filter(r -> r.content() != null).toList();
    }

    // ---------------------------------------------------------------- reads

    /**
     * One page of a workspace's records in sequence order. Blocking: call it off the HTTP threads.
     * Scans at most {@code query.scanBudget()} rows; a page can hold fewer than {@code limit} records and
     * still have a cursor when the filters matched few of the rows scanned.
     */
    public RecordPage read(RecordQuery query) {
        List<StoredRecord> matches = new ArrayList<>();
        Map<Long, Long> bucketOfSeq = new HashMap<>();
        RecordCursor position = query.cursor();
        int scanned = 0;
        // Records are accepted after they happen (give or take clock skew): a search from `from` need not
        // look at hours accepted long before it.
        long firstBucket = position.equals(RecordCursor.START) && query.fromMicros().isPresent()
                ? bucketOf(query.fromMicros().get() - acceptSkewMicros) : position.bucket();
        java.util.NavigableSet<Long> buckets = bucketsOf(query.workspace(), Math.max(firstBucket, position.bucket()));
        session.execute(selectHeldBuckets.bind(query.workspace(), Math.max(firstBucket, position.bucket())))
                .forEach(r -> buckets.add(r.getLong("bucket")));
        for (long bucket : buckets) {
            long afterSeq = bucket == position.bucket() ? position.seq() : 0;
            // held copies of this bucket (records kept by a legal hold past their TTL), merged in by seq
            java.util.TreeMap<Long, StoredRecord> held = new java.util.TreeMap<>();
            for (Row row : session.execute(selectHeld.bind(query.workspace(), bucket, afterSeq)
                    .setPageSize(Math.min(query.scanBudget(), 1000)))) {
                held.put(row.getLong("seq"), storedRecord(row));
                if (held.size() >= query.scanBudget()) {
                    break;
                }
            }
            BoundStatement scan = (query.content().isEmpty() ? selectRecordKeys : selectRecords)
                    .bind(query.workspace(), bucket, afterSeq)
                    .setPageSize(Math.min(query.scanBudget(), query.content().isEmpty() ? 5000 : 1000));
            java.util.Iterator<Row> rows = session.execute(scan).iterator();
            while (rows.hasNext() || !held.isEmpty()) {
                StoredRecord record;
                if (rows.hasNext()) {
                    StoredRecord stored = storedRecord(rows.next());
                    java.util.Map.Entry<Long, StoredRecord> firstHeld = held.firstEntry();
                    if (firstHeld != null && firstHeld.getKey() < stored.seq()) {
                        record = held.pollFirstEntry().getValue();
                        held.put(stored.seq(), stored); // comes next; its held copy (same seq) is replaced
                    } else {
                        held.remove(stored.seq());
                        record = stored;
                    }
                } else {
                    record = held.pollFirstEntry().getValue();
                }
                scanned++;
                position = new RecordCursor(bucket, record.seq());
                if (query.matches(record)) {
                    matches.add(record);
                    bucketOfSeq.put(record.seq(), bucket);
                }
                if (matches.size() == query.limit() || scanned >= query.scanBudget()) {
                    return new RecordPage(withContent(query.workspace(), matches, bucketOfSeq), position);
                }
            }
        }
        return new RecordPage(withContent(query.workspace(), matches, bucketOfSeq), null);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}

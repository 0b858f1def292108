package dev.codexledger.records;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import dev.codexledger.storage.CassandraSettings;
import dev.codexledger.storage.StatementWindow;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.LedgerRecord;
import dev.codexledger.workspace.RecordsAppended;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The records table and its indexes: the rows of each written batch (with the id index the ledger's
 * dedup look-ups read, and the hour markers scans walk), and reads — point look-ups of ids, rows of an
 * hour bucket for searches, and {@link #between} for every read-back of a sequence range. Every row
 * carries the TTL left of its workspace's retention, counted from when its batch was accepted, so
 * writing a batch again later never extends a record's life.
 */
public final class RecordStore {

    /** Rows of one unlogged batch; they share a partition. */
    private static final int ROWS_PER_BATCH = 50;
    /**
     * Partitions of a workspace's id index. Part of the stored layout: changing it hides stored ids from
     * lookups, so it never changes for a keyspace that holds data.
     */
    static final int ID_BUCKETS = 16;
    private static final long MICROS_PER_HOUR = TimeUnit.HOURS.toMicros(1);

    /** How long the rows of a batch live: seconds left, and when they expire. Nothing is written at 0. */
    public record Lifetime(int ttlSeconds, Instant expiresAt) {
        public boolean over() {
            return ttlSeconds <= 0;
        }
    }

    private final CqlSession session;
    private final Function<String, Duration> ttlOf;
    private final Clock clock;
    private final int parallelism;
    private final PreparedStatement insertRecord;
    private final PreparedStatement insertId;
    private final PreparedStatement insertBucket;
    private final PreparedStatement selectIds;
    private final PreparedStatement selectBuckets;
    private final PreparedStatement selectLegacyBuckets;
    private final PreparedStatement selectPresent;
    private final PreparedStatement selectRange;
    private final PreparedStatement selectAcceptedRange;
    private final PreparedStatement selectRecords;
    private final PreparedStatement selectRecordKeys;
    private final PreparedStatement selectContents;
    private final PreparedStatement selectStreamRange;

    /** {@code ttlOf}: the retention of a workspace (see {@link Retention#ttlOf}). */
    public RecordStore(CqlSession session, CassandraSettings settings, Function<String, Duration> ttlOf, Clock clock) {
        this.session = session;
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
        selectIds = session.prepare("SELECT event_id, content_hash FROM " + ks + ".record_id_index"
                + " WHERE workspace = ? AND id_bucket = ? AND event_id IN ?");
        selectBuckets = session.prepare("SELECT bucket FROM " + ks + ".record_hours"
                + " WHERE workspace = ? AND bucket >= ?");
        selectLegacyBuckets = session.prepare("SELECT bucket FROM " + ks + ".record_buckets"
                + " WHERE workspace = ? AND bucket >= ?");
        selectPresent = session.prepare("SELECT seq FROM " + ks + ".records WHERE workspace = ? AND bucket = ?"
                + " AND seq >= ? AND seq <= ?");
        String columns = "seq, event_type, ts_micros, user_id, content, chain_hash";
        selectRange = session.prepare("SELECT " + columns + " FROM " + ks + ".records WHERE workspace = ? AND bucket = ?"
                + " AND seq >= ? AND seq <= ?");
        selectAcceptedRange = session.prepare("SELECT seq, event_id, ts_micros, accepted_at, content FROM " + ks
                + ".records WHERE workspace = ? AND bucket = ? AND seq >= ? AND seq <= ?");
        selectRecords = session.prepare("SELECT " + columns + " FROM " + ks + ".records WHERE workspace = ?"
                + " AND bucket = ? AND seq > ?");
        selectRecordKeys = session.prepare("SELECT seq, event_type, ts_micros, user_id, chain_hash FROM " + ks
                + ".records WHERE workspace = ? AND bucket = ? AND seq > ?");
        selectStreamRange = session.prepare("SELECT seq, event_id, event_type, ts_micros, user_id, accepted_at, content,"
                + " chain_hash FROM " + ks + ".records WHERE workspace = ? AND bucket = ? AND seq > ? AND seq <= ? LIMIT ?");
        selectContents = session.prepare("SELECT seq, content FROM " + ks
                + ".records WHERE workspace = ? AND bucket = ? AND seq IN ?");
    }

    /** The hour bucket of the records table that a record accepted at this time is in. */
    public static long bucketOf(long acceptedAtMicros) {
        return Math.floorDiv(acceptedAtMicros, MICROS_PER_HOUR);
    }

    // ---------------------------------------------------------------- writes

    /** How long the rows of a batch accepted then live in the workspace (its retention, from acceptance). */
    public Lifetime lifetimeOf(String workspace, long acceptedAtMicros) {
        Duration ttl = ttlOf.apply(workspace);
        long ageSeconds = TimeUnit.MICROSECONDS.toSeconds(
                TimeUnit.MILLISECONDS.toMicros(clock.millis()) - acceptedAtMicros);
        int seconds = (int) Math.min(Integer.MAX_VALUE, ttl.toSeconds() - Math.max(0, ageSeconds));
        return new Lifetime(seconds, Instant.EPOCH.plus(acceptedAtMicros, ChronoUnit.MICROS).plus(ttl));
    }

    /**
     * Writes a batch's rows (but those of {@code present}, left as they are: an erasure may have changed
     * them), all its ids, and its hour marker. Completes once every write is durable.
     */
    public CompletionStage<Void> write(String workspace, RecordsAppended batch, Set<Long> present, Lifetime lifetime) {
        if (batch.isEmpty() || lifetime.over()) {
            // Past retention already: such rows would expire at once (and TTL 0 would mean "never").
            return CompletableFuture.completedFuture(null);
        }
        long bucket = bucketOf(batch.acceptedAtMicros());
        Instant acceptedAt = Instant.EPOCH.plus(batch.acceptedAtMicros(), ChronoUnit.MICROS);
        int ttl = lifetime.ttlSeconds();
        List<Statement<?>> statements = new ArrayList<>();
        List<BoundStatement> rows = new ArrayList<>(batch.records().size());
        Map<Integer, List<BoundStatement>> idsByBucket = new HashMap<>();
        for (LedgerRecord record : batch.records()) {
            int idBucket = idBucketOf(record.eventId());
            idsByBucket.computeIfAbsent(idBucket, b -> new ArrayList<>()).add(insertId.boundStatementBuilder()
                    .setString(0, workspace).setInt(1, idBucket).setString(2, record.eventId())
                    .setLong(3, record.seq()).setByteBuffer(4, record.contentHash().toByteBuffer())
                    .setInt(5, ttl).build());
            if (!present.contains(record.seq())) {
                rows.add(recordRow(workspace, bucket, record, acceptedAt, ttl));
            }
        }
        addUnloggedBatches(statements, rows);
        idsByBucket.values().forEach(ids -> addUnloggedBatches(statements, ids));
        statements.add(hourMarker(workspace, bucket, ttl));
        return StatementWindow.executeAll(session, statements, parallelism);
    }

    /** The seqs of a batch whose rows are stored (on recovery: which rows a crash left unwritten). */
    public CompletionStage<Set<Long>> presentSeqs(String workspace, RecordsAppended batch) {
        if (batch.isEmpty()) {
            return CompletableFuture.completedFuture(Set.of());
        }
        return session.executeAsync(selectPresent.bind(workspace, bucketOf(batch.acceptedAtMicros()),
                        batch.firstSeq(), batch.lastSeq()).setPageSize(5000))
                .thenCompose(rows -> seqsOf(rows, new HashSet<>()));
    }

    private static CompletionStage<Set<Long>> seqsOf(AsyncResultSet rows, Set<Long> into) {
        rows.currentPage().forEach(row -> into.add(row.getLong("seq")));
        return rows.hasMorePages() ? rows.fetchNextPage().thenCompose(next -> seqsOf(next, into))
                : CompletableFuture.completedFuture(into);
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

    // ---------------------------------------------------------------- reads

    /** The content hashes of those of the given ids that are stored in the workspace (the dedup look-up). */
    public CompletionStage<Map<String, Digest>> storedContentHashes(String workspace, Collection<String> eventIds) {
        Map<Integer, List<String>> byBucket = new HashMap<>();
        for (String id : eventIds) {
            byBucket.computeIfAbsent(idBucketOf(id), b -> new ArrayList<>()).add(id);
        }
        List<CompletableFuture<List<Row>>> reads = new ArrayList<>();
        byBucket.forEach((idBucket, ids) -> {
            for (int from = 0; from < ids.size(); from += ROWS_PER_BATCH) {
                BoundStatement read = selectIds.bind(workspace, idBucket,
                                List.copyOf(ids.subList(from, Math.min(ids.size(), from + ROWS_PER_BATCH))));
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

    /** The hour buckets of a workspace holding rows, from {@code fromBucket} on, in order. Blocking. */
    public NavigableSet<Long> bucketsOf(String workspace, long fromBucket) {
        NavigableSet<Long> buckets = new TreeSet<>();
        session.execute(selectBuckets.bind(workspace, fromBucket)).forEach(r -> buckets.add(r.getLong("bucket")));
        // rows written before record_hours existed
        session.execute(selectLegacyBuckets.bind(workspace, fromBucket)).forEach(r -> buckets.add(r.getLong("bucket")));
        return buckets;
    }

    /**
     * Hands the stored records {@code fromSeq..toSeq} of a workspace to {@code each}, in sequence order,
     * reading only the hours accepted from {@code acceptedSinceMicros} on (a caller that knows when its
     * range began gives that; older hours are not read). The one read-back of a range: what a step after
     * the write reads when it missed batches. Blocking; reads a page of rows at a time.
     */
    public void between(String workspace, long fromSeq, long toSeq, long acceptedSinceMicros,
                        Consumer<StoredRecord> each) {
        if (fromSeq > toSeq) {
            return;
        }
        for (long bucket : bucketsOf(workspace, bucketOf(acceptedSinceMicros))) {
            for (Row row : session.execute(selectRange.bind(workspace, bucket, fromSeq, toSeq).setPageSize(1000))) {
                StoredRecord record = storedRecord(row);
                each.accept(record);
                if (record.seq() >= toSeq) {
                    return;
                }
            }
        }
    }

    /** A stored record with when the ledger accepted it, as a step that judges records by that time reads it back. */
    public record Accepted(long seq, String eventId, long timestampMicros, long acceptedAtMicros, String content) {}

    /**
     * As {@link #between}, each record with its id and acceptance time (for the policy judge, which judges a
     * record by the policy in force when it was accepted). Blocking; reads a page of rows at a time.
     */
    public void acceptedBetween(String workspace, long fromSeq, long toSeq, long acceptedSinceMicros,
                                Consumer<Accepted> each) {
        if (fromSeq > toSeq) {
            return;
        }
        for (long bucket : bucketsOf(workspace, bucketOf(acceptedSinceMicros))) {
            for (Row row : session.execute(selectAcceptedRange.bind(workspace, bucket, fromSeq, toSeq).setPageSize(1000))) {
                java.time.Instant accepted = row.getInstant("accepted_at");
                Accepted record = new Accepted(row.getLong("seq"), row.getString("event_id"), row.getLong("ts_micros"),
                        accepted == null ? 0 : java.time.temporal.ChronoUnit.MICROS.between(java.time.Instant.EPOCH, accepted),
                        row.getString("content"));
                each.accept(record);
                if (record.seq() >= toSeq) {
                    return;
                }
            }
        }
    }

    /** A stored record as a stream delivers it: its export line, and what its filters and cursor need. */
    public record Streamed(long seq, String eventId, String eventType, long timestampMicros, String userId,
                           long acceptedAtMicros, String content, Digest chainHash) {
        /** The record as the export and records API give it: {@code {"seq":…,"hash":"…",<content members>}}. */
        public String toJson() {
            return new StoredRecord(seq, eventType, timestampMicros, userId, content, chainHash).toJson();
        }
    }

    /**
     * Up to {@code limit} stored records with seq in ({@code afterSeq}, {@code toSeq}], reading the hours
     * from {@code fromBucket} on, in seq order (what a stream delivers next). Blocking.
     */
    public List<Streamed> after(String workspace, long afterSeq, long toSeq, long fromBucket, int limit) {
        List<Streamed> out = new ArrayList<>();
        if (afterSeq >= toSeq) {
            return out;
        }
        for (long bucket : bucketsOf(workspace, fromBucket)) {
            for (Row row : session.execute(selectStreamRange.bind(workspace, bucket, afterSeq, toSeq, limit - out.size())
                    .setPageSize(Math.min(1000, limit)))) {
                java.time.Instant accepted = row.getInstant("accepted_at");
                out.add(new Streamed(row.getLong("seq"), row.getString("event_id"), row.getString("event_type"),
                        row.getLong("ts_micros"), row.getString("user_id"),
                        accepted == null ? 0 : java.time.temporal.ChronoUnit.MICROS.between(java.time.Instant.EPOCH, accepted),
                        row.getString("content"), Digest.of(bytes(row.getByteBuffer("chain_hash")))));
            }
            if (out.size() >= limit) {
                break;
            }
        }
        out.sort(java.util.Comparator.comparingLong(Streamed::seq));
        return out;
    }

    /**
     * The rows of one hour bucket after {@code afterSeq}, in sequence order, with their content or (when
     * {@code withContent} is false, for scans whose filters need none) without it. Blocking, paged.
     */
    Iterator<StoredRecord> rowsOf(String workspace, long bucket, long afterSeq, boolean withContent, int pageSize) {
        Iterator<Row> rows = session.execute((withContent ? selectRecords : selectRecordKeys)
                .bind(workspace, bucket, afterSeq).setPageSize(pageSize)).iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public StoredRecord next() {
                return storedRecord(rows.next());
            }
        };
    }

    /** The content of the given seqs of one hour bucket (those still stored). Blocking. */
    Map<Long, String> contents(String workspace, long bucket, List<Long> seqs) {
        Map<Long, String> contents = new HashMap<>();
        for (int from = 0; from < seqs.size(); from += 100) {
            for (Row row : session.execute(selectContents.bind(workspace, bucket,
                    List.copyOf(seqs.subList(from, Math.min(seqs.size(), from + 100)))))) {
                contents.put(row.getLong("seq"), row.getString("content"));
            }
        }
        return contents;
    }

    /** A row of the records table (or of a held copy: same columns) as a {@link StoredRecord}. */
    public static StoredRecord storedRecord(Row row) {
        return new StoredRecord(row.getLong("seq"), row.getString("event_type"), row.getLong("ts_micros"),
                row.getString("user_id"), row.getColumnDefinitions().contains("content") ? row.getString("content") : null,
                Digest.of(bytes(row.getByteBuffer("chain_hash"))));
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}

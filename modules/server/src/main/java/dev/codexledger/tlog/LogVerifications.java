package dev.codexledger.tlog;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.records.ContentFilter;
import dev.codexledger.records.RecordCursor;
import dev.codexledger.records.RecordPage;
import dev.codexledger.records.RecordQuery;
import dev.codexledger.records.RecordSearch;
import dev.codexledger.records.StoredRecord;
import dev.codexledger.verify.ExportVerifier;
import dev.codexledger.verify.NoteKey;
import dev.codexledger.workspace.WorkspaceLedgers;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The server-side verification of a workspace's log ({@code compliance.read}): a job that signs a checkpoint
 * now, then reads every stored record in seq order and checks it exactly as the offline verifier does
 * ({@link ExportVerifier}: gap-free seqs, the chain, the root at every stored checkpoint, the signatures with
 * every published key). Records past retention are checked by the leaf hashes the tiles keep. Progress and
 * result are in table {@code log_verifications}; the result is an {@code AUTH_LOG} record
 * ({@code log.verified}). A job whose node stopped shows {@code abandoned} once it has not moved for
 * {@link #STALE}: start another. One job runs at a time per workspace (a second is refused, 409, while one
 * runs; two requests at the same instant may both start). A job that could not run (storage trouble) ends {@code failed}, which says
 * nothing about the log ({@code log.verification_failed}).
 */
public final class LogVerifications {

    static final Duration STALE = Duration.ofMinutes(2);
    private static final int PAGE = 1000;
    private static final int CHECKPOINTS_READ = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A job as the API shows it. */
    public record Job(String id, String state, long checked, long total, Boolean valid, long firstWrongSeq,
                      String reason, Instant requestedAt, Instant finishedAt) {}

    private final CqlSession session;
    private final RecordSearch search;
    private final MerkleTiles tiles;
    private final Checkpoints checkpoints;
    private final CheckpointKeys keys;
    private final WorkspaceLedgers ledgers;
    private final AuthAudit audit;
    private final Executor blocking;
    private final Clock clock;
    private final PreparedStatement insert;
    private final PreparedStatement progress;
    private final PreparedStatement finish;
    private final PreparedStatement failed;
    private final dev.codexledger.metrics.LedgerMetrics metrics;
    private final PreparedStatement select;
    private final PreparedStatement selectRunning;

    public LogVerifications(CqlSession session, String keyspace, RecordSearch search, MerkleTiles tiles,
                            Checkpoints checkpoints, CheckpointKeys keys, WorkspaceLedgers ledgers, AuthAudit audit,
                            Executor blocking, Clock clock, dev.codexledger.metrics.LedgerMetrics metrics) {
        this.metrics = metrics;
        this.session = session;
        this.search = search;
        this.tiles = tiles;
        this.checkpoints = checkpoints;
        this.keys = keys;
        this.ledgers = ledgers;
        this.audit = audit;
        this.blocking = blocking;
        this.clock = clock;
        String table = keyspace + ".log_verifications";
        this.insert = session.prepare("INSERT INTO " + table
                + " (workspace, id, state, checked, total, requested_by, requested_at, updated_at)"
                + " VALUES (?, ?, 'running', 0, 0, ?, ?, ?)");
        this.progress = session.prepare("UPDATE " + table + " SET checked = ?, total = ?, updated_at = ?"
                + " WHERE workspace = ? AND id = ?");
        this.finish = session.prepare("UPDATE " + table + " SET state = 'done', checked = ?, total = ?, valid = ?,"
                + " first_wrong_seq = ?, reason = ?, finished_at = ?, updated_at = ? WHERE workspace = ? AND id = ?");
        this.failed = session.prepare("UPDATE " + table + " SET state = 'failed', reason = ?, finished_at = ?, updated_at = ?"
                + " WHERE workspace = ? AND id = ?");
        this.selectRunning = session.prepare("SELECT id, state, updated_at FROM " + table + " WHERE workspace = ?");
        this.select = session.prepare("SELECT id, state, checked, total, valid, first_wrong_seq, reason, requested_at,"
                + " finished_at, updated_at FROM " + table + " WHERE workspace = ? AND id = ?");
    }

    /** A second job while one runs for the workspace (409): a verification reads the whole workspace. */
    public static final class AlreadyRunning extends dev.codexledger.workspace.NotProvable {
        AlreadyRunning(String workspace, String id) {
            super("a verification of workspace " + workspace + " is already running (" + id + "): follow it, or start"
                    + " another once it is done");
        }
    }

    /** Starts a job (blocking: stores its row); it runs on the blocking executor. One at a time per workspace. */
    public Job start(String workspace, AuthAudit.Caller caller) {
        for (Row row : session.execute(selectRunning.bind(workspace))) {
            Instant updated = row.getInstant("updated_at");
            if ("running".equals(row.getString("state")) && updated != null
                    && updated.plus(STALE).isAfter(clock.instant())) {
                throw new AlreadyRunning(workspace, row.getString("id"));
            }
        }
        byte[] random = new byte[8];
        new SecureRandom().nextBytes(random);
        String id = "verification_" + HexFormat.of().formatHex(random);
        Instant now = clock.instant();
        session.execute(insert.bind(workspace, id, "key:" + caller.keyId(), now, now));
        blocking.execute(() -> {
            metrics.jobStarted("log_verification");
            String outcome = "failed";
            try {
                outcome = run(workspace, id, caller);
            } finally {
                metrics.jobFinished("log_verification", outcome);
            }
        });
        return new Job(id, "running", 0, 0, null, 0, null, now, null);
    }

    public Optional<Job> find(String workspace, String id) {
        Row row = session.execute(select.bind(workspace, id)).one();
        if (row == null) {
            return Optional.empty();
        }
        String state = row.getString("state");
        Instant updated = row.getInstant("updated_at");
        if ("running".equals(state) && updated != null && updated.plus(STALE).isBefore(clock.instant())) {
            state = "abandoned";
        }
        return Optional.of(new Job(row.getString("id"), state, row.getLong("checked"), row.getLong("total"),
                row.isNull("valid") ? null : row.getBoolean("valid"), row.getLong("first_wrong_seq"),
                row.getString("reason"), row.getInstant("requested_at"), row.getInstant("finished_at")));
    }

    /** Runs the job; its outcome: valid, invalid, or failed (it could not run). */
    private String run(String workspace, String id, AuthAudit.Caller caller) {
        ExportVerifier.Result result;
        long total = 0;
        try {
            long size = ledgers.signCheckpoint(workspace).toCompletableFuture().get(60, TimeUnit.SECONDS).size();
            total = size;
            session.execute(progress.bind(0L, size, clock.instant(), workspace, id));
            List<String> notes = checkpoints.list(workspace, size, CHECKPOINTS_READ).toCompletableFuture()
                    .get(60, TimeUnit.SECONDS).stream().map(Checkpoints.Stored::note).toList();
            List<NoteKey> published = keys.published().stream().map(k -> NoteKey.parseVerifier(k.verifierKey())).toList();
            Lines lines = new Lines(workspace, size);
            long totalSize = size;
            result = ExportVerifier.verify(lines, expiredLeaves(workspace, lines.firstSeq()), notes, published, checked ->
                    session.execute(progress.bind(checked, totalSize, clock.instant(), workspace, id)));
        } catch (Exception e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
            String message = String.valueOf(cause.getMessage());
            if (message.contains(Checkpoints.ANOTHER_ROOT)) {
                // the ledger's own tree disagrees with a stored, signed checkpoint: that is a finding, not a failure
                result = new ExportVerifier.Result(false, 0, 0, message, List.of());
                conclude(workspace, id, caller, result, total);
                return "invalid";
            }
            // the job could not run (a timeout, storage trouble): that says nothing about the log
            Instant now = clock.instant();
            session.execute(failed.bind("the verification could not run: " + cause.getMessage(), now, now, workspace, id));
            ObjectNode attributes = JSON.createObjectNode().put("verification_id", id)
                    .put("failed", "the verification could not run: " + cause.getMessage());
            AuthAudit.await(audit.adminAction(workspace, "log.verification_failed", caller, attributes),
                    "log verification " + id);
            return "failed";
        }
        conclude(workspace, id, caller, result, total);
        return result.valid() ? "valid" : "invalid";
    }

    private void conclude(String workspace, String id, AuthAudit.Caller caller, ExportVerifier.Result result, long total) {
        Instant now = clock.instant();
        session.execute(finish.bind(result.records(), total, result.valid(), result.firstWrongSeq(),
                result.valid() ? null : result.reason(), now, now, workspace, id));
        ObjectNode attributes = JSON.createObjectNode().put("verification_id", id).put("valid", result.valid())
                .put("records", result.records()).put("first_wrong_seq", result.firstWrongSeq())
                .put("reason", result.reason()).put("checkpoints", result.checkpointSizes().size());
        AuthAudit.await(audit.adminAction(workspace, "log.verified", caller, attributes), "log verification " + id);
    }

    /** The leaf hashes of records 1 … firstSeq-1 (past retention), as the tiles keep them, read tile by tile. */
    private Iterator<byte[]> expiredLeaves(String workspace, long firstSeq) {
        long count = firstSeq - 1;
        return new Iterator<>() {
            private long next;
            private byte[][] tile;

            @Override
            public boolean hasNext() {
                return next < count;
            }

            @Override
            public byte[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int position = (int) (next % 256);
                if (position == 0 || tile == null) {
                    try {
                        tile = tiles.readTile(workspace, new MerkleTiles.TileKey(0, next / 256)).toCompletableFuture()
                                .get(60, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException("could not read the tile of expired record " + (next + 1), e);
                    }
                }
                byte[] leaf = tile[position];
                if (leaf == null) {
                    throw new IllegalStateException("the leaf hash of expired record " + (next + 1) + " is not in the tiles");
                }
                next++;
                return leaf;
            }
        };
    }

    /** The stored records with seq ≤ {@code size}, in seq order, as the records API writes them. */
    private final class Lines implements Iterator<String> {
        private final String workspace;
        private final long size;
        private final ArrayDeque<StoredRecord> buffered = new ArrayDeque<>();
        private RecordCursor cursor = RecordCursor.START;
        private boolean exhausted;

        Lines(String workspace, long size) {
            this.workspace = workspace;
            this.size = size;
            fill();
        }

        long firstSeq() {
            return buffered.isEmpty() ? size + 1 : buffered.peek().seq();
        }

        private void fill() {
            while (buffered.isEmpty() && !exhausted) {
                RecordPage page = search.read(new RecordQuery(workspace, Optional.empty(), Optional.empty(), Set.of(),
                        Set.of(), ContentFilter.NONE, PAGE, cursor, PAGE * 10));
                for (StoredRecord record : page.records()) {
                    if (record.seq() <= size) {
                        buffered.add(record);
                    } else {
                        exhausted = true;
                    }
                }
                cursor = page.next();
                if (cursor == null) {
                    exhausted = true;
                }
            }
        }

        @Override
        public boolean hasNext() {
            fill();
            return !buffered.isEmpty();
        }

        @Override
        public String next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return buffered.poll().toJson();
        }
    }
}

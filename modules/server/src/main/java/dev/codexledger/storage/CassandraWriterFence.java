package dev.codexledger.storage;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.WriterFence;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

/**
 * The writer fence in Cassandra: one row per workspace in {@code ledger_writers} (epoch, fenced seq and
 * chain head), changed only by lightweight transactions (Paxos at the serial consistency), so of two
 * incarnations exactly one wins, whatever the clocks and pauses. Cost: one conditional update per
 * written batch (measured in load-tests/RESULTS.md, "Writer fence").
 */
public final class CassandraWriterFence implements WriterFence {

    private final CqlSession session;
    private final String writer;
    private final PreparedStatement read;
    private final PreparedStatement create;
    private final PreparedStatement take;
    private final PreparedStatement advance;

    /** The workspaces' ledgers' fence ({@code ledger_writers}); {@code writer}: who claims (the node's address). */
    public CassandraWriterFence(CqlSession session, String keyspace, String writer) {
        this(session, keyspace, "ledger_writers", writer);
    }

    /**
     * The fence kept in {@code table} (a table of {@code ledger_writers}' shape: the budgets keep theirs in
     * {@code budget_writers}); {@code writer}: who claims (the node's address), kept in the row for operators.
     */
    public CassandraWriterFence(CqlSession session, String keyspace, String table, String writer) {
        this.session = session;
        this.writer = writer;
        table = keyspace + "." + table;
        this.read = session.prepare("SELECT epoch, last_seq, last_hash FROM " + table + " WHERE workspace = ?");
        this.create = session.prepare("INSERT INTO " + table
                + " (workspace, epoch, last_seq, last_hash, writer, claimed_at) VALUES (?, 1, ?, ?, ?, toTimestamp(now()))"
                + " IF NOT EXISTS");
        this.take = session.prepare("UPDATE " + table
                + " SET epoch = ?, last_seq = ?, last_hash = ?, writer = ?, claimed_at = toTimestamp(now())"
                + " WHERE workspace = ? IF epoch = ? AND last_seq = ?");
        this.advance = session.prepare("UPDATE " + table + " SET last_seq = ?, last_hash = ?"
                + " WHERE workspace = ? IF epoch = ?");
    }

    @Override
    public CompletionStage<Long> claim(String workspace, long recoveredSeq, Digest recoveredHead) {
        return claim(workspace, recoveredSeq, recoveredHead, History.UNKNOWN);
    }

    @Override
    public CompletionStage<Long> claim(String workspace, long recoveredSeq, Digest recoveredHead, History history) {
        // A stale read (a transaction in progress) only makes the conditional update below fail: its
        // condition is decided by Paxos on the latest value, never on what was read here.
        return session.executeAsync(read.bind(workspace))
                .thenCompose(rows -> {
                    Row row = rows.one();
                    if (row == null) {
                        return session.executeAsync(create.bind(workspace, recoveredSeq, recoveredHead.toByteBuffer(),
                                writer).setIdempotent(false)).thenApply(done -> claimed(done, 1L, workspace));
                    }
                    long epoch = row.getLong("epoch");
                    long fenced = row.getLong("last_seq");
                    if (fenced > recoveredSeq) {
                        throw new Refused("workspace " + workspace + ": recovered through seq " + recoveredSeq
                                + " but seq " + fenced + " was already acknowledged; recovering again");
                    }
                    Digest fencedHead = digest(row.getByteBuffer("last_hash"));
                    if (fenced == recoveredSeq && !recoveredHead.equals(fencedHead)) {
                        throw new Forked("workspace " + workspace + ": the head recovered at seq " + recoveredSeq
                                + " is not the one acknowledged there (a forked journal); refusing to write",
                                recoveredSeq, fencedHead);
                    }
                    if (fenced < recoveredSeq && fencedHead != null
                            && history.passesThrough(fenced, fencedHead).equals(java.util.Optional.of(false))) {
                        // the recovered last batch does not extend what was acknowledged: a zombie's late event,
                        // written first at the journal's highest sequence number, replaced the acknowledged one
                        throw new Forked("workspace " + workspace + ": the history recovered through seq " + recoveredSeq
                                + " does not pass through the head acknowledged at seq " + fenced
                                + " (a forked journal); refusing to write", fenced, fencedHead);
                    }
                    return session.executeAsync(take.bind(epoch + 1, recoveredSeq, recoveredHead.toByteBuffer(), writer,
                            workspace, epoch, fenced).setIdempotent(false)).thenApply(done -> claimed(done, epoch + 1, workspace));
                });
    }

    @Override
    public CompletionStage<Void> advance(String workspace, long epoch, long throughSeq, Digest head) {
        // not idempotent: a retry of an applied update would read as refused
        return session.executeAsync(advance.bind(throughSeq, head.toByteBuffer(), workspace, epoch).setIdempotent(false))
                .thenApply(done -> {
                    if (!done.wasApplied()) {
                        throw new Refused("workspace " + workspace + " was claimed by a newer writer (epoch "
                                + currentEpoch(done) + ", this one " + epoch + ")");
                    }
                    return null;
                });
    }

    private static long claimed(AsyncResultSet done, long epoch, String workspace) {
        if (!done.wasApplied()) {
            throw new Refused("workspace " + workspace + " was claimed concurrently; recovering again");
        }
        return epoch;
    }

    private static String currentEpoch(AsyncResultSet done) {
        Row row = done.one();
        return row == null || row.isNull("epoch") ? "?" : Long.toString(row.getLong("epoch"));
    }

    private static Digest digest(ByteBuffer bytes) {
        if (bytes == null) {
            return null;
        }
        byte[] copy = new byte[bytes.remaining()];
        bytes.duplicate().get(copy);
        return Digest.of(copy);
    }
}

package dev.codexledger.tlog;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.codexledger.verify.Checkpoint;
import dev.codexledger.verify.NoteKey;
import dev.codexledger.verify.SignedNote;
import dev.codexledger.workspace.Checkpointer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Signed checkpoints of the workspaces' trees: signs (with {@link CheckpointKeys}'s current key) and stores
 * them in table {@code checkpoints}, lists them, and pushes each to a witness if one is configured. The
 * workspace ledgers call {@link #sign} for trees their writer fence confirmed ({@link Checkpointer}).
 */
public final class Checkpoints implements Checkpointer {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Checkpoints.class);
    /** How a refusal to sign over a stored checkpoint with another root reads (the log forked, or the table was rewritten). */
    static final String ANOTHER_ROOT = "with another root is already stored";

    /** A stored checkpoint. */
    public record Stored(long size, byte[] root, String note, String keyId, Instant signedAt) {
    }

    private final CqlSession session;
    private final CheckpointKeys keys;
    private final Clock clock;
    private final Optional<URI> witness;
    private final HttpClient http;
    private final PreparedStatement insert;
    private final PreparedStatement selectNewest;
    private final PreparedStatement selectAt;
    private final PreparedStatement selectCovering;

    public Checkpoints(CqlSession session, String keyspace, CheckpointKeys keys, Clock clock, String witnessUrl) {
        this.session = session;
        this.keys = keys;
        this.clock = clock;
        this.witness = witnessUrl == null || witnessUrl.isBlank() ? Optional.empty() : Optional.of(URI.create(witnessUrl));
        this.http = witness.isPresent() ? HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build() : null;
        String table = keyspace + ".checkpoints";
        this.insert = session.prepare("INSERT INTO " + table
                + " (workspace, size, root, note, key_id, signed_at) VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS");
        this.selectNewest = session.prepare("SELECT size, root, note, key_id, signed_at FROM " + table
                + " WHERE workspace = ? AND size <= ? LIMIT ?");
        this.selectAt = session.prepare("SELECT size, root, note, key_id, signed_at FROM " + table
                + " WHERE workspace = ? AND size = ?");
        this.selectCovering = session.prepare("SELECT size, root, note, key_id, signed_at FROM " + table
                + " WHERE workspace = ? AND size >= ? ORDER BY size ASC LIMIT 1");
    }

    /** The log name of a workspace: the origin line of its checkpoints. */
    public String originOf(String workspace) {
        return keys.origin() + "/" + workspace;
    }

    @Override
    public CompletionStage<String> sign(String workspace, long size, byte[] root) {
        NoteKey key;
        String note;
        try {
            key = keys.current();
            note = SignedNote.sign(new Checkpoint(originOf(workspace), size, root).text(), key);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return session.executeAsync(insert.bind(workspace, size, ByteBuffer.wrap(root), note, key.idHex(), clock.instant())
                        .setIdempotent(false))
                .thenApply(done -> {
                    if (done.wasApplied()) {
                        witness.ifPresent(uri -> pushToWitness(uri, workspace, size, note));
                        return note;
                    }
                    // one checkpoint per size is kept, the first: the same root again is the same checkpoint
                    Row existing = done.one();
                    ByteBuffer stored = existing == null ? null : existing.getByteBuffer("root");
                    if (stored != null && stored.equals(ByteBuffer.wrap(root))) {
                        return existing.getString("note");
                    }
                    LOG.error("workspace {}: a checkpoint of size {} with another root is already stored: the log forked;"
                            + " not signing over it", workspace, size);
                    throw new IllegalStateException("a checkpoint of size " + size + " " + ANOTHER_ROOT
                    + " than the ledger's tree has: the checkpoints were rewritten, or the log forked");
                });
    }

    private void pushToWitness(URI uri, String workspace, long size, String note) {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "text/plain; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(note)).build();
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
            if (failure != null || response.statusCode() / 100 != 2) {
                LOG.warn("witness {} did not take the checkpoint of {} at size {}: {}", uri, workspace, size,
                        failure != null ? failure.toString() : "HTTP " + response.statusCode());
            }
        });
    }

    /** The newest checkpoints of size at most {@code atMost}, newest first. */
    public CompletionStage<List<Stored>> list(String workspace, long atMost, int limit) {
        return session.executeAsync(selectNewest.bind(workspace, atMost, limit).setPageSize(Math.max(1, limit)))
                .thenApply(Checkpoints::rows);
    }

    /** The checkpoint of exactly {@code size}, if one was signed. */
    public CompletionStage<Optional<Stored>> at(String workspace, long size) {
        return session.executeAsync(selectAt.bind(workspace, size))
                .thenApply(rows -> rows(rows).stream().findFirst());
    }

    /** The first checkpoint that covers record {@code seq} (the smallest of size ≥ seq), if one was signed yet. */
    public CompletionStage<Optional<Stored>> covering(String workspace, long seq) {
        return session.executeAsync(selectCovering.bind(workspace, seq))
                .thenApply(rows -> rows(rows).stream().findFirst());
    }

    private static List<Stored> rows(AsyncResultSet rows) {
        List<Stored> out = new ArrayList<>();
        for (Row row : rows.currentPage()) {
            ByteBuffer root = row.getByteBuffer("root");
            byte[] bytes = new byte[root.remaining()];
            root.duplicate().get(bytes);
            out.add(new Stored(row.getLong("size"), bytes, row.getString("note"), row.getString("key_id"),
                    row.getInstant("signed_at")));
        }
        return out;
    }
}

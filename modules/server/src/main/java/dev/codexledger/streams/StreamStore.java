package dev.codexledger.streams;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The stream destinations ({@code stream_destinations}, every node keeps them in memory and reads them
 * again every second) and each destination's cursor per workspace ({@code stream_cursors}).
 */
public final class StreamStore {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** How far a destination got in a workspace, and what the lane knows about it. */
    public record Cursor(String destination, String workspace, long deliveredSeq, long deliveredAcceptedMicros,
                         long headSeq, long delivered, long failed, long skipped, String lastError, Instant lastErrorAt,
                         Instant pendingSince, Instant lastDeliveredAt, String warnedFor) {

        static Cursor fresh(String destination, String workspace) {
            return new Cursor(destination, workspace, 0, 0, 0, 0, 0, 0, null, null, null, null, null);
        }
    }

    private final CqlSession session;
    private final PreparedStatement insertDestination;
    private final PreparedStatement selectDestinations;
    private final PreparedStatement deleteDestination;
    private final PreparedStatement deleteCursors;
    private final PreparedStatement pause;
    private final PreparedStatement selectCursor;
    private final PreparedStatement selectCursorsOf;
    private final PreparedStatement writeCursor;
    private final PreparedStatement selectHeads;
    private final PreparedStatement selectHead;
    private volatile List<StreamDestination> destinations = List.of();

    public StreamStore(CqlSession session, String keyspace) {
        this.session = session;
        String ks = keyspace;
        this.insertDestination = session.prepare("INSERT INTO " + ks + ".stream_destinations (id, name, workspace, kind,"
                + " config, filters, start, paused, batch_size, warn_before_seconds, hold_undelivered, created_at, created_by,"
                + " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS");
        this.selectDestinations = session.prepare("SELECT * FROM " + ks + ".stream_destinations");
        this.deleteDestination = session.prepare("DELETE FROM " + ks + ".stream_destinations WHERE id = ?");
        this.deleteCursors = session.prepare("DELETE FROM " + ks + ".stream_cursors WHERE destination = ?");
        this.pause = session.prepare("UPDATE " + ks + ".stream_destinations SET paused = ?, updated_at = ? WHERE id = ?"
                + " IF EXISTS");
        this.selectCursor = session.prepare("SELECT * FROM " + ks + ".stream_cursors WHERE destination = ? AND workspace = ?");
        this.selectCursorsOf = session.prepare("SELECT * FROM " + ks + ".stream_cursors WHERE destination = ?");
        this.writeCursor = session.prepare("INSERT INTO " + ks + ".stream_cursors (destination, workspace, delivered_seq,"
                + " delivered_accepted_at, head_seq, delivered, failed, skipped, last_error, last_error_at, pending_since,"
                + " last_delivered_at, warned_for, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, toTimestamp(now()))");
        this.selectHeads = session.prepare("SELECT workspace, last_seq FROM " + ks + ".ledger_writers");
        this.selectHead = session.prepare("SELECT last_seq FROM " + ks + ".ledger_writers WHERE workspace = ?");
    }

    /** Stores a new destination (its id is new: refused if taken). Blocking. */
    public void create(StreamDestination d) {
        boolean applied = session.execute(insertDestination.bind(d.id(), d.name(), d.workspace(), d.kind().wire(),
                d.config().toString(), d.filtersJson(), d.start().name().toLowerCase(), d.paused(), d.batchSize(),
                d.warnBeforeExpiry().toSeconds(), d.holdUndelivered(), d.createdAt(), d.createdBy(), d.updatedAt()))
                .wasApplied();
        if (!applied) {
            throw new IllegalStateException("destination id " + d.id() + " is taken");
        }
        refresh();
    }

    /** Pauses or resumes; false when there is no such destination. Blocking. */
    public boolean setPaused(String id, boolean paused, Instant at) {
        boolean applied = session.execute(pause.bind(paused, at, id)).wasApplied();
        refresh();
        return applied;
    }

    /** Removes a destination and its cursors. Blocking. */
    public void delete(String id) {
        session.execute(deleteDestination.bind(id));
        session.execute(deleteCursors.bind(id));
        refresh();
    }

    /** Every destination, as this node last read them. */
    public List<StreamDestination> all() {
        return destinations;
    }

    public Optional<StreamDestination> find(String id) {
        return destinations.stream().filter(d -> d.id().equals(id)).findFirst();
    }

    /** The destinations that take a workspace's records (paused ones too). */
    public List<StreamDestination> covering(String workspace) {
        List<StreamDestination> out = new ArrayList<>();
        for (StreamDestination d : destinations) {
            if (d.covers(workspace)) {
                out.add(d);
            }
        }
        return out;
    }

    /** The node is stopping: its Cassandra session is closed. */
    boolean closed() {
        return session.isClosed();
    }

    /** Reads the destinations again. Blocking. */
    public void refresh() {
        List<StreamDestination> read = new ArrayList<>();
        for (Row row : session.execute(selectDestinations.bind())) {
            read.add(destination(row));
        }
        read.sort(Comparator.comparing(StreamDestination::createdAt).thenComparing(StreamDestination::id));
        destinations = List.copyOf(read);
    }

    private static StreamDestination destination(Row row) {
        ObjectNode config;
        try {
            config = (ObjectNode) JSON.readTree(row.getString("config"));
        } catch (IOException e) {
            throw new IllegalStateException("stored destination config is not JSON", e);
        }
        return new StreamDestination(row.getString("id"), row.getString("name"), row.getString("workspace"),
                StreamDestination.Kind.of(row.getString("kind")), config,
                StreamDestination.filtersOf(row.getString("filters")),
                "beginning".equals(row.getString("start")) ? StreamDestination.Start.BEGINNING : StreamDestination.Start.NOW,
                row.getBoolean("paused"), row.getInt("batch_size"), Duration.ofSeconds(row.getLong("warn_before_seconds")),
                row.getBoolean("hold_undelivered"), row.getInstant("created_at"), row.getString("created_by"), row.getInstant("updated_at"));
    }

    /** A destination's cursor in a workspace (a fresh one when it has none). Blocking. */
    public Cursor cursor(String destination, String workspace) {
        Row row = session.execute(selectCursor.bind(destination, workspace)).one();
        return row == null ? Cursor.fresh(destination, workspace) : cursor(row);
    }

    /** Every cursor of a destination, one per workspace it has seen. Blocking. */
    public List<Cursor> cursorsOf(String destination) {
        List<Cursor> out = new ArrayList<>();
        for (Row row : session.execute(selectCursorsOf.bind(destination))) {
            out.add(cursor(row));
        }
        return out;
    }

    public void write(Cursor c) {
        session.execute(writeCursor.bind(c.destination(), c.workspace(), c.deliveredSeq(),
                c.deliveredAcceptedMicros() == 0 ? null : Instant.EPOCH.plusNanos(c.deliveredAcceptedMicros() * 1000),
                c.headSeq(), c.delivered(), c.failed(), c.skipped(), c.lastError(), c.lastErrorAt(), c.pendingSince(),
                c.lastDeliveredAt(), c.warnedFor()));
    }

    private static Cursor cursor(Row row) {
        Instant accepted = row.getInstant("delivered_accepted_at");
        return new Cursor(row.getString("destination"), row.getString("workspace"), row.getLong("delivered_seq"),
                accepted == null ? 0 : java.time.temporal.ChronoUnit.MICROS.between(Instant.EPOCH, accepted),
                row.getLong("head_seq"), row.getLong("delivered"), row.getLong("failed"), row.getLong("skipped"),
                row.getString("last_error"), row.getInstant("last_error_at"), row.getInstant("pending_since"),
                row.getInstant("last_delivered_at"), row.getString("warned_for"));
    }

    /** The last seq each workspace's ledger wrote (its writer fence): what a destination must reach. Blocking. */
    public Map<String, Long> heads() {
        Map<String, Long> heads = new HashMap<>();
        for (Row row : session.execute(selectHeads.bind().setPageSize(1000))) {
            heads.put(row.getString("workspace"), row.getLong("last_seq"));
        }
        return heads;
    }

    public long head(String workspace) {
        Row row = session.execute(selectHead.bind(workspace)).one();
        return row == null ? 0 : row.getLong("last_seq");
    }
}

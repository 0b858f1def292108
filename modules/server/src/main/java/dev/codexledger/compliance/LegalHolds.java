package dev.codexledger.compliance;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.records.HoldPolicy;
import dev.codexledger.records.RecordTable;
import dev.codexledger.records.StoredRecord;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Legal holds: by custodians (user ids), a time range of record timestamps, event types and a
 * conversation. Records a hold matches, those stored when it is created and those arriving while it is
 * active, are copied without TTL to {@code held_records} and stay readable past their retention; when
 * the last hold on a copy is released, the copy expires when its original would have. Every node keeps
 * the active holds in memory (re-read every second), so checking a record costs nothing when its
 * workspace has none.
 */
public final class LegalHolds implements HoldPolicy {

    /** A hold; empty criteria match everything. {@code fromMicros} inclusive, {@code toMicros} exclusive. */
    public record Hold(String workspace, String id, String name, Set<String> users, Set<String> eventTypes,
                       String conversationId, Long fromMicros, Long toMicros, Instant createdAt, String createdBy,
                       Instant releasedAt, String releasedBy, long held) {

        boolean active() {
            return releasedAt == null;
        }

        boolean matches(String userId, long timestampMicros, String eventType, Supplier<String> content) {
            return (users.isEmpty() || users.contains(userId))
                    && (eventTypes.isEmpty() || eventTypes.contains(eventType))
                    && (fromMicros == null || timestampMicros >= fromMicros)
                    && (toMicros == null || timestampMicros < toMicros)
                    && (conversationId == null || conversationId.equals(conversationOf(content.get())));
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final CqlSession session;
    private final RecordTable table;
    private final Clock clock;
    private final PreparedStatement insert;
    private final PreparedStatement selectAll;
    private final PreparedStatement selectWorkspace;
    private final PreparedStatement release;
    private final PreparedStatement setHeld;
    private volatile Map<String, List<Hold>> active = Map.of();

    public LegalHolds(CqlSession session, String keyspace, RecordTable table, Clock clock) {
        this.session = session;
        this.table = table;
        this.clock = clock;
        this.insert = session.prepare("INSERT INTO " + keyspace + ".legal_holds (workspace, id, name, users,"
                + " event_types, conversation_id, from_micros, to_micros, created_at, created_by, held)"
                + " VALUES (?,?,?,?,?,?,?,?,?,?,?)");
        this.selectAll = session.prepare("SELECT * FROM " + keyspace + ".legal_holds");
        this.selectWorkspace = session.prepare("SELECT * FROM " + keyspace + ".legal_holds WHERE workspace = ?");
        this.release = session.prepare("UPDATE " + keyspace + ".legal_holds SET released_at = ?, released_by = ?"
                + " WHERE workspace = ? AND id = ?");
        this.setHeld = session.prepare("UPDATE " + keyspace + ".legal_holds SET held = ? WHERE workspace = ? AND id = ?");
    }

    @Override
    public Set<String> holdsFor(String workspace, String userId, long timestampMicros, String eventType,
                                Supplier<String> content) {
        List<Hold> holds = active.get(workspace);
        if (holds == null) {
            return Set.of();
        }
        Set<String> ids = new java.util.TreeSet<>();
        for (Hold hold : holds) {
            if (hold.matches(userId, timestampMicros, eventType, content)) {
                ids.add(hold.id());
            }
        }
        return ids;
    }

    /** Stores the hold, then copies the records it matches (blocking: scans the workspace). */
    public Hold create(Hold spec, String createdBy) {
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        String id = "hold_" + HexFormat.of().formatHex(random);
        Instant now = clock.instant();
        session.execute(insert.bind(spec.workspace(), id, spec.name(), spec.users(), spec.eventTypes(),
                spec.conversationId(), spec.fromMicros(), spec.toMicros(), now, createdBy, 0L)
                .setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM));
        refresh();
        Hold hold = find(spec.workspace(), id).orElseThrow();
        long held = table.holdExisting(spec.workspace(), record -> matchesStored(hold, record), id);
        session.execute(setHeld.bind(held, spec.workspace(), id));
        return find(spec.workspace(), id).orElseThrow();
    }

    /** Releases a hold; empty when there is no such hold. Returns it with the number of copies freed. */
    public Optional<Map.Entry<Hold, Long>> release(String workspace, String id, String releasedBy) {
        Optional<Hold> hold = find(workspace, id);
        if (hold.isEmpty()) {
            return Optional.empty();
        }
        if (hold.get().active()) {
            session.execute(release.bind(clock.instant(), releasedBy, workspace, id)
                    .setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM));
            refresh();
        }
        long freed = table.releaseHold(workspace, id);
        return Optional.of(Map.entry(find(workspace, id).orElseThrow(), freed));
    }

    public List<Hold> list(String workspace) {
        List<Hold> holds = new ArrayList<>();
        session.execute(selectWorkspace.bind(workspace).setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM))
                .forEach(row -> holds.add(fromRow(row)));
        holds.sort(java.util.Comparator.comparing(Hold::createdAt));
        return holds;
    }

    public Optional<Hold> find(String workspace, String id) {
        return list(workspace).stream().filter(h -> h.id().equals(id)).findFirst();
    }

    /** Re-reads the active holds of every workspace (scheduled every second by the node). */
    public void refresh() {
        Map<String, List<Hold>> loaded = new HashMap<>();
        for (Row row : session.execute(selectAll.bind().setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM))) {
            Hold hold = fromRow(row);
            if (hold.active()) {
                loaded.computeIfAbsent(hold.workspace(), w -> new ArrayList<>()).add(hold);
            }
        }
        active = Map.copyOf(loaded);
    }

    private static boolean matchesStored(Hold hold, StoredRecord record) {
        return hold.matches(record.userId(), record.timestampMicros(), record.eventType(), record::content);
    }

    private static String conversationOf(String content) {
        try {
            return JSON.readTree(content).path("conversation_id").asText(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static Hold fromRow(Row row) {
        return new Hold(row.getString("workspace"), row.getString("id"), row.getString("name"),
                row.getSet("users", String.class), row.getSet("event_types", String.class),
                row.getString("conversation_id"),
                row.isNull("from_micros") ? null : row.getLong("from_micros"),
                row.isNull("to_micros") ? null : row.getLong("to_micros"),
                row.getInstant("created_at"), row.getString("created_by"), row.getInstant("released_at"),
                row.getString("released_by"), row.isNull("held") ? 0 : row.getLong("held"));
    }
}

package dev.codexledger.compliance;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.codexledger.records.ContentFilter;
import dev.codexledger.records.RecordStore;
import dev.codexledger.workspace.RecordsAppended;
import dev.codexledger.records.StoredRecord;
import dev.codexledger.storage.JobLeases;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Legal holds: by custodians (user ids), a time range of record timestamps, event types and any search
 * criterion on content (model, surface, conversation, tool, decision, words and phrases). Records a hold
 * matches, those stored when it is created and those arriving while it is active, are copied without
 * TTL to {@code held_copies} and stay readable past their retention; when the last hold on a copy is
 * released, the copy expires when its original would have. Every node keeps the active holds in memory
 * (re-read every second), so checking a record costs nothing when its workspace has none.
 *
 * <p>A hold takes effect for arriving records as soon as it is stored; the records already stored are
 * copied by a background job ({@link #create} returns at once, {@code applied_at} is set when the job is
 * done). A node that starts finds holds whose job never finished and runs it again (copies are
 * idempotent).
 */
public final class LegalHolds {

    /** A hold; empty criteria match everything. {@code fromMicros} inclusive, {@code toMicros} exclusive. */
    public record Hold(String workspace, String id, String name, Set<String> users, Set<String> eventTypes,
                       ContentFilter content, Long fromMicros, Long toMicros, Instant createdAt, String createdBy,
                       Instant appliedAt, Instant releasedAt, String releasedBy, long held) {

        boolean active() {
            return releasedAt == null;
        }

        /** applying (stored records still being copied), active, or released. */
        String state() {
            return !active() ? "released" : appliedAt == null ? "applying" : "active";
        }

        boolean matches(String userId, long timestampMicros, String eventType, Supplier<String> recordContent) {
            return (users.isEmpty() || (userId != null && users.contains(userId)))
                    && (eventTypes.isEmpty() || eventTypes.contains(eventType))
                    && (fromMicros == null || timestampMicros >= fromMicros)
                    && (toMicros == null || timestampMicros < toMicros)
                    && (content.isEmpty() || content.matches(recordContent.get()));
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(LegalHolds.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final CqlSession session;
    private final HeldCopies copies;
    private final Clock clock;
    private final Executor jobs;
    private final JobLeases leases;
    private final Set<String> running = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final PreparedStatement insert;
    private final PreparedStatement selectAll;
    private final PreparedStatement selectWorkspace;
    private final PreparedStatement release;
    private final PreparedStatement setHeld;
    private final dev.codexledger.metrics.LedgerMetrics metrics;
    private volatile Map<String, List<Hold>> active = Map.of();

    /**
     * {@code jobs}: where the copying of stored records runs (blocking work); {@code leases}: which node of
     * the cluster runs a hold's copying.
     */
    public LegalHolds(CqlSession session, String keyspace, HeldCopies copies, Clock clock, Executor jobs,
                      JobLeases leases, dev.codexledger.metrics.LedgerMetrics metrics) {
        this.metrics = metrics;
        this.session = session;
        this.copies = copies;
        this.clock = clock;
        this.jobs = jobs;
        this.leases = leases;
        this.insert = session.prepare("INSERT INTO " + keyspace + ".legal_holds (workspace, id, name, users,"
                + " event_types, conversation_id, model, surface, tool_name, decision, terms, from_micros, to_micros,"
                + " created_at, created_by, held) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        this.selectAll = session.prepare("SELECT * FROM " + keyspace + ".legal_holds");
        this.selectWorkspace = session.prepare("SELECT * FROM " + keyspace + ".legal_holds WHERE workspace = ?");
        this.release = session.prepare("UPDATE " + keyspace + ".legal_holds SET released_at = ?, released_by = ?"
                + " WHERE workspace = ? AND id = ?");
        this.setHeld = session.prepare("UPDATE " + keyspace + ".legal_holds SET held = ?, applied_at = ?"
                + " WHERE workspace = ? AND id = ?");
    }

    /**
     * Copies the records of a written batch that the workspace's active holds keep (before the batch is
     * acknowledged); costs nothing when the workspace has none, which is the usual case. Records in
     * {@code alreadyStored} (a batch written again on recovery) are left as they are.
     */
    public CompletionStage<Void> copyArriving(String workspace, RecordsAppended batch, Set<Long> alreadyStored,
                                              RecordStore.Lifetime lifetime) {
        if (!active.containsKey(workspace)) {
            return CompletableFuture.completedFuture(null);
        }
        return copies.copyArriving(workspace, batch, alreadyStored, lifetime, record -> holdsFor(workspace,
                record.userId(), record.timestampMicros(), record.eventType(), record::contentText));
    }

    /** Ids of the workspace's active holds that match a record (empty, from memory, when it has none). */
    Set<String> holdsFor(String workspace, String userId, long timestampMicros, String eventType,
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

    /**
     * Stores the hold (from then on, arriving records it matches are copied as they are written) and
     * starts the job copying the stored ones; {@code onApplied} gets the hold once that job is done.
     */
    public Hold create(Hold spec, String createdBy, Consumer<Hold> onApplied) {
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        String id = "hold_" + HexFormat.of().formatHex(random);
        Instant now = clock.instant();
        ContentFilter content = spec.content();
        session.execute(insert.bind(spec.workspace(), id, spec.name(), spec.users(), spec.eventTypes(),
                content.conversationId().orElse(null), content.model().orElse(null), content.surface().orElse(null),
                content.toolName().orElse(null), content.decision().orElse(null), content.terms(),
                spec.fromMicros(), spec.toMicros(), now, createdBy, 0L));
        refresh();
        Hold hold = find(spec.workspace(), id).orElseThrow();
        apply(hold, onApplied);
        return hold;
    }

    /**
     * Runs the copy job of every active hold whose job never finished (its node stopped or died during
     * it). Every node calls this periodically; the job's lease lets exactly one of them run it.
     */
    public void resumePending(Consumer<Hold> onApplied) {
        active.values().stream().flatMap(List::stream).filter(h -> h.appliedAt() == null)
                .forEach(h -> apply(h, onApplied));
    }

    private void apply(Hold hold, Consumer<Hold> onApplied) {
        String key = hold.workspace() + "/" + hold.id();
        if (!running.add(key)) {
            return;
        }
        CompletableFuture.runAsync(() -> {
            Optional<JobLeases.Lease> lease = Optional.empty();
            String outcome = null;
            try {
                lease = leases.take("hold", key);
                // another node runs it; or it finished since this node's list was read (the lease is
                // dropped only after the hold is marked applied, so this read sees that)
                if (lease.isEmpty() || find(hold.workspace(), hold.id()).map(h -> h.appliedAt() != null).orElse(true)) {
                    return;
                }
                metrics.jobStarted("legal_hold_copy");
                outcome = "failed";
                long held = copies.holdExisting(hold.workspace(), record -> matchesStored(hold, record), hold.id());
                if (find(hold.workspace(), hold.id()).map(h -> !h.active()).orElse(true)) {
                    // released while the job copied: the copies it made after the release are freed too
                    copies.release(hold.workspace(), hold.id());
                }
                if (!lease.get().stillHeld()) {
                    outcome = "taken_over";
                    return; // this node froze past its lease: the node that took it over records the outcome
                }
                Instant applied = clock.instant();
                // audited first: a hold shown as active has its AUTH_LOG record
                onApplied.accept(new Hold(hold.workspace(), hold.id(), hold.name(), hold.users(), hold.eventTypes(),
                        hold.content(), hold.fromMicros(), hold.toMicros(), hold.createdAt(), hold.createdBy(),
                        applied, hold.releasedAt(), hold.releasedBy(), held));
                session.execute(setHeld.bind(held, applied, hold.workspace(), hold.id()));
                outcome = "done";
                refresh();
            } catch (RuntimeException e) {
                // stays "applying"; the next start (or resumePending) runs it again
                LOG.error("Copying the records of hold {} in {} failed", hold.id(), hold.workspace(), e);
            } finally {
                if (outcome != null) {
                    metrics.jobFinished("legal_hold_copy", outcome);
                }
                lease.ifPresent(JobLeases.Lease::close);
                running.remove(key);
            }
        }, jobs);
    }

    /** Releases a hold; empty when there is no such hold. Returns it with the number of copies freed. */
    public Optional<Map.Entry<Hold, Long>> release(String workspace, String id, String releasedBy) {
        Optional<Hold> hold = find(workspace, id);
        if (hold.isEmpty()) {
            return Optional.empty();
        }
        if (hold.get().active()) {
            session.execute(release.bind(clock.instant(), releasedBy, workspace, id));
            refresh();
        }
        long freed = copies.release(workspace, id);
        return Optional.of(Map.entry(find(workspace, id).orElseThrow(), freed));
    }

    public List<Hold> list(String workspace) {
        List<Hold> holds = new ArrayList<>();
        session.execute(selectWorkspace.bind(workspace))
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
        for (Row row : session.execute(selectAll.bind())) {
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

    private static Hold fromRow(Row row) {
        ContentFilter content = new ContentFilter(Optional.ofNullable(row.getString("model")),
                Optional.ofNullable(row.getString("surface")), Optional.ofNullable(row.getString("conversation_id")),
                Optional.ofNullable(row.getString("tool_name")), Optional.ofNullable(row.getString("decision")),
                List.copyOf(row.getList("terms", String.class)));
        return new Hold(row.getString("workspace"), row.getString("id"), row.getString("name"),
                row.getSet("users", String.class), row.getSet("event_types", String.class), content,
                row.isNull("from_micros") ? null : row.getLong("from_micros"),
                row.isNull("to_micros") ? null : row.getLong("to_micros"),
                row.getInstant("created_at"), row.getString("created_by"), row.getInstant("applied_at"),
                row.getInstant("released_at"), row.getString("released_by"),
                row.isNull("held") ? 0 : row.getLong("held"));
    }
}

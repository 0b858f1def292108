package dev.codexledger.policy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every version of every workspace's policy, in {@code policy_versions}. A change stores the whole new
 * document as the next version ({@code INSERT … IF NOT EXISTS}: of two changes made from the same version
 * at once, one wins and the other is told to retry); a version applies from the time it was stored, so a
 * session recorded before a change stays judged by the policy it ran under.
 */
public final class PolicyStore {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One stored version: {@code version} 0 is the empty policy a workspace has before its first change. */
    public record Version(String workspace, long version, PolicyDocument document, String change, String setBy,
                          Instant setAt) {}

    /** A change made from an older version than the current one. */
    public static final class Concurrent extends RuntimeException {
        private final long current;

        Concurrent(long current) {
            super("the policy changed meanwhile: it is at version " + current, null, false, false);
            this.current = current;
        }

        public long current() {
            return current;
        }
    }

    private final CqlSession session;
    private final Clock clock;
    private final PreparedStatement insert;
    private final PreparedStatement latest;
    private final PreparedStatement newest;

    public PolicyStore(CqlSession session, String keyspace, Clock clock) {
        this.session = session;
        this.clock = clock;
        this.insert = session.prepare("INSERT INTO " + keyspace + ".policy_versions (workspace, version, document, change,"
                + " set_by, set_at) VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS");
        this.latest = session.prepare("SELECT * FROM " + keyspace + ".policy_versions WHERE workspace = ? LIMIT 1");
        this.newest = session.prepare("SELECT * FROM " + keyspace + ".policy_versions WHERE workspace = ? LIMIT ?");
    }

    /** The workspace's policy in force now (version 0, empty, before any change). */
    public Version current(String workspace) {
        Row row = session.execute(latest.bind(workspace)).one();
        return row == null ? new Version(workspace, 0, PolicyDocument.EMPTY, null, null, null) : version(row);
    }

    /** The newest {@code limit} versions, newest first. */
    public List<Version> versions(String workspace, int limit) {
        List<Version> versions = new ArrayList<>();
        for (Row row : session.execute(newest.bind(workspace, limit))) {
            versions.add(version(row));
        }
        return versions;
    }

    /** The version that applied at {@code at}: the newest stored at or before it, if any. */
    public Optional<Version> at(String workspace, Instant at, int searchLimit) {
        for (Version version : versions(workspace, searchLimit)) {
            if (!version.setAt().isAfter(at)) {
                return Optional.of(version);
            }
        }
        return Optional.empty();
    }

    /**
     * Stores {@code document} as the version after {@code from} (the version the change was made on);
     * {@link Concurrent} when another change took that number first.
     */
    public Version save(String workspace, Version from, PolicyDocument document, String change, String setBy) {
        long next = from.version() + 1;
        Instant now = clock.instant();
        if (from.setAt() != null && !now.isAfter(from.setAt())) {
            now = from.setAt().plusMillis(1); // versions stay in time order even if this node's clock is behind
        }
        String text;
        try {
            text = JSON.writeValueAsString(document.toJson());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!insertOnce(workspace, next, text, change, setBy, now)) {
            throw new Concurrent(current(workspace).version());
        }
        return new Version(workspace, next, document, change, setBy, now);
    }

    /**
     * Stores version {@code next} unless it exists; true when this call's row is the one stored. A Paxos
     * round lost to a contending change can time out with its outcome unknown: the same insert is then run
     * again, which completes any round in progress first and answers the row that is there, ours or not.
     */
    private boolean insertOnce(String workspace, long next, String text, String change, String setBy, Instant now) {
        for (int attempt = 1; ; attempt++) {
            try {
                com.datastax.oss.driver.api.core.cql.ResultSet result = session.execute(
                        insert.bind(workspace, next, text, change, setBy, now));
                if (result.wasApplied()) {
                    return true;
                }
                Row existing = result.one();
                return attempt > 1 && existing != null && text.equals(existing.getString("document"))
                        && now.equals(existing.getInstant("set_at")) && java.util.Objects.equals(setBy,
                        existing.getString("set_by"));
            } catch (com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException e) {
                if (attempt >= 3 || (e.getWriteType() != com.datastax.oss.driver.api.core.servererrors.WriteType.CAS
                        && e.getWriteType() != com.datastax.oss.driver.api.core.servererrors.WriteType.SIMPLE)) {
                    throw e;
                }
            }
        }
    }

    private static Version version(Row row) {
        try {
            return new Version(row.getString("workspace"), row.getLong("version"),
                    PolicyDocument.parse(JSON.readTree(row.getString("document"))), row.getString("change"),
                    row.getString("set_by"), row.getInstant("set_at"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

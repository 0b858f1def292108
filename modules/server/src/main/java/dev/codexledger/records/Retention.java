package dev.codexledger.records;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Retention per workspace: the TTL every record row gets, counted from its acceptance. Set over the admin
 * API within configured bounds; a change applies to records accepted from then on (Cassandra cannot
 * change the TTL of a row already written). Every node re-reads the settings on a schedule, like keys.
 */
public final class Retention {

    /** A workspace's retention; {@code explicit} is false when the configured default applies. */
    public record Setting(String workspace, Duration ttl, boolean explicit, Instant updatedAt, String updatedBy) {}

    /** A retention outside the configured bounds. */
    public static final class OutOfBounds extends RuntimeException {
        OutOfBounds(String message) {
            super(message, null, false, false);
        }
    }

    private final CqlSession session;
    private final Duration defaultTtl;
    private final Duration min;
    private final Duration max;
    private final Clock clock;
    private final PreparedStatement upsert;
    private final PreparedStatement selectAll;
    private volatile Map<String, Setting> byWorkspace = Map.of();

    public Retention(CqlSession session, String keyspace, Duration defaultTtl, Duration min, Duration max, Clock clock) {
        this.session = session;
        this.defaultTtl = defaultTtl;
        this.min = min;
        this.max = max;
        this.clock = clock;
        this.upsert = session.prepare("INSERT INTO " + keyspace + ".workspace_retention (workspace, ttl_seconds,"
                + " updated_at, updated_by) VALUES (?,?,?,?)");
        this.selectAll = session.prepare("SELECT * FROM " + keyspace + ".workspace_retention");
    }

    /** The TTL for records of a workspace accepted now. Never blocks: answered from the node's copy. */
    public Duration ttlOf(String workspace) {
        Setting setting = byWorkspace.get(workspace);
        return setting == null ? defaultTtl : setting.ttl();
    }

    public Setting get(String workspace) {
        refresh();
        Setting setting = byWorkspace.get(workspace);
        return setting == null ? new Setting(workspace, defaultTtl, false, null, null) : setting;
    }

    /** @throws OutOfBounds when {@code ttl} is outside the configured bounds */
    public Setting set(String workspace, Duration ttl, String updatedBy) {
        if (ttl.compareTo(min) < 0 || ttl.compareTo(max) > 0) {
            throw new OutOfBounds("retention must be from " + min.toSeconds() + " to " + max.toSeconds() + " seconds");
        }
        Instant now = clock.instant();
        session.execute(upsert.bind(workspace, ttl.toSeconds(), now, updatedBy));
        refresh();
        return byWorkspace.get(workspace);
    }

    public Duration min() {
        return min;
    }

    public Duration max() {
        return max;
    }

    public void refresh() {
        Map<String, Setting> loaded = new HashMap<>();
        for (Row row : session.execute(selectAll.bind())) {
            String workspace = row.getString("workspace");
            loaded.put(workspace, new Setting(workspace, Duration.ofSeconds(row.getLong("ttl_seconds")), true,
                    row.getInstant("updated_at"), row.getString("updated_by")));
        }
        byWorkspace = Map.copyOf(loaded);
    }
}

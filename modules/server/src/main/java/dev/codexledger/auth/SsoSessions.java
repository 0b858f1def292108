package dev.codexledger.auth;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.codexledger.workspace.Digest;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signed-in people ({@code sso_sessions}, with the session's lifetime as TTL): the session's id is the
 * cookie's value and only its SHA-256 is stored, so reading the table does not let anyone in. Every node
 * reads a session from Cassandra and keeps it a second, so a logout ends it on every node within a second.
 */
public final class SsoSessions {

    private static final long CACHE_MILLIS = 1000;

    /** A signed-in person: who the provider said, with their groups' roles. */
    public record Session(String hash, String subject, String name, List<String> groups, Instant createdAt,
                          Instant expiresAt, Instant endedAt) {
        boolean active(Instant now) {
            return endedAt == null && now.isBefore(expiresAt);
        }
    }

    private record Cached(Optional<Session> session, long readAtMillis) {}

    private final CqlSession session;
    private final SsoSettings settings;
    private final Clock clock;
    private final PreparedStatement insert;
    private final PreparedStatement select;
    private final PreparedStatement end;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public SsoSessions(CqlSession session, String keyspace, SsoSettings settings, Clock clock) {
        this.session = session;
        this.settings = settings;
        this.clock = clock;
        this.insert = session.prepare("INSERT INTO " + keyspace + ".sso_sessions (id_hash, subject, name, groups,"
                + " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) USING TTL ?");
        this.select = session.prepare("SELECT * FROM " + keyspace + ".sso_sessions WHERE id_hash = ?");
        this.end = session.prepare("UPDATE " + keyspace + ".sso_sessions USING TTL ? SET ended_at = ? WHERE id_hash = ?");
    }

    static String hash(String id) {
        return HexFormat.of().formatHex(Digest.sha256(id).toBytes());
    }

    /** A new session of {@code identity}; returns its id (the cookie's value). Blocking. */
    public String create(OidcClient.Identity identity) {
        String id = OidcClient.random();
        Instant now = clock.instant();
        session.execute(insert.bind(hash(id), identity.subject(), identity.name() != null ? identity.name()
                        : identity.email(), identity.groups(), now, now.plus(settings.sessionTtl()),
                (int) settings.sessionTtl().toSeconds()));
        return id;
    }

    /** Ends the session of this cookie value; the session as it was, if any. Blocking. */
    public Optional<Session> end(String id) {
        Optional<Session> found = read(hash(id));
        if (found.isPresent()) {
            long left = Math.max(1, java.time.Duration.between(clock.instant(), found.get().expiresAt()).toSeconds());
            session.execute(end.bind((int) left, clock.instant(), hash(id)));
        }
        cache.remove(hash(id));
        byKeyId.remove("sso-" + hash(id).substring(0, 16));
        return found;
    }

    /** The active session of a cookie value (from this node's copy when it is at most a second old). */
    public CompletionStage<Optional<Session>> find(String id) {
        String hash = hash(id);
        Cached cached = cache.get(hash);
        long now = System.currentTimeMillis();
        if (cached != null && now - cached.readAtMillis() < CACHE_MILLIS) {
            return CompletableFuture.completedFuture(cached.session().filter(s -> s.active(clock.instant())));
        }
        return session.executeAsync(select.bind(hash)).thenApply(rows -> {
            Optional<Session> found = Optional.ofNullable(rows.one()).map(SsoSessions::session);
            if (cache.size() > 10_000) {
                cache.clear();
            }
            cache.put(hash, new Cached(found, now));
            return found.filter(s -> s.active(clock.instant()));
        });
    }

    private Optional<Session> read(String hash) {
        return Optional.ofNullable(session.execute(select.bind(hash)).one()).map(SsoSessions::session);
    }

    private static Session session(Row row) {
        return new Session(row.getString("id_hash"), row.getString("subject"), row.getString("name"),
                row.getList("groups", String.class), row.getInstant("created_at"), row.getInstant("expires_at"),
                row.getInstant("ended_at"));
    }

    /**
     * The session as a key for one request: the scopes its roles give on {@code workspace} (a role on
     * {@code *} covers every workspace); without a workspace, the org-wide roles' (or, if it has none, its
     * first workspace's, which org-level endpoints then refuse as for a workspace key).
     */
    /** The sessions behind the keys made recently, to bind them again once the workspace is known. */
    private final Map<String, Session> byKeyId = new ConcurrentHashMap<>();

    /**
     * A person's key bound to the workspace a request is about (for endpoints that learn it only from the
     * body or the object they act on); any other key as it is.
     */
    public ApiKey rebind(ApiKey key, String workspace) {
        Session s = key.id().startsWith("sso-") ? byKeyId.get(key.id()) : null;
        return s == null ? key : keyFor(s, Optional.of(workspace));
    }

    public ApiKey keyFor(Session s, Optional<String> workspace) {
        List<SsoSettings.Role> roles = settings.rolesOf(s.groups());
        String bound;
        if (workspace.isPresent() && roles.stream().anyMatch(r -> r.workspace().equals(workspace.get()))) {
            bound = workspace.get();
        } else if (roles.stream().anyMatch(r -> r.workspace().equals(ApiKey.ALL_WORKSPACES))) {
            bound = ApiKey.ALL_WORKSPACES;
        } else {
            bound = roles.isEmpty() ? "-" : roles.get(0).workspace();
        }
        Set<Scope> scopes = new LinkedHashSet<>();
        for (SsoSettings.Role role : roles) {
            if (role.workspace().equals(bound) || role.workspace().equals(ApiKey.ALL_WORKSPACES)) {
                scopes.addAll(role.scopes());
            }
        }
        String id = "sso-" + s.hash().substring(0, 16);
        if (byKeyId.size() > 10_000) {
            byKeyId.clear();
        }
        byKeyId.put(id, s);
        return new ApiKey(id, "sso:" + s.subject(), bound, scopes, Digest.sha256(s.hash()), s.createdAt(), "sso",
                s.expiresAt(), null);
    }
}

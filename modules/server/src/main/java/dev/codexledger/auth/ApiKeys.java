package dev.codexledger.auth;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.codexledger.workspace.Digest;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The key store: keys live in Cassandra ({@code access_keys}, secrets only as SHA-256 hashes; they are
 * 256 random bits, so a fast hash is enough) and every node answers checks from its own copy, re-read
 * every {@code ledger.auth.refresh-interval}. A revocation made on any node therefore takes effect on
 * every node within one interval (and at once on the node that made it).
 */
public final class ApiKeys {

    static final String BOOTSTRAP_NAME = "bootstrap-admin";

    /** A key just created: the only time its secret exists outside the caller's hands. */
    public record Created(ApiKey key, String secret) {}

    private final CqlSession session;
    private final Clock clock;
    private final PreparedStatement insert;
    private final PreparedStatement selectAll;
    private final PreparedStatement selectOne;
    private final PreparedStatement expire;
    private volatile Map<String, ApiKey> byId = Map.of();

    public ApiKeys(CqlSession session, String keyspace, Clock clock) {
        this.session = session;
        this.clock = clock;
        String table = keyspace + ".access_keys";
        this.insert = session.prepare("INSERT INTO " + table + " (id, name, workspace, scopes, secret_hash,"
                + " created_at, created_by, expires_at, revoked_at) VALUES (?,?,?,?,?,?,?,?,?)");
        this.selectAll = session.prepare("SELECT * FROM " + table);
        this.selectOne = session.prepare("SELECT * FROM " + table + " WHERE id = ?");
        this.expire = session.prepare("UPDATE " + table + " SET expires_at = ?, revoked_at = ? WHERE id = ?");
    }

    // ---------------------------------------------------------------- checks

    /** The active key a bearer token belongs to; the hash comparison takes the same time whatever matches. */
    public Optional<ApiKey> authenticate(String token) {
        ApiKey key = byId.get(KeyTokens.claimedId(token));
        byte[] presented = Digest.sha256(token).toBytes();
        byte[] stored = key == null ? new byte[Digest.LENGTH] : key.secretHash().toBytes();
        boolean matches = MessageDigest.isEqual(stored, presented) && key != null;
        return matches && key.isActive(clock.instant()) ? Optional.of(key) : Optional.empty();
    }

    /** Re-reads every key. Called on a schedule by the node, and after each change made here. */
    public void refresh() {
        Map<String, ApiKey> loaded = new HashMap<>();
        for (Row row : session.execute(selectAll.bind())) {
            ApiKey key = fromRow(row);
            loaded.put(key.id(), key);
        }
        byId = Map.copyOf(loaded);
    }

    public Set<String> knownIds() {
        return byId.keySet();
    }

    // ---------------------------------------------------------------- changes

    public Created create(String name, String workspace, Set<Scope> scopes, String createdBy) {
        KeyTokens.Token token = KeyTokens.generate();
        ApiKey key = new ApiKey(token.id(), name, workspace, scopes, Digest.sha256(token.secret()),
                clock.instant(), createdBy, null, null);
        store(key);
        return new Created(key, token.secret());
    }

    /** Revokes a key at once; empty when there is no such key. Revoking twice keeps the first time. */
    public Optional<ApiKey> revoke(String id) {
        Optional<ApiKey> current = find(id);
        if (current.isEmpty() || current.get().revokedAt() != null) {
            return current;
        }
        Instant now = clock.instant();
        session.execute(expire.bind(now, now, id));
        refresh();
        return find(id);
    }

    /**
     * A new key with the same name, workspace and scopes; the old one stops working after {@code grace}
     * (zero: at once). Empty when there is no active key with that id.
     */
    public Optional<Created> rotate(String id, Duration grace, String rotatedBy) {
        Optional<ApiKey> current = find(id);
        Instant now = clock.instant();
        if (current.isEmpty() || !current.get().isActive(now)) {
            return Optional.empty();
        }
        ApiKey old = current.get();
        Created replacement = create(old.name(), old.workspace(), old.scopes(), rotatedBy);
        Instant oldUntil = now.plus(grace);
        if (old.expiresAt() == null || oldUntil.isBefore(old.expiresAt())) {
            session.execute(expire.bind(oldUntil, grace.isZero() ? now : null, id));
        }
        refresh();
        return Optional.of(replacement);
    }

    public Optional<ApiKey> find(String id) {
        Row row = session.execute(selectOne.bind(id)).one();
        return row == null ? Optional.empty() : Optional.of(fromRow(row));
    }

    /** Keys of one workspace, or all keys when {@code workspace} is empty; newest first. */
    public List<ApiKey> list(Optional<String> workspace) {
        return session.execute(selectAll.bind()).all().stream()
                .map(ApiKeys::fromRow)
                .filter(k -> workspace.isEmpty() || k.workspace().equals(workspace.get()))
                .sorted(Comparator.comparing(ApiKey::createdAt).reversed())
                .toList();
    }

    /**
     * Makes sure the operator can get in. A configured key becomes the org-wide admin key with every scope
     * (and generated bootstrap keys stop working). With none configured and no active org-wide admin key,
     * generates one and returns its secret: the only time it is ever shown.
     */
    public Optional<String> bootstrap(Optional<String> configuredKey) {
        refresh();
        Instant now = clock.instant();
        if (configuredKey.isPresent()) {
            store(new ApiKey(KeyTokens.CONFIGURED_ADMIN_ID, "configured-admin", ApiKey.ALL_WORKSPACES,
                    EnumSet.allOf(Scope.class), Digest.sha256(configuredKey.get()), now, "configuration", null, null));
            byId.values().stream()
                    .filter(k -> BOOTSTRAP_NAME.equals(k.name()) && k.isActive(now))
                    .forEach(k -> session.execute(expire.bind(now, now, k.id())));
            refresh();
            return Optional.empty();
        }
        boolean adminExists = byId.values().stream()
                .anyMatch(k -> k.orgWide() && k.has(Scope.ADMIN) && k.isActive(now));
        if (adminExists) {
            return Optional.empty();
        }
        return Optional.of(create(BOOTSTRAP_NAME, ApiKey.ALL_WORKSPACES, EnumSet.allOf(Scope.class), "bootstrap")
                .secret());
    }

    private void store(ApiKey key) {
        session.execute(insert.bind(key.id(), key.name(), key.workspace(),
                        key.scopes().stream().map(Scope::wireName).collect(Collectors.toSet()),
                        key.secretHash().toByteBuffer(), key.createdAt(), key.createdBy(), key.expiresAt(),
                        key.revokedAt()));
        refresh();
    }

    private static ApiKey fromRow(Row row) {
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (String name : row.getSet("scopes", String.class)) {
            Scope.fromWireName(name).ifPresent(scopes::add);
        }
        ByteBuffer hash = row.getByteBuffer("secret_hash");
        byte[] bytes = new byte[hash.remaining()];
        hash.duplicate().get(bytes);
        return new ApiKey(row.getString("id"), row.getString("name"), row.getString("workspace"), scopes,
                Digest.of(bytes), row.getInstant("created_at"), row.getString("created_by"),
                row.getInstant("expires_at"), row.getInstant("revoked_at"));
    }
}

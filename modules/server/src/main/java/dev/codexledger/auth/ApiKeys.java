package dev.codexledger.auth;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.codexledger.workspace.Digest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * API keys, stored only as SHA-256 hashes of their secrets (secrets are 256 random bits, so a fast hash
 * is enough). Checks are answered from an in-memory copy of the hashes, re-read at most once per
 * {@code refreshInterval} when an unknown key shows up.
 */
public final class ApiKeys {

    private static final String BOOTSTRAP_NAME = "bootstrap-admin";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final CqlSession session;
    private final PreparedStatement insert;
    private final PreparedStatement selectAll;
    private final PreparedStatement delete;
    private final Duration refreshInterval;
    private final Clock clock;
    private final AtomicReference<Set<String>> hashes = new AtomicReference<>(Set.of());
    private volatile Instant lastRefresh = Instant.EPOCH;

    public ApiKeys(CqlSession session, String keyspace, Duration refreshInterval, Clock clock) {
        this.session = session;
        this.refreshInterval = refreshInterval;
        this.clock = clock;
        this.insert = session.prepare("INSERT INTO " + keyspace + ".api_keys (key_hash, name, created_at)"
                + " VALUES (?, ?, ?)");
        this.selectAll = session.prepare("SELECT key_hash, name FROM " + keyspace + ".api_keys");
        this.delete = session.prepare("DELETE FROM " + keyspace + ".api_keys WHERE key_hash = ?");
    }

    /**
     * Makes sure an admin key exists. A configured key becomes the one bootstrap admin key (a previous
     * one, configured or generated, stops working). With none configured and no key stored yet, generates
     * one and returns it: the only time its secret is ever shown.
     */
    public Optional<String> bootstrap(Optional<String> configuredKey) {
        refresh();
        if (configuredKey.isPresent()) {
            String keep = hashOf(configuredKey.get());
            store(configuredKey.get());
            for (Row row : session.execute(selectAll.bind())) {
                if (BOOTSTRAP_NAME.equals(row.getString("name")) && !keep.equals(row.getString("key_hash"))) {
                    session.execute(delete.bind(row.getString("key_hash")));
                }
            }
            refresh();
            return Optional.empty();
        }
        if (!hashes.get().isEmpty()) {
            return Optional.empty();
        }
        String secret = "cl_" + randomToken();
        store(secret);
        return Optional.of(secret);
    }

    public boolean isValid(String secret) {
        String hash = hashOf(secret);
        if (containsInConstantTime(hashes.get(), hash)) {
            return true;
        }
        Instant now = clock.instant();
        if (now.isAfter(lastRefresh.plus(refreshInterval))) {
            refresh();
            return containsInConstantTime(hashes.get(), hash);
        }
        return false;
    }

    private static boolean containsInConstantTime(Set<String> known, String hash) {
        boolean found = false;
        byte[] candidate = hash.getBytes(StandardCharsets.US_ASCII);
        for (String stored : known) {
            found |= MessageDigest.isEqual(stored.getBytes(StandardCharsets.US_ASCII), candidate);
        }
        return found;
    }

    private void store(String secret) {
        session.execute(insert.bind(hashOf(secret), BOOTSTRAP_NAME, clock.instant()));
        refresh();
    }

    private synchronized void refresh() {
        Set<String> loaded = new HashSet<>();
        for (Row row : session.execute(selectAll.bind())) {
            loaded.add(row.getString("key_hash"));
        }
        hashes.set(Set.copyOf(loaded));
        lastRefresh = clock.instant();
    }

    static String hashOf(String secret) {
        return Digest.sha256(secret).hex();
    }

    private static String randomToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}

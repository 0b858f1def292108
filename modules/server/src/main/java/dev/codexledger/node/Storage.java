package dev.codexledger.node;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.internal.core.config.typesafe.DefaultDriverConfigLoader;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValueFactory;
import dev.codexledger.localcassandra.CommitLogSync;
import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.storage.CassandraSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The node's Cassandra: the configured cluster, or a local node started here when none is configured.
 * Also produces the config the Pekko persistence plugin's driver reads.
 */
record Storage(CassandraSettings settings, Optional<LocalCassandra> local) {

    private static final String PROFILES = "datastax-java-driver.profiles";

    static Storage connect(Config config) throws IOException, InterruptedException {
        CassandraSettings settings = CassandraSettings.fromConfig(config);
        if (!settings.embedded()) {
            return new Storage(settings, Optional.empty());
        }
        Config node = config.getConfig("ledger.node");
        Path runtime = Path.of(node.getString("cassandra-runtime-lib"));
        if (!java.nio.file.Files.isDirectory(runtime)) {
            throw new IOException("no Cassandra to use: set LEDGER_CASSANDRA_CONTACT_POINTS (host:port,host:port) to"
                    + " use a Cassandra cluster, or build the embedded one (bin/ledger build) for a local start;"
                    + " there is no local Cassandra runtime in " + runtime.toAbsolutePath()
                    + " (the container image has none: it always needs contact points)");
        }
        LocalCassandra local = LocalCassandra.start(LocalCassandra.Settings
                .defaults(runtime, Path.of(node.getString("data-dir"))
                        .resolve("cassandra"))
                .withHeapMb(node.getInt("embedded-cassandra-heap-mb"))
                .withCommitLog(CommitLogSync.parse(node.getString("embedded-cassandra-commitlog"))));
        return new Storage(settings.withContactPoint(local.contactPoint()), Optional.of(local));
    }

    /**
     * The config with the driver (ours and the persistence plugin's) pointed at this storage: contact
     * points, credentials ({@code ledger.cassandra.username/password}), TLS ({@code ledger.cassandra.tls}),
     * and the configured consistency on the default profile and on every other profile — the journal's
     * and the snapshot store's (the plugin's own defaults are QUORUM and ONE) and any added later.
     */
    Config driverConfig(Config config) {
        Config overrides = ConfigFactory.empty().withValue("datastax-java-driver.basic.contact-points",
                ConfigValueFactory.fromIterable(settings.contactPointStrings()))
                // the driver keeps (and refreshes after every schema change) the metadata of our keyspace
                // only, not of every keyspace the cluster holds
                .withValue("datastax-java-driver.advanced.metadata.schema.refreshed-keyspaces",
                        ConfigValueFactory.fromIterable(java.util.List.of(
                                com.datastax.oss.driver.api.core.CqlIdentifier.fromCql(settings.keyspace()).asInternal())));
        overrides = withConsistency(overrides, "datastax-java-driver.basic.request");
        if (config.hasPath(PROFILES)) {
            for (String profile : config.getConfig(PROFILES).root().keySet()) {
                overrides = withConsistency(overrides,
                        ConfigUtil.joinPath("datastax-java-driver", "profiles", profile, "basic", "request"));
            }
        }
        if (!settings.username().isEmpty()) {
            overrides = overrides.withValue("datastax-java-driver.advanced.auth-provider", ConfigValueFactory.fromMap(
                    Map.of("class", "PlainTextAuthProvider", "username", settings.username(),
                            "password", settings.password())));
        }
        Config tls = config.getConfig("ledger.cassandra.tls");
        if (tls.getBoolean("enabled")) {
            Map<String, Object> ssl = new java.util.HashMap<>();
            ssl.put("class", "DefaultSslEngineFactory");
            ssl.put("hostname-validation", tls.getBoolean("hostname-validation"));
            putIfSet(ssl, "truststore-path", tls.getString("truststore"));
            putIfSet(ssl, "truststore-password", tls.getString("truststore-password"));
            putIfSet(ssl, "keystore-path", tls.getString("keystore"));
            putIfSet(ssl, "keystore-password", tls.getString("keystore-password"));
            overrides = overrides.withValue("datastax-java-driver.advanced.ssl-engine-factory",
                    ConfigValueFactory.fromMap(ssl));
        }
        return overrides.withFallback(config).resolve();
    }

    private Config withConsistency(Config overrides, String requestPath) {
        return overrides
                .withValue(requestPath + ".consistency", ConfigValueFactory.fromAnyRef(settings.consistency().name()))
                .withValue(requestPath + ".serial-consistency",
                        ConfigValueFactory.fromAnyRef(settings.serialConsistency().name()));
    }

    private static void putIfSet(Map<String, Object> target, String key, String value) {
        if (!value.isEmpty()) {
            target.put(key, value);
        }
    }

    /**
     * The node's own session, once a contact point answers. Tries again every few seconds for
     * {@code ledger.cassandra.connect-wait} (a node started with its Cassandra waits for it), then fails
     * the start with the last error: a node never hangs in start-up because its Cassandra is gone. The
     * persistence plugin's session, opened later and lazily, keeps the driver's reconnect-on-init.
     */
    CqlSession openSession(Config driverConfig, io.micrometer.core.instrument.MeterRegistry metrics)
            throws InterruptedException {
        java.time.Duration wait = driverConfig.getDuration("ledger.cassandra.connect-wait");
        // the driver's own metrics (requests, errors, timeouts, connections) in the node's registry, as
        // cassandra_session_* and cassandra_nodes_* tagged by session and node (docs/operations.md)
        Config once = ConfigFactory.parseString("""
                        advanced.reconnect-on-init = false
                        advanced.metrics {
                          factory.class = MicrometerMetricsFactory
                          id-generator.class = TaggingMetricIdGenerator
                          id-generator.prefix = cassandra
                          session.enabled = [connected-nodes, cql-requests, cql-client-timeouts, bytes-sent,
                                             bytes-received, throttling.errors]
                          node.enabled = [pool.open-connections, pool.in-flight, errors.request.unsent,
                                          errors.request.aborted, errors.request.write-timeouts,
                                          errors.request.read-timeouts, errors.request.unavailables,
                                          errors.request.others, errors.connection.init, errors.connection.auth,
                                          retries.total, ignores.total, speculative-executions]
                        }
                        """).withFallback(driverConfig.getConfig("datastax-java-driver"));
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            try {
                CqlSessionBuilder builder = CqlSession.builder()
                        .withConfigLoader(new DefaultDriverConfigLoader(() -> once))
                        .withMetricRegistry(metrics);
                return builder.build();
            } catch (com.datastax.oss.driver.api.core.AllNodesFailedException e) {
                boolean refused = e.getAllErrors().values().stream().flatMap(java.util.List::stream)
                        .anyMatch(error -> error instanceof com.datastax.oss.driver.api.core.auth.AuthenticationException);
                if (refused) {
                    throw new IllegalStateException("Cassandra refused the credentials (ledger.cassandra.username/"
                            + "password): " + e.getMessage(), e); // waiting would not change that
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new IllegalStateException("no Cassandra node answered at " + settings.contactPointStrings()
                            + " within " + wait + " (ledger.cassandra.connect-wait): " + e.getMessage(), e);
                }
                Thread.sleep(Math.min(2_000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            }
        }
    }

    void stopLocal() {
        local.ifPresent(LocalCassandra::close);
    }
}

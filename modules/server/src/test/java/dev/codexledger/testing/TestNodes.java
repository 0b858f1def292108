package dev.codexledger.testing;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.storage.CassandraSettings;
import dev.codexledger.storage.LedgerSchema;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** Starts Ledger nodes in the test JVM against a real Cassandra, on free ports. */
public final class TestNodes {

    public static final String ADMIN_KEY = "test-admin-key";
    private static final AtomicInteger KEYSPACES = new AtomicInteger();

    /**
     * Test nodes serialize every message they send, even to an actor beside them, as if to another node
     * (but actors' creators, which never travel), so a message without a wire format fails a test.
     */
    static final Map<String, Object> SERIALIZE_MESSAGES =
            Map.of("pekko.actor.serialize-messages", "on", "pekko.actor.serialize-creators", "off");

    private TestNodes() {}

    /** A fresh keyspace name, so test classes never see each other's data. */
    public static String newKeyspace(String prefix) {
        return prefix + "_" + ProcessHandle.current().pid() + "_" + KEYSPACES.incrementAndGet();
    }

    /** A driver session on the shared Cassandra, and a fresh keyspace holding the ledger's tables. */
    public record Schema(CqlSession session, String keyspace, CassandraSettings settings) implements AutoCloseable {
        @Override
        public void close() {
            session.close();
        }
    }

    /** {@link Schema} for tests of storage classes without a node; rows live {@code ttl} by default. */
    public static Schema newSchema(String prefix, Duration ttl) {
        String keyspace = newKeyspace(prefix);
        Config config = config(SharedCassandra.contactPoint(), keyspace, Map.of());
        CassandraSettings settings = CassandraSettings.fromConfig(config).withContactPoint(SharedCassandra.contactPoint());
        CqlSession session = CqlSession.builder().addContactPoint(SharedCassandra.contactPoint())
                .withLocalDatacenter("datacenter1").build();
        LedgerSchema.create(session, settings, ttl);
        return new Schema(session, keyspace, settings);
    }

    /**
     * An actor test kit whose persistence is the real Cassandra journal in {@code schema}'s keyspace, its
     * serialization checked ({@link SerializationChecks}): entities under test outside a node.
     */
    public static org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit journalTestKit(String name, Schema schema) {
        Config config = config(SharedCassandra.contactPoint(), schema.keyspace(), Map.of());
        var testKit = org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit.create(name,
                config.withValue("datastax-java-driver.basic.contact-points",
                        com.typesafe.config.ConfigValueFactory.fromIterable(schema.settings().contactPointStrings())));
        SerializationChecks.watch(testKit.system());
        return testKit;
    }

    public static Config config(InetSocketAddress cassandra, String keyspace, Map<String, Object> extra) {
        return config(cassandra.getHostString() + ":" + cassandra.getPort(), keyspace, extra);
    }

    /** A node's config on the Cassandra at {@code contactPoints} ("host:port,host:port", e.g. a {@link CassandraRing}). */
    public static Config config(String contactPoints, String keyspace, Map<String, Object> extra) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("ledger.cassandra.contact-points", contactPoints);
        settings.put("ledger.cassandra.keyspace", keyspace);
        settings.put("ledger.http.port", 0);
        settings.put("ledger.auth.admin-key", ADMIN_KEY);
        settings.put("pekko.management.http.port", 0);
        settings.put("pekko.remote.artery.canonical.port", 0);
        settings.put("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off");
        settings.put("pekko.coordinated-shutdown.terminate-actor-system", "on");
        settings.putAll(SERIALIZE_MESSAGES);
        settings.putAll(extra);
        // Unresolved application config underneath, so ${ledger.cassandra.keyspace} and friends follow the overrides.
        return ConfigFactory.load(ConfigFactory.parseMap(settings)
                .withFallback(ConfigFactory.parseResourcesAnySyntax("application")));
    }

    public static LedgerNode.Running start(InetSocketAddress cassandra, String keyspace) throws Exception {
        return start(cassandra, keyspace, Map.of());
    }

    public static LedgerNode.Running start(InetSocketAddress cassandra, String keyspace, Map<String, Object> extra)
            throws Exception {
        LedgerNode.Running node = LedgerNode.start(config(cassandra, keyspace, extra));
        SerializationChecks.watch(node.system());
        return node;
    }

    public static LedgerNode.Running start(String contactPoints, String keyspace, Map<String, Object> extra)
            throws Exception {
        return LedgerNode.start(config(contactPoints, keyspace, extra));
    }
}

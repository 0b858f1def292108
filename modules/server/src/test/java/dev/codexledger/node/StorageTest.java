package dev.codexledger.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverExecutionProfile;
import com.datastax.oss.driver.internal.core.config.typesafe.DefaultDriverConfigLoader;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.codexledger.storage.CassandraSettings;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Cassandra credentials, TLS settings and the configured consistency reach the driver config (ours and
 * the persistence plugin's).
 */
class StorageTest {

    private static Config resolved(Map<String, Object> settings) {
        Config config = ConfigFactory.load(ConfigFactory.parseMap(settings)
                .withFallback(ConfigFactory.parseResourcesAnySyntax("application")));
        return new Storage(CassandraSettings.fromConfig(config), Optional.empty()).driverConfig(config);
    }

    private static Config driverConfig(Map<String, Object> settings) {
        return resolved(settings).getConfig("datastax-java-driver");
    }

    /** Every execution profile as the driver itself reads it from the node's config (the default among them). */
    private static Map<String, ? extends DriverExecutionProfile> profiles(Config resolved) {
        return new DefaultDriverConfigLoader(() -> resolved.getConfig("datastax-java-driver"))
                .getInitialConfig().getProfiles();
    }

    /** The profiles the persistence plugin's journal, snapshot store, queries and tools are configured to use. */
    private static Set<String> pluginProfiles(Config resolved) {
        return resolved.getConfig("pekko.persistence.cassandra").entrySet().stream()
                .filter(entry -> entry.getKey().endsWith("-profile"))
                .map(entry -> entry.getValue().unwrapped().toString())
                .collect(Collectors.toSet());
    }

    @Test
    void everyProfileReadsAndWritesAtLocalQuorumByDefault() {
        Config resolved = resolved(Map.of("ledger.cassandra.contact-points", "db1"));
        Map<String, ? extends DriverExecutionProfile> profiles = profiles(resolved);
        Set<String> plugin = pluginProfiles(resolved);
        assertEquals(Set.of("pekko-persistence-cassandra-profile", "pekko-persistence-cassandra-snapshot-profile"),
                plugin, "journal, queries, tools: one profile; snapshots: another");
        assertTrue(profiles.keySet().containsAll(plugin), "the plugin's profiles exist: " + profiles.keySet());
        assertTrue(profiles.containsKey(DriverExecutionProfile.DEFAULT_NAME));
        profiles.forEach((name, profile) -> {
            assertEquals("LOCAL_QUORUM", profile.getString(DefaultDriverOption.REQUEST_CONSISTENCY), name);
            assertEquals("LOCAL_SERIAL", profile.getString(DefaultDriverOption.REQUEST_SERIAL_CONSISTENCY), name);
        });
    }

    @Test
    void theConfiguredLevelsReplaceThePluginsOwn() {
        Config resolved = resolved(Map.of("ledger.cassandra.contact-points", "db1",
                "ledger.cassandra.consistency", "EACH_QUORUM",
                "ledger.cassandra.serial-consistency", "serial"));
        Map<String, ? extends DriverExecutionProfile> profiles = profiles(resolved);
        assertTrue(profiles.size() >= 3, "default, journal and snapshot profiles: " + profiles.keySet());
        profiles.forEach((name, profile) -> {
            assertEquals("EACH_QUORUM", profile.getString(DefaultDriverOption.REQUEST_CONSISTENCY), name);
            assertEquals("SERIAL", profile.getString(DefaultDriverOption.REQUEST_SERIAL_CONSISTENCY), name);
        });
    }

    @Test
    void aProfileAddedInConfigGetsTheLevelToo() {
        Config resolved = resolved(Map.of("ledger.cassandra.contact-points", "db1",
                "ledger.cassandra.consistency", "ALL",
                "datastax-java-driver.profiles.reports.basic.request.page-size", 100));
        DriverExecutionProfile reports = profiles(resolved).get("reports");
        assertEquals("ALL", reports.getString(DefaultDriverOption.REQUEST_CONSISTENCY));
        assertEquals(100, reports.getInt(DefaultDriverOption.REQUEST_PAGE_SIZE));
    }

    @Test
    void aLevelThatIsNoneIsRefusedAtStart() {
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
                () -> resolved(Map.of("ledger.cassandra.consistency", "LOCAL_QUORUN")));
        assertTrue(typo.getMessage().contains("ledger.cassandra.consistency"), typo.getMessage());
        IllegalArgumentException notSerial = assertThrows(IllegalArgumentException.class,
                () -> resolved(Map.of("ledger.cassandra.serial-consistency", "LOCAL_QUORUM")));
        assertTrue(notSerial.getMessage().contains("serial-consistency"), notSerial.getMessage());
    }

    @Test
    void credentialsAndTlsArePassedThrough() {
        Config driver = driverConfig(Map.of(
                "ledger.cassandra.contact-points", "db1:9142,db2",
                "ledger.cassandra.username", "ledger",
                "ledger.cassandra.password", "s3cret",
                "ledger.cassandra.tls.enabled", true,
                "ledger.cassandra.tls.truststore", "/etc/ledger/cassandra-trust.p12",
                "ledger.cassandra.tls.truststore-password", "trustpw",
                "ledger.cassandra.tls.keystore", "/etc/ledger/client.p12",
                "ledger.cassandra.tls.keystore-password", "keypw",
                "ledger.cassandra.tls.hostname-validation", false));
        assertEquals(java.util.List.of("db1:9142", "db2:9042"), driver.getStringList("basic.contact-points"));
        assertEquals("PlainTextAuthProvider", driver.getString("advanced.auth-provider.class"));
        assertEquals("ledger", driver.getString("advanced.auth-provider.username"));
        assertEquals("s3cret", driver.getString("advanced.auth-provider.password"));
        Config ssl = driver.getConfig("advanced.ssl-engine-factory");
        assertEquals("DefaultSslEngineFactory", ssl.getString("class"));
        assertEquals("/etc/ledger/cassandra-trust.p12", ssl.getString("truststore-path"));
        assertEquals("trustpw", ssl.getString("truststore-password"));
        assertEquals("/etc/ledger/client.p12", ssl.getString("keystore-path"));
        assertEquals("keypw", ssl.getString("keystore-password"));
        assertFalse(ssl.getBoolean("hostname-validation"));
    }

    @Test
    void withoutTlsOrCredentialsTheDriverIsLeftAlone() {
        Config driver = driverConfig(Map.of("ledger.cassandra.contact-points", "db1"));
        assertFalse(driver.hasPath("advanced.ssl-engine-factory.class"));
        assertFalse(driver.hasPath("advanced.auth-provider.class"));
        assertTrue(driver.hasPath("basic.contact-points"));
    }
}

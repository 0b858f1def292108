package dev.codexledger.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.codexledger.storage.CassandraSettings;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Cassandra credentials and TLS settings reach the driver config (ours and the persistence plugin's). */
class StorageTest {

    private static Config driverConfig(Map<String, Object> settings) {
        Config config = ConfigFactory.load(ConfigFactory.parseMap(settings)
                .withFallback(ConfigFactory.parseResourcesAnySyntax("application")));
        return new Storage(CassandraSettings.fromConfig(config), Optional.empty()).driverConfig(config)
                .getConfig("datastax-java-driver");
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

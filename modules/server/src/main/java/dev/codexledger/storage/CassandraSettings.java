package dev.codexledger.storage;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.typesafe.config.Config;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where the ledger's Cassandra is and how to use it, from the {@code ledger.cassandra} config block.
 * No contact points means: start a local node (see {@code LocalCassandra}). {@code consistency} is the
 * level of every read and write, {@code serialConsistency} that of lightweight transactions; both are
 * set on every driver profile (see {@code Storage.driverConfig}).
 */
public record CassandraSettings(List<InetSocketAddress> contactPoints, String datacenter, String keyspace,
                                String replication, String username, String password, int writeParallelism,
                                Duration requestTimeout, DefaultConsistencyLevel consistency,
                                DefaultConsistencyLevel serialConsistency) {

    public CassandraSettings {
        if (!serialConsistency.isSerial()) {
            throw new IllegalArgumentException("ledger.cassandra.serial-consistency is SERIAL or LOCAL_SERIAL, not "
                    + serialConsistency);
        }
        if (consistency.isSerial()) {
            throw new IllegalArgumentException("ledger.cassandra.consistency cannot be " + consistency
                    + " (a serial level): use it as ledger.cassandra.serial-consistency");
        }
    }

    public static CassandraSettings fromConfig(Config config) {
        Config block = config.getConfig("ledger.cassandra");
        return new CassandraSettings(
                parseContactPoints(block.getString("contact-points")),
                block.getString("datacenter"),
                block.getString("keyspace"),
                block.getString("replication"),
                block.getString("username"),
                block.getString("password"),
                block.getInt("write-parallelism"),
                block.getDuration("request-timeout"),
                level(block, "consistency"),
                level(block, "serial-consistency"));
    }

    private static DefaultConsistencyLevel level(Config block, String key) {
        String name = block.getString(key).trim();
        try {
            return DefaultConsistencyLevel.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ledger.cassandra." + key + " '" + name + "' is not a consistency level"
                    + " (LOCAL_QUORUM, QUORUM, LOCAL_ONE, ONE, ALL, EACH_QUORUM, LOCAL_SERIAL, SERIAL, ...)", e);
        }
    }

    public boolean embedded() {
        return contactPoints.isEmpty();
    }

    public CassandraSettings withContactPoint(InetSocketAddress address) {
        return new CassandraSettings(List.of(address), datacenter, keyspace, replication, username, password,
                writeParallelism, requestTimeout, consistency, serialConsistency);
    }

    public CassandraSettings withKeyspace(String name) {
        return new CassandraSettings(contactPoints, datacenter, name, replication, username, password,
                writeParallelism, requestTimeout, consistency, serialConsistency);
    }

    /** "host1:9042,host2" (port 9042 when absent). */
    static List<InetSocketAddress> parseContactPoints(String value) {
        List<InetSocketAddress> points = new ArrayList<>();
        for (String part : value.split(",")) {
            String trimmed = part.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            int colon = trimmed.lastIndexOf(':');
            if (colon > 0 && trimmed.indexOf(':') == colon) {
                points.add(InetSocketAddress.createUnresolved(trimmed.substring(0, colon),
                        Integer.parseInt(trimmed.substring(colon + 1))));
            } else {
                points.add(InetSocketAddress.createUnresolved(trimmed, 9042));
            }
        }
        return List.copyOf(points);
    }

    /** The contact points as the Pekko persistence plugin's driver config wants them: "host:port". */
    public List<String> contactPointStrings() {
        return contactPoints.stream().map(a -> a.getHostString() + ":" + a.getPort()).toList();
    }
}

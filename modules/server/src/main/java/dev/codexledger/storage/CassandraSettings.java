package dev.codexledger.storage;

import com.typesafe.config.Config;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the ledger's Cassandra is and how to use it, from the {@code ledger.cassandra} config block.
 * No contact points means: start a local node (see {@code LocalCassandra}).
 */
public record CassandraSettings(List<InetSocketAddress> contactPoints, String datacenter, String keyspace,
                                String replication, String username, String password, int writeParallelism,
                                Duration requestTimeout) {

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
                block.getDuration("request-timeout"));
    }

    public boolean embedded() {
        return contactPoints.isEmpty();
    }

    public CassandraSettings withContactPoint(InetSocketAddress address) {
        return new CassandraSettings(List.of(address), datacenter, keyspace, replication, username, password,
                writeParallelism, requestTimeout);
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

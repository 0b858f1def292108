package dev.codexledger.testing;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.metadata.NodeState;
import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.localcassandra.LocalCassandraRing;
import dev.codexledger.localcassandra.RingView;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A local ring of real Cassandra nodes for integration tests: each node in its own JVM on 127.0.0.1 with
 * its own ports, data under the test data folder; {@link #close} stops every node by PID and deletes the
 * data. Nodes are killed, stopped and restarted through {@link #node}.
 *
 * <pre>{@code
 * try (CassandraRing ring = CassandraRing.start(3)) {
 *     TestNodes.start(ring.contactPoints(), keyspace, Map.of("ledger.cassandra.replication", CassandraRing.RF3));
 *     ring.node(3).kill();
 *     ring.awaitSeenDown(ring.node(3), Duration.ofMinutes(1));
 *     ring.node(3).restart();
 *     ring.awaitAllUp(Duration.ofMinutes(2));
 * }
 * }</pre>
 */
public final class CassandraRing implements AutoCloseable {

    /** Three replicas: a keyspace that survives one node of three. */
    public static final String RF3 = "{'class': 'SimpleStrategy', 'replication_factor': 3}";

    /** Start of a ring of three here: ~17 s measured; bounded well above for a busy machine. */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

    private final LocalCassandraRing ring;
    private final Path dataDir;

    private CassandraRing(LocalCassandraRing ring, Path dataDir) {
        this.ring = ring;
        this.dataDir = dataDir;
    }

    /** A fresh ring of {@code nodes}, returned once every node sees all of them up and normal. */
    public static CassandraRing start(int nodes) throws Exception {
        Path dataDir = Files.createDirectories(SharedCassandra.testDataDir().resolve("ring-" + System.nanoTime()));
        LocalCassandraRing ring = LocalCassandraRing.start(LocalCassandraRing.defaults(SharedCassandra.runtimeLib(),
                dataDir).withStartTimeout(START_TIMEOUT), nodes);
        return new CassandraRing(ring, dataDir);
    }

    public List<LocalCassandraRing.Node> nodes() {
        return ring.nodes();
    }

    /** Node 1, 2, … (node 1 is the seed). */
    public LocalCassandraRing.Node node(int number) {
        return ring.node(number);
    }

    /** {@code "127.0.0.1:p1,127.0.0.1:p2,…"}: {@code ledger.cassandra.contact-points} for a node on this ring. */
    public String contactPoints() {
        return ring.contactPointsString();
    }

    public List<InetSocketAddress> contactPointList() {
        return ring.contactPoints();
    }

    /**
     * A driver session over every node, as the ledger's: LOCAL_QUORUM, idempotent statements (retried on
     * another node when one dies), 10 s per request; the caller closes it.
     */
    public CqlSession session() {
        return CqlSession.builder()
                .addContactPoints(ring.contactPoints())
                .withLocalDatacenter(LocalCassandra.DATACENTER)
                .withConfigLoader(DriverConfigLoader.programmaticBuilder()
                        .withString(DefaultDriverOption.REQUEST_CONSISTENCY, "LOCAL_QUORUM")
                        .withBoolean(DefaultDriverOption.REQUEST_DEFAULT_IDEMPOTENCE, true)
                        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10))
                        .withDuration(DefaultDriverOption.RECONNECTION_BASE_DELAY, Duration.ofMillis(500))
                        .withDuration(DefaultDriverOption.RECONNECTION_MAX_DELAY, Duration.ofSeconds(2))
                        .build())
                .build();
    }

    /** Every node runs and sees every node up and normal ("UN"), within {@code within}. */
    public void awaitAllUp(Duration within) throws IOException, InterruptedException {
        ring.awaitUp(within);
    }

    /** Every other running node sees {@code down} unreachable (their failure detector convicted it). */
    public void awaitSeenDown(LocalCassandraRing.Node down, Duration within) {
        Eventually.until(within, Duration.ofMillis(500), () -> ring.nodes().stream()
                .filter(node -> node != down && node.isRunning())
                .allMatch(node -> seesUnreachable(node, down)), all -> all);
    }

    private static boolean seesUnreachable(LocalCassandraRing.Node observer, LocalCassandraRing.Node down) {
        try {
            RingView view = observer.view();
            return view.unreachable().contains(down.endpoint());
        } catch (IOException e) {
            return false;
        }
    }

    /** Waits until the session's driver sees {@code nodes} nodes, {@code up} of them up. */
    public static void awaitDriverSees(CqlSession session, int nodes, int up, Duration within) {
        Eventually.assertThat(within, Duration.ofMillis(200), () -> {
            var known = session.getMetadata().getNodes().values();
            long upNow = known.stream().filter(node -> node.getState() == NodeState.UP).count();
            if (known.size() != nodes || upNow != up) {
                throw new AssertionError("driver sees " + known.size() + " nodes, " + upNow + " up: " + known);
            }
        });
    }

    @Override
    public void close() throws IOException {
        ring.close();
        SharedCassandra.deleteRecursively(dataDir);
    }

    @Override
    public String toString() {
        return ring.toString();
    }
}

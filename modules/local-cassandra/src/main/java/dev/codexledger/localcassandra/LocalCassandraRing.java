package dev.codexledger.localcassandra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * N real Cassandra nodes forming one ring on 127.0.0.1, each in its own forked JVM with its own ports
 * (CQL, storage, JMX) and its own folder ({@code node1}, {@code node2}, … under the ring's folder). The
 * first node is the seed. {@link #start} returns once every node sees every node up and normal ("UN").
 *
 * <p>One address with a port per node (rather than 127.0.0.1, .2, .3 with the same ports) needs no
 * loopback aliases, so it runs wherever a single node runs; the driver learns each peer's port from
 * {@code system.peers_v2}. Ports are kept in each node's folder: a restarted node, and a ring started
 * again on the same folder, come back on the same ports, which the other members know them by.
 *
 * <p>No member ever runs with {@code -Dcassandra.unsafesystem=true}: a killed member came back without
 * its keyspace while advertising the same schema version, and nothing repaired it (DESIGN.md).
 */
public final class LocalCassandraRing implements AutoCloseable {

    /** Measured on this machine: a ring of three at 768 MB heap takes ~1.4 GB RSS per node. */
    public static final int DEFAULT_HEAP_MB = 768;

    private static final Duration JMX_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration POLL = Duration.ofMillis(500);

    private final List<Node> nodes;

    private LocalCassandraRing(List<Node> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /** Settings of every member: a ring's heap, no test mode. {@code dataDir} is the ring's folder. */
    public static LocalCassandra.Settings defaults(Path runtimeLib, Path dataDir) {
        return LocalCassandra.Settings.defaults(runtimeLib, dataDir).withHeapMb(DEFAULT_HEAP_MB);
    }

    /**
     * Starts a ring of {@code size} nodes in {@code settings.dataDir()} (or the ring already there, which
     * must have that size), the seed first, then the others together; returns once every node sees all of
     * them up and normal, within {@code settings.startTimeout()} for each of those two waits.
     */
    public static LocalCassandraRing start(LocalCassandra.Settings settings, int size)
            throws IOException, InterruptedException {
        if (size < 1) {
            throw new IllegalArgumentException("a ring needs at least one node, not " + size);
        }
        LocalCassandra.checkRuntime(settings);
        Path ringDir = Files.createDirectories(settings.dataDir().toAbsolutePath());
        int existing = existingNodes(ringDir);
        if (existing != 0 && existing != size) {
            throw new IllegalStateException(ringDir + " holds a ring of " + existing + " nodes, not " + size
                    + ": start it with " + existing + " nodes, or delete the folder for a new ring");
        }
        List<CassandraPorts> ports = new ArrayList<>();
        Set<Integer> taken = new HashSet<>();
        for (int number = 1; number <= size; number++) {
            CassandraPorts chosen = CassandraPorts.keepOrChoose(
                    Files.createDirectories(ringDir.resolve("node" + number)), taken);
            taken.addAll(List.of(chosen.nativePort(), chosen.storagePort(), chosen.jmxPort()));
            ports.add(chosen);
        }
        String seeds = LocalCassandra.HOST + ":" + ports.get(0).storagePort();
        List<Node> nodes = new ArrayList<>();
        for (int number = 1; number <= size; number++) {
            nodes.add(new Node(number, settings.withDataDir(ringDir.resolve("node" + number)), ports.get(number - 1),
                    new Membership.RingMember(seeds, number - 1, size)));
        }
        LocalCassandraRing ring = new LocalCassandraRing(nodes);
        try {
            nodes.get(0).launch();
            ring.launchAll(nodes.subList(1, nodes.size()));
            ring.awaitUp(settings.startTimeout());
        } catch (IOException | InterruptedException | RuntimeException e) {
            ring.close();
            throw e;
        }
        return ring;
    }

    private static int existingNodes(Path ringDir) throws IOException {
        try (var entries = Files.list(ringDir)) {
            return (int) entries.filter(dir -> dir.getFileName().toString().matches("node\\d+")
                    && Files.isRegularFile(dir.resolve("ports.properties"))).count();
        }
    }

    /** Launches these nodes at once (the seed must be up): each returns when it accepts CQL. */
    private void launchAll(List<Node> members) throws IOException {
        List<CompletableFuture<Void>> launches = members.stream()
                .map(node -> CompletableFuture.runAsync(() -> {
                    try {
                        node.launch();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while starting node " + node.number, e);
                    }
                }, runnable -> new Thread(runnable, "start-cassandra-node").start()))
                .toList();
        try {
            CompletableFuture.allOf(launches.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            throw e;
        }
    }

    public List<Node> nodes() {
        return nodes;
    }

    /** Node 1, 2, … (the seed is node 1). */
    public Node node(int number) {
        return nodes.get(number - 1);
    }

    public List<InetSocketAddress> contactPoints() {
        return nodes.stream().map(Node::contactPoint).toList();
    }

    /** {@code "127.0.0.1:9042,127.0.0.1:9043,…"}, as {@code LEDGER_CASSANDRA_CONTACT_POINTS} takes them. */
    public String contactPointsString() {
        return nodes.stream().map(node -> LocalCassandra.HOST + ":" + node.ports.nativePort())
                .collect(Collectors.joining(","));
    }

    /** Storage endpoints of every member, as the members name each other. */
    public Set<String> endpoints() {
        return nodes.stream().map(Node::endpoint).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Waits until every node runs and sees every member up and normal; an IOException naming what each
     * node saw last when that takes longer than {@code within}.
     */
    public void awaitUp(Duration within) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        Map<Integer, String> lastSeen = new LinkedHashMap<>();
        while (true) {
            if (allSeeAllUp(lastSeen)) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IOException("the ring of " + nodes.size() + " was not all up and normal within " + within
                        + "; last views: " + lastSeen);
            }
            TimeUnit.MILLISECONDS.sleep(POLL.toMillis());
        }
    }

    private boolean allSeeAllUp(Map<Integer, String> lastSeen) {
        Set<String> everyone = endpoints();
        boolean up = true;
        for (Node node : nodes) {
            if (!node.isRunning()) {
                lastSeen.put(node.number, "not running");
                up = false;
                continue;
            }
            try {
                RingView view = node.view();
                lastSeen.put(node.number, "UN " + view.upAndNormal() + ", unreachable " + view.unreachable());
                up &= view.allUpAndNormal(everyone);
            } catch (IOException e) {
                lastSeen.put(node.number, e.getMessage());
                up = false;
            }
        }
        return up;
    }

    /** Stops every running node (SIGTERM, all at once); each is killed if it takes over a minute. */
    @Override
    public void close() {
        List<Thread> stops = nodes.stream()
                .map(node -> new Thread(node::stop, "stop-cassandra-node-" + node.number))
                .toList();
        stops.forEach(Thread::start);
        for (Thread stop : stops) {
            try {
                stop.join(TimeUnit.SECONDS.toMillis(90));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                nodes.forEach(Node::kill);
                return;
            }
        }
    }

    /** Ports and PIDs of every member, for messages. */
    @Override
    public String toString() {
        return nodes.stream().map(Node::toString).collect(Collectors.joining(", ", "ring[", "]"));
    }

    /**
     * One member: the same folder and ports for its whole life; the process behind it changes with
     * {@link #kill}, {@link #stop} and {@link #restart}.
     */
    public static final class Node {

        private final int number;
        private final LocalCassandra.Settings settings;
        private final CassandraPorts ports;
        private final Membership membership;
        private volatile LocalCassandra process;

        private Node(int number, LocalCassandra.Settings settings, CassandraPorts ports, Membership membership) {
            this.number = number;
            this.settings = settings;
            this.ports = ports;
            this.membership = membership;
        }

        private synchronized void launch() throws IOException, InterruptedException {
            List<Integer> busy = ports.taken();
            if (!busy.isEmpty()) {
                throw new IOException("node " + number + " of the ring needs ports " + busy + " (kept in "
                        + settings.dataDir() + "/ports.properties), and something listens on them: is this ring"
                        + " running already?");
            }
            process = LocalCassandra.launch(settings, ports, membership);
        }

        public int number() {
            return number;
        }

        /** PID of the node's current process; -1 before its first start. */
        public long pid() {
            LocalCassandra current = process;
            return current == null ? -1 : current.pid();
        }

        public boolean isRunning() {
            LocalCassandra current = process;
            return current != null && current.isRunning();
        }

        public Path dataDir() {
            return settings.dataDir();
        }

        public CassandraPorts ports() {
            return ports;
        }

        public int jmxPort() {
            return ports.jmxPort();
        }

        public InetSocketAddress contactPoint() {
            return new InetSocketAddress(LocalCassandra.HOST, ports.nativePort());
        }

        /** How the members name this node: {@code "127.0.0.1:<storage port>"}. */
        public String endpoint() {
            return LocalCassandra.HOST + ":" + ports.storagePort();
        }

        /** What this node sees of the ring now (over JMX, at most 5 s). */
        public RingView view() throws IOException {
            return RingView.read(ports.jmxPort(), JMX_TIMEOUT);
        }

        /** SIGKILL: the node dies at once, as in a crash. */
        public synchronized void kill() {
            if (process != null) {
                process.kill();
            }
        }

        /** SIGTERM: Cassandra drains and flushes, then exits (SIGKILL after a minute). */
        public synchronized void stop() {
            if (process != null) {
                process.stop();
            }
        }

        /**
         * Starts a stopped or killed node again on its folder and ports; returns once it accepts CQL
         * (then {@link LocalCassandraRing#awaitUp} for the others to see it).
         */
        public synchronized void restart() throws IOException, InterruptedException {
            if (isRunning()) {
                throw new IllegalStateException("node " + number + " is running (pid " + pid() + ")");
            }
            launch();
        }

        @Override
        public String toString() {
            return "node" + number + " cql " + ports.nativePort() + " storage " + ports.storagePort() + " jmx "
                    + ports.jmxPort() + (isRunning() ? " pid " + pid() : " stopped");
        }
    }
}

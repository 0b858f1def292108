package dev.codexledger.testing;

import dev.codexledger.localcassandra.LocalCassandra;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real Cassandra for every integration test of the build: started by the first test class that
 * needs it, stopped (by PID) when the test JVM's root context closes. Failsafe runs all ITs in one JVM.
 * After each test class, it fails the class if one of its nodes could not serialize a message
 * ({@link SerializationChecks}).
 */
public final class SharedCassandra implements BeforeAllCallback, AfterAllCallback {

    private static LocalCassandra node;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start(context);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        SerializationChecks.assertNoneFailed();
    }

    private static synchronized void start(ExtensionContext context) throws Exception {
        if (node != null) {
            if (!node.isRunning()) {
                // with the node's own last words; every later class fails at once the same way
                throw new IllegalStateException("the shared Cassandra (pid " + node.pid() + ", " + node.contactPoint()
                        + ") is gone; its logs end:\n" + logTail(node.dataDir()));
            }
            return;
        }
        // every test class keeps a keyspace of its own (~30 tables each) on this node for the whole run: with
        // 1 GiB it ran out of heap late in the suite (a CI run at 9883e94, during ClusterIT), and with 2 GiB
        // once 43 keyspaces were there and StreamKafkaIT wrote its 50,000 records (a CI run at 035834f); 3 GiB of 24
        Path dataDir = Files.createDirectories(testDataDir().resolve("shared-" + System.nanoTime()));
        node = LocalCassandra.start(LocalCassandra.Settings.defaults(runtimeLib(), dataDir)
                .withHeapMb(SHARED_HEAP_MB)
                .withTestMode(true));
        LocalCassandra started = node;
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .put(SharedCassandra.class.getName(), (AutoCloseable) () -> {
                    started.close();
                    deleteRecursively(started.dataDir());
                });
    }

    /** The last lines of a node's console and system logs, to say why it stopped. */
    public static String logTail(Path dataDir) {
        StringBuilder tail = new StringBuilder();
        for (String name : new String[] {"console.log", "system.log"}) {
            Path log = dataDir.resolve("logs").resolve(name);
            try {
                java.util.List<String> lines = Files.readAllLines(log);
                tail.append("--- ").append(log).append('\n');
                lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> tail.append(l).append('\n'));
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                tail.append("--- ").append(log).append(": ").append(e).append('\n');
            }
        }
        return tail.toString();
    }

    /** Test data of a stopped node: a build would otherwise keep ~100 MB per run under target/. */
    public static void deleteRecursively(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** Heap of the node all test classes share. */
    private static final int SHARED_HEAP_MB = 3072;

    /** A node of its own, for tests that stop and start Cassandra; the caller closes it. */
    public static LocalCassandra startNode(String name) throws Exception {
        Path dataDir = Files.createDirectories(testDataDir().resolve(name + "-" + System.nanoTime()));
        return LocalCassandra.start(LocalCassandra.Settings.defaults(runtimeLib(), dataDir)
                .withHeapMb(1024)
                .withTestMode(true));
    }

    /** Starts a node again on the data (and ports) of one that was stopped. */
    public static LocalCassandra restartNode(LocalCassandra stopped) throws Exception {
        return LocalCassandra.start(LocalCassandra.Settings.defaults(runtimeLib(), stopped.dataDir())
                .withHeapMb(1024)
                .withTestMode(true));
    }

    public static InetSocketAddress contactPoint() {
        if (node == null) {
            throw new IllegalStateException("annotate the test class with @ExtendWith(SharedCassandra.class)");
        }
        return node.contactPoint();
    }

    public static Path runtimeLib() {
        return Path.of(System.getProperty("ledger.cassandra.runtime-lib",
                repoRoot().resolve("modules/cassandra-runtime/target/lib").toString()));
    }

    public static Path repoRoot() {
        return Path.of(System.getProperty("ledger.repo-root", "../..")).toAbsolutePath().normalize();
    }

    public static Path testDataDir() {
        return Path.of(System.getProperty("ledger.test-data", "target/it-data")).toAbsolutePath();
    }
}

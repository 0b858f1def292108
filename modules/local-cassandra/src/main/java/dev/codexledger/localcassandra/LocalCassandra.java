package dev.codexledger.localcassandra;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Cassandra server in a forked JVM, listening on loopback: a single node ({@link #start}), or one
 * member of a {@link LocalCassandraRing}. Starting returns once the node accepts CQL connections;
 * {@link #close} stops it by PID (SIGTERM, then SIGKILL after a grace period), {@link #kill} at once
 * (SIGKILL). The child exits on its own if this JVM dies (see {@link ParentWatchdog}).
 */
public final class LocalCassandra implements AutoCloseable {

    public static final String HOST = "127.0.0.1";
    public static final String DATACENTER = "datacenter1";

    /** The JPMS flags of Cassandra's own conf/jvm17-server.options; without them it refuses to start. */
    private static final List<String> JVM17_FLAGS = List.of(
            "-Djdk.attach.allowAttachSelf=true",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-exports", "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
            "--add-exports", "java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports", "java.rmi/sun.rmi.server=ALL-UNNAMED",
            "--add-exports", "java.sql/java.sql=ALL-UNNAMED",
            "--add-exports", "java.base/java.lang.ref=ALL-UNNAMED",
            "--add-exports", "jdk.unsupported/sun.misc=ALL-UNNAMED",
            "--add-exports", "jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
            "--add-exports", "jdk.attach/sun.tools.attach=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang.module=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.loader=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.reflect=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.math=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.module=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.util.jar=ALL-UNNAMED",
            "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens", "java.base/java.io=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens", "jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "--add-opens", "java.base/java.util=ALL-UNNAMED",
            "-Dio.netty.tryReflectionSetAccessible=true",
            "-Dio.netty.allocator.useCacheForAllThreads=true",
            "-Dio.netty.allocator.maxOrder=11");

    /**
     * Startup shortcuts (measured: 6–7 s to CQL instead of 12 s for a single node); a ring of three on
     * one machine forms with them too (DESIGN.md).
     */
    private static final List<String> FAST_SINGLE_NODE_FLAGS = List.of(
            "-Dcassandra.memtable.row_overhead_size=181",
            "-Dcassandra.skip_wait_for_gossip_to_settle=0",
            "-Dcassandra.superuser_setup_delay_ms=0",
            "-Dcassandra.ring_delay_ms=1000",
            "-Dcassandra.test.ignore_sigar=true");

    /** Keeps RMI stubs of a ring member's JMX server on loopback, where its port is bound. */
    private static final String RMI_HOSTNAME = "-Djava.rmi.server.hostname=" + HOST;

    private final Process process;
    private final CassandraPorts ports;
    private final Path dataDir;
    private final OutputStream lifeline;

    private LocalCassandra(Process process, CassandraPorts ports, Path dataDir) {
        this.process = process;
        this.ports = ports;
        this.dataDir = dataDir;
        this.lifeline = process.getOutputStream();
    }

    /**
     * How to run the node.
     *
     * @param runtimeLib   folder holding the cassandra-all runtime jars and this module's jar
     * @param dataDir      where data, commit log and the node's log file live (kept across starts)
     * @param javaHome     a Java 17 home (Cassandra 5.0 does not run on later releases)
     * @param heapMb       max heap of the node
     * @param testMode     trade durability of the system keyspaces for start-up speed (single-node tests
     *                     only: a ring member started so can come back from a SIGKILL without its keyspaces)
     * @param startTimeout how long to wait for the CQL port
     * @param commitLog    when the commit log is synced, i.e. what a power cut can take
     */
    public record Settings(Path runtimeLib, Path dataDir, Path javaHome, int heapMb, boolean testMode,
                           Duration startTimeout, CommitLogSync commitLog) {

        public static Settings defaults(Path runtimeLib, Path dataDir) {
            return new Settings(runtimeLib, dataDir, Path.of(System.getProperty("java.home")), 2048, false,
                    Duration.ofMinutes(3), CommitLogSync.periodic());
        }

        public Settings withHeapMb(int value) {
            return new Settings(runtimeLib, dataDir, javaHome, value, testMode, startTimeout, commitLog);
        }

        public Settings withTestMode(boolean value) {
            return new Settings(runtimeLib, dataDir, javaHome, heapMb, value, startTimeout, commitLog);
        }

        public Settings withJavaHome(Path value) {
            return new Settings(runtimeLib, dataDir, value, heapMb, testMode, startTimeout, commitLog);
        }

        public Settings withStartTimeout(Duration value) {
            return new Settings(runtimeLib, dataDir, javaHome, heapMb, testMode, value, commitLog);
        }

        public Settings withCommitLog(CommitLogSync value) {
            return new Settings(runtimeLib, dataDir, javaHome, heapMb, testMode, startTimeout, value);
        }

        Settings withDataDir(Path value) {
            return new Settings(runtimeLib, value, javaHome, heapMb, testMode, startTimeout, commitLog);
        }
    }

    /**
     * The version of the Cassandra server in a runtime folder (from its {@code cassandra-all-<version>.jar}),
     * so the version is set in one place only: the cassandra-runtime module's pom.
     */
    public static String serverVersion(Path runtimeLib) {
        try (var jars = java.nio.file.Files.list(runtimeLib)) {
            return jars.map(jar -> jar.getFileName().toString())
                    .filter(name -> name.startsWith("cassandra-all-") && name.endsWith(".jar"))
                    .map(name -> name.substring("cassandra-all-".length(), name.length() - ".jar".length()))
                    .findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** A single node, on the ports it had in this data folder if they are still free. */
    public static LocalCassandra start(Settings settings) throws IOException, InterruptedException {
        checkRuntime(settings);
        Path dataDir = Files.createDirectories(settings.dataDir().toAbsolutePath());
        return launch(settings, CassandraPorts.reuseOrChoose(dataDir), new Membership.Alone());
    }

    static void checkRuntime(Settings settings) throws IOException {
        if (!Files.isDirectory(settings.runtimeLib())) {
            throw new IOException("Cassandra runtime jars not found in " + settings.runtimeLib().toAbsolutePath()
                    + " (build them with: mvn -pl modules/cassandra-runtime -am package)");
        }
    }

    /** Starts a node on these ports and returns once it accepts CQL; stops it again if it does not. */
    static LocalCassandra launch(Settings settings, CassandraPorts ports, Membership membership)
            throws IOException, InterruptedException {
        if (settings.testMode() && membership instanceof Membership.RingMember) {
            throw new IllegalArgumentException("no test mode (-Dcassandra.unsafesystem) for ring members: a killed"
                    + " member came back without its keyspaces and nothing repaired it (DESIGN.md)");
        }
        Path dataDir = Files.createDirectories(settings.dataDir().toAbsolutePath());
        Path yaml = dataDir.resolve("cassandra.yaml");
        Files.writeString(yaml, CassandraYaml.render(ports, settings.heapMb(), settings.commitLog(), membership),
                StandardCharsets.UTF_8);
        Path logback = dataDir.resolve("logback-cassandra.xml");
        Files.writeString(logback, CassandraYaml.logback(dataDir.resolve("logs")), StandardCharsets.UTF_8);
        Path consoleLog = dataDir.resolve("logs").resolve("console.log");
        Files.createDirectories(consoleLog.getParent());

        ProcessBuilder builder = new ProcessBuilder(command(settings, ports, dataDir, yaml, logback))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(consoleLog.toFile()));
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        builder.environment().remove("JDK_JAVA_OPTIONS");
        Process process = builder.start();
        LocalCassandra node = new LocalCassandra(process, ports, dataDir);
        try {
            node.awaitCql(settings.startTimeout(), consoleLog);
        } catch (IOException | InterruptedException | RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    private static List<String> command(Settings settings, CassandraPorts ports, Path dataDir, Path yaml,
                                        Path logback) {
        List<String> cmd = new ArrayList<>();
        cmd.add(settings.javaHome().resolve("bin").resolve("java").toString());
        cmd.add("-Xms" + settings.heapMb() + "m");
        cmd.add("-Xmx" + settings.heapMb() + "m");
        cmd.add("-XX:+UseG1GC");
        cmd.add("-XX:+HeapDumpOnOutOfMemoryError");
        cmd.add("-XX:HeapDumpPath=" + dataDir.resolve("logs"));
        cmd.add("-XX:+ExitOnOutOfMemoryError");
        cmd.addAll(JVM17_FLAGS);
        cmd.addAll(FAST_SINGLE_NODE_FLAGS);
        if (settings.testMode()) {
            cmd.add("-Dcassandra.unsafesystem=true");
        }
        if (ports.jmxPort() != 0) {
            cmd.add("-Dcassandra.jmx.local.port=" + ports.jmxPort());
            cmd.add(RMI_HOSTNAME);
        }
        cmd.add("-Dcassandra.config=" + yaml.toUri());
        cmd.add("-Dcassandra.storagedir=" + dataDir);
        cmd.add("-Dcassandra-foreground=yes");
        cmd.add("-Dlogback.configurationFile=" + logback);
        cmd.add("-Dcassandra.logdir=" + dataDir.resolve("logs"));
        cmd.add("-cp");
        cmd.add(settings.runtimeLib().toAbsolutePath() + "/*");
        cmd.add(ParentWatchdog.class.getName());
        return cmd;
    }

    private void awaitCql(Duration timeout, Path consoleLog) throws IOException, InterruptedException {
        Instant started = Instant.now();
        Instant deadline = started.plus(timeout);
        Instant nextProgress = started.plusSeconds(5);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("Cassandra exited with code " + process.exitValue() + " before accepting CQL:\n"
                        + tail(consoleLog));
            }
            if (accepts(ports.nativePort())) {
                return;
            }
            if (Instant.now().isAfter(nextProgress)) {
                // a first start takes 15-30 s: say what it is doing (its latest log line), every 5 s
                System.err.printf("[local Cassandra, pid %d] starting, %d s: %s%n", process.pid(),
                        Duration.between(started, Instant.now()).toSeconds(), latestStep(consoleLog.resolveSibling("system.log")));
                nextProgress = Instant.now().plusSeconds(5);
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        throw new IOException("Cassandra did not accept CQL on port " + ports.nativePort() + " within " + timeout
                + ":\n" + tail(consoleLog));
    }

    /** The message of the newest INFO line of Cassandra's system.log, shortened ("..." when there is none yet). */
    static String latestStep(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                String line = lines.get(i);
                if (line.startsWith("INFO")) {
                    int dash = line.indexOf(" - ");
                    String message = (dash >= 0 ? line.substring(dash + 3) : line.substring(4)).trim();
                    return message.length() > 100 ? message.substring(0, 100) + "…" : message;
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // not written yet
        }
        return "...";
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public int nativePort() {
        return ports.nativePort();
    }

    public CassandraPorts ports() {
        return ports;
    }

    public InetSocketAddress contactPoint() {
        return new InetSocketAddress(HOST, ports.nativePort());
    }

    public long pid() {
        return process.pid();
    }

    public Path dataDir() {
        return dataDir;
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    /** Kills the node by PID (SIGKILL): no drain, no flush, as a crash; returns once it is gone. */
    public void kill() {
        try {
            if (process.isAlive()) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeLifeline();
        }
    }

    /** The same as {@link #close}: SIGTERM, then SIGKILL if it takes over a minute. */
    public void stop() {
        close();
    }

    /** Stops the node by PID: SIGTERM (Cassandra drains and flushes), SIGKILL if it takes over a minute. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            closeLifeline();
        }
    }

    private void closeLifeline() {
        try {
            lifeline.close();
        } catch (IOException ignored) {
            // the child is gone; nothing left to close
        }
    }
}

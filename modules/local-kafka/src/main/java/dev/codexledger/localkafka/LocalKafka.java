package dev.codexledger.localkafka;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real Apache Kafka broker (KRaft: broker and controller in one JVM) for the tests and benchmarks: Kafka's
 * server jars from Maven Central ({@code lib}: modules/kafka-runtime/target/lib) in a forked Java 17 JVM on
 * loopback, its storage
 * formatted once, started on free ports, stopped by its PID — politely ({@link #stop}, SIGTERM) or not
 * ({@link #kill}, SIGKILL) — and started again on the same data and ports ({@link #start}).
 */
public final class LocalKafka implements AutoCloseable {

    private final Path lib;
    private final Path dir;
    private final int port;
    private final int controllerPort;
    private Process process;

    private LocalKafka(Path lib, Path dir, int port, int controllerPort) {
        this.lib = lib;
        this.dir = dir;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    /** A new broker from the jars in {@code lib}, with formatted storage under {@code dir}, started. */
    public static LocalKafka startNew(Path lib, Path dir) throws Exception {
        if (!Files.isDirectory(lib)) {
            throw new IllegalStateException(lib + " is missing (build it: mvn -pl modules/kafka-runtime package)");
        }
        LocalKafka broker = new LocalKafka(lib, dir, freePort(), freePort());
        broker.format();
        broker.start();
        return broker;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    private void format() throws Exception {
        Files.createDirectories(dir);
        String properties = """
                process.roles=broker,controller
                node.id=1
                controller.quorum.voters=1@127.0.0.1:%2$d
                listeners=PLAINTEXT://127.0.0.1:%1$d,CONTROLLER://127.0.0.1:%2$d
                advertised.listeners=PLAINTEXT://127.0.0.1:%1$d
                controller.listener.names=CONTROLLER
                listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
                inter.broker.listener.name=PLAINTEXT
                log.dirs=%3$s
                num.partitions=1
                offsets.topic.replication.factor=1
                offsets.topic.num.partitions=1
                transaction.state.log.replication.factor=1
                transaction.state.log.min.isr=1
                share.coordinator.state.topic.replication.factor=1
                share.coordinator.state.topic.min.isr=1
                log.cleaner.dedupe.buffer.size=4194304
                group.initial.rebalance.delay.ms=0
                auto.create.topics.enable=true
                """.formatted(port, controllerPort, dir.resolve("logs"));
        Files.writeString(dir.resolve("server.properties"), properties);
        Files.writeString(dir.resolve("log4j2.properties"), """
                rootLogger.level = WARN
                rootLogger.appenderRef.file.ref = file
                appender.file.type = File
                appender.file.name = file
                appender.file.fileName = %s
                appender.file.layout.type = PatternLayout
                appender.file.layout.pattern = [%%d] %%p %%m (%%c)%%n
                """.formatted(dir.resolve("broker.log")));
        byte[] uuid = new byte[16];
        UUID random = UUID.randomUUID();
        java.nio.ByteBuffer.wrap(uuid).putLong(random.getMostSignificantBits()).putLong(random.getLeastSignificantBits());
        String clusterId = Base64.getUrlEncoder().withoutPadding().encodeToString(uuid);
        Process formatting = fork(List.of("kafka.tools.StorageTool", "format", "-t", clusterId, "-c",
                dir.resolve("server.properties").toString()), dir.resolve("format.out"));
        if (!formatting.waitFor(60, TimeUnit.SECONDS) || formatting.exitValue() != 0) {
            formatting.destroyForcibly();
            throw new IllegalStateException("kafka storage format failed: " + Files.readString(dir.resolve("format.out")));
        }
    }

    /** Starts the broker (again) on its data and ports; returns once it accepts connections. */
    public void start() throws Exception {
        process = fork(List.of("kafka.Kafka", dir.resolve("server.properties").toString()), dir.resolve("broker.out"));
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("kafka broker exited: " + Files.readString(dir.resolve("broker.out")));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("kafka broker did not listen on " + port + " within 90 s");
    }

    private Process fork(List<String> mainAndArgs, Path output) throws IOException {
        String self = Path.of(ParentGone.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Xms64m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
                "-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties"),
                "-cp", lib.resolve("*") + java.io.File.pathSeparator + self, ParentGone.class.getName()));
        command.addAll(mainAndArgs);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE).start();
    }

    /** SIGTERM, and waits for the broker to end. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** SIGKILL: the broker dies mid-write, as in a crash. */
    public void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}

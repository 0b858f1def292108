package dev.codexledger.testing;

import dev.codexledger.localcassandra.CassandraPorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.dungeon.SerializationCheckFailedException;

/** A Ledger node in its own JVM (its own heap limit), on the shared test Cassandra; stopped by PID. */
public final class ForkedNode implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final LedgerClient client;

    private ForkedNode(Process process, Path log, LedgerClient client) {
        this.process = process;
        this.log = log;
        this.client = client;
    }

    public static ForkedNode start(String keyspace, List<String> jvmOptions, Map<String, String> env) throws Exception {
        int port = CassandraPorts.freePort();
        Path log = Files.createDirectories(SharedCassandra.testDataDir()).resolve("forked-" + keyspace + ".log");
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        TestNodes.SERIALIZE_MESSAGES.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.codexledger.node.Main"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        InetSocketAddress cassandra = SharedCassandra.contactPoint();
        Map<String, String> environment = builder.environment();
        environment.put("LEDGER_CASSANDRA_CONTACT_POINTS", cassandra.getHostString() + ":" + cassandra.getPort());
        environment.put("LEDGER_CASSANDRA_KEYSPACE", keyspace);
        environment.put("LEDGER_HTTP_PORT", Integer.toString(port));
        environment.put("LEDGER_MANAGEMENT_PORT", Integer.toString(CassandraPorts.freePort()));
        environment.put("LEDGER_REMOTE_PORT", Integer.toString(CassandraPorts.freePort()));
        environment.put("LEDGER_ADMIN_KEY", TestNodes.ADMIN_KEY);
        environment.putAll(env);
        Process process = builder.start();
        ForkedNode node = new ForkedNode(process, log, new LedgerClient("http://127.0.0.1:" + port, TestNodes.ADMIN_KEY));
        node.awaitOutput("Codex Ledger is up at", Duration.ofMinutes(2));
        return node;
    }

    public LedgerClient client() {
        return client;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    private void awaitOutput(String text, Duration timeout) throws Exception {
        try {
            Eventually.until(timeout, Duration.ofMillis(200), () -> {
                boolean up = output().contains(text);
                if (!up && !process.isAlive()) {
                    throw new AssertionError("the node exited early:\n" + output());
                }
                return up;
            }, up -> up);
        } catch (AssertionError notUp) {
            if (!process.isAlive()) {
                throw notUp;
            }
            close();
            throw new AssertionError("no '" + text + "' within " + timeout + ":\n" + output(), notUp);
        }
    }

    /** Stops the node; fails if it could not serialize a message meanwhile (see {@link SerializationChecks}). */
    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        List<String> unserializable = output().lines()
                .filter(line -> line.contains(SerializationCheckFailedException.class.getSimpleName())).toList();
        if (!unserializable.isEmpty()) {
            throw new AssertionError("messages without a wire format (serialize-messages), see " + log + ":\n"
                    + String.join("\n", unserializable));
        }
    }
}

package dev.codexledger.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.localcassandra.CassandraPorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * N Ledger nodes, each in its own JVM on loopback, forming one Pekko cluster by cluster bootstrap
 * (config discovery over their management ports) over a given Cassandra. Each node keeps its ports
 * across restarts; every process is stopped by its PID (SIGTERM, SIGKILL, SIGSTOP/SIGCONT).
 */
public final class LedgerCluster implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** A node's fixed ports. */
    public record Ports(int http, int management, int remote) {}

    private final List<Ports> ports = new ArrayList<>();
    private final Process[] processes;
    private final int[] incarnations;
    private final Map<String, String> env;
    private final Path logs;

    private LedgerCluster(int size, Map<String, String> env, Path logs) {
        this.processes = new Process[size];
        this.incarnations = new int[size];
        this.env = env;
        this.logs = logs;
        for (int i = 0; i < size; i++) {
            ports.add(new Ports(CassandraPorts.freePort(), CassandraPorts.freePort(), CassandraPorts.freePort()));
        }
    }

    /**
     * Starts {@code size} nodes at once and waits until each is ready. {@code env} adds to each node's
     * environment (Cassandra contact points, keyspace, replication, ...).
     */
    public static LedgerCluster start(int size, String name, Map<String, String> env) throws Exception {
        Path logs = Files.createDirectories(SharedCassandra.testDataDir().resolve("cluster-" + name + "-" + System.nanoTime()));
        LedgerCluster cluster = new LedgerCluster(size, env, logs);
        try {
            for (int i = 0; i < size; i++) {
                cluster.launch(i);
            }
            cluster.awaitAllReady(Duration.ofMinutes(3));
        } catch (Exception | AssertionError e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    public int size() {
        return processes.length;
    }

    public Ports ports(int node) {
        return ports.get(node);
    }

    public String baseUrl(int node) {
        return "http://127.0.0.1:" + ports.get(node).http();
    }

    public LedgerClient client(int node) {
        return new LedgerClient(baseUrl(node), TestNodes.ADMIN_KEY);
    }

    public long pid(int node) {
        return processes[node].pid();
    }

    public boolean isAlive(int node) {
        return processes[node] != null && processes[node].isAlive();
    }

    private void launch(int node) throws IOException {
        Ports own = ports.get(node);
        String endpoints = ports.stream().map(p -> "127.0.0.1:" + p.management()).collect(Collectors.joining(","));
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx384m", "-XX:+UseSerialGC", "-Dpekko.actor.serialize-messages=on",
                "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4",
                "-cp", System.getProperty("java.class.path"), "dev.codexledger.node.Main"));
        Path log = logs.resolve("node-" + node + "." + (++incarnations[node]) + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> environment = builder.environment();
        environment.put("LEDGER_HTTP_PORT", Integer.toString(own.http()));
        environment.put("LEDGER_MANAGEMENT_PORT", Integer.toString(own.management()));
        environment.put("LEDGER_REMOTE_PORT", Integer.toString(own.remote()));
        environment.put("LEDGER_DISCOVERY", "config");
        environment.put("LEDGER_BOOTSTRAP_ENDPOINTS", endpoints);
        environment.put("LEDGER_ADMIN_KEY", TestNodes.ADMIN_KEY);
        environment.putAll(env);
        processes[node] = builder.start();
    }

    /** Starts a stopped or killed node again, on its ports, and waits until it is ready. */
    public void restart(int node) throws Exception {
        if (isAlive(node)) {
            throw new IllegalStateException("node " + node + " still runs");
        }
        long started = System.nanoTime();
        launch(node);
        awaitReady(node, Duration.ofMinutes(3));
        System.out.printf("[cluster] node %d ready %.1f s after its restart%n", node, (System.nanoTime() - started) / 1e9);
    }

    /** SIGKILL: no shutdown of any kind. */
    public void kill(int node) throws InterruptedException {
        processes[node].destroyForcibly();
        processes[node].waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, and waits until the node has left and exited (its coordinated shutdown). */
    public void stop(int node, Duration timeout) throws InterruptedException {
        processes[node].destroy();
        if (!processes[node].waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            processes[node].destroyForcibly();
            processes[node].waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError("node " + node + " did not stop within " + timeout + " of SIGTERM");
        }
    }

    /** SIGSTOP: the process freezes (threads, timers, sockets) until {@link #resume}. */
    public void pause(int node) throws Exception {
        signal(node, "STOP");
    }

    /** SIGCONT. */
    public void resume(int node) throws Exception {
        signal(node, "CONT");
    }

    private void signal(int node, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid(node))).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + pid(node) + " failed");
        }
    }

    /** Waits until the process exits by itself (e.g. downed: its coordinated shutdown leaves the JVM). */
    public boolean awaitExit(int node, Duration timeout) throws InterruptedException {
        return processes[node].waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Waits until every node is ready; fails at once, with that node's log, when one exits (a node
     * that cannot bind a port or reach Cassandra leaves the others waiting for it in bootstrap).
     */
    private void awaitAllReady(Duration timeout) throws Exception {
        boolean[] ready = new boolean[size()];
        try {
            Eventually.until(timeout, Duration.ofMillis(250), () -> {
                for (int node = 0; node < size(); node++) {
                    if (!processes[node].isAlive()) {
                        throw new AssertionError("node " + node + " exited (" + processes[node].exitValue() + "):\n" + tail(node));
                    }
                    ready[node] = ready[node] || managementStatus(node, "/ready") == 200;
                }
                return ready;
            }, all -> {
                for (boolean one : all) {
                    if (!one) {
                        return false;
                    }
                }
                return true;
            });
        } catch (AssertionError notReady) {
            StringBuilder report = new StringBuilder("not every node ready within " + timeout);
            for (int node = 0; node < size(); node++) {
                if (!ready[node]) {
                    report.append("\n--- node ").append(node).append(" (not ready):\n").append(tail(node));
                }
            }
            throw new AssertionError(report.toString(), notReady);
        }
    }

    public void awaitReady(int node, Duration timeout) throws Exception {
        try {
            Eventually.until(timeout, Duration.ofMillis(250), () -> {
                if (!processes[node].isAlive()) {
                    throw new AssertionError("node " + node + " exited:\n" + tail(node));
                }
                return managementStatus(node, "/ready");
            }, status -> status == 200);
        } catch (AssertionError notReady) {
            throw new AssertionError("node " + node + " not ready within " + timeout + ":\n" + tail(node), notReady);
        }
    }

    /** GET on a node's management port: the status (0 when it does not answer). */
    public int managementStatus(int node, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(node).management() + path))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** {@code GET /cluster/members} of a node: member address → status (Up, Leaving, ...). */
    public Map<String, String> members(int node) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + ports.get(node).management() + "/cluster/members"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        Map<String, String> members = new HashMap<>();
        for (JsonNode member : JSON.readTree(response.body()).path("members")) {
            members.put(member.path("node").asText(), member.path("status").asText());
        }
        return members;
    }

    /** The remote address a node has in the cluster's member list. */
    public String address(int node) {
        return "pekko://codex-ledger@127.0.0.1:" + ports.get(node).remote();
    }

    /** {@code GET /cluster/shards/{type}}: the shard ids this node hosts with at least one entity. */
    public List<String> hostedShards(int node, String type) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + ports.get(node).management() + "/cluster/shards/" + type))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        List<String> shards = new ArrayList<>();
        for (JsonNode region : JSON.readTree(response.body()).path("regions")) {
            if (region.path("numEntities").asInt() > 0) {
                shards.add(region.path("shardId").asText());
            }
        }
        return shards;
    }

    /** The last lines of a node's current log, for failure messages. */
    public String tail(int node) {
        try {
            List<String> lines = Files.readAllLines(logs.resolve("node-" + node + "." + incarnations[node] + ".log"),
                    StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** All of a node's logs (every incarnation), for assertions on what it said. */
    public String logs(int node) throws IOException {
        StringBuilder all = new StringBuilder();
        for (int i = 1; i <= incarnations[node]; i++) {
            all.append(Files.readString(logs.resolve("node-" + node + "." + i + ".log"), StandardCharsets.UTF_8));
        }
        return all.toString();
    }

    @Override
    public void close() throws InterruptedException {
        for (Process process : processes) {
            if (process != null && process.isAlive()) {
                try {
                    new ProcessBuilder("kill", "-CONT", Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
                } catch (IOException ignored) {
                    // it may have exited meanwhile
                }
                process.destroy();
            }
        }
        for (Process process : processes) {
            if (process != null && !process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}

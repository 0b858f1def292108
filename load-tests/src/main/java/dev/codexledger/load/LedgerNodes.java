package dev.codexledger.load;

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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * N ledger nodes, each in its own JVM ({@link ForkedNodeMain}, this JVM's class path) on loopback, forming
 * one Pekko cluster by cluster bootstrap (config discovery over their management ports) over a given
 * Cassandra. A node keeps its ports across restarts. Every process is stopped by its PID: SIGKILL for
 * {@link #kill}, SIGTERM then SIGKILL in {@link #close}; a shutdown hook of this JVM kills whatever is
 * still running, and each node leaves by itself when this JVM dies (its stdin pipe closes).
 */
final class LedgerNodes implements AutoCloseable {

    static final String ADMIN_KEY = Benchmark.KEY;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    /** Every ledger process this JVM started, for the shutdown hook. */
    private static final List<Process> ALL = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Process process : ALL) {
                if (process.isAlive()) {
                    process.destroyForcibly();
                }
            }
        }, "kill-ledger-nodes"));
    }

    /** A node's fixed ports. */
    record Ports(int http, int management, int remote) {}

    private final List<Ports> ports = new ArrayList<>();
    private final Process[] processes;
    private final int[] incarnations;
    private final Map<String, String> env;
    private final String heap;
    private final Path logs;

    private LedgerNodes(int size, String heap, Map<String, String> env, Path logs) {
        this.processes = new Process[size];
        this.incarnations = new int[size];
        this.heap = heap;
        this.env = Map.copyOf(env);
        this.logs = logs;
        Set<Integer> taken = new HashSet<>();
        for (int i = 0; i < size; i++) {
            ports.add(new Ports(free(taken), free(taken), free(taken)));
        }
    }

    private static int free(Set<Integer> taken) {
        int port;
        do {
            port = CassandraPorts.freePort();
        } while (!taken.add(port));
        return port;
    }

    /**
     * Starts {@code size} nodes at once with heap {@code heap} (e.g. "1g") and {@code env} added to each
     * node's environment (Cassandra contact points, keyspace, replication, tuning); returns once each is
     * ready and every one sees all of them Up.
     */
    static LedgerNodes start(int size, String heap, Map<String, String> env, Path logs) throws Exception {
        LedgerNodes nodes = new LedgerNodes(size, heap, env, Files.createDirectories(logs));
        try {
            for (int i = 0; i < size; i++) {
                nodes.launch(i);
            }
            for (int i = 0; i < size; i++) {
                nodes.awaitReady(i, Duration.ofMinutes(3));
            }
            nodes.awaitAllUp(Duration.ofMinutes(1));
        } catch (Exception | Error e) {
            nodes.close();
            throw e;
        }
        return nodes;
    }

    int size() {
        return processes.length;
    }

    String baseUrl(int node) {
        return "http://127.0.0.1:" + ports.get(node).http();
    }

    long pid(int node) {
        return processes[node].pid();
    }

    List<Long> pids() {
        List<Long> pids = new ArrayList<>();
        for (Process process : processes) {
            pids.add(process.pid());
        }
        return pids;
    }

    boolean isAlive(int node) {
        return processes[node] != null && processes[node].isAlive();
    }

    /** How the members name this node: {@code pekko://codex-ledger@127.0.0.1:<remote port>}. */
    String address(int node) {
        return "pekko://codex-ledger@127.0.0.1:" + ports.get(node).remote();
    }

    private void launch(int node) throws IOException {
        Ports own = ports.get(node);
        String endpoints = ports.stream().map(p -> "127.0.0.1:" + p.management()).collect(Collectors.joining(","));
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx" + heap, "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4"));
        // extra options for diagnosis only (e.g. a logback configuration with sharding at DEBUG)
        String extra = System.getProperty("ledger.jvm.options", "").trim();
        if (!extra.isEmpty()) {
            command.addAll(List.of(extra.split("\\s+")));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ForkedNodeMain.class.getName()));
        Path log = logs.resolve("node-" + node + "." + (++incarnations[node]) + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> environment = builder.environment();
        environment.remove("JAVA_TOOL_OPTIONS");
        environment.remove("JDK_JAVA_OPTIONS");
        environment.put("LEDGER_HTTP_PORT", Integer.toString(own.http()));
        environment.put("LEDGER_MANAGEMENT_PORT", Integer.toString(own.management()));
        environment.put("LEDGER_REMOTE_PORT", Integer.toString(own.remote()));
        if (processes.length > 1) {
            environment.put("LEDGER_DISCOVERY", "config");
            environment.put("LEDGER_BOOTSTRAP_ENDPOINTS", endpoints);
        }
        environment.put("LEDGER_ADMIN_KEY", ADMIN_KEY);
        environment.putAll(env);
        Process process = builder.start(); // its stdin stays an open pipe: ForkedNodeMain's lifeline
        ALL.add(process);
        processes[node] = process;
    }

    /** Starts a killed node again on its ports and waits until it is ready. */
    void restart(int node) throws Exception {
        if (isAlive(node)) {
            throw new IllegalStateException("node " + node + " still runs");
        }
        launch(node);
        awaitReady(node, Duration.ofMinutes(3));
    }

    /** SIGKILL by PID, no shutdown of any kind; returns System.nanoTime() just before the signal. */
    long kill(int node) throws InterruptedException {
        long at = System.nanoTime();
        processes[node].destroyForcibly();
        processes[node].waitFor(30, TimeUnit.SECONDS);
        return at;
    }

    void awaitReady(int node, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (managementStatus(node, "/ready") != 200) {
            if (!processes[node].isAlive()) {
                throw new IllegalStateException("ledger node " + node + " exited:\n" + tail(node));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("ledger node " + node + " not ready within " + timeout + ":\n"
                        + tail(node));
            }
            Thread.sleep(250);
        }
    }

    /** Waits until every running node sees every running node Up (and nothing unreachable). */
    void awaitAllUp(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean all = true;
            for (int i = 0; i < size() && all; i++) {
                if (!isAlive(i)) {
                    continue;
                }
                JsonNode view = members(i);
                long up = 0;
                for (JsonNode member : view.path("members")) {
                    if ("Up".equals(member.path("status").asText())) {
                        up++;
                    }
                }
                long running = java.util.stream.IntStream.range(0, size()).filter(this::isAlive).count();
                all = up == running && view.path("unreachable").isEmpty();
            }
            if (all) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("ledger nodes not all Up within " + timeout);
            }
            Thread.sleep(250);
        }
    }

    /** GET on a node's management port: the status (0 when it does not answer). */
    int managementStatus(int node, String path) {
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

    /** {@code GET /cluster/members} of a node, as JSON ({@code members}, {@code unreachable}, {@code oldest}, …). */
    JsonNode members(int node) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ports.get(node).management() + "/cluster/members"))
                .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("/cluster/members of node " + node + ": " + response.statusCode());
        }
        return JSON.readTree(response.body());
    }

    /** {@code GET /cluster/shards/{type}}: the shard ids this node's region hosts. */
    Set<String> hostedShards(int node, String type) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ports.get(node).management() + "/cluster/shards/" + type))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("/cluster/shards/" + type + " of node " + node + ": " + response.statusCode());
        }
        Set<String> shards = new HashSet<>();
        for (JsonNode region : JSON.readTree(response.body()).path("regions")) {
            shards.add(region.path("shardId").asText());
        }
        return shards;
    }

    /** {@code GET /cluster/shards/{type}}: how many entities of that type this node's region holds in memory. */
    long entities(int node, String type) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ports.get(node).management() + "/cluster/shards/" + type))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("/cluster/shards/" + type + " of node " + node + ": " + response.statusCode());
        }
        long entities = 0;
        for (JsonNode region : JSON.readTree(response.body()).path("regions")) {
            entities += region.path("numEntities").asLong();
        }
        return entities;
    }

    /** The file of a node's current log. */
    Path logFile(int node) {
        return logs.resolve("node-" + node + "." + incarnations[node] + ".log");
    }

    /**
     * Which running node hosts each of these workspaces' {@code WorkspaceLedger} shard (shard id as
     * sharding's default extractor computes it: |hashCode| mod number-of-shards); -1 when no node lists it.
     */
    Map<String, Integer> hosts(List<String> workspaces, int numberOfShards) throws IOException, InterruptedException {
        List<Set<String>> hosted = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            hosted.add(isAlive(i) ? hostedShards(i, "WorkspaceLedger") : Set.of());
        }
        Map<String, Integer> hosts = new LinkedHashMap<>();
        for (String workspace : workspaces) {
            String shard = shardId(workspace, numberOfShards);
            int host = -1;
            for (int i = 0; i < size(); i++) {
                if (hosted.get(i).contains(shard)) {
                    host = i;
                }
            }
            hosts.put(workspace, host);
        }
        return hosts;
    }

    static String shardId(String entityId, int numberOfShards) {
        return Integer.toString(Math.abs(entityId.hashCode()) % numberOfShards);
    }

    /** The last lines of a node's current log. */
    String tail(int node) {
        try {
            List<String> lines = Files.readAllLines(logs.resolve("node-" + node + "." + incarnations[node] + ".log"),
                    StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** SIGTERM to every running node at once (coordinated shutdown), SIGKILL to any still running after 60 s. */
    @Override
    public void close() {
        for (Process process : processes) {
            if (process != null && process.isAlive()) {
                process.destroy();
            }
        }
        for (Process process : processes) {
            if (process == null) {
                continue;
            }
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(30, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            ALL.remove(process);
        }
    }
}

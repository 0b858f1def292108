package dev.codexledger.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.node.LedgerNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Budget decisions at gateway scale (issue 15), open model, latency from each request's scheduled start,
 * a constant endpoint ({@code POST /v1/ping}) measured in the same run at the same request rate:
 * <ul>
 *   <li>{@code gateways}: 64 gateways (connections) reserve and then settle at a fixed offered number of
 *       pairs per second into one workspace; afterwards the budget must count exactly what was settled,
 *       and hold nothing;</li>
 *   <li>{@code cold}: the node started again, its JIT warmed on another workspace, then 64 reservations
 *       at once into the same workspace, whose budget recovers from its snapshot (several rounds);</li>
 *   <li>{@code remote}: two nodes in one cluster; checks and forward-auth on the node hosting the
 *       workspace's budget and on the other (one hop), against the constant endpoint on each.</li>
 * </ul>
 * Writes its section of load-tests/RESULTS.md.
 */
public final class BudgetGatewayBenchmark {

    static final String BEGIN = "<!-- budget-gateway-run:begin (written by load-tests/run-budget.sh) -->";
    static final String END = "<!-- budget-gateway-run:end -->";
    private static final String KEY = Benchmark.KEY;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int GATEWAYS = 64;
    /** Credits each call is estimated at and settles for. */
    private static final String CALL = "0.01";

    record Phase(String name, double offered, double achieved, long ok, long failed, long unavailable, double p50,
                 double p99, double p999, double max) {}

    private BudgetGatewayBenchmark() {}

    /** CPU of a phase: the machine's (all cores), this JVM's (node and load generator) and Cassandra's. */
    private record CpuUse(CpuSampler machine, long cassandraPid, double cassandraAtStart, long startNanos) {
        static CpuUse start(long cassandraPid) {
            return new CpuUse(new CpuSampler(), cassandraPid, ProcessCpu.seconds(cassandraPid), System.nanoTime());
        }

        String done(String phase, long requests) {
            double wall = (System.nanoTime() - startNanos) / 1e9;
            int cores = Runtime.getRuntime().availableProcessors();
            double busy = machine.machineBusyNanosSinceStart() / 1e9;
            double jvm = machine.processNanosSinceStart() / 1e9;
            double cassandra = ProcessCpu.seconds(cassandraPid) - cassandraAtStart;
            String row = String.format("| %s | %d | %.0f %% | %.2f | %.1f | %.1f | %.1f |", phase, requests,
                    100 * busy / (cores * wall), busy / wall, 1e6 * jvm / requests, 1e6 * cassandra / requests,
                    1e6 * busy / requests);
            System.out.println("cpu " + row);
            return row;
        }
    }

    private static final List<String> cpuUse = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Set<String> parts = Set.of(System.getProperty("parts", "gateways,cold,remote").split(","));
        int pairs = Integer.getInteger("pairs", 5000);
        int checks = Integer.getInteger("remote.rate", 5000);
        int coldRounds = Integer.getInteger("cold.rounds", 3);
        Duration phase = Duration.ofSeconds(Long.getLong("phase.seconds", 20));
        List<String> notes = new ArrayList<>();
        List<Phase> phases = new ArrayList<>();
        List<Phase> remote = new ArrayList<>();
        long[] cold = new long[0];
        List<String> coldStatuses = new ArrayList<>();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (LocalCassandra cassandra = Benchmark.startCassandra(root, "ledger-budget-gateways-")) {
            LedgerNode.Running node = Benchmark.startNode(cassandra);
            try {
                String base = base(node);
                BudgetBenchmark.put(http, base, "/v1/admin/workspaces/gw/budgets/org",
                        "{\"window\":\"month\",\"cap\":100000000}");
                BudgetBenchmark.put(http, base, "/v1/admin/workspaces/gw/budgets/teams/gateways",
                        "{\"window\":\"week\",\"cap\":10000000}");
                for (int g = 0; g < GATEWAYS; g++) {
                    BudgetBenchmark.put(http, base, "/v1/admin/workspaces/gw/members/gw-" + g, "{\"team\":\"gateways\"}");
                }
                if (parts.contains("gateways")) {
                    System.out.println("warm-up");
                    open(base, ping(base), pairs, Duration.ofSeconds(10), GATEWAYS, "warm-up ping");
                    pairs(base, pairs / 2, Duration.ofSeconds(15), "warm-up pairs");
                    long cassandraPid = cassandra.pid();
                    CpuUse cpu = CpuUse.start(cassandraPid);
                    phases.add(open(base, ping(base), 2 * pairs, phase, GATEWAYS,
                            "constant endpoint (POST /v1/ping), " + 2 * pairs + " requests/s"));
                    cpuUse.add(cpu.done(phases.get(phases.size() - 1).name(), phases.get(phases.size() - 1).ok()));
                    cpu = CpuUse.start(cassandraPid);
                    Phase[] both = pairs(base, pairs, phase, "reserve + settle, " + pairs + " pairs/s offered");
                    cpuUse.add(cpu.done(both[1].name() + " (reserve and settle: 2 requests each)", 2 * both[1].ok()));
                    phases.addAll(List.of(both));
                    cpu = CpuUse.start(cassandraPid);
                    phases.add(open(base, ping(base), 2 * pairs, phase, GATEWAYS, "constant endpoint, again"));
                    cpuUse.add(cpu.done(phases.get(phases.size() - 1).name(), phases.get(phases.size() - 1).ok()));
                    notes.add(accounting(http, base));
                }
                if (parts.contains("cold")) {
                    if (!parts.contains("gateways")) { // a journal with snapshots to recover from
                        pairs(base, 500, Duration.ofSeconds(8), "journal for the cold budget");
                    }
                    List<Long> latencies = new ArrayList<>();
                    for (int round = 1; round <= coldRounds; round++) {
                        node.stop();
                        node = Benchmark.startNode(cassandra);
                        String again = base(node);
                        // the node's own warm-up (JIT, connections, sharding) on other workspaces: only gw is cold
                        open(again, ping(again), 2000, Duration.ofSeconds(8), 16, "warm-up ping");
                        open(again, check(again, "warm-" + round), 2000, Duration.ofSeconds(8), 16, "warm-up check");
                        for (String status : burst(again, latencies)) {
                            coldStatuses.add(status);
                        }
                        System.out.printf("cold burst round %d: %s%n", round, coldStatuses);
                    }
                    cold = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
                }
            } finally {
                node.stop();
            }
            if (parts.contains("remote")) {
                remote = remote(cassandra, checks, phase, root, notes);
            }
        }
        write(root.resolve("load-tests/RESULTS.md"), pairs, phase, phases, cold, coldStatuses, coldRounds, remote,
                checks, notes);
        System.exit(0);
    }

    private static String base(LedgerNode.Running node) {
        return "http://127.0.0.1:" + node.httpAddress().getPort();
    }

    private static byte[] post(String base, String path, String body, String... headers) {
        URI uri = URI.create(base);
        StringBuilder request = new StringBuilder("POST ").append(path).append(" HTTP/1.1\r\nHost: ")
                .append(uri.getHost()).append(':').append(uri.getPort()).append("\r\nAuthorization: Bearer ").append(KEY)
                .append("\r\nContent-Type: application/json\r\nContent-Length: ").append(body.length()).append("\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        return request.append("\r\n").append(body).toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static final String CHECK_BODY = "{\"user\":\"gw-1\",\"estimate_credits\":" + CALL + "}";

    private static byte[] ping(String base) {
        return post(base, "/v1/ping", CHECK_BODY);
    }

    private static byte[] check(String base, String workspace) {
        return post(base, "/v1/budget/workspaces/" + workspace + "/check", CHECK_BODY);
    }

    private static byte[] forwardAuth(String base, String workspace) {
        return post(base, "/v1/budget/forward-auth", "", "X-Ledger-Workspace: " + workspace, "X-Ledger-User: gw-1",
                "X-Ledger-Estimate-Credits: " + CALL);
    }

    /**
     * {@code rate} requests per second on schedule for {@code duration} over {@code connections} keep-alive
     * connections (request i on connection i mod n); latency from the schedule. Anything but 200 fails.
     */
    static Phase open(String base, byte[] request, int rate, Duration duration, int connections, String name)
            throws Exception {
        int total = (int) (rate * duration.toSeconds());
        long[] latencies = new long[total];
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong unavailable = new AtomicLong();
        URI uri = URI.create(base);
        long period = 1_000_000_000L / rate;
        long start = System.nanoTime() + 100_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            int connection = c;
            Thread thread = new Thread(() -> {
                BudgetBenchmark.RawConnection raw = null;
                for (int i = connection; i < total; i += connections) {
                    long due = start + i * period;
                    await(due);
                    try {
                        if (raw == null) {
                            raw = new BudgetBenchmark.RawConnection(uri.getHost(), uri.getPort());
                        }
                        int status = raw.exchange(request);
                        (status == 200 ? ok : status == 503 ? unavailable : failed).incrementAndGet();
                    } catch (IOException e) {
                        failed.incrementAndGet();
                        raw = null;
                    }
                    latencies[i] = System.nanoTime() - due;
                }
                if (raw != null) {
                    raw.close();
                }
            }, "open-" + c);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        return phase(name, rate, start, latencies, ok.get(), failed.get(), unavailable.get());
    }

    private static void await(long due) {
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
    }

    private static Phase phase(String name, double offered, long start, long[] latencies, long ok, long failed,
                               long unavailable) {
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] done = latencies.clone();
        Arrays.sort(done);
        Phase result = new Phase(name, offered, ok / seconds, ok, failed, unavailable, BudgetBenchmark.pct(done, 0.50),
                BudgetBenchmark.pct(done, 0.99), BudgetBenchmark.pct(done, 0.999), done[done.length - 1] / 1e6);
        System.out.printf("%-55s offered %6.0f/s answered %8.0f/s ok %8d failed %6d 503 %6d p50 %7.3f ms p99 %8.3f ms"
                        + " p99.9 %8.3f ms%n", name, offered, result.achieved(), ok, failed, unavailable, result.p50(),
                result.p99(), result.p999());
        return result;
    }

    /**
     * {@value #GATEWAYS} gateways: pair i is due at start + i/rate on gateway i mod 64, which reserves (201
     * held; a denial ends the pair) and then settles what it reserved. Two phases come back: the
     * reservations (latency from the pair's schedule) and the whole pairs (schedule to settled).
     */
    private static Phase[] pairs(String base, int rate, Duration duration, String name) throws Exception {
        int total = (int) (rate * duration.toSeconds());
        long[] reserveLatency = new long[total];
        long[] pairLatency = new long[total];
        AtomicLong held = new AtomicLong();
        AtomicLong settled = new AtomicLong();
        AtomicLong reserveFailed = new AtomicLong(); // neither 201 nor a denial (200), nor 503
        AtomicLong settleFailed = new AtomicLong();
        AtomicLong denied = new AtomicLong();
        AtomicLong unavailable = new AtomicLong();
        URI uri = URI.create(base);
        long period = 1_000_000_000L / rate;
        long start = System.nanoTime() + 100_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (int g = 0; g < GATEWAYS; g++) {
            int gateway = g;
            byte[] reserve = post(base, "/v1/budget/workspaces/gw/reservations",
                    "{\"user\":\"gw-" + g + "\",\"estimate_credits\":" + CALL + "}");
            Thread thread = new Thread(() -> {
                BudgetBenchmark.RawConnection raw = null;
                for (int i = gateway; i < total; i += GATEWAYS) {
                    long due = start + i * period;
                    await(due);
                    try {
                        if (raw == null) {
                            raw = new BudgetBenchmark.RawConnection(uri.getHost(), uri.getPort());
                        }
                        BudgetBenchmark.RawConnection.Answer answer = raw.exchangeWithBody(reserve);
                        reserveLatency[i] = System.nanoTime() - due;
                        if (answer.status() == 201) {
                            held.incrementAndGet();
                            String id = JSON.readTree(answer.body()).get("reservation_id").asText();
                            int status = raw.exchange(post(base, "/v1/budget/workspaces/gw/reservations/" + id
                                    + "/settle", "{\"actual_credits\":" + CALL + "}"));
                            if (status == 200) {
                                settled.incrementAndGet();
                                SETTLED.incrementAndGet();
                            } else {
                                settleFailed.incrementAndGet();
                            }
                        } else {
                            (answer.status() == 503 ? unavailable : answer.status() == 200 ? denied : reserveFailed)
                                    .incrementAndGet();
                        }
                    } catch (IOException e) {
                        reserveFailed.incrementAndGet();
                        raw = null;
                        reserveLatency[i] = System.nanoTime() - due;
                    }
                    pairLatency[i] = System.nanoTime() - due;
                }
                if (raw != null) {
                    raw.close();
                }
            }, "gateway-" + g);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        if (denied.get() > 0) {
            System.out.println(denied.get() + " reservations denied by the budget");
        }
        Phase reservations = phase(name + ": reservations (held)", rate, start, reserveLatency, held.get(),
                reserveFailed.get() + denied.get(), unavailable.get());
        Phase whole = phase(name + ": pairs (reserved and settled)", rate, start, pairLatency, settled.get(),
                settleFailed.get(), 0);
        return new Phase[] {reservations, whole};
    }

    /** Every settlement answered 200, over all pair phases (warm-up included). */
    private static final AtomicLong SETTLED = new AtomicLong();

    /** Spent on the org level must be exactly the settled calls, nothing left reserved. */
    private static String accounting(HttpClient http, String base) throws Exception {
        Thread.sleep(1500); // nothing is in flight any more; the budget's answers are after its writes
        HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create(base
                        + "/v1/admin/workspaces/gw/budgets")).header("Authorization", "Bearer " + KEY).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(status.body());
        java.math.BigDecimal expected = new java.math.BigDecimal(CALL).multiply(java.math.BigDecimal.valueOf(SETTLED.get()));
        for (JsonNode level : body.path("budgets")) {
            if ("org".equals(level.path("level").asText())) {
                java.math.BigDecimal spent = new java.math.BigDecimal(level.path("spent").asText());
                java.math.BigDecimal reserved = new java.math.BigDecimal(level.path("reserved").asText());
                String line = String.format("accounting: %d settlements answered 200 × %s credits = %s; the org level"
                                + " counts %s spent (%s), %s reserved (%s)", SETTLED.get(), CALL, expected.toPlainString(),
                        spent.toPlainString(), spent.compareTo(expected) == 0 ? "exact" : "**MISMATCH**",
                        reserved.toPlainString(), reserved.signum() == 0 ? "none left" : "**LEFT RESERVED**");
                System.out.println(line);
                return line;
            }
        }
        throw new IllegalStateException("no org level in " + status.body());
    }

    /** 64 reservations released at once on 64 open connections; their latencies (ns) added, statuses returned. */
    private static List<String> burst(String base, List<Long> latencies) throws Exception {
        URI uri = URI.create(base);
        CountDownLatch go = new CountDownLatch(1);
        long[] took = new long[GATEWAYS];
        String[] statuses = new String[GATEWAYS];
        long[] released = new long[1];
        List<Thread> threads = new ArrayList<>();
        for (int g = 0; g < GATEWAYS; g++) {
            int gateway = g;
            BudgetBenchmark.RawConnection raw = new BudgetBenchmark.RawConnection(uri.getHost(), uri.getPort());
            byte[] reserve = post(base, "/v1/budget/workspaces/gw/reservations",
                    "{\"user\":\"gw-" + g + "\",\"estimate_credits\":" + CALL + "}");
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                    int status = raw.exchange(reserve);
                    took[gateway] = System.nanoTime() - released[0];
                    statuses[gateway] = Integer.toString(status);
                } catch (Exception e) {
                    statuses[gateway] = e.getClass().getSimpleName();
                } finally {
                    raw.close();
                }
            }, "burst-" + g);
            threads.add(thread);
            thread.start();
        }
        Thread.sleep(200);
        released[0] = System.nanoTime();
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        for (long t : took) {
            latencies.add(t);
        }
        return List.of(statuses);
    }

    /** Two ledger JVMs in one cluster: checks and forward-auth on the budget's host and on the other node. */
    private static List<Phase> remote(LocalCassandra cassandra, int rate, Duration phase, Path root, List<String> notes)
            throws Exception {
        List<Phase> phases = new ArrayList<>();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (LedgerNodes nodes = LedgerNodes.start(2, "1g", Map.of(
                "LEDGER_CASSANDRA_CONTACT_POINTS", "127.0.0.1:" + cassandra.nativePort(),
                "LEDGER_CASSANDRA_REPLICATION", "{'class': 'SimpleStrategy', 'replication_factor': 1}",
                "LEDGER_CASSANDRA_KEYSPACE", "bench_budget_remote"),
                Files.createTempDirectory("ledger-budget-remote-logs"))) {
            BudgetBenchmark.put(http, nodes.baseUrl(0), "/v1/admin/workspaces/remote/budgets/org",
                    "{\"window\":\"month\",\"cap\":100000000}");
            BudgetBenchmark.put(http, nodes.baseUrl(0), "/v1/admin/workspaces/remote/budgets/users/gw-1",
                    "{\"window\":\"day\",\"cap\":1000000}");
            int numberOfShards = com.typesafe.config.ConfigFactory.load()
                    .getInt("pekko.cluster.sharding.number-of-shards");
            String shard = LedgerNodes.shardId("remote", numberOfShards);
            int host = nodes.hostedShards(0, "WorkspaceBudget").contains(shard) ? 0
                    : nodes.hostedShards(1, "WorkspaceBudget").contains(shard) ? 1 : -1;
            if (host < 0) {
                throw new IllegalStateException("no node lists the budget's shard " + shard);
            }
            int other = 1 - host;
            String hostBase = nodes.baseUrl(host);
            String otherBase = nodes.baseUrl(other);
            notes.add("remote: the budget of workspace `remote` (shard " + shard + ") runs on node " + host
                    + "; node " + other + " asks it through sharding (one hop)");
            System.out.println("warm-up (two nodes)");
            for (String base : List.of(hostBase, otherBase)) {
                open(base, ping(base), rate / 2, Duration.ofSeconds(8), 16, "warm-up ping");
                open(base, check(base, "remote"), rate / 2, Duration.ofSeconds(8), 16, "warm-up check");
                open(base, forwardAuth(base, "remote"), rate / 2, Duration.ofSeconds(8), 16, "warm-up forward-auth");
            }
            // the hop's own code (Artery, the messages' serializers) warms up too before anything is measured
            open(otherBase, check(otherBase, "remote"), rate / 2, Duration.ofSeconds(15), 16, "warm-up check, other");
            open(otherBase, forwardAuth(otherBase, "remote"), rate / 2, Duration.ofSeconds(10), 16,
                    "warm-up forward-auth, other");
            phases.add(open(hostBase, ping(hostBase), rate, phase, 16, "constant endpoint, host node"));
            phases.add(open(hostBase, check(hostBase, "remote"), rate, phase, 16, "check, host node (in memory)"));
            phases.add(open(otherBase, check(otherBase, "remote"), rate, phase, 16, "check, other node (one hop)"));
            phases.add(open(otherBase, ping(otherBase), rate, phase, 16, "constant endpoint, other node"));
            phases.add(open(otherBase, forwardAuth(otherBase, "remote"), rate, phase, 16,
                    "forward-auth, other node (one hop)"));
            phases.add(open(hostBase, forwardAuth(hostBase, "remote"), rate, phase, 16, "forward-auth, host node"));
            phases.add(open(otherBase, check(otherBase, "remote"), rate, phase, 16, "check, other node (one hop), again"));
        }
        return phases;
    }

    private static void write(Path file, int pairs, Duration phase, List<Phase> phases, long[] cold,
                              List<String> coldStatuses, int coldRounds, List<Phase> remote, int checks,
                              List<String> notes) throws IOException {
        StringBuilder section = new StringBuilder(BEGIN).append("\n\n");
        section.append("Run at ").append(Instant.now()).append(": ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores, OpenJDK ").append(System.getProperty("java.version")).append(", ")
                .append(Benchmark.cassandraName).append(" local (commit log periodic), the load generator on the same")
                .append(" machine. Open model, each latency from its scheduled start; ").append(phase.toSeconds())
                .append(" s per phase.\n\n");
        if (!phases.isEmpty()) {
            section.append("64 gateways, one workspace (users in a team under the org), ").append(pairs)
                    .append(" reserve + settle pairs/s offered; the constant endpoint at the same request rate:\n\n");
            table(section, phases);
            Phase reservations = phases.stream().filter(p -> p.name().contains("reservations")).findFirst().orElseThrow();
            double ping = phases.stream().filter(p -> p.name().startsWith("constant")).mapToDouble(Phase::p99).average()
                    .orElse(Double.NaN);
            section.append(String.format("%nReservation p99 ÷ the constant endpoint's p99 (mean of its two phases):"
                    + " **%.2f×**.%n", reservations.p99() / ping));
            section.append("\nCPU in the same phases (machine: every process, the load generator's 64 threads included;"
                    + " this JVM: the node and the load generator, which share it):\n\n"
                    + "| phase | requests answered | machine busy | cores busy | this JVM, CPU µs per request |"
                    + " Cassandra, CPU µs per request | machine, CPU µs per request |\n|---|---:|---:|---:|---:|---:|---:|\n");
            cpuUse.forEach(row -> section.append(row).append('\n'));
        }
        if (cold.length > 0) {
            section.append(String.format("%nCold budget, 64 reservations at once, %d rounds (each on a node started"
                            + " again, warmed on other workspaces): answers %s; p50 %.1f ms, **p99 %.1f ms**, max %.1f ms"
                            + " (from the release of all 64).%n", coldRounds, summary(coldStatuses),
                    BudgetBenchmark.pct(cold, 0.5), BudgetBenchmark.pct(cold, 0.99), cold[cold.length - 1] / 1e6));
        }
        if (!remote.isEmpty()) {
            section.append("\nDecisions on any node: two ledger JVMs, ").append(checks)
                    .append(" requests/s on one node at a time:\n\n");
            table(section, remote);
        }
        for (String note : notes) {
            section.append("\n- ").append(note);
        }
        section.append("\n\n").append(END);
        Results.replaceSection(file, BEGIN, END, "\n## Budget decisions at gateway scale (issue 15)\n\n"
                + "`load-tests/run-budget.sh`\n\n", section);
    }

    private static String summary(List<String> statuses) {
        Map<String, Long> counts = new java.util.TreeMap<>();
        statuses.forEach(s -> counts.merge(s, 1L, Long::sum));
        return counts.toString();
    }

    private static void table(StringBuilder out, List<Phase> phases) {
        out.append("| phase | offered/s | answered ok/s | failed | 503 | p50 | p99 | p99.9 | max |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Phase p : phases) {
            out.append(String.format("| %s | %.0f | %.0f | %d | %d | %.3f ms | **%.3f ms** | %.3f ms | %.1f ms |%n",
                    p.name(), p.offered(), p.achieved(), p.failed(), p.unavailable(), p.p50(), p.p99(), p.p999(),
                    p.max()));
        }
    }
}

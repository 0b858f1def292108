package dev.codexledger.load;

import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.node.LedgerNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Budget decisions (issue 6) at a fixed offered rate — an open model: requests start on schedule whether
 * or not earlier ones have been answered, and each latency counts from its scheduled start, so a slow
 * answer delays nobody's measurement. The check (a user in a team under a department and the org) is
 * compared in the same run with a constant endpoint on the same server ({@code POST /v1/ping}, same body
 * size); then checks again while JSON ingest runs at half the node's maximum. Writes its section of
 * load-tests/RESULTS.md.
 */
public final class BudgetBenchmark {

    static final String BEGIN = "<!-- budget-run:begin (written by load-tests/run-budget.sh) -->";
    static final String END = "<!-- budget-run:end -->";
    private static final String KEY = Benchmark.KEY;
    private static final int CONNECTIONS = Integer.getInteger("connections", 16);
    private static final String CHECK_BODY = "{\"user\":\"ana\",\"model\":\"gpt-5-codex\",\"estimate_credits\":0.25}";

    /** One open-model phase's outcome. */
    record Phase(String name, double offered, double achieved, long ok, long failed, double p50, double p99,
                 double p999, double max) {}

    private BudgetBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        int rate = Integer.getInteger("rate", 10_000);
        int busyRate = Integer.getInteger("busy.rate", rate);
        Duration phase = Duration.ofSeconds(Long.getLong("phase.seconds", 30));
        List<Phase> phases = new ArrayList<>();
        Measurement max;
        Measurement background;
        try (LocalCassandra cassandra = Benchmark.startCassandra(root, "ledger-budget-benchmark-")) {
            LedgerNode.Running node = Benchmark.startNode(cassandra);
            try {
                String base = "http://127.0.0.1:" + node.httpAddress().getPort();
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                setUp(http, base);
                System.out.println("warm-up");
                open(base, "/v1/ping", rate / 2, Duration.ofSeconds(15), "warm-up ping");
                open(base, "/v1/budget/workspaces/bench/check", rate / 2, Duration.ofSeconds(15), "warm-up check");
                phases.add(open(base, "/v1/ping", rate, phase, "constant endpoint (POST /v1/ping)"));
                phases.add(open(base, "/v1/budget/workspaces/bench/check", rate, phase, "budget check"));
                phases.add(open(base, "/v1/ping", rate, phase, "constant endpoint, again"));

                if (!Boolean.parseBoolean(System.getProperty("ingest", "true"))) {
                    System.exit(0); // profiling the decisions alone
                }
                HttpLoad load = new HttpLoad(base, KEY);
                max = load.run("ingest at full speed", Duration.ofSeconds(20), 4, SearchBenchmark::jsonBody);
                double halfRequests = max.eventsPerSecond() / 2 / 500;
                System.out.printf("ingest maximum %.0f events/s; now %.1f requests/s (half) during the checks%n",
                        max.eventsPerSecond(), halfRequests);
                CompletableFuture<Measurement> ingest = CompletableFuture.supplyAsync(() -> {
                    try {
                        return load.run("background ingest", phase.multipliedBy(2).plusSeconds(10), 4,
                                (w, n) -> SearchBenchmark.jsonBody(w, n + 1_000_000L), halfRequests);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(3000);
                phases.add(open(base, "/v1/ping", busyRate, phase, "constant endpoint, ingest at half maximum"));
                phases.add(open(base, "/v1/budget/workspaces/bench/check", busyRate, phase,
                        "budget check, ingest at half maximum"));
                background = ingest.join();
                System.out.printf("background ingest: %.0f events/s%n", background.eventsPerSecond());
            } finally {
                node.stop();
            }
        }
        write(root.resolve("load-tests/RESULTS.md"), phases, max, background, rate, busyRate);
        System.exit(0);
    }

    private static void setUp(HttpClient http, String base) throws Exception {
        put(http, base, "/v1/admin/workspaces/bench/budgets/org", "{\"window\":\"month\",\"cap\":1000000000}");
        put(http, base, "/v1/admin/workspaces/bench/budgets/teams/eng", "{\"window\":\"month\",\"cap\":100000000}");
        put(http, base, "/v1/admin/workspaces/bench/budgets/teams/platform",
                "{\"window\":\"week\",\"cap\":10000000,\"parent\":\"eng\",\"thresholds\":[80,100]}");
        put(http, base, "/v1/admin/workspaces/bench/budgets/users/ana", "{\"window\":\"day\",\"cap\":1000000}");
        put(http, base, "/v1/admin/workspaces/bench/members/ana", "{\"team\":\"platform\"}");
    }

    static void put(HttpClient http, String base, String path, String body) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(path + " → " + response.statusCode() + " " + response.body());
        }
    }

    /**
     * Starts {@code rate} requests per second on schedule for {@code duration}; latency from the schedule.
     * {@value #CONNECTIONS} keep-alive connections share the schedule (request i goes to connection
     * i mod n): a late answer makes that connection's next requests late, and their latencies say so.
     */
    private static Phase open(String base, String path, int rate, Duration duration, String name) throws Exception {
        URI uri = URI.create(base);
        byte[] request = ("POST " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                + "\r\nAuthorization: Bearer " + KEY + "\r\nContent-Type: application/json\r\nContent-Length: "
                + CHECK_BODY.length() + "\r\n\r\n" + CHECK_BODY).getBytes(StandardCharsets.US_ASCII);
        BudgetGatewayBenchmark.Phase p = BudgetGatewayBenchmark.open(base, request, rate, duration, CONNECTIONS, name);
        return new Phase(name, p.offered(), p.achieved(), p.ok(), p.failed() + p.unavailable(), p.p50(), p.p99(),
                p.p999(), p.max());
    }

    /** A keep-alive HTTP/1.1 connection that sends a ready request and reads the answer (Content-Length). */
    static final class RawConnection {
        private final java.net.Socket socket;
        private final java.io.OutputStream out;
        private final java.io.BufferedInputStream in;

        RawConnection(String host, int port) throws IOException {
            socket = new java.net.Socket(host, port);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000);
            out = socket.getOutputStream();
            in = new java.io.BufferedInputStream(socket.getInputStream(), 16 * 1024);
        }

        int exchange(byte[] request) throws IOException {
            return send(request, false).status();
        }

        /** The status and the body of the answer. */
        Answer exchangeWithBody(byte[] request) throws IOException {
            return send(request, true);
        }

        record Answer(int status, String body) {}

        private Answer send(byte[] request, boolean keepBody) throws IOException {
            out.write(request);
            out.flush();
            String status = line();
            int code = Integer.parseInt(status.substring(9, 12));
            int length = 0;
            String header;
            while (!(header = line()).isEmpty()) {
                if (header.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    length = Integer.parseInt(header.substring(15).trim());
                }
            }
            if (!keepBody) {
                in.skipNBytes(length);
                return new Answer(code, null);
            }
            return new Answer(code, new String(in.readNBytes(length), StandardCharsets.UTF_8));
        }

        private String line() throws IOException {
            StringBuilder line = new StringBuilder(64);
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    throw new java.io.EOFException();
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing after the phase
            }
        }
    }

    static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    private static void write(Path file, List<Phase> phases, Measurement max, Measurement background, int rate,
                              int busyRate) throws IOException {
        StringBuilder section = new StringBuilder(BEGIN).append("\n\n");
        section.append("Run at ").append(Instant.now()).append(": ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, OpenJDK ")
                .append(System.getProperty("java.version")).append(", " + Benchmark.cassandraName + " local, the load generator on")
                .append(" the same machine. Open model: ").append(rate).append(" requests/s offered (")
                .append(busyRate).append("/s during ingest), each latency from its scheduled start. The check: user")
                .append(" ana of team platform (week) under department eng (month) and the org pool (month), with a")
                .append(" daily user budget — 4 levels. Ingest maximum measured first: ")
                .append(String.format("%.0f", max.eventsPerSecond())).append(" events/s; during the busy phases: ")
                .append(String.format("%.0f", background.eventsPerSecond())).append(" events/s.\n\n");
        section.append("| phase | offered/s | answered 200/s | failed | p50 | p99 | p99.9 | max |\n");
        section.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Phase p : phases) {
            section.append(String.format("| %s | %.0f | %.0f | %d | %.3f ms | **%.3f ms** | %.3f ms | %.1f ms |%n",
                    p.name(), p.offered(), p.achieved(), p.failed(), p.p50(), p.p99(), p.p999(), p.max()));
        }
        section.append("\n").append(END);
        Results.replaceSection(file, BEGIN, END, "\n## Budget decisions (issue 6)\n\n`load-tests/run-budget.sh`\n\n", section);
    }
}

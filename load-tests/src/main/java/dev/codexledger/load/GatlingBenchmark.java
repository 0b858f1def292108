package dev.codexledger.load;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.storage.CassandraSettings;
import dev.codexledger.storage.LedgerSchema;
import java.io.IOException;
import java.math.BigDecimal;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The HTTP load of load-tests/ as Gatling simulations (module {@code load-tests/gatling}, Java DSL), with
 * the raw Cassandra baseline and the constant endpoint in the same run: a local Cassandra, its raw insert
 * rate, a Ledger node on it, then one Gatling JVM per simulation against that node — JSON records over
 * many workspaces, OTLP protobuf, one hot workspace ({@code IngestSimulation}), then gateways reserving
 * and settling, checks and forward-auth against the constant endpoint ({@code BudgetSimulation}). Reads
 * each run's statistics table, checks the budget's accounting and writes its section of
 * load-tests/RESULTS.md; Gatling's HTML reports stay under {@code load-tests/target/gatling/results}.
 *
 * <p>Settings (system properties): {@code phase.seconds} (30), {@code workers} (8), {@code batch} (500),
 * {@code workspaces} (50), {@code pairs} (2000), {@code checks} (5000), {@code budget.seconds} (20),
 * {@code warmup.seconds} (10), {@code cassandra.heap.mb} (3072), {@code parts} ({@code baseline,ingest,budget}).
 */
public final class GatlingBenchmark {

    static final String BEGIN = "<!-- gatling-run:begin (written by load-tests/run-gatling.sh) -->";
    static final String END = "<!-- gatling-run:end -->";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MARKER = "@@LEDGER-TOKEN@@";
    private static final String WORKSPACE = "gw";
    private static final int GATEWAYS = 64;

    /** One request name of a Gatling run, as its report's statistics table gives it (times in ms, as Gatling records them). */
    record Stat(String name, long ok, long ko, double perSecond, long p50, long p95, long p99, long p999, long max) {}

    /**
     * What one run does: {@code parts} holds {@code baseline} (the raw Cassandra rates), {@code ingest}
     * and {@code budget}; phases of {@code phase} (ingest) and {@code budgetPhase}, each simulation's
     * warm-up {@code warmUp}.
     */
    record Settings(Set<String> parts, Duration phase, Duration warmUp, int workers, int batch, int workspaces,
                    int pairs, int checks, Duration budgetPhase) {

        static Settings fromSystemProperties() {
            return new Settings(Set.of(System.getProperty("parts", "baseline,ingest,budget").split(",")),
                    Duration.ofSeconds(Long.getLong("phase.seconds", 30)),
                    Duration.ofSeconds(Long.getLong("warmup.seconds", 10)), Integer.getInteger("workers", 8),
                    Integer.getInteger("batch", 500), Integer.getInteger("workspaces", 50),
                    Integer.getInteger("pairs", 2000), Integer.getInteger("checks", 5000),
                    Duration.ofSeconds(Long.getLong("budget.seconds", 20)));
        }
    }

    /** What a run measured; {@code reports} are the folders of Gatling's HTML reports. */
    record Outcome(List<Measurement> baseline, List<Stat> ingest, List<Stat> budget, String accounting,
                   List<Path> reports) {}

    private GatlingBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Settings settings = Settings.fromSystemProperties();
        Outcome outcome;
        try (LocalCassandra cassandra = Benchmark.startCassandra(root, "ledger-gatling-")) {
            List<Measurement> baseline = settings.parts().contains("baseline")
                    ? baseline(cassandra, settings.phase()) : List.of();
            LedgerNode.Running node = Benchmark.startNode(cassandra);
            try {
                outcome = run(root, "http://127.0.0.1:" + node.httpAddress().getPort(), settings);
            } finally {
                node.stop();
            }
            outcome = new Outcome(baseline, outcome.ingest(), outcome.budget(), outcome.accounting(),
                    outcome.reports());
        }
        write(root.resolve("load-tests/RESULTS.md"), root, settings, outcome);
        System.exit(0);
    }

    /** The raw Cassandra insert rates (single rows, unlogged batches) on {@code cassandra}, after its warm-up. */
    private static List<Measurement> baseline(LocalCassandra cassandra, Duration phase) throws Exception {
        List<Measurement> measured = new ArrayList<>();
        CassandraSettings raw = CassandraSettings.fromConfig(ConfigFactory.load())
                .withContactPoint(cassandra.contactPoint()).withKeyspace("raw_baseline");
        try (CqlSession session = CqlSession.builder().addContactPoint(cassandra.contactPoint())
                .withLocalDatacenter(LocalCassandra.DATACENTER).build()) {
            LedgerSchema.create(session, raw, Duration.ofDays(30));
            RawBaseline rawBaseline = new RawBaseline(session, "raw_baseline");
            System.out.println("warming Cassandra up (a fresh node is slow until warm)");
            rawBaseline.run("warm-up", Duration.ofSeconds(20), 50, 32);
            measured.add(Benchmark.log(rawBaseline.run("raw Cassandra, single-row inserts (256 in flight)", phase, 1,
                    256)));
            measured.add(Benchmark.log(rawBaseline.run("raw Cassandra, unlogged batches of 50 (32 in flight)", phase,
                    50, 32)));
            Benchmark.awaitQuiet(session, Duration.ofSeconds(60));
        }
        return measured;
    }

    /**
     * Runs the simulations {@code settings.parts()} names against the node at {@code base} (admin key
     * {@link Benchmark#KEY}), each in its own Gatling JVM, and reads their reports.
     */
    static Outcome run(Path root, String base, Settings settings) throws Exception {
        Path work = root.resolve("load-tests/target/gatling");
        Path results = work.resolve("results");
        Files.createDirectories(results);
        List<Stat> ingest = new ArrayList<>();
        List<Path> reports = new ArrayList<>();
        List<Stat> budget = new ArrayList<>();
        String accounting = null;
        String run = Long.toString(System.currentTimeMillis() % 100_000, 36);
        if (settings.parts().contains("ingest")) {
            String[][] loads = {
                {"json", "JSON records, " + settings.workspaces() + " workspaces"},
                {"otlp", "OTLP protobuf, " + settings.workspaces() + " workspaces"},
                {"hot", "JSON records, one hot workspace"}};
            for (String[] load : loads) {
                Path bodies = templates(work.resolve("bodies").resolve(load[0]), load[0], settings.batch(),
                        load[0].equals("hot") ? 1 : settings.workspaces());
                Map<String, String> properties = new LinkedHashMap<>(Map.of(
                        "ledger.base", base, "ledger.key", Benchmark.KEY,
                        "ingest.bodies", bodies.toString(), "ingest.name", load[1],
                        "ingest.token", (load[0].charAt(0) + run + "000").substring(0, 4),
                        "ingest.users", String.valueOf(settings.workers()),
                        "ingest.seconds", String.valueOf(settings.phase().toSeconds()),
                        "ingest.warmup.seconds", String.valueOf(settings.warmUp().toSeconds())));
                Path report = gatling(root, "IngestSimulation", load[1], properties, results,
                        settings.phase().plus(settings.warmUp()));
                reports.add(report);
                Stat stat = stats(report).get(load[1]);
                ingest.add(stat);
                System.out.printf("%-55s %10.0f records/s  p50 %d ms  p99 %d ms  (%d accepted, %d refused)%n",
                        load[1], stat.ok() * (double) settings.batch() / settings.phase().toSeconds(), stat.p50(),
                        stat.p99(), stat.ok(), stat.ko());
            }
        }
        if (settings.parts().contains("budget")) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            BudgetBenchmark.put(http, base, "/v1/admin/workspaces/" + WORKSPACE + "/budgets/org",
                    "{\"window\":\"month\",\"cap\":100000000}");
            BudgetBenchmark.put(http, base, "/v1/admin/workspaces/" + WORKSPACE + "/budgets/teams/gateways",
                    "{\"window\":\"week\",\"cap\":10000000}");
            for (int g = 0; g < GATEWAYS; g++) {
                BudgetBenchmark.put(http, base, "/v1/admin/workspaces/" + WORKSPACE + "/members/gw-" + g,
                        "{\"team\":\"gateways\"}");
            }
            Map<String, String> properties = new LinkedHashMap<>(Map.of(
                    "ledger.base", base, "ledger.key", Benchmark.KEY, "budget.workspace", WORKSPACE,
                    "budget.gateways", String.valueOf(GATEWAYS), "budget.pairs", String.valueOf(settings.pairs()),
                    "budget.checks", String.valueOf(settings.checks()),
                    "budget.seconds", String.valueOf(settings.budgetPhase().toSeconds()),
                    "budget.warmup.seconds", String.valueOf(settings.warmUp().toSeconds())));
            Path report = gatling(root, "BudgetSimulation", "budget decisions", properties, results,
                    settings.budgetPhase().multipliedBy(6).plus(settings.warmUp().multipliedBy(2)));
            reports.add(report);
            Map<String, Stat> stats = stats(report);
            for (String name : List.of("constant endpoint (before)", "reserve", "settle", "pair",
                    "constant endpoint (after)", "constant endpoint (checks)", "check", "forward-auth")) {
                Stat stat = stats.get(name);
                if (stat == null) {
                    throw new IllegalStateException("no " + name + " in " + report + ": " + stats.keySet());
                }
                budget.add(stat);
            }
            long settled = stats.get("settle").ok() + stats.get("warm-up settle").ok();
            accounting = accounting(http, base, settled);
        }
        return new Outcome(List.of(), ingest, budget, accounting, reports);
    }

    /**
     * Writes {@code count} request bodies of {@code batch} records into {@code folder} with their
     * {@code index.tsv} (see the simulations' BodyTemplates), each record id holding the marker the
     * simulation replaces by a fresh token per request; body k goes to workspace {@code name-(k mod workspaces)}.
     */
    private static Path templates(Path folder, String name, int batch, int workspaces) throws IOException {
        Files.createDirectories(folder);
        int count = Math.max(64, workspaces);
        StringBuilder index = new StringBuilder();
        for (int k = 0; k < count; k++) {
            String workspace = name + "-" + (k % workspaces);
            long first = (long) k * batch;
            byte[] bytes;
            String path;
            String contentType;
            if (name.equals("otlp")) {
                bytes = OtlpBatches.request(MARKER + "-" + name, first, batch);
                path = "/v1/logs";
                contentType = "application/x-protobuf";
            } else {
                StringBuilder body = new StringBuilder(batch * 900).append('[');
                for (int i = 0; i < batch; i++) {
                    body.append(i > 0 ? "," : "").append(CodexLikeRecords.json(MARKER + "-" + name + "-" + (first + i),
                            (int) ((first + i) % 200), first + i));
                }
                bytes = body.append(']').toString().getBytes(StandardCharsets.UTF_8);
                path = "/v1/workspaces/" + workspace + "/records";
                contentType = "application/json";
            }
            String file = String.format("%04d.body", k);
            Files.write(folder.resolve(file), bytes);
            index.append(file).append('\t').append(path).append('\t').append(contentType).append('\t')
                    .append(workspace).append('\t').append(batch).append('\n');
        }
        Files.writeString(folder.resolve("index.tsv"), index, StandardCharsets.UTF_8);
        return folder;
    }

    /**
     * Runs one simulation in its own JVM (Gatling's class path: {@code load-tests/gatling/target}), waits
     * at most its length plus three minutes, and returns the folder of the report it wrote.
     */
    private static Path gatling(Path root, String simulation, String description, Map<String, String> properties, Path results,
                                Duration length) throws Exception {
        Path module = root.resolve("load-tests/gatling/target");
        String classPath = module.resolve("load-tests-gatling-0.1.0-SNAPSHOT.jar") + java.io.File.pathSeparator
                + module.resolve("lib") + java.io.File.separator + "*";
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"), "-Xmx2g", "-XX:+UseParallelGC",
                // what Gatling's own launchers pass: its log writer reads String internals
                "--add-opens=java.base/java.lang=ALL-UNNAMED"));
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.addAll(List.of("-cp", classPath, "io.gatling.app.Gatling",
                "--simulation", "dev.codexledger.load.gatling." + simulation,
                "--results-folder", results.toString(), "--run-description", description));
        Set<Path> before = reports(results);
        System.out.println("gatling: " + simulation + " (" + description + ")");
        Process process = new ProcessBuilder(command).inheritIO().start();
        if (!process.waitFor(length.plusMinutes(3).toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("Gatling (pid " + process.pid() + ") did not finish in time; stopped");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("Gatling exited with " + process.exitValue());
        }
        List<Path> made = reports(results).stream().filter(p -> !before.contains(p)).toList();
        if (made.size() != 1) {
            throw new IllegalStateException("expected one new report in " + results + ", found " + made);
        }
        return made.get(0);
    }

    private static Set<Path> reports(Path results) throws IOException {
        try (Stream<Path> folders = Files.list(results)) {
            return folders.filter(Files::isDirectory).collect(Collectors.toSet());
        }
    }

    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("class=\"ellipsed-name\">([^<]*)<");
    private static final java.util.regex.Pattern CELL =
            java.util.regex.Pattern.compile("<td class=\"value [a-z]+ col-(\\d+)\">([^<]*)</td>");

    /**
     * Every request and group of a report, by name, from the statistics table of its {@code index.html}
     * (Gatling 3.14 writes no {@code stats.json} any more): the columns Total, OK, KO, % KO, Cnt/s, Min,
     * 50th, 95th, 99th, 99.9th pct, Max (times in ms over OK and KO answers, as the table shows them).
     */
    static Map<String, Stat> stats(Path report) throws IOException {
        String html = Files.readString(report.resolve("index.html"), StandardCharsets.UTF_8);
        Map<String, Stat> stats = new LinkedHashMap<>();
        for (String row : html.split("<tr id=\"")) {
            java.util.regex.Matcher name = NAME.matcher(row);
            if (!name.find()) {
                continue;
            }
            Map<Integer, String> cells = new java.util.HashMap<>();
            java.util.regex.Matcher cell = CELL.matcher(row);
            while (cell.find()) {
                cells.put(Integer.parseInt(cell.group(1)), cell.group(2).replace(",", "").trim());
            }
            if (cells.size() < 12) {
                continue;
            }
            String label = name.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
                    .replace("&#39;", "'").replace("&quot;", "\"");
            stats.put(label, new Stat(label, number(cells.get(3)), number(cells.get(4)), Double.parseDouble(cells.get(6)),
                    number(cells.get(8)), number(cells.get(9)), number(cells.get(10)), number(cells.get(11)),
                    number(cells.get(12))));
        }
        if (stats.isEmpty()) {
            throw new IllegalStateException("no statistics table in " + report.resolve("index.html"));
        }
        return stats;
    }

    private static long number(String cell) {
        return cell.equals("-") ? 0 : Math.round(Double.parseDouble(cell));
    }

    /** The org level must count exactly the settled calls as spent and hold nothing reserved. */
    private static String accounting(HttpClient http, String base, long settled) throws Exception {
        Thread.sleep(1500);
        HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/admin/workspaces/"
                        + WORKSPACE + "/budgets")).header("Authorization", "Bearer " + Benchmark.KEY).build(),
                HttpResponse.BodyHandlers.ofString());
        BigDecimal expected = new BigDecimal("0.01").multiply(BigDecimal.valueOf(settled));
        for (JsonNode level : JSON.readTree(status.body()).path("budgets")) {
            if ("org".equals(level.path("level").asText())) {
                BigDecimal spent = new BigDecimal(level.path("spent").asText());
                BigDecimal reserved = new BigDecimal(level.path("reserved").asText());
                String line = String.format("%d settlements answered 200 (Gatling's OKs, warm-up included) × 0.01"
                                + " credits = %s; the org level counts %s spent (%s), %s reserved (%s)", settled,
                        expected.toPlainString(), spent.toPlainString(),
                        spent.compareTo(expected) == 0 ? "exact" : "**MISMATCH**", reserved.toPlainString(),
                        reserved.signum() == 0 ? "none left" : "**LEFT RESERVED**");
                System.out.println("accounting: " + line);
                return line;
            }
        }
        throw new IllegalStateException("no org level in " + status.body());
    }

    static void write(Path file, Path root, Settings settings, Outcome outcome) throws IOException {
        int workers = settings.workers();
        int batch = settings.batch();
        Duration phase = settings.phase();
        List<Measurement> baseline = outcome.baseline();
        List<Stat> ingest = outcome.ingest();
        List<Stat> budget = outcome.budget();
        int pairs = settings.pairs();
        int checks = settings.checks();
        Duration budgetPhase = settings.budgetPhase();
        String accounting = outcome.accounting();
        List<String> reports = outcome.reports().stream().map(r -> root.relativize(r).toString()).toList();
        StringBuilder section = new StringBuilder(BEGIN).append("\n\n");
        section.append("Run at ").append(Instant.now()).append(" on ").append(Results.host()).append(": ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, ").append(Results.memoryGib())
                .append(" GiB, OpenJDK ").append(System.getProperty("java.version")).append(", ")
                .append(Benchmark.cassandraName).append(" local (commit log periodic); Gatling ")
                .append("in its own JVM on the same machine. Command: `load-tests/run-gatling.sh`. Latencies are")
                .append(" Gatling's, from the request's send to its answer, in whole milliseconds, over OK and KO")
                .append(" answers as its statistics table gives them; rates are OK answers over the phase's length.\n");
        if (!ingest.isEmpty()) {
            section.append("\nIngest, closed model: ").append(workers).append(" exporters, batches of ").append(batch)
                    .append(" records (~800 bytes each), ").append(phase.toSeconds()).append(" s each after ")
                    .append(settings.warmUp().toSeconds()).append(" s of warm-up; a refusal (429/503) is retried after 100 ms and counted as a KO.\n\n")
                    .append("| load | records/s | ÷ raw single-row inserts | p50 | p99 | p99.9 | batches accepted | refusals |\n")
                    .append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
            double rawRate = baseline.isEmpty() ? Double.NaN : baseline.get(0).eventsPerSecond();
            for (Measurement m : baseline) {
                section.append(String.format("| %s | %.0f | %.2f×%s | – | – | – | – | – |%n", m.name(),
                        m.eventsPerSecond(), m.eventsPerSecond() / rawRate, m == baseline.get(0) ? " (baseline)" : ""));
            }
            for (Stat s : ingest) {
                double rate = s.ok() * (double) batch / phase.toSeconds();
                section.append(String.format("| ledger (Gatling): %s | %.0f | %.2f× | %d ms | %d ms | %d ms | %d | %d |%n",
                        s.name(), rate, rate / rawRate, s.p50(), s.p99(), s.p999(), s.ok(), s.ko()));
            }
        }
        if (!budget.isEmpty()) {
            section.append("\nBudget decisions: ").append(GATEWAYS)
                    .append(" gateways (Gatling virtual users, each on its own keep-alive connection, each starting")
                    .append(" its calls on a fixed schedule with `pace`), one workspace, ").append(budgetPhase.toSeconds())
                    .append(" s per phase after a warm-up: reserve + settle at ").append(pairs)
                    .append(" pairs/s between the constant endpoint (`POST /v1/ping`) at the same request rate,")
                    .append(" then checks and forward-auth at ").append(checks)
                    .append(" requests/s after the constant endpoint at that rate.\n\n")
                    .append("| requests | answered OK/s | OK | KO | p50 | p95 | p99 | p99.9 | max |\n")
                    .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (Stat s : budget) {
                section.append(String.format("| %s | %.0f | %d | %d | %d ms | %d ms | %d ms | %d ms | %d ms |%n",
                        s.name(), s.ok() / (double) budgetPhase.toSeconds(), s.ok(), s.ko(), s.p50(), s.p95(), s.p99(),
                        s.p999(), s.max()));
            }
            Map<String, Stat> byName = budget.stream().collect(Collectors.toMap(Stat::name, s -> s));
            double pairsPing = Math.max(1, (byName.get("constant endpoint (before)").p99()
                    + byName.get("constant endpoint (after)").p99()) / 2.0);
            double checksPing = Math.max(1, byName.get("constant endpoint (checks)").p99());
            section.append(String.format("%nRatios of p99 (a constant-endpoint p99 under 1 ms counts as 1 ms, Gatling's"
                            + " resolution): reserve ÷ constant endpoint **%.2f×**, check ÷ constant endpoint **%.2f×**,"
                            + " forward-auth ÷ constant endpoint **%.2f×**.%n", byName.get("reserve").p99() / pairsPing,
                    byName.get("check").p99() / checksPing, byName.get("forward-auth").p99() / checksPing));
            section.append("\nAccounting after the run: ").append(accounting).append(".\n");
        }
        section.append("\nGatling's HTML reports of this run (open `index.html`; under `target/`, not committed): ")
                .append(reports.stream().map(r -> "`" + r + "`").collect(Collectors.joining(", "))).append(".\n\n")
                .append(END);
        Results.replaceSection(file, BEGIN, END, "\n## Gatling simulations (issue 17)\n\n", section);
    }
}

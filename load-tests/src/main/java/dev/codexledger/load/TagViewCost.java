package dev.codexledger.load;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.codexledger.localcassandra.LocalCassandra;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * Issue 12: what tagging journal events costs the write path of the Cassandra journal plugin. One fresh
 * local Cassandra; for a large (~150 KB, incompressible, like a 500-record {@code RecordsAppended}) and a
 * small (~200 bytes, like a budget change) event: tags off, tags on (one tag per event, four tags), and
 * tags on with a live {@code eventsByTag} query per tag (what a projection would run). Each phase writes
 * into a keyspace of its own with a plain ActorSystem and a few closed-loop {@link EventSourcedBehavior}
 * entities, each persisting its next event as soon as the previous one is acknowledged. The bytes each
 * table holds on disk are measured after Cassandra stops (it flushes its memtables on the way out).
 *
 * <p>Arguments: the repository root. Settings (system properties): {@code phase.seconds} (25),
 * {@code warmup.seconds} (20), {@code entities} (8), {@code tags} (4), {@code large.bytes} (150000),
 * {@code small.bytes} (200), {@code query.phases} (true), {@code cassandra.heap.mb} (3072), {@code keep.data} (false:
 * the Cassandra data folder is deleted at the end).
 */
public final class TagViewCost {

    static final String BEGIN = "<!-- tag-cost-run:begin (written by load-tests/run-tag-cost.sh) -->";
    static final String END = "<!-- tag-cost-run:end -->";
    static final String HEADING = "\n## Tag views (issue 12): cost of eventsByTag on the Cassandra journal\n\n"
            + "`load-tests/run-tag-cost.sh`\n\n";

    private static final Duration MIN_WARM_IN = Duration.ofSeconds(5);

    private TagViewCost() {}

    /** How a phase writes: the event size, whether events are tagged, whether tag queries read along. */
    record Phase(String label, String keyspace, int eventBytes, boolean tagged, boolean queried) {}

    /** What a phase measured; disk bytes are filled in after Cassandra stopped. */
    static final class Result {
        final Phase phase;
        long events;
        long payloadBytes;
        double seconds;
        double p50Millis;
        double p99Millis;
        double cpuPercent;
        long machineCpuNanos;
        long jvmCpuNanos;
        long cassandraWriteBytes;
        long eventsInKeyspace;
        long taggedEventsInKeyspace = -1;
        long queryEvents;
        double lagP50Millis = Double.NaN;
        double lagP99Millis = Double.NaN;
        Map<String, Long> tableBytes = new TreeMap<>();

        Result(Phase phase) {
            this.phase = phase;
        }

        double eventsPerSecond() {
            return events / seconds;
        }

        double megabytesPerSecond() {
            return payloadBytes / 1e6 / seconds;
        }

        double machineCpuMicrosPerEvent() {
            return machineCpuNanos / 1e3 / events;
        }

        long tableBytes(String table) {
            return tableBytes.getOrDefault(table, 0L);
        }

        long tagTableBytes() {
            return tableBytes.entrySet().stream().filter(e -> e.getKey().startsWith("tag_"))
                    .mapToLong(Map.Entry::getValue).sum();
        }

        long allTableBytes() {
            return tableBytes.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Duration phaseLength = Duration.ofSeconds(Long.getLong("phase.seconds", 25));
        Duration warmUp = Duration.ofSeconds(Long.getLong("warmup.seconds", 20));
        int entities = Integer.getInteger("entities", 8);
        int tags = Integer.getInteger("tags", 4);
        int large = Integer.getInteger("large.bytes", 150_000);
        int small = Integer.getInteger("small.bytes", 200);
        boolean queryPhases = Boolean.parseBoolean(System.getProperty("query.phases", "true"));

        byte[] pool = new byte[32 << 20];
        new SplittableRandom(12).nextBytes(pool);

        List<Result> results = new ArrayList<>();
        Path dataDir;
        long cassandraPid;
        try (LocalCassandra cassandra = Benchmark.startCassandra(root, "ledger-tag-cost-")) {
            dataDir = cassandra.dataDir();
            cassandraPid = cassandra.pid();
            try (CqlSession session = CqlSession.builder().addContactPoint(cassandra.contactPoint())
                    .withLocalDatacenter(LocalCassandra.DATACENTER).build()) {
                log("warming Cassandra up with " + large + "-byte events, tags off, " + warmUp.toSeconds() + " s");
                run(cassandra, session, new Phase("warm-up", "tagcost_warm", large, false, false), warmUp, entities,
                        tags, pool);
                List<Phase> phases = new ArrayList<>();
                for (int size : new int[] {large, small}) {
                    String name = size >= 10_000 ? (size / 1000) + " KB" : size + " B";
                    String ks = "tagcost_" + size;
                    phases.add(new Phase(name + ", tags off", ks + "_off", size, false, false));
                    phases.add(new Phase(name + ", tags on", ks + "_on", size, true, false));
                    if (queryPhases) {
                        phases.add(new Phase(name + ", tags on + eventsByTag", ks + "_query", size, true, true));
                    }
                }
                for (Phase phase : phases) {
                    Result result = run(cassandra, session, phase, phaseLength, entities, tags, pool);
                    results.add(log(result));
                    countTagged(session, result);
                    Benchmark.awaitQuiet(session, Duration.ofSeconds(90));
                }
            }
        }
        // Cassandra flushed its memtables while stopping: the data folder now holds everything written
        for (Result result : results) {
            result.tableBytes.putAll(tableBytes(dataDir.resolve("data").resolve(result.phase.keyspace())));
        }
        StringBuilder section = render(results, phaseLength, warmUp, entities, tags);
        System.out.println(section);
        Results.replaceSection(root.resolve("load-tests/RESULTS.md"), BEGIN, END, HEADING, section);
        if (Boolean.getBoolean("keep.data")) {
            log("Cassandra data (pid " + cassandraPid + " stopped) left in " + dataDir);
        } else {
            Benchmark.deleteFolder(dataDir);
        }
        System.exit(0);
    }

    /** One phase in an ActorSystem of its own, writing into the phase's fresh keyspace. */
    private static Result run(LocalCassandra cassandra, CqlSession session, Phase phase, Duration length, int entities,
            int tags, byte[] pool) throws Exception {
        session.execute("CREATE KEYSPACE IF NOT EXISTS " + phase.keyspace()
                + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
        Load load = new Load(pool, phase.eventBytes());
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "tagcost", config(cassandra, phase));
        Result result = new Result(phase);
        try {
            List<ActorRef<Next>> refs = new ArrayList<>();
            for (int i = 0; i < entities; i++) {
                String tag = "ledger-" + (i % tags);
                refs.add(system.systemActorOf(Entity.create("writer-" + i, phase.tagged() ? tag : null, load),
                        "writer-" + i, Props.empty()));
            }
            refs.forEach(ref -> ref.tell(Next.INSTANCE));
            // tables are created on the first write; wait until every writer got a few events through
            long warmDeadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            Thread.sleep(MIN_WARM_IN.toMillis());
            while (load.totalEvents.get() < 10L * entities && System.nanoTime() < warmDeadline) {
                Thread.sleep(200);
            }
            Lags lags = new Lags();
            if (phase.queried()) {
                CassandraReadJournal journal = PersistenceQuery.get(system)
                        .getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier());
                var from = journal.timeBasedUUIDFrom(System.currentTimeMillis());
                for (int t = 0; t < Math.min(tags, entities); t++) {
                    journal.eventsByTag("ledger-" + t, from)
                            .runForeach(envelope -> lags.add(System.currentTimeMillis() - envelope.timestamp()), system);
                }
                Thread.sleep(3000); // the queries' offset scanning, before the clock starts
            }
            long writesBefore = cassandraWriteBytes(cassandra.pid());
            CpuSampler cpu = new CpuSampler();
            long start = System.nanoTime();
            load.measuring = true;
            lags.measuring = true;
            Thread.sleep(length.toMillis());
            load.measuring = false;
            lags.measuring = false;
            long end = System.nanoTime();
            result.cpuPercent = cpu.percentSinceLast();
            result.machineCpuNanos = cpu.machineBusyNanosSinceStart();
            result.jvmCpuNanos = cpu.processNanosSinceStart();
            result.cassandraWriteBytes = cassandraWriteBytes(cassandra.pid()) - writesBefore;
            result.seconds = (end - start) / 1e9;
            load.running = false;
            synchronized (load) {
                result.events = load.count;
                result.payloadBytes = load.bytes;
                result.p50Millis = Measurement.percentile(load.latencies, load.count, 0.50);
                result.p99Millis = Measurement.percentile(load.latencies, load.count, 0.99);
            }
            synchronized (lags) {
                result.queryEvents = lags.count;
                result.lagP50Millis = Measurement.percentile(lags.millis, lags.count, 0.50) * 1e6;
                result.lagP99Millis = Measurement.percentile(lags.millis, lags.count, 0.99) * 1e6;
            }
            // let the last persists finish before the system stops
            long quiet = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (load.inFlight.get() > 0 && System.nanoTime() < quiet) {
                Thread.sleep(50);
            }
            result.eventsInKeyspace = load.totalEvents.get();
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        return result;
    }

    /**
     * The journal configured as the server configures it ({@code ledger-cassandra.conf}: keyspace made by
     * us, tables by the plugin), in a plain local ActorSystem; only the keyspace and tagging differ.
     */
    private static Config config(LocalCassandra cassandra, Phase phase) {
        Map<String, Object> overrides = new LinkedHashMap<>();
        overrides.put("ledger.cassandra.keyspace", phase.keyspace());
        overrides.put("pekko.persistence.cassandra.events-by-tag.enabled", phase.tagged());
        overrides.put("datastax-java-driver.basic.contact-points", List.of("127.0.0.1:" + cassandra.nativePort()));
        return ConfigFactory.parseMap(overrides)
                .withFallback(ConfigFactory.parseString("""
                        pekko {
                          loglevel = "WARNING"
                          loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
                          logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
                          actor.provider = "local"
                          actor.allow-java-serialization = off
                        }
                        """))
                .withFallback(ConfigFactory.parseResources("ledger-cassandra.conf"))
                .withFallback(ConfigFactory.defaultReference())
                .resolve();
    }

    /** The closed loop's shared state: payloads to write, and what was acknowledged while measuring. */
    static final class Load {
        private final byte[] pool;
        private final int eventBytes;
        private final SplittableRandom random = new SplittableRandom(7);
        volatile boolean running = true;
        volatile boolean measuring;
        final AtomicLong totalEvents = new AtomicLong();
        final AtomicLong inFlight = new AtomicLong();
        long[] latencies = new long[1 << 16];
        int count;
        long bytes;

        Load(byte[] pool, int eventBytes) {
            this.pool = pool;
            this.eventBytes = eventBytes;
        }

        /** A slice of the random pool at a random place: incompressible, different for every event. */
        synchronized byte[] nextPayload() {
            int offset = random.nextInt(pool.length - eventBytes);
            return Arrays.copyOfRange(pool, offset, offset + eventBytes);
        }

        synchronized void acknowledged(long nanos, int size) {
            totalEvents.incrementAndGet();
            if (!measuring) {
                return;
            }
            if (count == latencies.length) {
                latencies = Arrays.copyOf(latencies, count * 2);
            }
            latencies[count++] = nanos;
            bytes += size;
        }
    }

    /** Lag of the eventsByTag queries: delivery time minus the event's write timestamp. */
    static final class Lags {
        volatile boolean measuring;
        long[] millis = new long[1 << 14];
        int count;

        synchronized void add(long lagMillis) {
            if (!measuring) {
                return;
            }
            if (count == millis.length) {
                millis = Arrays.copyOf(millis, count * 2);
            }
            millis[count++] = lagMillis;
        }
    }

    enum Next { INSTANCE }

    /** One writer: persists its next event as soon as the previous one is acknowledged. */
    static final class Entity extends EventSourcedBehavior<Next, byte[], Long> {

        private final ActorRef<Next> self;
        private final String tag;
        private final Load load;

        private Entity(String id, ActorRef<Next> self, String tag, Load load) {
            super(PersistenceId.ofUniqueId(id));
            this.self = self;
            this.tag = tag;
            this.load = load;
        }

        static Behavior<Next> create(String id, String tag, Load load) {
            return Behaviors.setup(context -> new Entity(id, context.getSelf(), tag, load));
        }

        @Override
        public Long emptyState() {
            return 0L;
        }

        @Override
        public CommandHandler<Next, byte[], Long> commandHandler() {
            return newCommandHandlerBuilder().forAnyState().onCommand(Next.class, (state, next) -> {
                if (!load.running) {
                    return Effect().none();
                }
                byte[] event = load.nextPayload();
                long start = System.nanoTime();
                load.inFlight.incrementAndGet();
                return Effect().persist(event).thenRun(after -> {
                    load.acknowledged(System.nanoTime() - start, event.length);
                    load.inFlight.decrementAndGet();
                    self.tell(Next.INSTANCE);
                });
            }).build();
        }

        @Override
        public EventHandler<Long, byte[]> eventHandler() {
            return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state + 1);
        }

        @Override
        public Set<String> tagsFor(byte[] event) {
            return tag == null ? Set.of() : Set.of(tag);
        }
    }

    /** Tagged events the plugin recorded as written to tag_views (its per-writer tag progress). */
    private static void countTagged(CqlSession session, Result result) {
        if (!result.phase.tagged()) {
            return;
        }
        try {
            long tagged = 0;
            for (Row row : session.execute("SELECT tag_pid_sequence_nr FROM " + result.phase.keyspace()
                    + ".tag_write_progress")) {
                tagged += row.getLong(0);
            }
            result.taggedEventsInKeyspace = tagged;
        } catch (RuntimeException e) {
            log("could not read tag_write_progress: " + e.getMessage());
        }
    }

    /** Bytes this process caused to be written to storage (/proc/PID/io write_bytes), or -1. */
    private static long cassandraWriteBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/io"))) {
                if (line.startsWith("write_bytes:")) {
                    return Long.parseLong(line.substring("write_bytes:".length()).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: reported as unknown
        }
        return -1;
    }

    /** On-disk bytes per table of a keyspace (a table folder is named {@code <table>-<id>}). */
    private static Map<String, Long> tableBytes(Path keyspaceDir) throws IOException {
        Map<String, Long> sizes = new TreeMap<>();
        if (!Files.isDirectory(keyspaceDir)) {
            return sizes;
        }
        try (Stream<Path> tables = Files.list(keyspaceDir)) {
            for (Path table : tables.filter(Files::isDirectory).toList()) {
                String name = table.getFileName().toString();
                int dash = name.lastIndexOf('-');
                sizes.merge(dash > 0 ? name.substring(0, dash) : name, folderBytes(table), Long::sum);
            }
        }
        return sizes;
    }

    private static long folderBytes(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).mapToLong(file -> {
                try {
                    return Files.size(file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    private static StringBuilder render(List<Result> results, Duration phase, Duration warmUp, int entities,
            int tags) {
        StringBuilder s = new StringBuilder(BEGIN).append("\n\n");
        s.append("Run at ").append(Instant.now()).append(": ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores shared by this JVM (journal + load) and " + Benchmark.cassandraName + " (local, ")
                .append(Integer.getInteger("cassandra.heap.mb", 3072)).append(" MiB heap), ")
                .append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.version"))
                .append(", Pekko ").append(org.apache.pekko.Version.current())
                .append(", pekko-persistence-cassandra 1.1.0. ").append(entities)
                .append(" `EventSourcedBehavior` writers, each persisting its next event when the previous one is")
                .append(" acknowledged (closed loop, one event per write); events are random `byte[]` (incompressible);")
                .append(" tags on: one of ").append(tags).append(" tags per event (")
                .append(entities / Math.max(1, tags)).append(" writers per tag), plugin defaults for `events-by-tag`")
                .append(" (unlogged batches of up to 150, flush-interval 0, the ack waits for the tag write);")
                .append(" `+ eventsByTag`: one live query per tag in the same JVM, plugin defaults (refresh 3 s,")
                .append(" eventual-consistency-delay 5 s). Fresh keyspace per phase; ").append(warmUp.toSeconds())
                .append(" s warm-up first; ").append(phase.toSeconds())
                .append(" s measured per phase; Cassandra left to finish flushes and compactions between phases.")
                .append(" Disk: bytes of each table's folder after Cassandra stopped (flushed on the way out), for")
                .append(" every event the phase wrote (warm-in and measured).\n\n");
        s.append("| phase | events/s | payload MB/s | p50 persist | p99 persist | CPU (machine) | CPU µs/event (machine)"
                + " | Cassandra wrote during phase | `messages` on disk / event | `tag_views` on disk / event |"
                + " tag tables / all tables | eventsByTag lag p50 / p99 |\n");
        s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            long n = Math.max(1, r.eventsInKeyspace);
            s.append(String.format("| %s | %.0f | %.1f | %.1f ms | %.1f ms | %.0f %% | %.0f | %s | %s | %s | %s | %s |%n",
                    r.phase.label(), r.eventsPerSecond(), r.megabytesPerSecond(), r.p50Millis, r.p99Millis,
                    r.cpuPercent, r.machineCpuMicrosPerEvent(),
                    r.cassandraWriteBytes < 0 ? "–" : String.format("%.0f MB (%.1f× payload)",
                            r.cassandraWriteBytes / 1e6, (double) r.cassandraWriteBytes / Math.max(1, r.payloadBytes)),
                    bytes(r.tableBytes("messages") / (double) n), bytes(r.tableBytes("tag_views") / (double) n),
                    r.allTableBytes() == 0 ? "–" : String.format("%.0f %%", 100.0 * r.tagTableBytes() / r.allTableBytes()),
                    r.phase.queried() ? String.format("%.0f / %.0f ms (%d events)", r.lagP50Millis, r.lagP99Millis,
                            r.queryEvents) : "–"));
        }
        s.append("\nTags on ÷ tags off, same run:\n\n");
        s.append("| event size | compared | events/s | p50 persist | p99 persist | CPU µs/event | Cassandra wrote / payload"
                + " | disk bytes / event (all tables) |\n");
        s.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (Result off : results) {
            if (off.phase.tagged()) {
                continue;
            }
            for (Result on : results) {
                if (on.phase.tagged() && on.phase.eventBytes() == off.phase.eventBytes()) {
                    s.append(String.format("| %s | %s | **%.2f×** | %.2f× | %.2f× | **%.2f×** | %s | %s |%n",
                            off.phase.label().replace(", tags off", ""), on.phase.label().replaceFirst("^[^,]*, ", ""),
                            on.eventsPerSecond() / off.eventsPerSecond(), on.p50Millis / off.p50Millis,
                            on.p99Millis / off.p99Millis, on.machineCpuMicrosPerEvent() / off.machineCpuMicrosPerEvent(),
                            off.cassandraWriteBytes <= 0 || on.cassandraWriteBytes < 0 ? "–" : String.format("%.2f×",
                                    ((double) on.cassandraWriteBytes / on.payloadBytes)
                                            / ((double) off.cassandraWriteBytes / off.payloadBytes)),
                            off.allTableBytes() == 0 ? "–" : String.format("%.2f×",
                                    ((double) on.allTableBytes() / Math.max(1, on.eventsInKeyspace))
                                            / ((double) off.allTableBytes() / Math.max(1, off.eventsInKeyspace)))));
                }
            }
        }
        s.append("\nEvents written per keyspace (acknowledged / recorded in `tag_write_progress`):");
        for (Result r : results) {
            s.append(String.format(" %s %d / %s;", r.phase.label(), r.eventsInKeyspace,
                    r.taggedEventsInKeyspace < 0 ? "–" : Long.toString(r.taggedEventsInKeyspace)));
        }
        s.append(" Table folders (bytes):");
        for (Result r : results) {
            s.append(' ').append(r.phase.label()).append(' ').append(r.tableBytes).append(';');
        }
        s.append("\n\n").append(END);
        return s;
    }

    private static String bytes(double value) {
        if (value >= 1e6) {
            return String.format("%.2f MB", value / 1e6);
        }
        if (value >= 1e3) {
            return String.format("%.1f KB", value / 1e3);
        }
        return String.format("%.0f B", value);
    }

    private static Result log(Result r) {
        System.out.printf("%-40s %8.0f events/s %7.1f MB/s  p50 %7.1f ms  p99 %7.1f ms  cpu %5.1f %%  %6.0f µs/event"
                        + "  cassandra wrote %s  lag p50 %.0f ms%n", r.phase.label(), r.eventsPerSecond(),
                r.megabytesPerSecond(), r.p50Millis, r.p99Millis, r.cpuPercent, r.machineCpuMicrosPerEvent(),
                r.cassandraWriteBytes < 0 ? "?" : (r.cassandraWriteBytes / 1_000_000) + " MB", r.lagP50Millis);
        return r;
    }

    private static void log(String line) {
        System.out.println(Instant.now() + " " + line);
    }
}

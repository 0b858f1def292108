package dev.codexledger.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmHeapPressureMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * One node's metrics, scraped from the management port's {@code /metrics} in Prometheus' text format
 * (docs/operations.md lists every series). One registry per node, not per JVM: tests run several nodes in
 * one JVM and count each node's traffic exactly.
 *
 * <p>Names follow Prometheus conventions; Micrometer adds the unit and {@code _total} suffixes (a timer
 * {@code ledger.http.server.requests} is {@code ledger_http_server_requests_seconds_*}). Labels are bounded:
 * routes are path templates ({@link RouteTemplates}), never raw paths or workspace ids.
 */
public final class LedgerMetrics implements AutoCloseable {

    /** Latency buckets for requests and decisions: 1 ms to 10 s, few enough to keep series cheap. */
    private static final Duration[] LATENCY_BUCKETS = {
            Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10)};

    private final PrometheusMeterRegistry registry;
    /** Binders that hold JVM-wide listeners (GC notifications): closed with the node, or the registry leaks. */
    private final java.util.List<AutoCloseable> binders;
    private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();
    private final Map<String, Timer> httpTimers = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> hostedShards = new ConcurrentHashMap<>();

    private LedgerMetrics(PrometheusMeterRegistry registry, java.util.List<AutoCloseable> binders) {
        this.registry = registry;
        this.binders = binders;
    }

    /** A registry with the JVM's and the process's metrics bound. */
    public static LedgerMetrics create() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        JvmHeapPressureMetrics heapPressure = new JvmHeapPressureMetrics();
        heapPressure.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        return new LedgerMetrics(registry, java.util.List.of(gc, heapPressure));
    }

    /** Unhooks the JVM-wide listeners and drops every meter (the node stops; its gauges hold its parts). */
    @Override
    public void close() {
        for (AutoCloseable binder : binders) {
            try {
                binder.close();
            } catch (Exception e) {
                // closing listeners of a stopping node: nothing to do about a failure
            }
        }
        registry.close();
        registry.clear();
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Everything, in the Prometheus text format 0.0.4. */
    public String scrape() {
        return registry.scrape();
    }

    // ---------------------------------------------------------------- HTTP

    /** A request the API answered: method, route template, status and the time to the response's head. */
    public void httpRequest(String method, String route, int status, long nanos) {
        // every request of the API passes here: the timer is looked up once per (method, route, status), not
        // built and registered again per request
        httpTimers.computeIfAbsent(method + ' ' + status + ' ' + route, key -> Timer.builder("ledger.http.server.requests")
                .description("API requests by route and status, time to the response head")
                .tags("method", method, "route", route, "status", Integer.toString(status))
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
        if (status == 429 || status == 503) {
            Counter.builder("ledger.backpressure").description("answers asking the client to retry later (429, 503)")
                    .tags("route", route, "status", Integer.toString(status)).register(registry).increment();
        }
    }

    // ---------------------------------------------------------------- ingest

    /** An append the ledger answered: records stored new and records it already had. */
    public void recordsStored(String source, int accepted, int duplicates) {
        Counter.builder("ledger.records.accepted").description("records stored new, by source (records API, otlp)")
                .tag("source", source).register(registry).increment(accepted);
        Counter.builder("ledger.records.duplicates").description("records sent again and not stored twice")
                .tag("source", source).register(registry).increment(duplicates);
    }

    /** Records refused one by one inside an accepted request (OTLP partial success). */
    public void recordsRejected(String source, String reason, int count) {
        if (count > 0) {
            Counter.builder("ledger.records.rejected").description("records refused alone inside an accepted request")
                    .tags("source", source, "reason", reason).register(registry).increment(count);
        }
    }

    /** A whole ingest request refused, by reason (invalid, too_large, conflict, overloaded, ...). */
    public void ingestRefused(String source, String reason) {
        Counter.builder("ledger.ingest.refused").description("ingest requests refused whole, by reason")
                .tags("source", source, "reason", reason).register(registry).increment();
    }

    // ---------------------------------------------------------------- budgets

    /** A budget decision (check, reserve, forward_auth) or change (settle, release) and its outcome. */
    public void budgetDecision(String kind, String outcome, long nanos) {
        Timer.builder("ledger.budget.decisions").description("budget decisions by kind and outcome, with latency")
                .tags("kind", kind, "outcome", outcome).serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    // ---------------------------------------------------------------- policy

    /** A Codex session start judged against the policy: compliant, violation, unknown or unruled (no policy or rule). */
    public void policySessionJudged(String verdict) {
        Counter.builder("ledger.policy.sessions.judged").description("Codex session starts judged against the policy, by verdict")
                .tag("verdict", verdict).register(registry).increment();
    }

    /**
     * A finding appended: {@code stored} new, {@code already} there (the same record judged again), or
     * {@code found-before} (the conversation has that rule's finding from another of its records).
     */
    public void policyFinding(String result) {
        Counter.builder("ledger.policy.findings").description("policy findings appended: stored new, already there, found before")
                .tag("result", result).register(registry).increment();
    }

    // ---------------------------------------------------------------- jobs

    public void jobStarted(String kind) {
        Counter.builder("ledger.jobs.started").description("long jobs started on this node (erasure, legal hold copy,"
                + " log verification)").tag("kind", kind).register(registry).increment();
        gauge("ledger.jobs.running", "long jobs running on this node", Tags.of("kind", kind)).incrementAndGet();
    }

    public void jobFinished(String kind, String outcome) {
        Counter.builder("ledger.jobs.finished").description("long jobs finished on this node, by outcome")
                .tags("kind", kind, "outcome", outcome).register(registry).increment();
        gauge("ledger.jobs.running", "long jobs running on this node", Tags.of("kind", kind)).decrementAndGet();
    }

    // ---------------------------------------------------------------- sharding

    /**
     * What this node hosts of one entity type now: its shards and entities. Shards that appeared since
     * the last call count as started here, shards that went as stopped (moved away on a rebalance or a
     * hand-over, or emptied).
     */
    public void hosted(String entityType, Set<String> shards, int entities) {
        Tags tags = Tags.of("entity_type", entityType);
        gauge("ledger.sharding.entities", "entities this node hosts", tags).set(entities);
        gauge("ledger.sharding.shards", "shards this node hosts", tags).set(shards.size());
        Set<String> before = hostedShards.put(entityType, Set.copyOf(shards));
        Set<String> started = new HashSet<>(shards);
        Set<String> stopped = new HashSet<>();
        if (before != null) {
            started.removeAll(before);
            stopped.addAll(before);
            stopped.removeAll(shards);
        }
        Counter.builder("ledger.sharding.shards.stopped").description("shards that left this node")
                .tags(tags).register(registry).increment(stopped.size());
        Counter.builder("ledger.sharding.shards.started").description("shards that came to this node")
                .tags(tags).register(registry).increment(started.size());
    }

    // ---------------------------------------------------------------- gauges read when scraped

    /** A value read at every scrape (e.g. analytics lag, memory held). */
    public void gaugeOf(String name, String description, Tags tags, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).tags(tags).strongReference(true).register(registry);
    }

    private AtomicLong gauge(String name, String description, Tags tags) {
        return gauges.computeIfAbsent(name + tags, key -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder(name, value, AtomicLong::get).description(description).tags(tags).register(registry);
            return value;
        });
    }
}

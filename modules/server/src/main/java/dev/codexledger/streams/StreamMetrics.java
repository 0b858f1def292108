package dev.codexledger.streams;

import dev.codexledger.metrics.LedgerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The streams' metrics, labelled by destination id and type (never by workspace): records delivered,
 * skipped (expired before delivery) and failed deliveries; expiry warnings; and, read when scraped, the
 * lag of the lanes this node runs — records not yet delivered and the age of the oldest.
 */
final class StreamMetrics {

    private final LedgerMetrics metrics;
    private final Clock clock;
    /** destination → workspace → (records behind, pending since), for the lanes on this node. */
    private final Map<String, Map<String, long[]>> lag = new ConcurrentHashMap<>();
    private final Set<String> registered = ConcurrentHashMap.newKeySet();

    StreamMetrics(LedgerMetrics metrics, Clock clock) {
        this.metrics = metrics;
        this.clock = clock;
    }

    private Tags tags(StreamDestination d) {
        return Tags.of("destination", d.id(), "type", d.kind().wire());
    }

    void delivered(StreamDestination d, int records, long skipped, long nanos, long ackedAfterAcceptMicros) {
        Counter.builder("ledger.stream.delivered.records").description("records a destination acknowledged")
                .tags(tags(d)).register(metrics.registry()).increment(records);
        if (skipped > 0) {
            skipped(d, skipped);
        }
        if (records > 0 && ackedAfterAcceptMicros >= 0) {
            Timer.builder("ledger.stream.delivery").description("time of one acknowledged delivery (one batch)")
                    .tags(tags(d)).register(metrics.registry()).record(nanos, TimeUnit.NANOSECONDS);
            Timer.builder("ledger.stream.delay").description("from a batch's last record accepted to its acknowledgement"
                            + " by the destination").tags(tags(d)).register(metrics.registry())
                    .record(ackedAfterAcceptMicros, TimeUnit.MICROSECONDS);
        }
    }

    void skipped(StreamDestination d, long records) {
        Counter.builder("ledger.stream.skipped.records").description("records that expired (retention) before a"
                + " destination received them").tags(tags(d)).register(metrics.registry()).increment(records);
    }

    void failed(StreamDestination d) {
        Counter.builder("ledger.stream.failed.deliveries").description("deliveries a destination did not acknowledge"
                + " (retried with backoff)").tags(tags(d)).register(metrics.registry()).increment();
    }

    void warned(StreamDestination d) {
        Counter.builder("ledger.stream.expiry.warnings").description("warnings that records a destination has not"
                + " received are about to expire").tags(tags(d)).register(metrics.registry()).increment();
    }

    /** What a lane on this node knows of a destination in its workspace (0 behind: caught up). */
    void lane(StreamDestination d, String workspace, long behind, Instant pendingSince) {
        if (registered.add(d.id())) {
            metrics.gaugeOf("ledger.stream.lag.records", "records not yet delivered to a destination, over the"
                    + " workspaces whose lanes run on this node", tags(d), () -> lagRecords(d.id()));
            metrics.gaugeOf("ledger.stream.lag.seconds", "age of the oldest record not yet delivered to a"
                    + " destination, over the lanes on this node", tags(d), () -> lagSeconds(d.id()));
        }
        lag.computeIfAbsent(d.id(), id -> new ConcurrentHashMap<>()).put(workspace,
                new long[] {behind, behind > 0 && pendingSince != null ? pendingSince.getEpochSecond() : 0});
    }

    /** Lag of destinations that are gone is 0 from now on. */
    void forget(java.util.function.Predicate<String> gone) {
        lag.keySet().removeIf(gone);
    }

    void laneStopped(String workspace) {
        lag.values().forEach(byWorkspace -> byWorkspace.remove(workspace));
    }

    private long lagRecords(String destination) {
        return lag.getOrDefault(destination, Map.of()).values().stream().mapToLong(v -> v[0]).sum();
    }

    private long lagSeconds(String destination) {
        long now = clock.instant().getEpochSecond();
        return lag.getOrDefault(destination, Map.of()).values().stream().filter(v -> v[1] > 0)
                .mapToLong(v -> Math.max(0, now - v[1])).max().orElse(0);
    }
}

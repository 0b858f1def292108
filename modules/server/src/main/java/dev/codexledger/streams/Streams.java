package dev.codexledger.streams;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.budget.PricedBatch;
import dev.codexledger.metrics.LedgerMetrics;
import dev.codexledger.pipeline.AfterWrite;
import dev.codexledger.records.RecordStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streaming the audit trail to SIEMs: the destinations ({@link StreamStore}), one sharded
 * {@link StreamLane} per workspace that delivers its records to each, in the ledger's order, resumable from
 * each destination's cursor; the follower that wakes a lane after each write (a tell, never waited for:
 * a slow or unreachable destination never slows ingest); and the leader's sweep that wakes lanes nothing
 * else would.
 */
public final class Streams implements AfterWrite.Follower {

    private static final Logger LOG = LoggerFactory.getLogger(Streams.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ActorSystem<?> system;
    private final StreamStore store;
    private final StreamSecrets secrets;
    private final StreamDelivery delivery;
    private final ClusterSharding sharding;
    private final Clock clock;

    private Streams(ActorSystem<?> system, StreamStore store, StreamSecrets secrets, StreamDelivery delivery, Clock clock) {
        this.system = system;
        this.store = store;
        this.secrets = secrets;
        this.delivery = delivery;
        this.sharding = ClusterSharding.get(system);
        this.clock = clock;
    }

    /** Starts the lanes' sharding, the destinations' refresh and the sweep. */
    public static Streams start(ActorSystem<?> system, Config config, CqlSession session, String keyspace,
                                RecordStore records, Function<String, Duration> ttlOf, AuthAudit.Sink recordSink,
                                LedgerMetrics ledgerMetrics, Clock clock, dev.codexledger.compliance.LegalHolds holds,
                                dev.codexledger.records.HeldRecords held) {
        StreamStore store = new StreamStore(session, keyspace);
        store.refresh();
        StreamSecrets secrets = new StreamSecrets(config.getString("ledger.streams.secrets-key"), System::getenv,
                config.getString("ledger.streams.secret-files-dir"));
        StreamMetrics metrics = new StreamMetrics(ledgerMetrics, clock);
        StreamDelivery delivery = new StreamDelivery(store, records, secrets, ttlOf, recordSink, metrics, clock,
                config.getDuration("ledger.records.search-accept-skew"), config.getDuration("ledger.streams.delivery-timeout"),
                nodeName(system), holds, held);
        Executor executor = system.dispatchers().lookup(DispatcherSelector.fromConfig("ledger.streams.dispatcher"));
        StreamLane.Backoff backoff = new StreamLane.Backoff(config.getDuration("ledger.streams.first-backoff"),
                config.getDuration("ledger.streams.max-backoff"));
        ClusterSharding.get(system).init(Entity.of(StreamLane.ENTITY_TYPE_KEY, entity ->
                StreamLane.create(entity.getEntityId(), delivery, metrics, executor, backoff)));
        Streams streams = new Streams(system, store, secrets, delivery, clock);
        scala.concurrent.ExecutionContextExecutor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
        system.scheduler().scheduleWithFixedDelay(Duration.ofSeconds(1), Duration.ofSeconds(1), () -> {
            try {
                if (!store.closed()) {
                    store.refresh();
                    delivery.forgetRemoved();
                }
            } catch (RuntimeException e) {
                LOG.warn("could not read the stream destinations: {}", e.toString());
            }
        }, blocking);
        Duration sweep = config.getDuration("ledger.streams.sweep-interval");
        system.scheduler().scheduleWithFixedDelay(sweep, sweep, streams::sweep, blocking);
        system.getWhenTerminated().thenRun(delivery::close);
        return streams;
    }

    /** This node, stably across restarts on the same address: host and remoting port. */
    private static String nodeName(ActorSystem<?> system) {
        org.apache.pekko.actor.Address self = org.apache.pekko.cluster.Cluster.get(system.classicSystem()).selfAddress();
        return self.getHost().orElse("local") + "-" + self.getPort().orElse(0);
    }

    /** A written batch: wake its workspace's lane if any destination takes its records. Returns at once. */
    @Override
    public void follow(PricedBatch priced) {
        if (priced.isEmpty() || store.covering(priced.workspace()).isEmpty()) {
            return;
        }
        wake(priced.workspace(), priced.batch().lastSeq(), true);
    }

    private void wake(String workspace, long head, boolean written) {
        sharding.entityRefFor(StreamLane.ENTITY_TYPE_KEY, workspace).tell(new StreamLane.Wake(head, written));
    }

    /**
     * On the cluster's leader only: every workspace a destination (paused ones too, for their expiry
     * warning) has not caught up with, by the ledger's writer fence, gets its lane woken.
     */
    void sweep() {
        try {
            org.apache.pekko.cluster.Cluster cluster = org.apache.pekko.cluster.Cluster.get(system.classicSystem());
            if (store.all().isEmpty() || store.closed() || !cluster.selfAddress().equals(cluster.state().getLeader())) {
                return;
            }
            Map<String, Long> heads = store.heads();
            Map<String, Long> wake = new HashMap<>();
            for (StreamDestination d : store.all()) {
                Map<String, Long> delivered = new HashMap<>();
                store.cursorsOf(d.id()).forEach(c -> delivered.put(c.workspace(), c.deliveredSeq()));
                heads.forEach((workspace, head) -> {
                    if (d.covers(workspace) && head > delivered.getOrDefault(workspace, 0L)) {
                        wake.merge(workspace, head, Math::max);
                    }
                });
            }
            wake.forEach((workspace, head) -> wake(workspace, head, false));
        } catch (RuntimeException e) {
            LOG.warn("could not look for streams behind: {}", e.toString());
        }
    }

    // ------------------------------------------------------------------ administration (blocking)

    /**
     * Stores a new destination. With {@code start = now}, every workspace it covers gets a cursor at its
     * current head, so only what is accepted from now on is sent; with {@code beginning} the lanes are woken
     * to send everything still stored.
     */
    public StreamDestination create(JsonNode body, String createdBy) {
        String id = "dst_" + HexFormat.of().formatHex(randomBytes());
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        StreamDestination d = StreamDestination.parse(body, id, now, createdBy, secrets);
        Map<String, Long> heads = d.workspace() == null ? store.heads()
                : Map.of(d.workspace(), store.head(d.workspace()));
        if (d.start() == StreamDestination.Start.NOW) {
            long nowMicros = ChronoUnit.MICROS.between(Instant.EPOCH, now);
            heads.forEach((workspace, head) -> {
                if (head > 0) {
                    // the head the fence names may still be having its rows written: not a written head
                    store.write(new StreamStore.Cursor(id, workspace, head, nowMicros, 0, 0, 0, 0, null, null, null,
                            null, null));
                }
            });
        }
        store.create(d);
        if (d.start() == StreamDestination.Start.BEGINNING) {
            heads.forEach((workspace, head) -> {
                if (head > 0) {
                    wake(workspace, head, false);
                }
            });
        }
        return d;
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    public List<StreamDestination> list() {
        store.refresh();
        return store.all();
    }

    /** As this node last read them (every second, and at once after a change made here). */
    public Optional<StreamDestination> find(String id) {
        return store.find(id);
    }

    /** Pauses or resumes a destination; empty when there is none. */
    public Optional<StreamDestination> setPaused(String id, boolean paused) {
        if (!store.setPaused(id, paused, clock.instant().truncatedTo(ChronoUnit.MILLIS))) {
            return Optional.empty();
        }
        Optional<StreamDestination> d = store.find(id);
        if (!paused && d.isPresent()) {
            sweepFor(d.get());
        }
        return d;
    }

    private void sweepFor(StreamDestination d) {
        Map<String, Long> heads = d.workspace() == null ? store.heads() : Map.of(d.workspace(), store.head(d.workspace()));
        heads.forEach((workspace, head) -> {
            if (head > 0) {
                wake(workspace, head, false);
            }
        });
    }

    public boolean delete(String id) {
        if (store.find(id).isEmpty()) {
            store.refresh();
            if (store.find(id).isEmpty()) {
                return false;
            }
        }
        StreamDestination d = store.find(id).orElseThrow();
        java.util.Set<String> covered = new java.util.TreeSet<>();
        store.cursorsOf(id).forEach(c -> covered.add(c.workspace()));
        if (d.workspace() != null) {
            covered.add(d.workspace());
        }
        store.delete(id);
        if (d.holdUndelivered()) { // its hold keeps nothing for anyone any more
            covered.forEach(workspace -> delivery.releaseHold(workspace, d));
        }
        return true;
    }

    /**
     * A destination with its delivery per workspace: the cursor (last seq acknowledged), the head, the lag
     * in records and seconds (age of the oldest record not delivered), delivered / skipped records, failed
     * deliveries and the last error.
     */
    public ObjectNode status(StreamDestination d) {
        return status(d, Optional.empty());
    }

    /** As {@link #status(StreamDestination)}, about one workspace only (an org-wide destination as one workspace's admin sees it). */
    public ObjectNode status(StreamDestination d, Optional<String> only) {
        ObjectNode view = d.view();
        String one = only.orElse(d.workspace());
        Map<String, Long> heads = one == null ? store.heads() : Map.of(one, store.head(one));
        Map<String, StreamStore.Cursor> cursors = new HashMap<>();
        store.cursorsOf(d.id()).forEach(c -> {
            if (only.isEmpty() || only.get().equals(c.workspace())) {
                cursors.put(c.workspace(), c);
            }
        });
        ArrayNode rows = JSON.createArrayNode();
        long lagRecords = 0;
        long lagSeconds = 0;
        long deliveredTotal = 0;
        long failedTotal = 0;
        Instant now = clock.instant();
        java.util.TreeSet<String> workspaces = new java.util.TreeSet<>(cursors.keySet());
        heads.forEach((workspace, head) -> {
            if (head > 0 && d.covers(workspace)) {
                workspaces.add(workspace);
            }
        });
        String lastError = null;
        Instant lastErrorAt = null;
        boolean warned = false;
        for (String workspace : workspaces) {
            StreamStore.Cursor c = cursors.getOrDefault(workspace, StreamStore.Cursor.fresh(d.id(), workspace));
            long head = Math.max(c.headSeq(), heads.getOrDefault(workspace, 0L));
            long behind = Math.max(0, head - c.deliveredSeq());
            long seconds = behind > 0 && c.pendingSince() != null ? Math.max(0, now.getEpochSecond()
                    - c.pendingSince().getEpochSecond()) : 0;
            lagRecords += behind;
            lagSeconds = Math.max(lagSeconds, seconds);
            deliveredTotal += c.delivered();
            failedTotal += c.failed();
            if (c.lastErrorAt() != null && (lastErrorAt == null || c.lastErrorAt().isAfter(lastErrorAt))) {
                lastErrorAt = c.lastErrorAt();
                lastError = c.lastError();
            }
            ObjectNode row = rows.addObject().put("workspace", workspace).put("delivered_seq", c.deliveredSeq())
                    .put("head_seq", head).put("lag_records", behind).put("lag_seconds", seconds)
                    .put("delivered", c.delivered()).put("skipped", c.skipped()).put("failed_deliveries", c.failed())
                    .put("last_error", c.lastError());
            row.put("last_error_at", c.lastErrorAt() == null ? null : c.lastErrorAt().toString());
            row.put("last_delivered_at", c.lastDeliveredAt() == null ? null : c.lastDeliveredAt().toString());
            row.put("oldest_undelivered_accepted_at", behind > 0 && c.pendingSince() != null ? c.pendingSince().toString() : null);
            row.put("expiry_warning", behind > 0 && c.warnedFor() != null);
            warned |= behind > 0 && c.warnedFor() != null;
        }
        ObjectNode status = view.putObject("status");
        status.put("state", d.paused() ? "paused" : lastErrorAt != null && lagRecords > 0
                && cursors.values().stream().anyMatch(c -> c.lastErrorAt() != null && (c.lastDeliveredAt() == null
                || c.lastErrorAt().isAfter(c.lastDeliveredAt()))) ? "failing" : lagRecords > 0 ? "catching_up" : "up_to_date");
        status.put("lag_records", lagRecords).put("lag_seconds", lagSeconds).put("delivered", deliveredTotal)
                .put("failed_deliveries", failedTotal).put("expiry_warning", warned).put("last_error", lastError)
                .put("last_error_at", lastErrorAt == null ? null : lastErrorAt.toString());
        status.set("workspaces", rows);
        return view;
    }
}

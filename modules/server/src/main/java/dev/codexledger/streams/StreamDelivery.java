package dev.codexledger.streams;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.records.RecordStore;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.RecordFacts;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One delivery round of one destination in one workspace (blocking, on the streams' own threads): read the
 * records after the destination's cursor, in seq order, from the records table; send those its filters
 * pass; and only once the destination acknowledged them, move the cursor past them. Delivery is by seq,
 * never by timestamp, so a record that arrives late (an old timestamp) is sent in its place in the ledger's
 * order like any other.
 *
 * <p>Rows are read only as far as they are known to be written: a seq missing <em>before</em> the first row
 * found, at or below the head told after its rows were written, has expired (retention) and is counted as
 * skipped; a seq missing above that is still being written, and the round waits for it.
 */
final class StreamDelivery {

    private static final Logger LOG = LoggerFactory.getLogger(StreamDelivery.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The action of the warning record before undelivered records expire. */
    static final String EXPIRY_WARNING = "stream.expiry_warning";

    /**
     * What a round left: the cursor as stored, whether more is waiting, the error if the destination failed,
     * and whether it waits for rows still being written (then the lane looks again a tick later).
     */
    record Outcome(StreamStore.Cursor cursor, boolean more, String error, boolean waiting) {
        Outcome(StreamStore.Cursor cursor, boolean more, String error) {
            this(cursor, more, error, false);
        }
    }

    private final StreamStore store;
    private final RecordStore records;
    private final StreamSecrets secrets;
    private final Function<String, Duration> ttlOf;
    private final AuthAudit.Sink recordSink;
    private final StreamMetrics metrics;
    private final Clock clock;
    private final long skewMicros;
    private final Duration timeout;
    private final String node;
    private final dev.codexledger.compliance.LegalHolds holds;
    private final dev.codexledger.records.HeldRecords held;
    private final Map<String, Map.Entry<Instant, StreamSink>> sinks = new ConcurrentHashMap<>();
    /** Rounds of one destination running at once on this node: a failing one may hold only these threads. */
    static final int ROUNDS_PER_DESTINATION = 2;
    private final Map<String, java.util.concurrent.Semaphore> running = new ConcurrentHashMap<>();

    StreamDelivery(StreamStore store, RecordStore records, StreamSecrets secrets, Function<String, Duration> ttlOf,
                   AuthAudit.Sink recordSink, StreamMetrics metrics, Clock clock, Duration acceptSkew, Duration timeout,
                   String node, dev.codexledger.compliance.LegalHolds holds, dev.codexledger.records.HeldRecords held) {
        this.node = node;
        this.holds = holds;
        this.held = held;
        this.store = store;
        this.records = records;
        this.secrets = secrets;
        this.ttlOf = ttlOf;
        this.recordSink = recordSink;
        this.metrics = metrics;
        this.clock = clock;
        this.skewMicros = acceptSkew.toNanos() / 1000;
        this.timeout = timeout;
    }

    List<StreamDestination> destinations(String workspace) {
        return store.covering(workspace);
    }

    /**
     * {@code known}: the cursor as the lane last saw it (null: read it); {@code hintHead}: the highest seq
     * the lane heard of; {@code writtenHead}: the highest whose rows are known written.
     */
    Outcome round(String workspace, StreamDestination d, StreamStore.Cursor known, long hintHead, long writtenHead) {
        java.util.concurrent.Semaphore slots = running.computeIfAbsent(d.id(),
                id -> new java.util.concurrent.Semaphore(ROUNDS_PER_DESTINATION));
        if (!slots.tryAcquire()) { // this destination's other lanes hold its threads: look again a tick later
            return new Outcome(known, false, null, true);
        }
        try {
            return roundHoldingASlot(workspace, d, known, hintHead, writtenHead);
        } finally {
            slots.release();
        }
    }

    private Outcome roundHoldingASlot(String workspace, StreamDestination d, StreamStore.Cursor known, long hintHead,
                                      long writtenHead) {
        StreamStore.Cursor c = known != null ? known : store.cursor(d.id(), workspace);
        long written = Math.max(writtenHead, c.headSeq());
        long head = Math.max(hintHead, written);
        if (c.deliveredSeq() >= head) {
            return new Outcome(c, false, null);
        }
        Instant now = clock.instant();
        long fromBucket = c.deliveredAcceptedMicros() > 0
                ? RecordStore.bucketOf(c.deliveredAcceptedMicros() - skewMicros) : 0;
        if (d.paused()) { // nothing sent: only what the status and the expiry warning need
            List<RecordStore.Streamed> first = records.after(workspace, c.deliveredSeq(), head, fromBucket, 1);
            StreamStore.Cursor seen = with(c, written, first.isEmpty() ? c.pendingSince() : micros(first.get(0).acceptedAtMicros()));
            seen = warnIfAtRisk(workspace, d, seen, head);
            store.write(seen);
            return new Outcome(seen, false, null);
        }
        List<RecordStore.Streamed> page = records.after(workspace, c.deliveredSeq(), head, fromBucket, d.batchSize());
        if (d.holdUndelivered() && c.warnedFor() != null) { // rows expired meanwhile are read from the stream's hold
            long gapEnd = page.isEmpty() ? written : Math.min(written, page.get(0).seq() - 1);
            if (gapEnd > c.deliveredSeq()) {
                List<RecordStore.Streamed> kept = heldBetween(workspace, c.deliveredSeq(), gapEnd, d.batchSize());
                if (!kept.isEmpty()) {
                    List<RecordStore.Streamed> merged = new ArrayList<>(kept);
                    merged.addAll(page);
                    page = merged.subList(0, Math.min(merged.size(), d.batchSize()));
                }
            }
        }
        long next = c.deliveredSeq() + 1;
        long skipped = 0;
        List<RecordStore.Streamed> run = new ArrayList<>(page.size());
        for (RecordStore.Streamed r : page) {
            if (r.seq() != next) {
                if (run.isEmpty() && r.seq() <= written) { // expired before it was delivered
                    skipped += r.seq() - next;
                } else {
                    break; // the rest of the page waits for the rows between
                }
            }
            run.add(r);
            next = r.seq() + 1;
        }
        if (run.isEmpty()) {
            if (page.isEmpty() && written > c.deliveredSeq()) { // every row through the written head expired
                StreamStore.Cursor moved = new StreamStore.Cursor(d.id(), workspace, written, c.deliveredAcceptedMicros(),
                        written, c.delivered(), c.failed(), c.skipped() + (written - c.deliveredSeq()), c.lastError(),
                        c.lastErrorAt(), null, c.lastDeliveredAt(), c.warnedFor());
                store.write(moved);
                metrics.skipped(d, written - c.deliveredSeq());
                return new Outcome(moved, written < head, null);
            }
            return new Outcome(c, false, null, true); // its rows are being written: looked at again a tick later
        }
        List<RecordStore.Streamed> events = new ArrayList<>(run.size());
        for (RecordStore.Streamed r : run) {
            String model = d.filters().needsModel() && r.content() != null
                    ? RecordFacts.read(r.content().getBytes(StandardCharsets.UTF_8)).model() : null;
            if (d.filters().passes(r.eventType(), r.userId(), model)) {
                events.add(r);
            }
        }
        long started = System.nanoTime();
        try {
            if (!events.isEmpty()) {
                sink(d).deliver(workspace, events);
            }
        } catch (Exception e) {
            String error = e.getMessage() == null ? e.toString() : e.getMessage();
            LOG.debug("stream {} could not deliver seqs {}.. of {}: {}", d.id(), run.get(0).seq(), workspace, error);
            StreamStore.Cursor failed = new StreamStore.Cursor(d.id(), workspace, c.deliveredSeq(),
                    c.deliveredAcceptedMicros(), written, c.delivered(), c.failed() + 1, c.skipped(),
                    error.length() > 500 ? error.substring(0, 500) : error, now, run.get(0).acceptedAtMicros() > 0
                            ? micros(run.get(0).acceptedAtMicros()) : c.pendingSince() != null ? c.pendingSince() : now,
                    c.lastDeliveredAt(), c.warnedFor());
            failed = warnIfAtRisk(workspace, d, failed, head);
            store.write(failed);
            metrics.failed(d);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return new Outcome(failed, false, error);
        }
        RecordStore.Streamed last = run.get(run.size() - 1);
        long newWritten = Math.max(written, last.seq());
        boolean more = last.seq() < head;
        String warnedFor = c.warnedFor();
        if (!more && warnedFor != null) { // caught up: the warning is over, and the stream's hold is let go
            if (d.holdUndelivered()) {
                releaseHold(workspace, d);
            }
            warnedFor = null;
        }
        long acceptedMicros = last.acceptedAtMicros() > 0 ? last.acceptedAtMicros() : c.deliveredAcceptedMicros();
        StreamStore.Cursor moved = new StreamStore.Cursor(d.id(), workspace, last.seq(), acceptedMicros,
                newWritten, c.delivered() + events.size(), c.failed(), c.skipped() + skipped, c.lastError(),
                c.lastErrorAt(), more ? (acceptedMicros > 0 ? micros(acceptedMicros) : clock.instant()) : null,
                events.isEmpty() ? c.lastDeliveredAt() : clock.instant(), warnedFor);
        store.write(moved);
        metrics.delivered(d, events.size(), skipped, System.nanoTime() - started, events.isEmpty()
                || last.acceptedAtMicros() <= 0 ? -1 : ChronoUnit.MICROS.between(micros(last.acceptedAtMicros()), clock.instant()));
        return new Outcome(moved, more, null);
    }

    private static StreamStore.Cursor with(StreamStore.Cursor c, long written, Instant pendingSince) {
        return new StreamStore.Cursor(c.destination(), c.workspace(), c.deliveredSeq(), c.deliveredAcceptedMicros(),
                written, c.delivered(), c.failed(), c.skipped(), c.lastError(), c.lastErrorAt(), pendingSince,
                c.lastDeliveredAt(), c.warnedFor());
    }

    /**
     * Before the oldest record the destination has not received expires (its acceptance plus the
     * workspace's retention) by less than the destination's warning time: one warning record per oldest
     * undelivered seq — a {@code CODEX_SECURITY_LOG} record {@code stream.expiry_warning} in the workspace
     * (so it is in the compliance files, and streamed too once the destination works again).
     */
    private StreamStore.Cursor warnIfAtRisk(String workspace, StreamDestination d, StreamStore.Cursor c, long head) {
        if (c.pendingSince() == null) {
            return c;
        }
        Instant expires = c.pendingSince().plus(ttlOf.apply(workspace));
        Instant now = clock.instant();
        String key = Long.toString(c.deliveredSeq() + 1);
        if (now.isBefore(expires.minus(d.warnBeforeExpiry())) || key.equals(c.warnedFor())) {
            return c;
        }
        ObjectNode record = JSON.createObjectNode()
                .put("event_id", "stream-warning-" + HexFormat.of().formatHex(
                        Digest.sha256(d.id() + "\n" + workspace + "\n" + key).toBytes()).substring(0, 32))
                .put("event_type", "CODEX_SECURITY_LOG")
                .put("timestamp", now.truncatedTo(ChronoUnit.MILLIS).toString())
                .put("action", EXPIRY_WARNING);
        record.putObject("attributes").put("destination", d.id()).put("destination_name", d.name())
                .put("destination_type", d.kind().wire()).put("paused", d.paused())
                .put("undelivered_from_seq", c.deliveredSeq() + 1).put("undelivered_records", head - c.deliveredSeq())
                .put("oldest_undelivered_accepted_at", c.pendingSince().toString())
                .put("expires_at", expires.toString()).put("last_error", c.lastError())
                .put("held", d.holdUndelivered());
        try {
            recordSink.append(workspace, List.of(record)).toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("could not record the expiry warning of stream {} in {}: {}", d.id(), workspace, e.toString());
            return c;
        }
        metrics.warned(d);
        if (d.holdUndelivered()) {
            holdUndelivered(workspace, d);
        }
        LOG.warn("stream {} ({}) has not received {} records of {} from seq {}; the oldest expires at {}",
                d.id(), d.name(), head - c.deliveredSeq(), workspace, c.deliveredSeq() + 1, expires);
        return new StreamStore.Cursor(c.destination(), c.workspace(), c.deliveredSeq(), c.deliveredAcceptedMicros(),
                c.headSeq(), c.delivered(), c.failed(), c.skipped(), c.lastError(), c.lastErrorAt(), c.pendingSince(),
                c.lastDeliveredAt(), key);
    }

    /** The name of the legal hold a destination places on its workspace before its records expire. */
    static String holdName(StreamDestination d) {
        return "stream " + d.id() + " (undelivered)";
    }

    /**
     * Places a legal hold on the whole workspace (every record, stored and arriving) unless the destination
     * has one: the records it has not received are copied past their retention until it catches up. A hold
     * by seq range is not what legal holds select by (custodians, timestamps, content), and a record's
     * timestamp says nothing of when it arrives, so the hold takes everything, for as long as needed only.
     */
    private void holdUndelivered(String workspace, StreamDestination d) {
        if (holds.list(workspace).stream().anyMatch(h -> h.name().equals(holdName(d)) && h.releasedAt() == null)) {
            return;
        }
        dev.codexledger.compliance.LegalHolds.Hold hold = holds.create(new dev.codexledger.compliance.LegalHolds.Hold(
                workspace, null, holdName(d), java.util.Set.of(), java.util.Set.of(),
                dev.codexledger.records.ContentFilter.NONE, null, null, null, null, null, null, null, 0),
                "stream:" + d.id(), applied -> LOG.info("hold {} keeps {} records of {} for stream {}", applied.id(),
                        applied.held(), workspace, d.id()));
        LOG.warn("stream {} placed legal hold {} on {} until it has received its records", d.id(), hold.id(), workspace);
    }

    void releaseHold(String workspace, StreamDestination d) {
        for (dev.codexledger.compliance.LegalHolds.Hold hold : holds.list(workspace)) {
            if (hold.name().equals(holdName(d)) && hold.releasedAt() == null) {
                holds.release(workspace, hold.id(), "stream:" + d.id());
                LOG.info("stream {} caught up with {}: released legal hold {}", d.id(), workspace, hold.id());
            }
        }
    }

    /** Held copies of the seqs ({@code afterSeq}, {@code toSeq}] (their originals expired), in seq order. */
    private List<RecordStore.Streamed> heldBetween(String workspace, long afterSeq, long toSeq, int limit) {
        List<RecordStore.Streamed> out = new ArrayList<>();
        for (long bucket : held.bucketsOf(workspace, Long.MIN_VALUE)) {
            for (dev.codexledger.records.StoredRecord r : held.heldIn(workspace, bucket, afterSeq, limit)) {
                if (r.seq() <= toSeq && r.content() != null) {
                    String eventId;
                    try {
                        eventId = JSON.readTree(r.content()).path("event_id").asText(null);
                    } catch (java.io.IOException e) {
                        eventId = null;
                    }
                    out.add(new RecordStore.Streamed(r.seq(), eventId == null ? "seq-" + r.seq() : eventId,
                            r.eventType(), r.timestampMicros(), r.userId(), 0, r.content(), r.chainHash()));
                }
            }
        }
        out.sort(java.util.Comparator.comparingLong(RecordStore.Streamed::seq));
        return out.size() > limit ? out.subList(0, limit) : out;
    }

    private static Instant micros(long micros) {
        return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    }

    /** This node's sink of a destination, made again when the destination changed. */
    private StreamSink sink(StreamDestination d) {
        Map.Entry<Instant, StreamSink> entry = sinks.compute(d.id(), (id, old) -> {
            if (old != null && old.getKey().equals(d.updatedAt())) {
                return old;
            }
            if (old != null) {
                old.getValue().close();
            }
            StreamSink sink = switch (d.kind()) {
                case KAFKA -> new KafkaSink(d, secrets, timeout, node);
                case SPLUNK_HEC -> new HttpSinks.Hec(d, secrets, timeout);
                case HTTPS -> new HttpSinks.Https(d, secrets, timeout);
            };
            return Map.entry(d.updatedAt(), sink);
        });
        return entry.getValue();
    }

    /** Closes the sinks of destinations that are gone. */
    void forgetRemoved() {
        running.keySet().removeIf(id -> store.find(id).isEmpty());
        metrics.forget(id -> store.find(id).isEmpty());
        sinks.keySet().removeIf(id -> {
            if (store.find(id).isEmpty()) {
                sinks.get(id).getValue().close();
                return true;
            }
            return false;
        });
    }

    void close() {
        sinks.values().forEach(entry -> entry.getValue().close());
        sinks.clear();
    }
}

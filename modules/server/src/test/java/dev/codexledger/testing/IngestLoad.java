package dev.codexledger.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.workspace.Digest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Clients ingesting into many workspaces through every node of a {@link LedgerCluster}, the way an OTLP
 * exporter does: a batch is re-sent (same ids, next node) after a connection error, a timeout, 429 or
 * 503, until it is acknowledged. Keeps what was acknowledged, for {@link #verify}; any other answer is an
 * anomaly.
 */
public final class IngestLoad implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One acknowledged batch: its ids in order, and the seqs the answer gave (0 when all were duplicates). */
    public record Ack(String workspace, List<String> ids, long firstSeq, long lastSeq) {}

    private final LedgerCluster cluster;
    private final List<String> workspaces;
    private final int batchSize;
    private final long pauseMillis;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
    public final List<Ack> acks = new CopyOnWriteArrayList<>();
    public final List<String> anomalies = new CopyOnWriteArrayList<>();
    /** Answers the clients retried, by kind (status code, "timeout", "connection"). */
    public final Map<String, AtomicInteger> retried = new ConcurrentHashMap<>();
    private final AtomicInteger nextNode = new AtomicInteger();

    /**
     * @param pause how long each client waits after an acknowledged batch before its next: a steady load
     *              rather than a saturating one, so a restart or failover is not slowed by the load itself
     *              (on 2 cores, flat-out ingest made a node's restart take 110 s instead of ~25 s)
     */
    public IngestLoad(LedgerCluster cluster, List<String> workspaces, int clients, int batchSize, Duration pause) {
        this.cluster = cluster;
        this.workspaces = workspaces;
        this.batchSize = batchSize;
        this.pauseMillis = pause.toMillis();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread thread = new Thread(() -> run(client), "ingest-client-" + c);
            thread.setDaemon(true);
            threads.add(thread);
        }
        workspaces.forEach(ws -> counters.put(ws, new AtomicLong()));
    }

    public IngestLoad start() {
        threads.forEach(Thread::start);
        return this;
    }

    public int acknowledgedRecords() {
        return acks.stream().mapToInt(a -> a.ids().size()).sum();
    }

    public long acknowledgedRecords(String workspace) {
        return acks.stream().filter(a -> a.workspace().equals(workspace)).mapToLong(a -> a.ids().size()).sum();
    }

    /** Waits until {@code more} further records are acknowledged. */
    public void awaitMore(int more, Duration timeout) {
        long started = System.nanoTime();
        int target = acknowledgedRecords() + more;
        Eventually.until(timeout, Duration.ofMillis(200), this::acknowledgedRecords, n -> n >= target);
        // where a phase's time goes, in the test's output
        System.out.printf("[ingest] %d more acknowledged in %.1f s (%d in all; retried %s)%n", more,
                (System.nanoTime() - started) / 1e9, acknowledgedRecords(), retried);
    }

    private void run(int client) {
        int turn = client;
        while (running.get()) {
            String workspace = workspaces.get(turn++ % workspaces.size());
            long first = counters.get(workspace).getAndAdd(batchSize);
            List<String> ids = new ArrayList<>();
            StringBuilder body = new StringBuilder();
            for (int i = 0; i < batchSize; i++) {
                String id = workspace + "-" + (first + i);
                ids.add(id);
                body.append(Records.record(id, "user-" + (first + i) % 5, Instant.now(), "prompt " + id)).append('\n');
            }
            sendUntilAcknowledged(workspace, ids, body.toString());
            if (pauseMillis > 0 && running.get()) {
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Re-sends the batch until it is acknowledged; gives up (an anomaly) only after two minutes. */
    private void sendUntilAcknowledged(String workspace, List<String> ids, String body) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            int node = Math.floorMod(nextNode.getAndIncrement(), cluster.size());
            String kind;
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                                URI.create(cluster.baseUrl(node) + "/v1/workspaces/" + workspace + "/records"))
                        .timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + TestNodes.ADMIN_KEY)
                        .header("Content-Type", "application/x-ndjson")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status == 200) {
                    JsonNode answer = JSON.readTree(response.body());
                    if (answer.get("accepted").asInt() + answer.get("duplicates").asInt() != ids.size()) {
                        anomalies.add("node " + node + " answered " + response.body() + " for " + ids.size() + " records");
                    }
                    acks.add(new Ack(workspace, ids, answer.get("first_seq").asLong(), answer.get("last_seq").asLong()));
                    return;
                }
                if (status != 429 && status != 503) {
                    anomalies.add("node " + node + " answered " + status + ": " + response.body());
                    return;
                }
                kind = Integer.toString(status);
            } catch (HttpTimeoutException e) {
                kind = "timeout";
            } catch (IOException e) {
                kind = "connection";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                anomalies.add("interrupted while sending " + ids.get(0));
                return;
            }
            retried.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
            try {
                Thread.sleep(100); // an exporter's backoff between attempts
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        anomalies.add("batch " + ids.get(0) + " of " + workspace + " not acknowledged within two minutes");
    }

    /** Stops sending new batches; waits until every client's last batch is acknowledged. */
    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread thread : threads) {
            thread.join(TimeUnit.MINUTES.toMillis(3));
        }
    }

    /**
     * Reads every workspace back through {@code reader} and checks: each acknowledged record is stored
     * exactly once, at the seq its answer gave; the seqs are 1..n without a gap; the hash chain verifies;
     * and nothing is stored that was not sent. Returns the stored count per workspace.
     */
    public Map<String, Long> verify(LedgerClient reader) throws Exception {
        Map<String, Long> stored = new HashMap<>();
        for (String workspace : workspaces) {
            // while the load still runs: only what was acknowledged before the read must be in it
            List<Ack> acknowledged = List.copyOf(acks);
            Map<String, Long> seqOf = new HashMap<>();
            Digest previous = Digest.ZERO;
            long expectedSeq = 1;
            String cursor = null;
            do {
                LedgerClient.Reply page = reader.get("/v1/workspaces/" + workspace + "/records?limit=1000"
                        + (cursor == null ? "" : "&cursor=" + cursor));
                if (page.status() != 200) {
                    throw new AssertionError("reading " + workspace + ": " + page.status() + " " + page.raw().body());
                }
                for (JsonNode record : page.body().get("records")) {
                    long seq = record.get("seq").asLong();
                    if (seq != expectedSeq) {
                        throw new AssertionError(workspace + ": seq " + seq + " where " + expectedSeq + " was expected");
                    }
                    Digest chained = Digest.chain(previous, seq, Records.canonicalContentOf(record));
                    if (!chained.hex().equals(record.get("hash").asText())) {
                        throw new AssertionError(workspace + ": the chain breaks at seq " + seq);
                    }
                    String id = record.get("event_id").asText();
                    if (seqOf.put(id, seq) != null) {
                        throw new AssertionError(workspace + ": " + id + " stored twice");
                    }
                    previous = chained;
                    expectedSeq++;
                }
                cursor = page.body().get("next_cursor").isNull() ? null : page.body().get("next_cursor").asText();
            } while (cursor != null);
            long sent = counters.get(workspace).get();
            for (String id : seqOf.keySet()) {
                long n = Long.parseLong(id.substring(workspace.length() + 1));
                if (!id.startsWith(workspace + "-") || n >= sent) {
                    throw new AssertionError(workspace + ": " + id + " was never sent");
                }
            }
            for (Ack ack : acknowledged) {
                if (!ack.workspace().equals(workspace)) {
                    continue;
                }
                for (int i = 0; i < ack.ids().size(); i++) {
                    Long seq = seqOf.get(ack.ids().get(i));
                    if (seq == null) {
                        throw new AssertionError(workspace + ": acknowledged " + ack.ids().get(i) + " is not stored");
                    }
                    if (ack.firstSeq() > 0 && seq != ack.firstSeq() + i) {
                        throw new AssertionError(workspace + ": " + ack.ids().get(i) + " was acknowledged at seq "
                                + (ack.firstSeq() + i) + " but is stored at " + seq);
                    }
                }
            }
            stored.put(workspace, (long) seqOf.size());
        }
        return stored;
    }
}

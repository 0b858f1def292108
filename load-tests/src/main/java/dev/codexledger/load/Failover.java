package dev.codexledger.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The failover measurement on a running cluster of ledger nodes: a steady light load (one client per
 * workspace, a small batch every {@code intervalMillis}) through the nodes that will survive; SIGKILL of
 * a node (see {@link #repetition} for which); for each workspace that node hosted, the time from the kill
 * to its first acknowledged write sent after the kill; then the node is started again and, once it is
 * ready, the next repetition.
 *
 * <p>While a batch is not acknowledged its client sends it again (same ids: a repeat is answered 200 with
 * the records counted as duplicates), like an OTLP exporter: at most {@code inFlight} attempts outstanding
 * (an exporter has one export in flight), each given up after {@code attemptTimeoutMillis}, a failed one
 * followed by the next after at most {@code hedgeMillis}; with {@code inFlight} above one a new attempt
 * goes out every {@code hedgeMillis} while earlier ones wait (hedging: each is one more request the
 * recovering nodes have to handle). An attempt buffered by sharding while the workspace moves is answered
 * as soon as it accepts writes again, so its return is seen within about {@code attemptTimeoutMillis} at
 * worst (an attempt sent to the dead node before its removal is lost and times out).
 */
final class Failover {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** How the load and the measurement run. */
    record Settings(int workspaces, int batch, long intervalMillis, long hedgeMillis, long attemptTimeoutMillis,
                    int inFlight, Duration warmUp, Duration steady, Duration observe) {}

    /** One kill and what followed, times in seconds from the kill. */
    record Repetition(int number, int victim, boolean victimWasOldest, int victimWorkspaces, int workspaces,
                      double unreachable, double down, double removed, List<Double> recoveries, int notRecovered,
                      double othersLongestGap, double restartToReady, int movedBeforeKill) {}

    /** All repetitions of one setting, and the checks over its whole load. */
    record Outcome(String setting, List<Repetition> repetitions, long acknowledgedRecords, long missing,
                   long seqReused, long storedTwice, long gaps, List<String> anomalies, long falseUnreachable,
                   Map<String, Integer> retried) {

        List<Double> allRecoveries() {
            List<Double> all = new ArrayList<>();
            repetitions.forEach(r -> all.addAll(r.recoveries()));
            return all;
        }

        int notRecovered() {
            return repetitions.stream().mapToInt(Repetition::notRecovered).sum();
        }
    }

    private final LedgerNodes nodes;
    private final Settings settings;
    private final String prefix;
    private final int numberOfShards;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();
    private final List<String> workspaces = new ArrayList<>();
    private final Map<String, Client> clients = new HashMap<>();
    private final List<String> anomalies = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> retried = new ConcurrentHashMap<>();
    private final AtomicLong seqReused = new AtomicLong();
    /** System.nanoTime() of the current kill; Long.MAX_VALUE when none is being measured. */
    private volatile long killedAt = Long.MAX_VALUE;
    /** The nodes the clients send to now. */
    private volatile int[] targets;
    private final AtomicLong falseUnreachable = new AtomicLong();

    Failover(LedgerNodes nodes, Settings settings, String prefix, int numberOfShards) {
        this.nodes = nodes;
        this.settings = settings;
        this.prefix = prefix;
        this.numberOfShards = numberOfShards;
    }

    /** {@code repetitions} kills with restarts in between; {@code setting} names the run in the results. */
    Outcome run(String setting, int repetitions) throws Exception {
        List<Repetition> done = new ArrayList<>();
        warmUp();
        Thread monitor = new Thread(this::monitorReachability, "reachability-monitor");
        monitor.setDaemon(true);
        monitor.start();
        try {
            for (int r = 1; r <= repetitions; r++) {
                done.add(repetition(setting, r));
            }
        } finally {
            monitoring = false;
            monitor.join(5000);
        }
        return verify(setting, done);
    }

    /**
     * The same light load through every node, into workspaces of its own, for {@code settings.warmUp()}: a
     * freshly started cluster answers slowly for a while (JIT, first connections), which is not what a
     * failover should be measured against.
     */
    private void warmUp() throws InterruptedException {
        if (settings.warmUp().isZero()) {
            return;
        }
        targets = allNodes();
        Loop loop = new Loop();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < settings.workspaces(); i++) {
            Client client = new Client(prefix + "-warm-" + i);
            workspaces.add(client.workspace);
            clients.put(client.workspace, client);
            Thread thread = new Thread(() -> client.runUntil(loop), "warm-up-" + client.workspace);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        Thread.sleep(settings.warmUp().toMillis());
        loop.running = false;
        for (Thread thread : threads) {
            thread.join(TimeUnit.MINUTES.toMillis(3));
        }
    }

    private volatile boolean monitoring = true;
    /** The address of the node killed and not yet back, whose unreachability is expected. */
    private volatile String deadAddress = "";

    /**
     * Every 500 ms through the whole setting: any member other than the killed one seen unreachable by a
     * running node starts a false suspicion of the failure detector (counted once per episode).
     */
    private void monitorReachability() {
        Set<String> suspected = new HashSet<>();
        while (monitoring) {
            try {
                for (int i = 0; i < nodes.size(); i++) {
                    if (!nodes.isAlive(i)) {
                        continue;
                    }
                    Set<String> now = new HashSet<>();
                    for (JsonNode member : nodes.members(i).path("unreachable")) {
                        String node = member.path("node").asText();
                        if (!node.equals(deadAddress)) {
                            now.add(node);
                        }
                    }
                    for (String node : now) {
                        if (suspected.add(node)) {
                            falseUnreachable.incrementAndGet();
                            System.out.println("  (node " + i + " sees " + node + " unreachable)");
                        }
                    }
                    suspected.retainAll(now);
                    break;
                }
                Thread.sleep(500);
            } catch (IOException e) {
                // busy or just killed: next round
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private int[] allNodes() {
        int[] all = new int[nodes.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return all;
    }

    private int oldest(int observer) throws IOException, InterruptedException {
        String oldest = nodes.members(observer).path("oldest").asText();
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.address(i).equals(oldest)) {
                return i;
            }
        }
        throw new IllegalStateException("no node is the oldest member " + oldest);
    }

    /**
     * One kill. Each repetition loads workspaces of its own, new ones: sharding allocates their shards to
     * the regions with the fewest, i.e. first to the node restarted after the previous kill, so the cluster
     * is balanced again without shards moving under the measurement (a rebalance towards the restarted node
     * would hand shards over, one per 10 s, for a minute or more). Odd repetitions kill the oldest member,
     * which runs the shard coordinators (they move too); even ones the node, among the others, hosting the
     * most of the repetition's workspaces.
     */
    private Repetition repetition(String setting, int number) throws Exception {
        int oldest = oldest(0);
        boolean killOldest = number % 2 == 1;
        List<String> mine = new ArrayList<>();
        if (killOldest && !workspaces.isEmpty()) {
            // new workspaces would all go to the node started last: load earlier ones, half of them (as far
            // as there are) on the oldest member, the rest elsewhere
            Map<String, Integer> earlier = nodes.hosts(workspaces, numberOfShards);
            int half = settings.workspaces() / 2;
            earlier.entrySet().stream().filter(e -> e.getValue() == oldest).limit(half).forEach(e -> mine.add(e.getKey()));
            earlier.entrySet().stream().filter(e -> e.getValue() >= 0 && e.getValue() != oldest)
                    .limit(settings.workspaces() - mine.size()).forEach(e -> mine.add(e.getKey()));
        }
        List<String> fresh = new ArrayList<>();
        for (int i = 0; mine.size() < settings.workspaces(); i++) {
            String workspace = prefix + "-r" + number + "-" + i;
            mine.add(workspace);
            fresh.add(workspace);
            workspaces.add(workspace);
            clients.put(workspace, new Client(workspace));
        }
        targets = allNodes();
        for (String workspace : fresh) {
            clients.get(workspace).sendOne(); // its ledger started, so its shard is allocated
        }
        Map<String, Integer> hosts = nodes.hosts(mine, numberOfShards);
        int[] count = new int[nodes.size()];
        hosts.values().forEach(h -> {
            if (h >= 0) {
                count[h]++;
            }
        });
        int most = -1;
        for (int i = 0; i < count.length; i++) {
            if (i != oldest && (most < 0 || count[i] > count[most])) {
                most = i;
            }
        }
        final int chosen = killOldest ? oldest : most;
        mine.forEach(ws -> clients.get(ws).resetForKill());
        int[] survivors = new int[nodes.size() - 1];
        for (int i = 0, s = 0; i < nodes.size(); i++) {
            if (i != chosen) {
                survivors[s++] = i;
            }
        }
        targets = survivors;
        List<String> onVictim = mine.stream().filter(ws -> hosts.get(ws) == chosen).toList();
        long unmapped = hosts.values().stream().filter(h -> h < 0).count();
        if (unmapped > 0) {
            anomalies.add(setting + " #" + number + ": " + unmapped + " workspaces on no node's shard list");
        }
        System.out.printf("  %s #%d: kill node %d%s, hosting %d of the %d workspaces loaded (%d new; per node %s); steady"
                        + " load through nodes %s%n", setting, number, chosen,
                chosen == oldest ? " (the oldest: runs the shard coordinators)" : "", onVictim.size(), mine.size(),
                fresh.size(),
                java.util.Arrays.toString(count), java.util.Arrays.toString(survivors));

        List<Thread> threads = new ArrayList<>();
        Loop loop = new Loop();
        for (String workspace : mine) {
            Client client = clients.get(workspace);
            Thread thread = new Thread(() -> client.runUntil(loop), "failover-" + client.workspace);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        Watcher watcher = null;
        int moved;
        try {
            Thread.sleep(settings.steady().toMillis());
            Map<String, Integer> before = nodes.hosts(mine, numberOfShards);
            moved = (int) mine.stream().filter(ws -> !before.get(ws).equals(hosts.get(ws))).count();
            if (moved > 0) {
                anomalies.add(setting + " #" + number + ": " + moved + " workspaces moved during the steady load");
            }
            String victimAddress = nodes.address(chosen);
            watcher = new Watcher(survivors[0], victimAddress);
            deadAddress = victimAddress;
            long kill = nodes.kill(chosen);
            killedAt = kill;
            watcher.start(kill);
            long deadline = kill + settings.observe().toNanos();
            Watcher watching = watcher;
            while (System.nanoTime() < deadline && (watching.removedAt == 0
                    || !onVictim.stream().allMatch(ws -> clients.get(ws).recoveredAt != 0))) {
                Thread.sleep(50);
            }
            // observe the others a little longer than the last recovery, then stop the load
            Thread.sleep(1000);
        } finally {
            loop.running = false;
            for (Thread thread : threads) {
                thread.join(TimeUnit.MINUTES.toMillis(3));
            }
            if (watcher != null) {
                watcher.stop();
            }
        }
        long kill = killedAt;
        killedAt = Long.MAX_VALUE;
        List<Double> recoveries = new ArrayList<>();
        int notRecovered = 0;
        for (String ws : onVictim) {
            long at = clients.get(ws).recoveredAt;
            if (at == 0) {
                notRecovered++;
            } else {
                recoveries.add((at - kill) / 1e9);
            }
        }
        java.util.Collections.sort(recoveries);
        Client stalled = mine.stream().filter(ws -> hosts.get(ws) != chosen).map(clients::get)
                .max(java.util.Comparator.comparingLong(c -> c.longestGapAfterKill)).orElse(null);
        double othersGap = stalled == null ? Double.NaN : stalled.longestGapAfterKill / 1e9;
        Map<String, Integer> othersRetried = new java.util.TreeMap<>();
        mine.stream().filter(ws -> hosts.get(ws) != chosen).map(clients::get)
                .forEach(c -> c.retriedAfterKill.forEach((k, v) -> othersRetried.merge(k, v.get(), Integer::sum)));
        System.out.printf("  %s #%d: unreachable after %.2f s, down %.2f s, removed %.2f s; its workspaces back after %s"
                        + " s%s%n", setting, number, watcher.seconds(watcher.unreachableAt, kill),
                watcher.seconds(watcher.downAt, kill), watcher.seconds(watcher.removedAt, kill), format(recoveries),
                notRecovered > 0 ? " (" + notRecovered + " not within " + settings.observe().toSeconds() + " s)" : "");
        if (stalled != null) {
            System.out.printf("  %s #%d: other workspaces: longest wait between acks %.2f s (%s on node %d, from %.2f s"
                            + " to %.2f s after the kill); their attempts retried after the kill: %s%n", setting, number,
                    othersGap, stalled.workspace, hosts.get(stalled.workspace), (stalled.gapFrom - kill) / 1e9,
                    (stalled.gapTo - kill) / 1e9, othersRetried);
        }

        long restart = System.nanoTime();
        nodes.restart(chosen);
        double restartToReady = (System.nanoTime() - restart) / 1e9;
        nodes.awaitAllUp(Duration.ofMinutes(1));
        deadAddress = "";
        System.out.printf("  %s #%d: node %d ready again after %.1f s%n", setting, number, chosen, restartToReady);
        return new Repetition(number, chosen, chosen == oldest, onVictim.size(), mine.size(),
                watcher.seconds(watcher.unreachableAt, kill), watcher.seconds(watcher.downAt, kill),
                watcher.seconds(watcher.removedAt, kill), recoveries, notRecovered, othersGap, restartToReady, moved);
    }

    private static String format(List<Double> values) {
        StringBuilder out = new StringBuilder("[");
        for (double v : values) {
            out.append(out.length() > 1 ? " " : "").append(String.format("%.2f", v));
        }
        return out.append(']').toString();
    }

    /** Reads every workspace back: each acknowledged record stored once, seqs 1..n without a gap. */
    private Outcome verify(String setting, List<Repetition> done) throws Exception {
        long acknowledged = 0;
        long missing = 0;
        long twice = 0;
        long gaps = 0;
        int reader = 0;
        for (String workspace : workspaces) {
            Client client = clients.get(workspace);
            Set<String> stored = new HashSet<>();
            long expected = 1;
            String cursor = null;
            do {
                HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(nodes.baseUrl(reader)
                                + "/v1/workspaces/" + workspace + "/records?limit=1000"
                                + (cursor == null ? "" : "&cursor=" + java.net.URLEncoder.encode(cursor, StandardCharsets.UTF_8))))
                        .header("Authorization", "Bearer " + LedgerNodes.ADMIN_KEY)
                        .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (page.statusCode() != 200) {
                    throw new IllegalStateException("reading " + workspace + " back: " + page.statusCode() + " " + page.body());
                }
                JsonNode body = JSON.readTree(page.body());
                for (JsonNode record : body.path("records")) {
                    long seq = record.path("seq").asLong();
                    if (seq != expected) {
                        gaps++;
                    }
                    expected = seq + 1;
                    if (!stored.add(record.path("event_id").asText())) {
                        twice++;
                    }
                }
                cursor = body.path("next_cursor").isNull() || body.path("next_cursor").isMissingNode()
                        ? null : body.path("next_cursor").asText();
            } while (cursor != null);
            for (long[] range : client.acked) {
                for (long n = range[0]; n < range[0] + range[1]; n++) {
                    acknowledged++;
                    if (!stored.contains(workspace + "-" + n)) {
                        missing++;
                    }
                }
            }
        }
        Map<String, Integer> retriedCounts = new java.util.TreeMap<>();
        retried.forEach((kind, n) -> retriedCounts.put(kind, n.get()));
        return new Outcome(setting, done, acknowledged, missing, seqReused.get(), twice, gaps, List.copyOf(anomalies),
                falseUnreachable.get(), retriedCounts);
    }

    /** Whether the clients keep sending new batches. */
    private static final class Loop {
        volatile boolean running = true;
    }

    /** One workspace's client. */
    private final class Client {
        final String workspace;
        long next;
        long maxAckedSeq;
        /** Acknowledged batches: {first n, count}. */
        final List<long[]> acked = new CopyOnWriteArrayList<>();
        volatile long recoveredAt;
        volatile long lastAck;
        volatile long longestGapAfterKill;
        volatile long gapFrom;
        volatile long gapTo;
        final Map<String, AtomicInteger> retriedAfterKill = new ConcurrentHashMap<>();
        int turn;

        Client(String workspace) {
            this.workspace = workspace;
        }

        /** Forgets what the previous repetition's kill did to this workspace. */
        void resetForKill() {
            recoveredAt = 0;
            longestGapAfterKill = 0;
            gapFrom = 0;
            gapTo = 0;
            retriedAfterKill.clear();
        }

        void runUntil(Loop loop) {
            while (loop.running) {
                long started = System.nanoTime();
                sendOne();
                long wait = settings.intervalMillis() - (System.nanoTime() - started) / 1_000_000;
                if (wait > 0) {
                    try {
                        Thread.sleep(wait);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }

        /** Sends the next batch until it is acknowledged (at most two minutes, then an anomaly). */
        void sendOne() {
            long first = next;
            next += settings.batch();
            StringBuilder body = new StringBuilder(settings.batch() * 900).append('[');
            for (int i = 0; i < settings.batch(); i++) {
                body.append(i > 0 ? "," : "").append(CodexLikeRecords.json(workspace + "-" + (first + i),
                        (int) ((first + i) % 20), first + i));
            }
            byte[] bytes = body.append(']').toString().getBytes(StandardCharsets.UTF_8);
            long giveUp = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            List<Attempt> outstanding = new ArrayList<>();
            while (System.nanoTime() < giveUp) {
                if (outstanding.size() < settings.inFlight()) {
                    int[] now = targets;
                    int node = now[Math.floorMod(turn++, now.length)];
                    outstanding.add(new Attempt(System.nanoTime(), node, send(node, bytes)));
                }
                long tick = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.hedgeMillis());
                while (true) {
                    long left = tick - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    if (outstanding.isEmpty()) { // the last attempt failed: the next one at the tick
                        try {
                            TimeUnit.NANOSECONDS.sleep(left);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                        break;
                    }
                    try {
                        CompletableFuture.anyOf(outstanding.stream().map(Attempt::answer).toArray(CompletableFuture[]::new))
                                .get(left, TimeUnit.NANOSECONDS);
                    } catch (TimeoutException e) {
                        break;
                    } catch (ExecutionException e) {
                        // an attempt failed: seen below
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    for (var it = outstanding.iterator(); it.hasNext(); ) {
                        Attempt attempt = it.next();
                        if (!attempt.answer().isDone()) {
                            continue;
                        }
                        it.remove();
                        String outcome = attempt.answer().getNow("?");
                        if (outcome.startsWith("200 ")) {
                            acknowledged(attempt, outcome.substring(4), first);
                            return;
                        }
                        String kind = outcome.startsWith("other ") ? "other" : outcome;
                        retried.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
                        if (attempt.sent() >= killedAt) {
                            retriedAfterKill.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
                        }
                        if (outcome.startsWith("other ")) {
                            anomalies.add(workspace + " via node " + attempt.node() + ": " + outcome.substring(6));
                        }
                    }
                }
            }
            anomalies.add(workspace + ": batch from " + first + " not acknowledged within two minutes");
        }

        private void acknowledged(Attempt attempt, String answer, long first) {
            long now = System.nanoTime();
            long kill = killedAt;
            if (now > kill) {
                long since = Math.max(lastAck, kill);
                if (now - since > longestGapAfterKill) {
                    longestGapAfterKill = now - since;
                    gapFrom = since;
                    gapTo = now;
                }
                if (recoveredAt == 0 && attempt.sent() >= kill) {
                    recoveredAt = now;
                }
            }
            lastAck = now;
            acked.add(new long[] {first, settings.batch()});
            try {
                JsonNode json = JSON.readTree(answer);
                if (json.path("accepted").asInt() + json.path("duplicates").asInt() != settings.batch()) {
                    anomalies.add(workspace + ": answer " + answer + " for " + settings.batch() + " records");
                }
                JsonNode firstSeq = json.path("first_seq");
                if (!firstSeq.isNull() && !firstSeq.isMissingNode()) {
                    if (firstSeq.asLong() <= maxAckedSeq) {
                        seqReused.incrementAndGet();
                        anomalies.add(workspace + ": first_seq " + firstSeq.asLong() + " after an acknowledged seq "
                                + maxAckedSeq);
                    }
                    maxAckedSeq = Math.max(maxAckedSeq, json.path("last_seq").asLong());
                }
            } catch (IOException e) {
                anomalies.add(workspace + ": unreadable answer " + answer);
            }
        }

        /** "200 <body>", "429", "503", "timeout", "connection" or "other <status> <body>". */
        private CompletableFuture<String> send(int node, byte[] bytes) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(nodes.baseUrl(node) + "/v1/workspaces/" + workspace
                            + "/records"))
                    .header("Authorization", "Bearer " + LedgerNodes.ADMIN_KEY)
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofMillis(settings.attemptTimeoutMillis()))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
            return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((response, error) -> {
                if (error != null) {
                    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                            ? error.getCause() : error;
                    return cause instanceof java.net.http.HttpTimeoutException ? "timeout" : "connection";
                }
                int status = response.statusCode();
                if (status == 200) {
                    return "200 " + response.body();
                }
                if (status == 429 || status == 503) {
                    return Integer.toString(status);
                }
                return "other " + status + " " + response.body();
            });
        }
    }

    private record Attempt(long sent, int node, CompletableFuture<String> answer) {}

    /**
     * Polls a surviving node's member list every 100 ms from the kill: when it first lists the victim as
     * unreachable, as Down, and no longer at all.
     */
    private final class Watcher {
        final int observer;
        final String victimAddress;
        volatile long unreachableAt;
        volatile long downAt;
        volatile long removedAt;
        volatile boolean running = true;
        Thread thread;

        Watcher(int observer, String victimAddress) {
            this.observer = observer;
            this.victimAddress = victimAddress;
        }

        void start(long kill) {
            thread = new Thread(() -> {
                while (running && removedAt == 0 && System.nanoTime() - kill < settings.observe().toNanos()) {
                    try {
                        JsonNode view = nodes.members(observer);
                        long now = System.nanoTime();
                        boolean listed = false;
                        for (JsonNode member : view.path("members")) {
                            if (victimAddress.equals(member.path("node").asText())) {
                                listed = true;
                                String status = member.path("status").asText();
                                if (downAt == 0 && ("Down".equals(status) || "Removed".equals(status))) {
                                    downAt = now;
                                }
                            }
                        }
                        for (JsonNode member : view.path("unreachable")) {
                            String node = member.path("node").asText();
                            if (victimAddress.equals(node) && unreachableAt == 0) {
                                unreachableAt = now;
                            }
                        }
                        if (!listed) {
                            removedAt = now;
                            if (downAt == 0) {
                                downAt = now;
                            }
                            if (unreachableAt == 0) {
                                unreachableAt = now;
                            }
                        }
                    } catch (IOException e) {
                        // the observer is busy: try again
                    } catch (InterruptedException e) {
                        return;
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "failover-watcher");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(5000);
        }

        double seconds(long at, long kill) {
            return at == 0 ? Double.NaN : (at - kill) / 1e9;
        }
    }
}

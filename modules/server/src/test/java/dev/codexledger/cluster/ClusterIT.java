package dev.codexledger.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.servererrors.UnavailableException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.IngestLoad;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.LedgerCluster;
import dev.codexledger.testing.CassandraRing;
import dev.codexledger.testing.TestNodes;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three Ledger nodes, each its own JVM, one Pekko cluster formed by bootstrap, over a ring of three
 * Cassandra nodes with three replicas (LOCAL_QUORUM reads and writes); clients
 * ingest through all three into 30 workspaces and re-send what was not acknowledged. Each test breaks
 * the cluster one way (SIGKILL of a ledger node, of a Cassandra node, SIGSTOP/SIGCONT, a rolling restart) under that load and then checks that
 * every acknowledged record is stored exactly once at the seq it was acknowledged with, every workspace
 * is gap-free with a verifying chain, and analytics and budget spend equal the sum of what was acknowledged.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class ClusterIT {

    private static final int WORKSPACES = 30;
    /** Records.record: 120 input and 40 output tokens of gpt-5-codex = 550 micro-credits. */
    private static final BigDecimal CREDITS_PER_RECORD = new BigDecimal("0.00055");
    private static CassandraRing ring;
    private static LedgerCluster cluster;
    private static final String keyspace = TestNodes.newKeyspace("cluster");

    @BeforeAll
    static void start() throws Exception {
        ring = CassandraRing.start(3);
        cluster = LedgerCluster.start(3, "failover", Map.of(
                "LEDGER_CASSANDRA_CONTACT_POINTS", ring.contactPoints(),
                "LEDGER_CASSANDRA_REPLICATION", CassandraRing.RF3,
                "LEDGER_CASSANDRA_KEYSPACE", keyspace));
        Eventually.assertThat(Duration.ofSeconds(30), () -> assertEquals(3,
                cluster.members(0).values().stream().filter("Up"::equals).count(), "three members Up"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (ring != null) {
            ring.close();
        }
    }

    private static long phaseStarted = System.nanoTime();

    @BeforeEach
    void startPhase(TestInfo test) {
        phaseStarted = System.nanoTime();
        step("phase " + test.getDisplayName());
    }

    /** Where a phase's time goes, in the test's output. */
    private static void step(String what) {
        System.out.printf("[ClusterIT +%.1f s] %s%n", (System.nanoTime() - phaseStarted) / 1e9, what);
    }

    /** Six exporter-like clients, 20 records a batch, each pausing 500 ms after an acknowledgement. */
    private static IngestLoad load(List<String> workspaces) {
        return new IngestLoad(cluster, workspaces, 6, 20, Duration.ofMillis(500)).start();
    }

    private static List<String> workspaces(String prefix) {
        return IntStream.range(0, WORKSPACES).mapToObj(i -> prefix + "-" + i).toList();
    }

    /** A month budget on every workspace, so its spend is reported. */
    private static void budgets(List<String> workspaces) throws Exception {
        LedgerClient admin = cluster.client(0);
        ExecutorService pool = Executors.newFixedThreadPool(10); // each a new entity: recovery, then a write
        try {
            List<Future<?>> set = new ArrayList<>();
            for (String workspace : workspaces) {
                set.add(pool.submit(() -> Eventually.assertThat(Duration.ofSeconds(30), () -> assertEquals(200,
                        admin.send("PUT", "/v1/admin/workspaces/" + workspace + "/budgets/org",
                                Map.of("Content-Type", "application/json"),
                                "{\"window\":\"month\",\"cap\":100000}".getBytes()).status()))));
            }
            for (Future<?> done : set) {
                done.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        step("budgets set on " + workspaces.size() + " workspaces");
    }

    /**
     * After the load: the records check ({@link IngestLoad#verify}), nothing stored that was not
     * acknowledged, and the analytics and budget spend of each workspace equal to its acknowledged records.
     */
    private static void verify(IngestLoad load, List<String> workspaces) throws Exception {
        long started = System.nanoTime();
        assertEquals(List.of(), load.anomalies, "answers a client may not retry");
        Map<String, Long> stored = load.verify(cluster.client(0));
        for (String workspace : workspaces) {
            long acknowledged = load.acknowledgedRecords(workspace);
            assertEquals(acknowledged, stored.get(workspace), workspace + ": stored = acknowledged");
            BigDecimal spend = CREDITS_PER_RECORD.multiply(BigDecimal.valueOf(acknowledged));
            Eventually.assertThat(Duration.ofSeconds(60), () -> {
                JsonNode org = cluster.client(1).get("/v1/admin/workspaces/" + workspace + "/budgets").body()
                        .get("budgets").get(0);
                assertEquals(0, spend.compareTo(new BigDecimal(org.get("spent").asText())),
                        workspace + ": budget spend " + org.get("spent") + ", acknowledged " + acknowledged);
            });
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            long from = today.minusDays(1).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
            long to = today.plusDays(2).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
            Eventually.assertThat(Duration.ofSeconds(60), () -> {
                JsonNode days = cluster.client(2).get("/v1/analytics/codex/workspaces/" + workspace
                        + "/usage?start_time=" + from + "&end_time=" + to).body().get("data");
                long input = 0;
                for (JsonNode day : days) {
                    input += day.path("tokens").path("input").asLong();
                }
                assertEquals(120 * acknowledged, input, workspace + ": analytics input tokens");
            });
        }
        System.out.printf("[verify] %d workspaces, %d records checked in %.1f s%n", workspaces.size(),
                load.acknowledgedRecords(), (System.nanoTime() - started) / 1e9);
    }

    @Test
    @Order(1)
    void aKilledNodesWorkspacesMoveAndNothingAcknowledgedIsLostOrCountedTwice() throws Exception {
        List<String> workspaces = workspaces("kill");
        budgets(workspaces);
        IngestLoad load = load(workspaces);
        try {
            load.awaitMore(600, Duration.ofMinutes(2));
            String killed = cluster.address(2);
            cluster.kill(2);
            step("node 2 killed");
            // its port now refuses connections: a survivor downs it without waiting for the resolver
            Eventually.assertThat(Duration.ofSeconds(60), () -> assertFalse(
                    cluster.members(0).containsKey(killed), "node 2 downed and removed"));
            step("node 2 removed");
            assertTrue(cluster.logs(0).contains("downing " + killed + ": its remote port refused")
                            || cluster.logs(1).contains("downing " + killed + ": its remote port refused"),
                    "a survivor downed the killed node because its port refused connections");
            load.awaitMore(600, Duration.ofMinutes(2));
            cluster.restart(2);
            load.awaitMore(300, Duration.ofMinutes(2));
        } finally {
            load.close();
            step("load closed");
        }
        verify(load, workspaces);
    }

    @Test
    @Order(2)
    void aCassandraNodeKilledDuringIngestLosesNothingAndReadsSeeEverythingOnceItIsBack() throws Exception {
        List<String> workspaces = workspaces("ring");
        budgets(workspaces);
        IngestLoad load = load(workspaces);
        var victim = ring.node(3);
        try {
            load.awaitMore(400, Duration.ofMinutes(2));
            victim.kill();
            step("Cassandra node 3 killed");
            load.awaitMore(400, Duration.ofMinutes(3));
            ring.awaitSeenDown(victim, Duration.ofMinutes(1));
            step("seen down");
            load.awaitMore(400, Duration.ofMinutes(3));
            try (CqlSession session = ring.session()) {
                assertThrows(UnavailableException.class, () -> session.execute(SimpleStatement.newInstance(
                                "SELECT seq FROM " + keyspace + ".records LIMIT 1")
                        .setConsistencyLevel(DefaultConsistencyLevel.ALL)), "ALL needs the node that is down");
            }
            load.verify(cluster.client(1)); // LOCAL_QUORUM reads see every acknowledged record while it is down
            step("verified while it is down");
            victim.restart();
            ring.awaitAllUp(Duration.ofMinutes(2));
            step("Cassandra node 3 back");
            load.awaitMore(200, Duration.ofMinutes(2));
        } finally {
            load.close();
            step("load closed");
        }
        verify(load, workspaces);
    }

    /**
     * A workspace whose budget (an org cap of {@code cap} credits) runs on {@code node}: budgets are set on
     * candidates until one's shard is hosted there.
     */
    private static String budgetHostedOn(int node, String prefix, int cap) throws Exception {
        for (int i = 0; i < 60; i++) {
            String workspace = prefix + "-" + i;
            assertEquals(200, cluster.client(0).send("PUT", "/v1/admin/workspaces/" + workspace + "/budgets/org",
                    Map.of("Content-Type", "application/json"),
                    ("{\"window\":\"month\",\"cap\":" + cap + "}").getBytes()).status());
            if (budgetHost(workspace) == node) {
                return workspace;
            }
        }
        throw new AssertionError("no budget landed on node " + node);
    }

    /** The node whose shard region hosts {@code workspace}'s budget (sharding's default extractor); -1: none. */
    private static int budgetHost(String workspace) throws Exception {
        int shards = com.typesafe.config.ConfigFactory.load().getInt("pekko.cluster.sharding.number-of-shards");
        String shard = Integer.toString(Math.abs(workspace.hashCode()) % shards);
        for (int node = 0; node < cluster.size(); node++) {
            if (cluster.hostedShards(node, "WorkspaceBudget").contains(shard)) {
                return node;
            }
        }
        return -1;
    }

    /** Answers to reservations of 0.5 credits: 201s add their reservation id to {@code held}; the calls not decided. */
    private static List<Integer> collect(List<Future<LedgerClient.Reply>> replies, List<Integer> calls,
                                         java.util.Set<String> held) throws InterruptedException {
        List<Integer> undecided = new ArrayList<>();
        for (int i = 0; i < replies.size(); i++) {
            LedgerClient.Reply reply;
            try {
                reply = replies.get(i).get();
            } catch (java.util.concurrent.ExecutionException lost) {
                undecided.add(calls.get(i)); // the connection broke (the node left): no answer
                continue;
            }
            switch (reply.status()) {
                case 201 -> held.add(reply.body().get("reservation_id").asText());
                case 200 -> assertFalse(reply.body().get("allowed").asBoolean(), reply.raw().body());
                case 503 -> {
                    assertEquals("policy:fail-closed", reply.body().get("decided_by").asText(),
                            "an answer without a decision says it follows the failure policy: " + reply.raw().body());
                    undecided.add(calls.get(i));
                }
                default -> throw new AssertionError("unexpected answer " + reply.status() + " " + reply.raw().body());
            }
        }
        return undecided;
    }

    /** Every reservation answered 201 is held exactly once, and settled + reserved stays within {@code cap}. */
    private static void assertHeldOnceWithin(String workspace, java.util.Set<String> held, int cap) throws Exception {
        assertTrue(held.size() <= cap * 2, held.size() + " reservations of 0.5 granted under a cap of " + cap);
        Eventually.assertThat(Duration.ofSeconds(60), () -> {
            JsonNode org = cluster.client(0).get("/v1/admin/workspaces/" + workspace + "/budgets").body()
                    .get("budgets").get(0);
            BigDecimal reserved = new BigDecimal(org.get("reserved").asText());
            BigDecimal used = new BigDecimal(org.get("spent").asText()).add(reserved);
            assertTrue(used.compareTo(BigDecimal.valueOf(cap)) <= 0, "settled + reserved within the cap: " + org);
            assertEquals(0, new BigDecimal("0.5").multiply(BigDecimal.valueOf(held.size())).compareTo(reserved),
                    "every reservation answered 201 held once (" + held.size() + " ids): " + org);
        });
    }

    @Test
    @Order(3)
    void aFrozenNodeThatWasDownedAcknowledgesNothingWhenItWakesUp() throws Exception {
        List<String> workspaces = workspaces("zombie");
        budgets(workspaces);
        int frozen = 1;
        // a budget on the node to be frozen: gateways keep reserving on it while it is frozen and after
        String budget = budgetHostedOn(frozen, "zombie-budget", 5);
        java.util.Set<String> held = java.util.concurrent.ConcurrentHashMap.newKeySet();
        ExecutorService gateways = Executors.newFixedThreadPool(16);
        List<Future<LedgerClient.Reply>> toZombie = new ArrayList<>();
        List<Future<LedgerClient.Reply>> toSurvivor = new ArrayList<>();
        List<Integer> zombieCalls = new ArrayList<>();
        List<Integer> survivorCalls = new ArrayList<>();
        IngestLoad load = load(workspaces);
        try {
            assertTrue(collect(List.of(gateways.submit(() -> reserveOnce(cluster.client(0), budget, 0)),
                    gateways.submit(() -> reserveOnce(cluster.client(2), budget, 1))), List.of(0, 1), held).isEmpty(),
                    "decided while all three nodes run");
            load.awaitMore(600, Duration.ofMinutes(2));
            assertEquals(frozen, budgetHost(budget), "the budget still runs on the node about to be frozen");
            cluster.pause(frozen);
            step("node 1 paused");
            for (int call = 2; call < 10; call++) { // these wait in the frozen node's sockets: it answers them on waking
                int c = call;
                zombieCalls.add(c);
                toZombie.add(gateways.submit(() -> reserveOnce(cluster.client(frozen), budget, c)));
            }
            for (int call = 10; call < 18; call++) { // these reach the budget once it runs elsewhere
                int c = call;
                survivorCalls.add(c);
                toSurvivor.add(gateways.submit(() -> reserveOnce(cluster.client(c % 2 == 0 ? 0 : 2), budget, c)));
            }
            Eventually.assertThat(Duration.ofSeconds(60), () -> assertFalse(
                    cluster.members(0).containsKey(cluster.address(frozen)), "node 1 downed and removed"));
            load.awaitMore(600, Duration.ofMinutes(2));
            step("node 1 removed");
            for (int survivor : new int[] {0, 2}) { // a frozen process still accepts connections: the resolver downed it
                assertFalse(cluster.logs(survivor).contains("downing " + cluster.address(frozen) + ": its remote port"),
                        "node 1 was frozen, not gone: not downed for refusing connections");
            }
            cluster.resume(frozen);
            assertTrue(cluster.awaitExit(frozen, Duration.ofSeconds(60)), "woken up downed, it leaves its JVM");
            step("node 1 exited");
            List<Integer> undecided = new ArrayList<>(collect(toZombie, zombieCalls, held));
            undecided.addAll(collect(toSurvivor, survivorCalls, held));
            step(held.size() + " reservations held, " + undecided.size() + " without a decision");
            load.awaitMore(300, Duration.ofMinutes(2));
            cluster.restart(frozen);
            // the gateways without a decision ask again with their keys
            for (int call : undecided) {
                Eventually.assertThat(Duration.ofSeconds(90), () -> {
                    LedgerClient.Reply reply = reserveOnce(cluster.client(0), budget, call);
                    if (reply.status() == 201) {
                        held.add(reply.body().get("reservation_id").asText());
                    } else {
                        assertEquals(200, reply.status(), "a decision this time: " + reply.raw().body());
                    }
                });
            }
            load.awaitMore(300, Duration.ofMinutes(2));
        } finally {
            gateways.shutdownNow();
            load.close();
            step("load closed");
        }
        verify(load, workspaces);
        // nothing the woken node decided counts unless it was answered; everything answered counts
        assertHeldOnceWithin(budget, held, 5);
    }

    @Test
    @Order(4)
    void aRollingRestartLosesNothingAndFailsNoRequestAClientMayNotRetry() throws Exception {
        List<String> workspaces = workspaces("rolling");
        budgets(workspaces);
        IngestLoad load = load(workspaces);
        try {
            load.awaitMore(400, Duration.ofMinutes(2));
            for (int node = 0; node < cluster.size(); node++) {
                cluster.stop(node, Duration.ofSeconds(60));
                step("node " + node + " stopped");
                load.awaitMore(200, Duration.ofMinutes(2));
                cluster.restart(node);
                load.awaitMore(200, Duration.ofMinutes(2));
            }
        } finally {
            load.close();
            step("load closed");
        }
        verify(load, workspaces);
    }

    /** Gateway {@code call}'s reservation of 0.5 credits, with its idempotency key. */
    private static LedgerClient.Reply reserveOnce(LedgerClient client, String workspace, int call) {
        return client.send("POST", "/v1/budget/workspaces/" + workspace + "/reservations",
                Map.of("Content-Type", "application/json", "Idempotency-Key", "gateway-call-" + call),
                ("{\"user\":\"user-" + call + "\",\"estimate_credits\":0.5,\"ttl_seconds\":3600}")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)); // held through the whole phase
    }

    @Test
    @Order(5)
    void reservationsWhileTheBudgetsNodeIsKilledNeverOverspendAndRetriesAreHeldOnce() throws Exception {
        String workspace = "budget-move";
        LedgerClient admin = cluster.client(0);
        assertEquals(200, admin.send("PUT", "/v1/admin/workspaces/" + workspace + "/budgets/org",
                Map.of("Content-Type", "application/json"), "{\"window\":\"month\",\"cap\":10}".getBytes()).status());
        int host = budgetHost(workspace);
        assertTrue(host >= 0, "one node hosts the budget");
        int killed = host;
        ExecutorService pool = Executors.newFixedThreadPool(64);
        List<Future<LedgerClient.Reply>> replies = new ArrayList<>();
        List<Integer> calls = new ArrayList<>();
        java.util.Set<String> held = new java.util.HashSet<>(); // ids of reservations answered 201
        List<Integer> unanswered;                               // gateways with no decision: they retry
        try {
            for (int i = 0; i < 64; i++) {
                int node = i % cluster.size();
                int call = i;
                calls.add(call);
                replies.add(pool.submit(() -> reserveOnce(cluster.client(node), workspace, call)));
                if (i == 16) {
                    cluster.kill(killed);
                }
            }
            unanswered = collect(replies, calls, held);
        } finally {
            pool.shutdownNow();
        }
        cluster.restart(killed);
        step(held.size() + " held, " + unanswered.size() + " without a decision: retried with their keys");
        // the gateways that got no decision (their write may or may not have happened) ask again, same key
        for (int call : unanswered) {
            Eventually.assertThat(Duration.ofSeconds(90), () -> {
                LedgerClient.Reply reply = reserveOnce(cluster.client(call % cluster.size()), workspace, call);
                if (reply.status() == 201) {
                    held.add(reply.body().get("reservation_id").asText());
                } else {
                    assertEquals(200, reply.status(), "a decision this time: " + reply.raw().body());
                    assertFalse(reply.body().get("allowed").asBoolean(), reply.raw().body());
                }
            });
        }
        assertHeldOnceWithin(workspace, held, 10);
    }
}

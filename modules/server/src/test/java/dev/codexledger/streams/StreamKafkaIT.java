package dev.codexledger.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.localkafka.LocalKafka;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The audit trail streamed to a real Kafka broker (KRaft, forked JVM, Kafka's own jars): 50,000 records
 * over 10 workspaces, while the broker is killed with SIGKILL and started again and the ledger node is
 * restarted. Consumed back, every record arrives, each once after dropping duplicates by event id, in
 * seq order per workspace, with no gap.
 */
@ExtendWith(SharedCassandra.class)
class StreamKafkaIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int WORKSPACES = 10;
    private static final int PER_WORKSPACE = 5_000;
    private static final int BATCH = 250;
    private static final String TOPIC = "codex-audit";
    private static final Map<String, Object> SETTINGS = Map.of(
            "ledger.streams.secrets-key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            "ledger.streams.sweep-interval", "1s",
            "ledger.streams.max-backoff", "2s",
            "ledger.streams.delivery-timeout", "10s");

    private static LocalKafka broker;
    private static String keyspace;
    private static LedgerNode.Running node;

    @BeforeAll
    static void start() throws Exception {
        broker = LocalKafka.startNew(SharedCassandra.repoRoot().resolve("modules/kafka-runtime/target/lib"),
                SharedCassandra.testDataDir().resolve("kafka-" + System.nanoTime()));
        keyspace = TestNodes.newKeyspace("streamkafka");
        node = TestNodes.start(SharedCassandra.contactPoint(), keyspace, SETTINGS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.stop();
        }
        if (broker != null) {
            broker.stop();
        }
    }

    private static LedgerClient admin() {
        return new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    private static void ingest(String workspace, int from, int count) {
        List<String> records = new ArrayList<>(count);
        Instant base = Instant.parse("2026-12-01T00:00:00Z");
        for (int i = from; i < from + count; i++) {
            // timestamps out of order on purpose: delivery follows seq, not time
            records.add(Records.record(workspace + "-" + i, "user-" + (i % 7), base.plusSeconds((i * 7919L) % 86_400), "p" + i));
        }
        LedgerClient.Reply reply = Eventually.until(Duration.ofSeconds(60),
                () -> admin().post("/v1/workspaces/" + workspace + "/records", "application/json",
                        Records.array(records.toArray(String[]::new))), r -> r.status() == 200);
        assertEquals(count, reply.body().get("accepted").asInt(), reply.raw().body());
    }

    /** Ingests rounds [fromRound, toRound) of every workspace, BATCH records each. */
    private static void ingestRounds(int fromRound, int toRound) {
        for (int round = fromRound; round < toRound; round++) {
            for (int w = 0; w < WORKSPACES; w++) {
                ingest("kafka-ws-" + w, round * BATCH, BATCH);
            }
        }
    }

    @Test
    void everyRecordOnceInSeqOrderThroughABrokerKillAndANodeRestart() throws Exception {
        LedgerClient.Reply created = admin().post("/v1/admin/streams", "application/json", """
                {"name": "siem", "type": "kafka", "start": "beginning", "batch_size": 1000,
                 "kafka": {"bootstrap_servers": "%s", "topic": "%s"}}""".formatted(broker.bootstrapServers(), TOPIC));
        assertEquals(201, created.status(), created.raw().body());
        String id = created.body().get("id").asText();
        int rounds = PER_WORKSPACE / BATCH; // 20
        ingestRounds(0, 6);
        // the broker dies mid-stream, while ingest goes on
        broker.kill();
        ingestRounds(6, 10);
        JsonNode failing = Eventually.until(Duration.ofSeconds(60), () -> admin().get("/v1/admin/streams/" + id).body(),
                status -> status.get("status").get("failed_deliveries").asLong() > 0);
        assertTrue(failing.get("status").get("lag_records").asLong() > 0, failing.toString());
        assertTrue(!failing.get("status").get("last_error").isNull(), failing.toString());
        broker.start();
        ingestRounds(10, 14);
        // the ledger node restarts mid-stream: its lanes resume from the cursors in Cassandra
        node.stop();
        node = TestNodes.start(SharedCassandra.contactPoint(), keyspace, SETTINGS);
        ingestRounds(14, rounds);

        int expected = WORKSPACES * PER_WORKSPACE;
        Map<String, List<Long>> firstSeen = new HashMap<>();
        Set<String> ids = new HashSet<>();
        int consumed = 0;
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            while (countOurs(ids) < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    consumed++;
                    String workspace = new String(r.key(), StandardCharsets.UTF_8);
                    JsonNode value = JSON.readTree(r.value());
                    String eventId = header(r, "ledger-event-id");
                    assertEquals(value.get("event_id").asText(), eventId);
                    assertEquals(value.get("seq").asText(), header(r, "ledger-seq"));
                    assertEquals(workspace, header(r, "ledger-workspace"));
                    assertEquals(64, value.get("hash").asText().length());
                    if (ids.add(workspace + "/" + eventId)) { // a duplicate is dropped by its event id
                        firstSeen.computeIfAbsent(workspace, w -> new ArrayList<>()).add(value.get("seq").asLong());
                    }
                }
            }
        }
        assertEquals(expected, countOurs(ids), "records consumed back by event id");
        for (int w = 0; w < WORKSPACES; w++) {
            List<Long> seqs = firstSeen.get("kafka-ws-" + w);
            assertEquals(PER_WORKSPACE, seqs.size());
            for (int i = 0; i < seqs.size(); i++) {
                assertEquals(i + 1, seqs.get(i), "kafka-ws-" + w + ": seq order without a gap at " + i);
            }
        }
        JsonNode status = Eventually.until(Duration.ofSeconds(30), () -> admin().get("/v1/admin/streams/" + id).body(),
                s -> s.get("status").get("lag_records").asLong() == 0);
        assertTrue(status.get("status").get("delivered").asLong() >= expected, status.toString());
        System.out.printf("kafka stream: %d records consumed for %d unique (%d duplicates), %d failed deliveries%n",
                consumed, ids.size(), consumed - ids.size(), status.get("status").get("failed_deliveries").asLong());
    }

    private static long countOurs(Set<String> ids) {
        return ids.stream().filter(i -> i.startsWith("kafka-ws-")).count();
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}

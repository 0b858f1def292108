package dev.codexledger.streams;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.records.RecordStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Records to a Kafka topic with the Kafka Java client: an idempotent producer ({@code acks=all},
 * {@code enable.idempotence}), the key is the workspace (so one workspace's records stay in one partition,
 * in seq order), the value the record's export line, and headers {@code ledger-event-id},
 * {@code ledger-seq}, {@code ledger-workspace}, {@code ledger-event-type} for consumers that drop
 * duplicates, and {@code ledger-accepted-at} (epoch microseconds: when the ledger accepted it, for lag). Each delivery is one Kafka transaction (consumers read with {@code isolation.level =
 * read_committed}). A failed delivery closes the producer: the next one starts a new producer (and a new
 * idempotence epoch), and the range is sent again from the cursor (at least once).
 */
final class KafkaSink implements StreamSink {

    private final StreamDestination destination;
    private final StreamSecrets secrets;
    private final Duration timeout;
    private final String node;
    private KafkaProducer<byte[], byte[]> producer;

    KafkaSink(StreamDestination destination, StreamSecrets secrets, Duration timeout, String node) {
        this.node = node;
        this.destination = destination;
        this.secrets = secrets;
        this.timeout = timeout;
    }

    private synchronized KafkaProducer<byte[], byte[]> producer() {
        if (producer == null) {
            ObjectNode c = destination.config();
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, c.get("bootstrap_servers").asText());
            p.put(ProducerConfig.CLIENT_ID_CONFIG, "codex-ledger-" + destination.id());
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
            p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
            p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, c.path("compression").asText("lz4"));
            long total = Math.max(5_000, timeout.toMillis());
            p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.min(10_000, total / 2)));
            p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(total));
            p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(total));
            // stable per destination and node, so a restarted node's producer aborts what its last one left open;
            // a node that never comes back leaves its open transaction to the broker's timeout
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "codex-ledger-" + destination.id() + "-" + node);
            // longer than a delivery may take, or the broker aborts transactions the client still waits on
            p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, String.valueOf(total + 30_000));
            p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "2000");
            p.put("security.protocol", c.path("security_protocol").asText("PLAINTEXT"));
            if (c.has("sasl")) {
                ObjectNode sasl = (ObjectNode) c.get("sasl");
                String mechanism = sasl.get("mechanism").asText();
                String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                        : "org.apache.kafka.common.security.scram.ScramLoginModule";
                p.put("sasl.mechanism", mechanism);
                p.put("sasl.jaas.config", module + " required username=\"" + jaas(sasl.get("username").asText())
                        + "\" password=\"" + jaas(secrets.open(sasl.get("password"), "kafka.sasl.password")) + "\";");
            }
            KafkaProducer<byte[], byte[]> made = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
            try {
                made.initTransactions();
            } catch (RuntimeException e) {
                made.close(Duration.ZERO);
                throw e;
            }
            producer = made;
        }
        return producer;
    }

    private static String jaas(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /**
     * One transaction per delivery: read_committed consumers see a batch whole or not at all, so a batch
     * that failed halfway never shows its later records before its earlier ones are sent again.
     */
    @Override
    public synchronized void deliver(String workspace, List<RecordStore.Streamed> events) throws Exception {
        KafkaProducer<byte[], byte[]> kafka = producer();
        String topic = destination.config().get("topic").asText();
        byte[] key = workspace.getBytes(StandardCharsets.UTF_8);
        try {
            kafka.beginTransaction();
            for (RecordStore.Streamed event : events) {
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, key,
                        event.toJson().getBytes(StandardCharsets.UTF_8));
                record.headers().add("ledger-event-id", event.eventId().getBytes(StandardCharsets.UTF_8))
                        .add("ledger-seq", Long.toString(event.seq()).getBytes(StandardCharsets.UTF_8))
                        .add("ledger-workspace", key)
                        .add("ledger-event-type", String.valueOf(event.eventType()).getBytes(StandardCharsets.UTF_8))
                        .add("ledger-accepted-at", Long.toString(event.acceptedAtMicros()).getBytes(StandardCharsets.UTF_8));
                if (event.acceptedAtMicros() <= 0) { // read from a held copy, which keeps no acceptance time
                    record.headers().remove("ledger-accepted-at");
                }
                kafka.send(record);
            }
            kafka.commitTransaction(); // flushes; fails if any record was not acknowledged
        } catch (RuntimeException e) {
            reset(); // closing aborts what is open; the next delivery starts a new producer (and fences this one)
            throw new IllegalStateException("kafka: " + e, e);
        }
    }

    private synchronized void reset() {
        if (producer != null) {
            producer.close(Duration.ZERO);
            producer = null;
        }
    }

    @Override
    public void close() {
        reset();
    }
}

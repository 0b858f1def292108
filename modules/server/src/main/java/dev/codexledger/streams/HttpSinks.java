package dev.codexledger.streams;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.records.RecordStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** The HTTP destinations: Splunk's HTTP Event Collector, and a generic HTTPS endpoint taking signed NDJSON. */
final class HttpSinks {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** HEC's default limit on a request body is 1 MB: batches are split below it. */
    static final int MAX_HEC_BYTES = 800 * 1024;

    private HttpSinks() {}

    private static HttpClient client() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static void send(HttpClient http, HttpRequest request, String what) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            String body = response.body() == null ? "" : response.body();
            throw new IOException(what + " answered " + response.statusCode() + ": "
                    + body.substring(0, Math.min(100, body.length())));
        }
    }

    /**
     * Splunk HEC ({@code POST <url>/services/collector/event}, {@code Authorization: Splunk <token>}): one
     * envelope per record, several per request — {@code time} (the record's timestamp, epoch seconds),
     * {@code host}, {@code source}, {@code sourcetype}, {@code index}, {@code event} (the record's export
     * line) and indexed {@code fields} workspace, seq and event_id. A 200 from HEC acknowledges the batch.
     */
    static final class Hec implements StreamSink {
        private final StreamDestination destination;
        private final StreamSecrets secrets;
        private final Duration timeout;
        private final HttpClient http = client();
        private final URI endpoint;

        Hec(StreamDestination destination, StreamSecrets secrets, Duration timeout) {
            this.destination = destination;
            this.secrets = secrets;
            this.timeout = timeout;
            String url = destination.config().get("url").asText();
            this.endpoint = URI.create(url.endsWith("/services/collector/event") ? url
                    : url.replaceAll("/+$", "") + "/services/collector/event");
        }

        @Override
        public void deliver(String workspace, List<RecordStore.Streamed> events) throws Exception {
            String token = secrets.open(destination.config().get("token"), "splunk_hec.token");
            ObjectNode c = destination.config();
            StringBuilder body = new StringBuilder();
            int inBody = 0;
            for (RecordStore.Streamed event : events) {
                ObjectNode envelope = JSON.createObjectNode();
                envelope.put("time", BigDecimal.valueOf(event.timestampMicros(), 6));
                envelope.put("host", c.path("host").asText(workspace));
                envelope.put("source", c.get("source").asText());
                envelope.put("sourcetype", c.get("sourcetype").asText());
                if (c.has("index")) {
                    envelope.put("index", c.get("index").asText());
                }
                envelope.set("event", JSON.readTree(event.toJson()));
                envelope.putObject("fields").put("workspace", workspace).put("seq", event.seq())
                        .put("event_id", event.eventId());
                String line = envelope.toString();
                if (inBody > 0 && body.length() + line.length() > MAX_HEC_BYTES) {
                    post(body.toString(), token);
                    body.setLength(0);
                    inBody = 0;
                }
                body.append(line).append('\n');
                inBody++;
            }
            if (inBody > 0) {
                post(body.toString(), token);
            }
        }

        private void post(String body, String token) throws IOException, InterruptedException {
            HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(timeout)
                    .header("Authorization", "Splunk " + token)
                    .header("Content-Type", "application/json");
            if (destination.config().has("channel")) { // HEC with indexer acknowledgement wants a channel
                request.header("X-Splunk-Request-Channel", destination.config().get("channel").asText());
            }
            send(http, request.POST(HttpRequest.BodyPublishers.ofString(body)).build(), "splunk hec");
        }

        @Override
        public void close() {}
    }

    /**
     * A generic HTTPS endpoint: one POST per batch, NDJSON (one export line per record), gzip unless turned
     * off, and {@code X-Ledger-Signature: sha256=<hex>} — HMAC-SHA256 with the destination's secret of the
     * exact bytes sent, as the alert webhook signs — with {@code X-Ledger-Workspace},
     * {@code X-Ledger-First-Seq} and {@code X-Ledger-Last-Seq}. A 2xx acknowledges the batch.
     */
    static final class Https implements StreamSink {
        private final StreamDestination destination;
        private final StreamSecrets secrets;
        private final Duration timeout;
        private final HttpClient http = client();

        Https(StreamDestination destination, StreamSecrets secrets, Duration timeout) {
            this.destination = destination;
            this.secrets = secrets;
            this.timeout = timeout;
        }

        @Override
        public void deliver(String workspace, List<RecordStore.Streamed> events) throws Exception {
            String secret = secrets.open(destination.config().get("secret"), "https.secret");
            StringBuilder ndjson = new StringBuilder();
            for (RecordStore.Streamed event : events) {
                ndjson.append(event.toJson()).append('\n');
            }
            byte[] body = ndjson.toString().getBytes(StandardCharsets.UTF_8);
            boolean gzip = destination.config().path("gzip").asBoolean(true);
            if (gzip) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(body.length / 4 + 64);
                try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
                    zip.write(body);
                }
                body = out.toByteArray();
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(destination.config().get("url").asText()))
                    .timeout(timeout)
                    .header("Content-Type", "application/x-ndjson")
                    .header("X-Ledger-Workspace", workspace)
                    .header("X-Ledger-First-Seq", Long.toString(events.get(0).seq()))
                    .header("X-Ledger-Last-Seq", Long.toString(events.get(events.size() - 1).seq()))
                    .header("X-Ledger-Signature", "sha256=" + dev.codexledger.http.SignedWebhook.hmacSha256Hex(
                            secret.getBytes(StandardCharsets.UTF_8), body))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (gzip) {
                request.header("Content-Encoding", "gzip");
            }
            send(http, request.build(), "https destination");
        }

        @Override
        public void close() {}
    }
}

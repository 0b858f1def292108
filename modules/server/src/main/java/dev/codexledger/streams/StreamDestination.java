package dev.codexledger.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.http.BadRequest;
import dev.codexledger.workspace.WorkspaceId;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a stream of the audit trail goes: one Kafka topic, Splunk HTTP Event Collector or HTTPS endpoint,
 * for one workspace or all of them ({@code workspace} null), with filters on event type, user and model.
 * {@code config} is the destination's settings with every secret in its stored form ({@code {"encrypted":
 * …}} or a reference {@code {"env": NAME}} / {@code {"file": PATH}}); {@link StreamSecrets} opens them.
 */
public record StreamDestination(String id, String name, String workspace, Kind kind, ObjectNode config,
                                Filters filters, Start start, boolean paused, int batchSize, Duration warnBeforeExpiry,
                                boolean holdUndelivered, Instant createdAt, String createdBy, Instant updatedAt) {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_BATCH = 5000;

    public enum Kind {
        KAFKA("kafka"), SPLUNK_HEC("splunk_hec"), HTTPS("https");

        final String wire;

        Kind(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        static Kind of(String wire) {
            for (Kind kind : values()) {
                if (kind.wire.equals(wire)) {
                    return kind;
                }
            }
            throw new BadRequest("type", "must be kafka, splunk_hec or https");
        }
    }

    /** From the first record on ({@code beginning}), or only what is accepted from the destination's creation on. */
    public enum Start { NOW, BEGINNING }

    /** Which records go; an empty set lets every value through. */
    public record Filters(Set<String> eventTypes, Set<String> users, Set<String> models) {
        static final Filters ALL = new Filters(Set.of(), Set.of(), Set.of());

        boolean needsModel() {
            return !models.isEmpty();
        }

        boolean passes(String eventType, String user, String model) {
            return (eventTypes.isEmpty() || eventTypes.contains(eventType))
                    && (users.isEmpty() || (user != null && users.contains(user)))
                    && (models.isEmpty() || (model != null && models.contains(model)));
        }

        ObjectNode toJson() {
            ObjectNode node = JSON.createObjectNode();
            eventTypes.forEach(node.putArray("event_types")::add);
            users.forEach(node.putArray("users")::add);
            models.forEach(node.putArray("models")::add);
            return node;
        }
    }

    /** Whether this destination takes records of {@code ws}. */
    public boolean covers(String ws) {
        return workspace == null || workspace.equals(ws);
    }

    public StreamDestination withPaused(boolean paused, Instant at) {
        return new StreamDestination(id, name, workspace, kind, config, filters, start, paused, batchSize,
                warnBeforeExpiry, holdUndelivered, createdAt, createdBy, at);
    }

    /** The destination as the API shows it: secrets only as how they are kept, never their value. */
    public ObjectNode view() {
        ObjectNode view = JSON.createObjectNode().put("id", id).put("name", name).put("type", kind.wire);
        if (workspace != null) {
            view.put("workspace", workspace);
        } else {
            view.putNull("workspace");
        }
        ObjectNode settings = config.deepCopy();
        hideSecrets(settings);
        view.set(kind.wire, settings);
        view.set("filters", filters.toJson());
        view.put("start", start.name().toLowerCase()).put("paused", paused).put("batch_size", batchSize)
                .put("warn_before_expiry_hours", warnBeforeExpiry.toHours()).put("hold_undelivered", holdUndelivered)
                .put("created_at", createdAt.toString()).put("created_by", createdBy)
                .put("updated_at", updatedAt.toString());
        return view;
    }

    private static void hideSecrets(ObjectNode node) {
        for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getValue().isObject()) {
                ObjectNode value = (ObjectNode) field.getValue();
                if (value.has("encrypted")) {
                    field.setValue(JSON.createObjectNode().put("stored", "encrypted"));
                } else {
                    hideSecrets(value);
                }
            }
        }
    }

    /**
     * A new destination from an API request: every field checked (400 naming it), secrets sealed by
     * {@code secrets} (a plain value encrypted, or kept as a reference).
     */
    public static StreamDestination parse(JsonNode body, String id, Instant now, String createdBy, StreamSecrets secrets) {
        if (body == null || !body.isObject()) {
            throw new BadRequest("body", "expected a JSON object");
        }
        known(body, "", Set.of("name", "workspace", "type", "kafka", "splunk_hec", "https", "filters", "start",
                "batch_size", "warn_before_expiry_hours", "hold_undelivered"));
        String name = text(body, "name", true);
        if (name.length() > 200) {
            throw new BadRequest("name", "at most 200 characters");
        }
        String workspace = null;
        if (body.hasNonNull("workspace")) {
            workspace = text(body, "workspace", true);
            if (!WorkspaceId.isValid(workspace)) {
                throw new BadRequest("workspace", "not a workspace id (" + WorkspaceId.RULE + "); leave it out for every workspace");
            }
        }
        Kind kind = Kind.of(text(body, "type", true));
        for (Kind other : Kind.values()) {
            if (other != kind && body.has(other.wire)) {
                throw new BadRequest(other.wire, "only the settings of the destination's type (" + kind.wire + ") may be given");
            }
        }
        JsonNode settings = body.get(kind.wire);
        if (settings == null || !settings.isObject()) {
            throw new BadRequest(kind.wire, "required: an object with the " + kind.wire + " settings");
        }
        ObjectNode config = switch (kind) {
            case KAFKA -> kafka((ObjectNode) settings, secrets);
            case SPLUNK_HEC -> hec((ObjectNode) settings, secrets);
            case HTTPS -> https((ObjectNode) settings, secrets);
        };
        Filters filters = filters(body.get("filters"));
        Start start = Start.NOW;
        if (body.has("start")) {
            String value = text(body, "start", true);
            start = switch (value) {
                case "now" -> Start.NOW;
                case "beginning" -> Start.BEGINNING;
                default -> throw new BadRequest("start", "must be now (records accepted from now on) or beginning");
            };
        }
        int batch = integer(body, "batch_size", 500, 1, MAX_BATCH);
        int warnHours = integer(body, "warn_before_expiry_hours", 24, 1, 24 * 365);
        if (body.has("hold_undelivered") && !body.get("hold_undelivered").isBoolean()) {
            throw new BadRequest("hold_undelivered", "true or false");
        }
        return new StreamDestination(id, name, workspace, kind, config, filters, start, false, batch,
                Duration.ofHours(warnHours), body.path("hold_undelivered").asBoolean(false), now, createdBy, now);
    }

    private static ObjectNode kafka(ObjectNode in, StreamSecrets secrets) {
        known(in, "kafka.", Set.of("bootstrap_servers", "topic", "security_protocol", "sasl", "compression"));
        ObjectNode out = JSON.createObjectNode();
        String servers = text(in, "bootstrap_servers", true, "kafka.");
        for (String server : servers.split(",")) {
            if (!server.trim().matches("[A-Za-z0-9._\\-\\[\\]:]+:\\d{1,5}")) {
                throw new BadRequest("kafka.bootstrap_servers", "host:port[,host:port...] expected, got '" + server.trim() + "'");
            }
        }
        out.put("bootstrap_servers", servers);
        String topic = text(in, "topic", true, "kafka.");
        if (!topic.matches("[A-Za-z0-9._\\-]{1,249}") || topic.equals(".") || topic.equals("..")) {
            throw new BadRequest("kafka.topic", "a Kafka topic name: 1-249 of letters, digits, '.', '_' and '-'");
        }
        out.put("topic", topic);
        String protocol = in.has("security_protocol") ? text(in, "security_protocol", true, "kafka.") : "PLAINTEXT";
        if (!List.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL").contains(protocol)) {
            throw new BadRequest("kafka.security_protocol", "must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL");
        }
        out.put("security_protocol", protocol);
        String compression = in.has("compression") ? text(in, "compression", true, "kafka.") : "lz4";
        if (!List.of("none", "gzip", "lz4", "zstd", "snappy").contains(compression)) {
            throw new BadRequest("kafka.compression", "must be none, gzip, lz4, zstd or snappy");
        }
        out.put("compression", compression);
        if (in.has("sasl")) {
            if (!protocol.startsWith("SASL_")) {
                throw new BadRequest("kafka.sasl", "needs security_protocol SASL_PLAINTEXT or SASL_SSL");
            }
            JsonNode sasl = in.get("sasl");
            if (!sasl.isObject()) {
                throw new BadRequest("kafka.sasl", "expected {\"mechanism\", \"username\", \"password\"}");
            }
            known(sasl, "kafka.sasl.", Set.of("mechanism", "username", "password"));
            String mechanism = text(sasl, "mechanism", true, "kafka.sasl.");
            if (!List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512").contains(mechanism)) {
                throw new BadRequest("kafka.sasl.mechanism", "must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
            }
            out.putObject("sasl").put("mechanism", mechanism).put("username", text(sasl, "username", true, "kafka.sasl."))
                    .set("password", secrets.seal(sasl.get("password"), "kafka.sasl.password"));
        } else if (protocol.startsWith("SASL_")) {
            throw new BadRequest("kafka.sasl", "required with security_protocol " + protocol);
        }
        return out;
    }

    private static ObjectNode hec(ObjectNode in, StreamSecrets secrets) {
        known(in, "splunk_hec.", Set.of("url", "token", "index", "sourcetype", "source", "host", "channel"));
        ObjectNode out = JSON.createObjectNode();
        out.put("url", url(in, "splunk_hec."));
        out.set("token", secrets.seal(in.get("token"), "splunk_hec.token"));
        for (String optional : List.of("index", "sourcetype", "source", "host", "channel")) {
            if (in.has(optional)) {
                String value = text(in, optional, true, "splunk_hec.");
                if (value.length() > 200) {
                    throw new BadRequest("splunk_hec." + optional, "at most 200 characters");
                }
                out.put(optional, value);
            }
        }
        if (!out.has("sourcetype")) {
            out.put("sourcetype", "codex:ledger");
        }
        if (!out.has("source")) {
            out.put("source", "codex-ledger");
        }
        return out;
    }

    private static ObjectNode https(ObjectNode in, StreamSecrets secrets) {
        known(in, "https.", Set.of("url", "secret", "gzip"));
        ObjectNode out = JSON.createObjectNode();
        out.put("url", url(in, "https."));
        out.set("secret", secrets.seal(in.get("secret"), "https.secret"));
        if (in.has("gzip") && !in.get("gzip").isBoolean()) {
            throw new BadRequest("https.gzip", "true or false");
        }
        out.put("gzip", in.path("gzip").asBoolean(true));
        return out;
    }

    private static String url(JsonNode in, String prefix) {
        String value = text(in, "url", true, prefix);
        URI uri;
        try {
            uri = URI.create(value);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(prefix + "url", "not a URL: " + e.getMessage());
        }
        if (uri.getScheme() == null || !List.of("http", "https").contains(uri.getScheme()) || uri.getHost() == null) {
            throw new BadRequest(prefix + "url", "an absolute https URL expected, e.g. https://siem.example.com:8088");
        }
        if (uri.getScheme().equals("http") && !List.of("127.0.0.1", "localhost", "[::1]", "::1").contains(uri.getHost())) {
            // the secret travels with every request: plain http only to a forwarder on the same machine
            throw new BadRequest(prefix + "url", "https is required (plain http only to this machine, 127.0.0.1)");
        }
        return value;
    }

    private static Filters filters(JsonNode node) {
        if (node == null || node.isNull()) {
            return Filters.ALL;
        }
        if (!node.isObject()) {
            throw new BadRequest("filters", "expected {\"event_types\": [...], \"users\": [...], \"models\": [...]}");
        }
        known(node, "filters.", Set.of("event_types", "users", "models"));
        return new Filters(strings(node, "event_types"), strings(node, "users"), strings(node, "models"));
    }

    private static Set<String> strings(JsonNode filters, String name) {
        JsonNode list = filters.get(name);
        if (list == null || list.isNull()) {
            return Set.of();
        }
        if (!list.isArray()) {
            throw new BadRequest("filters." + name, "expected an array of strings");
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < list.size(); i++) {
            if (!list.get(i).isTextual() || list.get(i).asText().isEmpty()) {
                throw new BadRequest("filters." + name + "[" + i + "]", "expected a non-empty string");
            }
            out.add(list.get(i).asText());
        }
        return Set.copyOf(out);
    }

    private static void known(JsonNode node, String prefix, Set<String> names) {
        node.fieldNames().forEachRemaining(field -> {
            if (!names.contains(field)) {
                throw new BadRequest(prefix + field, "unknown field; the fields are " + String.join(", ",
                        names.stream().sorted().toList()));
            }
        });
    }

    private static String text(JsonNode node, String field, boolean required) {
        return text(node, field, required, "");
    }

    private static String text(JsonNode node, String field, boolean required, String prefix) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw new BadRequest(prefix + field, "required");
            }
            return null;
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            throw new BadRequest(prefix + field, "expected a non-empty string");
        }
        return value.asText();
    }

    private static int integer(JsonNode node, String field, int dflt, int min, int max) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return dflt;
        }
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < min || value.asInt() > max) {
            throw new BadRequest(field, "an integer from " + min + " to " + max);
        }
        return value.asInt();
    }

    /** The stored form of the filters (JSON). */
    String filtersJson() {
        return filters.toJson().toString();
    }

    static Filters filtersOf(String json) {
        try {
            JsonNode node = JSON.readTree(json);
            return new Filters(set(node.get("event_types")), set(node.get("users")), set(node.get("models")));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("stored filters are not JSON: " + json, e);
        }
    }

    private static Set<String> set(JsonNode array) {
        if (array == null) {
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        ((ArrayNode) array).forEach(v -> out.add(v.asText()));
        return Set.copyOf(out);
    }
}

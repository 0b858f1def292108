package dev.codexledger.records;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.codexledger.verify.CanonicalJson;
import dev.codexledger.workspace.NewRecord;
import dev.codexledger.workspace.RecordFacts;
import dev.codexledger.workspace.Usage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a records API body (a JSON array, or NDJSON) into validated {@link NewRecord}s with canonical
 * content and their {@link RecordFacts}, in one pass over each record: nothing after this parses a
 * record's JSON again. The first problem found aborts the whole body with an {@link InvalidRecords}
 * naming the field.
 *
 * <p>Canonical content: the validated record in RFC 8785 canonical JSON ({@link CanonicalJson}: keys sorted
 * by UTF-16 code units at every level, no whitespace, minimal string escapes, numbers as ECMAScript writes
 * them), the timestamp normalized to UTC ({@link Instant#toString()}). A number a double cannot hold exactly
 * and a string with a lone surrogate are refused, naming the field, rather than changed. The hashes are
 * computed over exactly that text, which is what the API returns.
 */
public final class RecordParser {

    public static final Set<String> EVENT_TYPES = 
            Set.of("CODEX_LOG", "CODEX_SECURITY_LOG", "AUTH_LOG", "BUDGET_LOG", "CODE_REVIEW_LOG");
    /** What a {@code CODE_REVIEW_LOG} record's {@code action} says happened (see {@link #checkCodeReview}). */
    public static final Set<String> CODE_REVIEW_ACTIONS = Set.of("review", "comment", "reply", "reaction");
    public static final Set<String> REVIEW_PRIORITIES = Set.of("P0", "P1", "P2");
    public static final Set<String> REVIEW_REACTIONS = Set.of("positive", "negative");
    private static final Set<String> TEXT_FIELDS =
            Set.of("surface", "conversation_id", "model", "prompt", "response", "action");
    private static final Set<String> USAGE_FIELDS =
            Set.of("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens");
    private static final Set<String> USER_FIELDS = Set.of("id", "email");
    private static final int MAX_EVENT_ID_LENGTH = 256;

    private final ObjectMapper mapper;
    private final int maxRecords;

    public RecordParser(int maxRecords, int maxNestingDepth, int maxStringLength) {
        this.maxRecords = maxRecords;
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(maxNestingDepth)
                        .maxStringLength(maxStringLength)
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        this.mapper = JsonMapper.builder(factory)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
    }

    /** A JSON array of records (a single object is taken as a batch of one). */
    public List<NewRecord> parseJson(byte[] body) {
        JsonNode root = readTree(body, "body");
        if (root == null || root.isMissingNode()) {
            throw new InvalidRecords("body", "empty body: send a JSON array of records");
        }
        if (root.isObject()) {
            return clientIds(List.of(toRecord(root, 0)));
        }
        if (!root.isArray()) {
            throw new InvalidRecords("body", "expected a JSON array of record objects");
        }
        checkCount(root.size());
        List<NewRecord> records = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            records.add(toRecord(root.get(i), i));
        }
        return clientIds(requireSome(records));
    }

    /**
     * Ids the ledger makes for its own records (policy findings, budget alerts), derived from what they are
     * about so that a second one is a duplicate: a client may not take them, or it could hold a finding
     * or an alert off by sending a record with its id first.
     */
    public static final List<String> RESERVED_ID_PREFIXES = List.of("policy-finding-", "budget-alert-", "stream-warning-");

    private static List<NewRecord> clientIds(List<NewRecord> records) {
        for (int i = 0; i < records.size(); i++) {
            String id = records.get(i).eventId();
            for (String reserved : RESERVED_ID_PREFIXES) {
                if (id.startsWith(reserved)) {
                    throw new InvalidRecords("records[" + i + "].event_id", "ids starting with " + reserved
                            + " are the ledger's own (its findings and alerts)");
                }
            }
        }
        return records;
    }

    /** One JSON object per line; blank lines are skipped; record numbers count non-blank lines from 0. */
    public List<NewRecord> parseNdjson(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        List<NewRecord> records = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int index = records.size();
            checkCount(index + 1);
            records.add(toRecord(readTree(line.getBytes(StandardCharsets.UTF_8), "records[" + index + "]"), index));
        }
        return clientIds(requireSome(records));
    }

    private JsonNode readTree(byte[] json, String field) {
        try {
            return mapper.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidRecords(field, "malformed JSON: " + e.getOriginalMessage()
                    + locationOf(e));
        } catch (IOException e) {
            throw new InvalidRecords(field, "unreadable JSON: " + e.getMessage());
        } catch (NumberFormatException e) {
            // e.g. 1e7777777777: Jackson refuses it as a BigDecimal outside its JsonProcessingException (found by Jazzer)
            throw new InvalidRecords(field, "malformed JSON: a number out of range");
        }
    }

    private static String locationOf(JsonProcessingException e) {
        return e.getLocation() == null ? ""
                : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }

    private void checkCount(int count) {
        if (count > maxRecords) {
            throw new InvalidRecords("body", "more than " + maxRecords + " records in one request");
        }
    }

    private static List<NewRecord> requireSome(List<NewRecord> records) {
        if (records.isEmpty()) {
            throw new InvalidRecords("body", "no records in the body");
        }
        return records;
    }

    /**
     * Validates and canonicalizes a record built as a JSON tree by another intake (e.g. OTLP): the same
     * rules and the same canonical form as a record posted to the records API.
     */
    public NewRecord fromTree(JsonNode node, int index) {
        return toRecord(node, index);
    }

    private NewRecord toRecord(JsonNode node, int index) {
        String at = "records[" + index + "]";
        if (node == null || !node.isObject()) {
            throw new InvalidRecords(at, "each record must be a JSON object");
        }
        ObjectNode canonical = mapper.createObjectNode();
        String eventId = null;
        String eventType = null;
        Instant timestamp = null;
        String userId = "";
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String name = field.getKey();
            JsonNode value = field.getValue();
            String path = at + "." + name;
            if (value.isNull()) {
                continue;
            }
            switch (name) {
                case "event_id" -> eventId = eventId(value, path);
                case "event_type" -> eventType = eventType(value, path);
                case "timestamp" -> timestamp = timestamp(value, path);
                case "user" -> {
                    canonical.set("user", user(value, path));
                    userId = value.path("id").asText("");
                }
                case "usage" -> canonical.set("usage", usage(value, path));
                case "attributes" -> {
                    if (!value.isObject()) {
                        throw new InvalidRecords(path, "must be a JSON object");
                    }
                    canonical.set("attributes", value);
                }
                default -> {
                    if (!TEXT_FIELDS.contains(name)) {
                        throw new InvalidRecords(path, "unknown field; put free-form data under \"attributes\"");
                    }
                    canonical.put(name, text(value, path));
                }
            }
        }
        if (eventType == null) {
            throw new InvalidRecords(at + ".event_type", "required: one of " + sorted(EVENT_TYPES));
        }
        if (timestamp == null) {
            throw new InvalidRecords(at + ".timestamp", "required: " + Rfc3339.EXPECTED);
        }
        if ("CODE_REVIEW_LOG".equals(eventType)) {
            checkCodeReview(canonical, at);
        }
        canonical.put("event_type", eventType);
        canonical.put("timestamp", timestamp.toString());
        long micros = Rfc3339.micros(timestamp);
        if (eventId == null) {
            String withoutId = write(canonical, at);
            eventId = derivedId(withoutId);
            return new NewRecord(eventId, eventType, micros, userId, withIdInserted(withoutId, eventId),
                    factsOf(canonical));
        }
        canonical.put("event_id", eventId);
        return new NewRecord(eventId, eventType, micros, userId, write(canonical, at), factsOf(canonical));
    }

    /**
     * The facts of a validated record, from the tree it was canonicalized from: the same facts
     * {@link RecordFacts#read} finds in its canonical content, without reading that again.
     */
    private static RecordFacts factsOf(ObjectNode record) {
        JsonNode attributes = record.path("attributes");
        JsonNode codex = attributes.path("codex");
        JsonNode usage = record.path("usage");
        return new RecordFacts(factText(record, "surface"), factText(record, "model"), factText(record, "conversation_id"),
                factText(record, "action"), record.path("prompt").isTextual(),
                new Usage(usage.path("input_tokens").asLong(0), usage.path("cached_input_tokens").asLong(0),
                        usage.path("output_tokens").asLong(0), usage.path("reasoning_tokens").asLong(0)),
                factText(attributes, "priority"), factText(attributes, "reaction"),
                firstText(attributes, codex, "tool_name"), firstText(attributes, codex, "decision"));
    }

    private static String factText(JsonNode object, String field) {
        JsonNode value = object.path(field);
        return value.isTextual() && !value.textValue().isEmpty() ? value.textValue() : null;
    }

    private static String firstText(JsonNode object, JsonNode fallback, String field) {
        String value = factText(object, field);
        return value != null ? value : factText(fallback, field);
    }

    /**
     * A code review record says what happened in {@code action}: {@code review} (Codex reviewed a pull
     * request of {@code user}), {@code comment} (one of its comments, {@code attributes.priority} P0, P1 or
     * P2), {@code reply} ({@code user} replied to a comment) or {@code reaction} ({@code user} reacted,
     * {@code attributes.reaction} positive or negative). The analytics count them.
     */
    private static void checkCodeReview(ObjectNode record, String at) {
        String action = record.path("action").asText(null);
        if (action == null || !CODE_REVIEW_ACTIONS.contains(action)) {
            throw new InvalidRecords(at + ".action", "a CODE_REVIEW_LOG record needs an action, one of "
                    + sorted(CODE_REVIEW_ACTIONS));
        }
        if (action.equals("comment")) {
            String priority = record.path("attributes").path("priority").asText(null);
            if (priority == null || !REVIEW_PRIORITIES.contains(priority)) {
                throw new InvalidRecords(at + ".attributes.priority", "a review comment needs a priority, one of "
                        + sorted(REVIEW_PRIORITIES));
            }
        }
        if (action.equals("reaction")) {
            String reaction = record.path("attributes").path("reaction").asText(null);
            if (reaction == null || !REVIEW_REACTIONS.contains(reaction)) {
                throw new InvalidRecords(at + ".attributes.reaction", "a reaction is one of "
                        + sorted(REVIEW_REACTIONS));
            }
        }
    }

    /** The id of a record sent without one: a hash of its canonical content, so a re-send gets the same id. */
    static String derivedId(String canonicalWithoutId) {
        return "sha256:" + HexFormat.of().formatHex(
                dev.codexledger.workspace.Digest.sha256(canonicalWithoutId).toBytes(), 0, 16);
    }

    /**
     * The canonical text with {@code "event_id"} added, without serializing the record again. In sorted
     * order the top-level {@code event_id} comes right before {@code event_type}, which every record has;
     * the top-level {@code "event_type":} is the last one in the text (only {@code attributes}, which sorts
     * before it, can nest such a key, and string values escape their quotes).
     */
    private static String withIdInserted(String canonicalWithoutId, String eventId) {
        int at = canonicalWithoutId.lastIndexOf("\"event_type\":");
        String idField = "\"event_id\":" + CanonicalJson.canonicalize(TextNode.valueOf(eventId)) + ",";
        return canonicalWithoutId.substring(0, at) + idField + canonicalWithoutId.substring(at);
    }

    /** The canonical JSON text of a record's content (the text its hashes are computed over). */
    public String canonical(JsonNode content) {
        return CanonicalJson.canonicalize(content);
    }

    /** The canonical text of a record; what RFC 8785 cannot carry is refused naming the field under {@code at}. */
    private static String write(ObjectNode record, String at) {
        try {
            return CanonicalJson.canonicalize(record);
        } catch (CanonicalJson.NotCanonical refused) {
            throw new InvalidRecords(at + "." + refused.path(), refused.reason());
        }
    }

    private static String eventId(JsonNode value, String path) {
        String id = text(value, path);
        if (id.isEmpty() || id.length() > MAX_EVENT_ID_LENGTH) {
            throw new InvalidRecords(path, "must be 1 to " + MAX_EVENT_ID_LENGTH + " characters");
        }
        if (id.chars().anyMatch(Character::isISOControl)) {
            throw new InvalidRecords(path, "must not contain control characters");
        }
        return id;
    }

    private static String eventType(JsonNode value, String path) {
        String type = text(value, path);
        if (!EVENT_TYPES.contains(type)) {
            throw new InvalidRecords(path, "must be one of " + sorted(EVENT_TYPES));
        }
        return type;
    }

    private static Instant timestamp(JsonNode value, String path) {
        return Rfc3339.parse(text(value, path), path);
    }

    private ObjectNode user(JsonNode value, String path) {
        if (!value.isObject()) {
            throw new InvalidRecords(path, "must be an object with \"id\" and/or \"email\"");
        }
        ObjectNode user = mapper.createObjectNode();
        for (Map.Entry<String, JsonNode> field : value.properties()) {
            if (!USER_FIELDS.contains(field.getKey())) {
                throw new InvalidRecords(path + "." + field.getKey(), "unknown field; user has \"id\" and \"email\"");
            }
            if (!field.getValue().isNull()) {
                user.put(field.getKey(), text(field.getValue(), path + "." + field.getKey()));
            }
        }
        return user;
    }

    private ObjectNode usage(JsonNode value, String path) {
        if (!value.isObject()) {
            throw new InvalidRecords(path, "must be an object of token counts");
        }
        ObjectNode usage = mapper.createObjectNode();
        for (Map.Entry<String, JsonNode> field : value.properties()) {
            String fieldPath = path + "." + field.getKey();
            if (!USAGE_FIELDS.contains(field.getKey())) {
                throw new InvalidRecords(fieldPath, "unknown token kind; one of " + sorted(USAGE_FIELDS));
            }
            JsonNode count = field.getValue();
            if (count.isNull()) {
                continue;
            }
            if (!count.isIntegralNumber() || !count.canConvertToLong() || count.asLong() < 0) {
                throw new InvalidRecords(fieldPath, "must be a non-negative integer");
            }
            usage.put(field.getKey(), count.asLong());
        }
        return usage;
    }

    private static String text(JsonNode value, String path) {
        if (!value.isTextual()) {
            throw new InvalidRecords(path, "must be a string");
        }
        return value.textValue();
    }

    private static String sorted(Set<String> values) {
        return values.stream().sorted().toList().toString();
    }
}

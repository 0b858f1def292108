package dev.codexledger.otlp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.resource.v1.Resource;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the meaning of one Codex OTLP log record into a ledger record (the records API's schema), and
 * keeps everything it was sent under {@code attributes.otel}: every attribute, the resource's attributes,
 * the scope, severity, body, times and trace ids. Unknown events and attributes are kept as they are.
 *
 * <p>Traps of real Codex telemetry handled here: the event name is the {@code event.name} attribute
 * (OTLP's {@code eventName} holds a source location); {@code timeUnixNano} is 0 (the time is
 * {@code event.timestamp}, else {@code observedTimeUnixNano}); numbers and booleans arrive as strings;
 * token usage is read only from the {@code response.completed} record that carries counts.
 */
public final class CodexEvents {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final Set<String> SECURITY_EVENTS =
            Set.of("codex.tool_decision", "codex.tool_result", "codex.conversation_starts");
    private static final Map<String, String> SURFACES = Map.of(
            "codex_cli_rs", "cli",
            "codex_exec", "exec",
            "codex_vscode", "ide",
            "codex_jetbrains", "ide",
            "codex_cloud", "cloud",
            "codex_github_review", "code_review");
    /** Attributes lifted into {@code attributes.codex}, with numbers and booleans made typed. */
    private static final List<String> TOOL_FIELDS = List.of("tool_name", "call_id", "decision", "source");
    private static final List<String> NUMERIC_FIELDS = List.of("duration_ms");

    private CodexEvents() {}

    /** The record for one OTLP log record, in the records API's JSON schema (no event_id: derived). */
    public static ObjectNode toRecord(Resource resource, InstrumentationScope scope, LogRecord log,
                                      Instant receivedAt) {
        ObjectNode attrs = keyValues(log.getAttributesList());
        ObjectNode resourceAttrs = keyValues(resource.getAttributesList());
        String event = text(attrs, "event.name");

        ObjectNode record = JSON.objectNode();
        record.put("event_type", event != null && (SECURITY_EVENTS.contains(event) || isPolicyEvent(event))
                ? "CODEX_SECURITY_LOG" : "CODEX_LOG");
        record.put("timestamp", timeOf(attrs, log, receivedAt).toString());
        ObjectNode user = JSON.objectNode();
        putIfPresent(user, "id", firstText(attrs, "user.account_id", "user.id"));
        putIfPresent(user, "email", text(attrs, "user.email"));
        if (!user.isEmpty()) {
            record.set("user", user);
        }
        String originator = firstText(attrs, "originator");
        if (originator == null) {
            originator = text(resourceAttrs, "service.name");
        }
        putIfPresent(record, "surface", originator == null ? null : SURFACES.getOrDefault(originator, originator));
        putIfPresent(record, "conversation_id", text(attrs, "conversation.id"));
        putIfPresent(record, "model", text(attrs, "model"));
        if ("codex.user_prompt".equals(event)) {
            putIfPresent(record, "prompt", text(attrs, "prompt"));
        }
        if ("codex.agent_response".equals(event)) {
            putIfPresent(record, "response", text(attrs, "response"));
        }
        ObjectNode usage = usageOf(event, attrs);
        if (usage != null) {
            record.set("usage", usage);
        }
        putIfPresent(record, "action", event);

        ObjectNode attributes = JSON.objectNode();
        attributes.set("codex", meaning(event, attrs));
        attributes.set("otel", original(resourceAttrs, scope, log, attrs));
        record.set("attributes", attributes);
        return record;
    }

    private static boolean isPolicyEvent(String event) {
        return event != null && (event.contains("approval") || event.contains("sandbox") || event.contains("mcp")
                || event.contains("policy"));
    }

    private static Instant timeOf(ObjectNode attrs, LogRecord log, Instant receivedAt) {
        String stamp = text(attrs, "event.timestamp");
        if (stamp != null) {
            try {
                return java.time.OffsetDateTime.parse(stamp).toInstant();
            } catch (java.time.format.DateTimeParseException e) {
                // fall through to the record's own times
            }
        }
        if (log.getTimeUnixNano() > 0) {
            return fromNanos(log.getTimeUnixNano());
        }
        if (log.getObservedTimeUnixNano() > 0) {
            return fromNanos(log.getObservedTimeUnixNano());
        }
        return receivedAt;
    }

    private static Instant fromNanos(long nanos) {
        return Instant.ofEpochSecond(0, nanos);
    }

    /**
     * Usage only from {@code codex.sse_event} / {@code response.completed} records that carry counts:
     * Codex sends that event twice per response and only one copy has them, so a response counts once.
     */
    private static ObjectNode usageOf(String event, ObjectNode attrs) {
        if (!"codex.sse_event".equals(event) || !"response.completed".equals(text(attrs, "event.kind"))
                || !attrs.has("input_token_count")) {
            return null;
        }
        ObjectNode usage = JSON.objectNode();
        putCount(usage, "input_tokens", attrs, "input_token_count");
        putCount(usage, "cached_input_tokens", attrs, "cached_token_count");
        putCount(usage, "output_tokens", attrs, "output_token_count");
        putCount(usage, "reasoning_tokens", attrs, "reasoning_token_count");
        return usage;
    }

    private static void putCount(ObjectNode usage, String field, ObjectNode attrs, String attribute) {
        Long value = number(attrs.get(attribute));
        if (value != null && value >= 0) {
            usage.put(field, value);
        }
    }

    private static ObjectNode meaning(String event, ObjectNode attrs) {
        ObjectNode codex = JSON.objectNode();
        putIfPresent(codex, "event", event);
        putIfPresent(codex, "kind", text(attrs, "event.kind"));
        for (String field : TOOL_FIELDS) {
            putIfPresent(codex, field, text(attrs, field));
        }
        for (String field : NUMERIC_FIELDS) {
            Long value = number(attrs.get(field));
            if (value != null) {
                codex.put(field, value);
            }
        }
        JsonNode success = attrs.get("success");
        if (success != null && (success.isBoolean() || success.isTextual())) {
            codex.put("success", success.isBoolean() ? success.booleanValue() : "true".equals(success.asText()));
        }
        putIfPresent(codex, "auth_mode", text(attrs, "auth_mode"));
        putIfPresent(codex, "app_version", text(attrs, "app.version"));
        return codex;
    }

    private static ObjectNode original(ObjectNode resourceAttrs, InstrumentationScope scope, LogRecord log,
                                       ObjectNode attrs) {
        ObjectNode otel = JSON.objectNode();
        otel.set("attributes", attrs);
        otel.set("resource", resourceAttrs);
        ObjectNode scopeNode = JSON.objectNode().put("name", scope.getName()).put("version", scope.getVersion());
        if (scope.getAttributesCount() > 0) {
            scopeNode.set("attributes", keyValues(scope.getAttributesList()));
        }
        otel.set("scope", scopeNode);
        otel.put("time_unix_nano", Long.toUnsignedString(log.getTimeUnixNano()));
        otel.put("observed_time_unix_nano", Long.toUnsignedString(log.getObservedTimeUnixNano()));
        otel.put("severity_number", log.getSeverityNumberValue());
        if (!log.getSeverityText().isEmpty()) {
            otel.put("severity_text", log.getSeverityText());
        }
        if (log.hasBody()) {
            otel.set("body", value(log.getBody()));
        }
        if (!log.getTraceId().isEmpty()) {
            otel.put("trace_id", HexFormat.of().formatHex(log.getTraceId().toByteArray()));
        }
        if (!log.getSpanId().isEmpty()) {
            otel.put("span_id", HexFormat.of().formatHex(log.getSpanId().toByteArray()));
        }
        if (log.getFlags() != 0) {
            otel.put("flags", log.getFlags());
        }
        if (!log.getEventName().isEmpty()) {
            otel.put("event_name", log.getEventName());
        }
        if (log.getDroppedAttributesCount() != 0) {
            otel.put("dropped_attributes_count", log.getDroppedAttributesCount());
        }
        return otel;
    }

    static ObjectNode keyValues(List<KeyValue> values) {
        ObjectNode object = JSON.objectNode();
        for (KeyValue kv : values) {
            object.set(kv.getKey(), value(kv.getValue()));
        }
        return object;
    }

    static JsonNode value(AnyValue value) {
        return switch (value.getValueCase()) {
            case STRING_VALUE -> JSON.textNode(value.getStringValue());
            case BOOL_VALUE -> JSON.booleanNode(value.getBoolValue());
            // RFC 8785 numbers are doubles: an int64 beyond 2^53 is kept exact as its decimal string
            case INT_VALUE -> value.getIntValue() >= -(1L << 53) && value.getIntValue() <= (1L << 53)
                    ? JSON.numberNode(value.getIntValue()) : JSON.textNode(Long.toString(value.getIntValue()));
            case DOUBLE_VALUE -> Double.isFinite(value.getDoubleValue())
                    ? JSON.numberNode(value.getDoubleValue()) : JSON.textNode(Double.toString(value.getDoubleValue()));
            case ARRAY_VALUE -> {
                ArrayNode array = JSON.arrayNode();
                value.getArrayValue().getValuesList().forEach(v -> array.add(value(v)));
                yield array;
            }
            case KVLIST_VALUE -> keyValues(value.getKvlistValue().getValuesList());
            case BYTES_VALUE -> JSON.textNode(Base64.getEncoder().encodeToString(value.getBytesValue().toByteArray()));
            case STRING_VALUE_STRINDEX, VALUE_NOT_SET -> JSON.nullNode();
        };
    }

    private static String text(ObjectNode attrs, String key) {
        JsonNode node = attrs.get(key);
        return node == null || node.isNull() || node.isContainerNode() ? null : node.asText();
    }

    private static String firstText(ObjectNode attrs, String... keys) {
        for (String key : keys) {
            String value = text(attrs, key);
            if (value != null && !value.isEmpty()) {
                return value;
            }
        }
        return null;
    }

    /** Codex sends many numbers as strings ("duration_ms": "12"). */
    private static Long number(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isIntegralNumber()) {
            return node.asLong();
        }
        if (node.isTextual()) {
            try {
                return Long.parseLong(node.textValue().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static void putIfPresent(ObjectNode node, String field, String value) {
        if (value != null && !value.isEmpty()) {
            node.put(field, value);
        }
    }
}

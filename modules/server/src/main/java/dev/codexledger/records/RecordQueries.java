package dev.codexledger.records;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads a {@link RecordQuery} from query parameters, refusing bad or unknown ones by name. */
final class RecordQueries {

    private static final Set<String> PARAMETERS = Set.of("from", "to", "user", "event_type", "limit", "cursor",
            "model", "surface", "conversation_id", "tool_name", "decision", "q");

    private RecordQueries() {}

    static RecordQuery parse(String workspace, Map<String, String> params, RecordsSettings settings) {
        for (String name : params.keySet()) {
            if (!PARAMETERS.contains(name)) {
                throw new InvalidRecords(name, "unknown query parameter; known: " + PARAMETERS.stream().sorted().toList());
            }
        }
        Optional<Long> from = Optional.ofNullable(params.get("from")).map(v -> micros(v, "from"));
        Optional<Long> to = Optional.ofNullable(params.get("to")).map(v -> micros(v, "to"));
        Set<String> eventTypes = list(params.get("event_type"));
        for (String eventType : eventTypes) {
            if (!RecordParser.EVENT_TYPES.contains(eventType)) {
                throw new InvalidRecords("event_type", "must be one or more (comma-separated) of "
                        + RecordParser.EVENT_TYPES.stream().sorted().toList());
            }
        }
        ContentFilter content = ContentFilter.of(params.get("model"), params.get("surface"),
                params.get("conversation_id"), params.get("tool_name"), params.get("decision"), params.get("q"));
        int limit = settings.defaultPageSize();
        if (params.containsKey("limit")) {
            try {
                limit = Integer.parseInt(params.get("limit"));
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > settings.maxPageSize()) {
                throw new InvalidRecords("limit", "must be an integer from 1 to " + settings.maxPageSize());
            }
        }
        RecordCursor cursor = RecordCursor.START;
        if (params.containsKey("cursor")) {
            try {
                cursor = RecordCursor.decode(params.get("cursor"));
            } catch (IllegalArgumentException e) {
                throw new InvalidRecords("cursor", e.getMessage());
            }
        }
        return new RecordQuery(workspace, from, to, list(params.get("user")), eventTypes, content, limit, cursor,
                settings.scanBudget());
    }

    /** A comma-separated list; empty when absent. */
    private static Set<String> list(String value) {
        if (value == null) {
            return Set.of();
        }
        Set<String> values = new java.util.TreeSet<>();
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                values.add(part.trim());
            }
        }
        return values;
    }

    private static long micros(String value, String field) {
        return Rfc3339.micros(Rfc3339.parse(value, field));
    }
}

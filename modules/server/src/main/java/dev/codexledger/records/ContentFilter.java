package dev.codexledger.records;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Search criteria on a record's content: model, surface, conversation, tool name and decision (exact),
 * and words or quoted phrases that must all appear (case-insensitive) in its prompt, response or tool
 * output. A cheap text pre-check rejects most records before any JSON is parsed.
 */
public record ContentFilter(Optional<String> model, Optional<String> surface, Optional<String> conversationId,
                            Optional<String> toolName, Optional<String> decision, List<String> terms) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** No content criterion: matches every record. */
    public static final ContentFilter NONE = new ContentFilter(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), List.of());

    /** From optional criteria (null: not given) and a query of words and "quoted phrases" (null: none). */
    public static ContentFilter of(String model, String surface, String conversationId, String toolName,
                                   String decision, String query) {
        return new ContentFilter(Optional.ofNullable(model), Optional.ofNullable(surface),
                Optional.ofNullable(conversationId), Optional.ofNullable(toolName), Optional.ofNullable(decision),
                query == null ? List.of() : terms(query));
    }

    public boolean isEmpty() {
        return model.isEmpty() && surface.isEmpty() && conversationId.isEmpty() && toolName.isEmpty()
                && decision.isEmpty() && terms.isEmpty();
    }

    /** Words and "quoted phrases" of a query, lower-cased. */
    static List<String> terms(String query) {
        List<String> terms = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (char c : query.toCharArray()) {
            if (c == '"') {
                flush(terms, current);
                quoted = !quoted;
            } else if (Character.isWhitespace(c) && !quoted) {
                flush(terms, current);
            } else {
                current.append(c);
            }
        }
        flush(terms, current);
        return terms;
    }

    private static void flush(List<String> terms, StringBuilder current) {
        String term = current.toString().trim().toLowerCase(Locale.ROOT);
        if (!term.isEmpty()) {
            terms.add(term);
        }
        current.setLength(0);
    }

    public boolean matches(String content) {
        if (isEmpty()) {
            return true;
        }
        String lower = content.toLowerCase(Locale.ROOT);
        for (String term : terms) {
            if (!lower.contains(term)) {
                return false;
            }
        }
        for (Optional<String> exact : List.of(model, surface, conversationId, toolName, decision)) {
            if (exact.isPresent() && !content.contains(exact.get())) {
                return false;
            }
        }
        JsonNode record;
        try {
            record = JSON.readTree(content);
        } catch (IOException e) {
            return false;
        }
        JsonNode attributes = record.path("attributes");
        return equal(model, record.path("model"))
                && equal(surface, record.path("surface"))
                && equal(conversationId, record.path("conversation_id"))
                && (equal(toolName, attributes.path("codex").path("tool_name")) || equal(toolName, attributes.path("tool_name")))
                && (equal(decision, attributes.path("codex").path("decision")) || equal(decision, attributes.path("decision")))
                && termsIn(record, attributes);
    }

    private boolean termsIn(JsonNode record, JsonNode attributes) {
        if (terms.isEmpty()) {
            return true;
        }
        String searchable = (record.path("prompt").asText("") + "\n" + record.path("response").asText("") + "\n"
                + attributes.path("otel").path("attributes").path("output").asText("") + "\n"
                + attributes.path("output").asText("")).toLowerCase(Locale.ROOT);
        return terms.stream().allMatch(searchable::contains);
    }

    private static boolean equal(Optional<String> wanted, JsonNode value) {
        return wanted.isEmpty() || (value.isTextual() && value.textValue().equals(wanted.get()));
    }
}

package dev.codexledger.otlp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The real Codex captures in test resources, and what a reader of the files sees in them. */
final class Fixtures {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {}

    static byte[] bytes(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/codex-otel/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One log record as the file shows it. */
    record Expected(String eventName, String conversationId, long inputTokens, long outputTokens) {}

    /** Reads an OTLP JSON file independently of the product's decoder. */
    static List<Expected> expected(String jsonName) {
        try {
            JsonNode root = JSON.readTree(bytes(jsonName));
            List<Expected> out = new ArrayList<>();
            for (JsonNode rl : root.path("resourceLogs")) {
                for (JsonNode sl : rl.path("scopeLogs")) {
                    for (JsonNode log : sl.path("logRecords")) {
                        out.add(new Expected(attr(log, "event.name"), attr(log, "conversation.id"),
                                tokens(log, "input_token_count"), tokens(log, "output_token_count")));
                    }
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String attr(JsonNode log, String key) {
        for (JsonNode kv : log.path("attributes")) {
            if (key.equals(kv.path("key").asText())) {
                return kv.path("value").path("stringValue").asText(null);
            }
        }
        return null;
    }

    private static long tokens(JsonNode log, String key) {
        String value = attr(log, key);
        return value == null ? 0 : Long.parseLong(value);
    }
}

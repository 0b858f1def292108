package dev.codexledger.testing;

import java.time.Instant;

/** Test records in the API's JSON form. */
public final class Records {

    private Records() {}

    public static String record(String eventId, String user, Instant timestamp, String prompt) {
        return "{\"event_id\":\"" + eventId + "\",\"event_type\":\"CODEX_LOG\",\"timestamp\":\"" + timestamp
                + "\",\"user\":{\"id\":\"" + user + "\",\"email\":\"" + user + "@example.com\"},"
                + "\"surface\":\"cli\",\"conversation_id\":\"conv-1\",\"model\":\"gpt-5-codex\","
                + "\"prompt\":\"" + prompt + "\",\"usage\":{\"input_tokens\":120,\"output_tokens\":40},"
                + "\"attributes\":{\"app.version\":\"0.169.0\"}}";
    }

    /** A returned record's canonical content: the record minus "seq" and "hash", re-serialized canonically. */
    public static String canonicalContentOf(com.fasterxml.jackson.databind.JsonNode record) {
        com.fasterxml.jackson.databind.node.ObjectNode content = record.deepCopy();
        content.remove("seq");
        content.remove("hash");
        return new dev.codexledger.records.RecordParser(10, 64, 1 << 20).canonical(content);
    }

    public static String ndjson(String... records) {
        return String.join("\n", records) + "\n";
    }

    public static String array(String... records) {
        return "[" + String.join(",", records) + "]";
    }
}

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

    public static String ndjson(String... records) {
        return String.join("\n", records) + "\n";
    }

    public static String array(String... records) {
        return "[" + String.join(",", records) + "]";
    }
}

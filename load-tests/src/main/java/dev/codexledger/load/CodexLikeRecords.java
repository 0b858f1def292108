package dev.codexledger.load;

import java.time.Instant;

/**
 * Records of realistic Codex size (about 800 bytes each, like a tool result with its arguments and
 * output), each with a unique id so the ledger stores every one.
 */
final class CodexLikeRecords {

    private static final String OUTPUT = ("total 48\\ndrwxr-xr-x  6 dev dev 4096 Nov 22 10:15 .\\n"
            + "-rw-r--r--  1 dev dev 2210 Nov 22 10:15 pom.xml\\n-rw-r--r--  1 dev dev 5120 Nov 22 10:15 README.md\\n"
            + "drwxr-xr-x  4 dev dev 4096 Nov 22 10:15 modules\\nProcess exited with code 0\\n").repeat(2);

    private CodexLikeRecords() {}

    static String json(String id, int user, long sequence) {
        Instant at = Instant.ofEpochSecond(1_795_300_000L + sequence / 100, (sequence % 100) * 10_000_000L);
        return "{\"event_id\":\"" + id + "\",\"event_type\":\"CODEX_SECURITY_LOG\",\"timestamp\":\"" + at
                + "\",\"user\":{\"id\":\"user-" + user + "\",\"email\":\"user-" + user + "@acme.example\"},"
                + "\"surface\":\"cli\",\"conversation_id\":\"conv-" + (sequence / 40) + "\",\"model\":\"gpt-5-codex\","
                + "\"action\":\"codex.tool_result\",\"attributes\":{\"tool_name\":\"exec_command\",\"call_id\":\"call_"
                + id + "\",\"duration_ms\":99,\"success\":true,\"arguments\":\"{\\\"cmd\\\": \\\"ls -la\\\"}\","
                + "\"output\":\"" + OUTPUT + "\"}}";
    }
}

package dev.codexledger.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A tool call Codex ran, from its {@code codex.tool_result} record: the tool, the shell command it ran
 * (from the call's {@code arguments}: {@code cmd}, or {@code command} as an argv, a {@code bash -lc}
 * script taken as its script), the MCP server it went to, whether it succeeded, its user and
 * conversation. The command's words are split on whitespace (quoting is not interpreted), as the
 * leading words a command rule matches.
 */
public record ToolCall(String user, String conversation, String toolName, String callId, String command,
                       String mcpServer, boolean success) {

    /** The action of the record a tool call ends with. */
    public static final String TOOL_RESULT = "codex.tool_result";
    private static final ObjectMapper JSON = new ObjectMapper();

    public static ToolCall of(JsonNode record) {
        JsonNode otel = record.path("attributes").path("otel").path("attributes");
        JsonNode codex = record.path("attributes").path("codex");
        String tool = text(otel.path("tool_name"));
        return new ToolCall(text(record.path("user").path("id")), text(record.path("conversation_id")),
                tool != null ? tool : text(codex.path("tool_name")),
                text(otel.path("call_id")) != null ? text(otel.path("call_id")) : text(codex.path("call_id")),
                command(text(otel.path("arguments"))), text(otel.path("mcp_server")),
                "true".equals(otel.path("success").asText()) || otel.path("success").asBoolean(false));
    }

    /** The command's words (empty when the call ran no shell command). */
    public List<String> words() {
        List<String> words = new ArrayList<>();
        if (command != null) {
            for (String word : command.trim().split("\\s+")) {
                if (!word.isEmpty()) {
                    words.add(word);
                }
            }
        }
        return words;
    }

    private static String command(String arguments) {
        if (arguments == null) {
            return null;
        }
        JsonNode args;
        try {
            args = JSON.readTree(arguments);
        } catch (IOException e) {
            return null;
        }
        if (args == null) {
            return null;
        }
        if (args.path("cmd").isTextual()) {
            return args.get("cmd").asText();
        }
        JsonNode argv = args.path("command");
        if (argv.isTextual()) {
            return argv.asText();
        }
        if (argv.isArray() && !argv.isEmpty()) {
            List<String> parts = new ArrayList<>();
            argv.forEach(part -> parts.add(part.asText()));
            String shell = parts.get(0).replaceAll(".*/", "");
            if (parts.size() == 3 && List.of("bash", "sh", "zsh").contains(shell) && parts.get(1).matches("-l?c")) {
                return parts.get(2);
            }
            return String.join(" ", parts);
        }
        return null;
    }

    private static String text(JsonNode node) {
        return node.isTextual() && !node.asText().isBlank() ? node.asText() : null;
    }
}

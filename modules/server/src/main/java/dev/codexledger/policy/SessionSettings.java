package dev.codexledger.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What a Codex session says it runs with, from its {@code codex.conversation_starts} record: the effective
 * approval policy and sandbox mode (after Codex applied any requirements it had), the MCP servers it
 * started, its Codex version, its user and conversation. A field the telemetry did not carry is null;
 * such a session cannot be judged on that field ("unknown"), never counted as compliant.
 */
public record SessionSettings(String user, String conversation, String appVersion, String approvalPolicy,
                              String sandboxMode, List<String> mcpServers) {

    /** The action of the record a session starts with. */
    public static final String CONVERSATION_STARTS = "codex.conversation_starts";

    /**
     * The settings of a stored record's content (the records API's JSON form; OTLP attributes under
     * {@code attributes.otel.attributes}, Codex's version also under {@code attributes.codex.app_version}).
     */
    public static SessionSettings of(JsonNode record) {
        JsonNode otel = record.path("attributes").path("otel").path("attributes");
        String version = text(record.path("attributes").path("codex").path("app_version"));
        if (version == null) {
            version = text(otel.path("app.version"));
        }
        String servers = text(otel.path("mcp_servers"));
        List<String> mcp = null;
        if (otel.has("mcp_servers")) { // "" is a session without MCP servers, not an unknown
            mcp = new ArrayList<>();
            for (String name : (servers == null ? "" : servers).split(",")) {
                if (!name.isBlank()) {
                    mcp.add(name.trim());
                }
            }
        }
        return new SessionSettings(text(record.path("user").path("id")), text(record.path("conversation_id")), version,
                text(otel.path("approval_policy")), text(otel.path("sandbox_policy")), mcp == null ? null : List.copyOf(mcp));
    }

    private static String text(JsonNode node) {
        return node.isTextual() && !node.asText().isBlank() ? node.asText() : null;
    }
}

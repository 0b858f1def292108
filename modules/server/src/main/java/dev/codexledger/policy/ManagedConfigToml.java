package dev.codexledger.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;

/**
 * Codex's {@code managed_config.toml} (Linux: {@code /etc/codex/managed_config.toml}; macOS MDM:
 * {@code config_toml_base64}) that makes every Codex on a machine export its telemetry to this ledger:
 * an {@code [otel]} exporter over OTLP/HTTP with a workspace-bound ingest key in its static headers.
 * Written by Jackson's TOML generator. Approval and sandbox constraints belong in requirements.toml,
 * which Codex enforces; this file only points the exporter.
 */
public final class ManagedConfigToml {

    private static final TomlMapper TOML = new TomlMapper();

    /** What the file says: where to send logs, how, and with which key. */
    public record Exporter(String endpoint, String protocol, String environment, boolean logUserPrompt,
                           String workspace, String keySecret) {}

    private ManagedConfigToml() {}

    static ObjectNode tree(Exporter exporter) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        ObjectNode otel = root.putObject("otel");
        otel.put("environment", exporter.environment());
        otel.put("log_user_prompt", exporter.logUserPrompt());
        ObjectNode http = otel.putObject("exporter").putObject("otlp-http");
        http.put("endpoint", exporter.endpoint());
        http.put("protocol", exporter.protocol());
        http.putObject("headers").put("authorization", "Bearer " + exporter.keySecret())
                .put("x-ledger-workspace", exporter.workspace());
        return root;
    }

    public static String render(Exporter exporter) {
        try {
            return TOML.writeValueAsString(tree(exporter));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write TOML", e);
        }
    }
}

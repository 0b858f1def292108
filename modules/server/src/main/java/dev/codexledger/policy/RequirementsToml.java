package dev.codexledger.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * A requirement set as Codex reads it: {@code requirements.toml} (for {@code /etc/codex/requirements.toml}
 * or cloud requirements) written by Jackson's TOML generator from a tree in Codex's own shape, and its
 * base64 form for the macOS MDM key {@code requirements_toml_base64}. Our {@code minimum_app_version} is
 * not written: Codex does not know it (the ledger judges sessions by it).
 */
public final class RequirementsToml {

    private static final TomlMapper TOML = new TomlMapper();
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private RequirementsToml() {}

    /** The tree Codex's requirements.toml has for {@code set}. */
    static ObjectNode tree(RequirementSet set) {
        ObjectNode root = JSON.objectNode();
        strings(root, "allowed_approval_policies", set.approvalPolicies());
        strings(root, "allowed_sandbox_modes", set.sandboxModes());
        strings(root, "allowed_web_search_modes", set.webSearchModes());
        if (set.features() != null) {
            ObjectNode features = root.putObject("features");
            set.features().forEach(features::put);
        }
        if (set.mcpServers() != null) {
            ObjectNode servers = root.putObject("mcp_servers");
            set.mcpServers().forEach((name, identity) -> {
                ObjectNode id = servers.putObject(name).putObject("identity");
                if (identity.command() != null) {
                    id.put("command", identity.command());
                } else {
                    id.put("url", identity.url());
                }
            });
        }
        if (set.prefixRules() != null) {
            ArrayNode rules = root.putObject("rules").putArray("prefix_rules");
            for (RequirementSet.PrefixRule rule : set.prefixRules()) {
                ObjectNode r = rules.addObject();
                ArrayNode pattern = r.putArray("pattern");
                for (List<String> word : rule.pattern()) {
                    if (word.size() == 1) {
                        pattern.addObject().put("token", word.get(0));
                    } else {
                        word.forEach(pattern.addObject().putArray("any_of")::add);
                    }
                }
                r.put("decision", rule.decision());
                if (rule.justification() != null) {
                    r.put("justification", rule.justification());
                }
            }
        }
        return root;
    }

    /** {@code set} as the text of a requirements.toml. */
    public static String render(RequirementSet set) {
        try {
            return TOML.writeValueAsString(tree(set));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write TOML", e);
        }
    }

    /** {@code set} as the MDM profile's {@code requirements_toml_base64} value. */
    public static String base64(RequirementSet set) {
        return Base64.getEncoder().encodeToString(render(set).getBytes(StandardCharsets.UTF_8));
    }

    private static void strings(ObjectNode node, String field, List<String> values) {
        if (values != null) {
            values.forEach(node.putArray(field)::add);
        }
    }
}

package dev.codexledger.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One named set of Codex requirements, the fields of Codex's {@code requirements.toml} an enterprise
 * governs with, plus one of ours: {@code minimum_app_version}, which Codex does not read but the ledger
 * judges sessions by (an old Codex build that predates a requirement is a finding). A field left out
 * (null) is not required, as in Codex, where a field missing from the first matching rule is not taken
 * from a later one.
 *
 * @param approvalPolicies {@code allowed_approval_policies}: untrusted, on-failure, on-request, never
 * @param sandboxModes {@code allowed_sandbox_modes}: read-only (always required by Codex), workspace-write,
 *                     danger-full-access, external-sandbox
 * @param webSearchModes {@code allowed_web_search_modes}: disabled, cached, live, indexed
 * @param mcpServers the MCP allowlist by name, each with its identity (a stdio command or a URL)
 * @param features feature pins, {@code [features]}
 * @param prefixRules command rules, {@code [rules] prefix_rules}
 * @param minimumAppVersion the oldest Codex version a session may run (ours), e.g. {@code 0.160.0}
 */
public record RequirementSet(List<String> approvalPolicies, List<String> sandboxModes, List<String> webSearchModes,
                             Map<String, McpIdentity> mcpServers, Map<String, Boolean> features,
                             List<PrefixRule> prefixRules, String minimumAppVersion) {

    public static final List<String> APPROVAL_POLICIES = List.of("untrusted", "on-failure", "on-request", "never");
    public static final List<String> SANDBOX_MODES =
            List.of("read-only", "workspace-write", "danger-full-access", "external-sandbox");
    public static final List<String> WEB_SEARCH_MODES = List.of("disabled", "cached", "live", "indexed");
    public static final List<String> RULE_DECISIONS = List.of("prompt", "forbidden");
    private static final Set<String> FIELDS = Set.of("allowed_approval_policies", "allowed_sandbox_modes",
            "allowed_web_search_modes", "mcp_servers", "features", "prefix_rules", "minimum_app_version");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern VERSION = Pattern.compile("\\d+(\\.\\d+){0,3}");

    /** How Codex recognises an allowed MCP server besides its name: exactly one of a command or a URL. */
    public record McpIdentity(String command, String url) {}

    /**
     * A command rule: {@code pattern} is the command's leading words, each position a list of the words
     * allowed there (one word: a token; several: {@code any_of}); {@code decision} prompt or forbidden.
     */
    public record PrefixRule(List<List<String>> pattern, String decision, String justification) {}

    public RequirementSet {
        approvalPolicies = approvalPolicies == null ? null : List.copyOf(approvalPolicies);
        sandboxModes = sandboxModes == null ? null : List.copyOf(sandboxModes);
        webSearchModes = webSearchModes == null ? null : List.copyOf(webSearchModes);
        mcpServers = mcpServers == null ? null : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(mcpServers));
        features = features == null ? null : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(features));
        prefixRules = prefixRules == null ? null : List.copyOf(prefixRules);
    }

    /** Reads and checks a set from its JSON form; {@code at} is its path in the document, for errors. */
    static RequirementSet parse(JsonNode node, String at) {
        if (node == null || !node.isObject()) {
            throw new PolicyInvalid(at, "must be an object with the fields " + String.join(", ", new java.util.TreeSet<>(FIELDS)));
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new PolicyInvalid(at + "." + name, "unknown field; the fields are "
                        + String.join(", ", new java.util.TreeSet<>(FIELDS)));
            }
        }
        List<String> approvals = choices(node.get("allowed_approval_policies"), at + ".allowed_approval_policies",
                APPROVAL_POLICIES);
        List<String> sandboxes = choices(node.get("allowed_sandbox_modes"), at + ".allowed_sandbox_modes", SANDBOX_MODES);
        if (sandboxes != null && !sandboxes.contains("read-only")) {
            throw new PolicyInvalid(at + ".allowed_sandbox_modes",
                    "must include read-only (Codex refuses requirements without it)");
        }
        List<String> webSearch = choices(node.get("allowed_web_search_modes"), at + ".allowed_web_search_modes",
                WEB_SEARCH_MODES);
        return new RequirementSet(approvals, sandboxes, webSearch, mcpServers(node.get("mcp_servers"), at + ".mcp_servers"),
                features(node.get("features"), at + ".features"), prefixRules(node.get("prefix_rules"), at + ".prefix_rules"),
                version(node.get("minimum_app_version"), at + ".minimum_app_version"));
    }

    private static List<String> choices(JsonNode node, String at, List<String> allowed) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isArray() || node.isEmpty()) {
            throw new PolicyInvalid(at, "must be a non-empty array of " + String.join(", ", allowed));
        }
        List<String> values = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode value = node.get(i);
            if (!value.isTextual() || !allowed.contains(value.asText())) {
                throw new PolicyInvalid(at + "[" + i + "]", value + " is not one of " + String.join(", ", allowed));
            }
            if (values.contains(value.asText())) {
                throw new PolicyInvalid(at + "[" + i + "]", value + " is listed twice");
            }
            values.add(value.asText());
        }
        return values;
    }

    private static Map<String, McpIdentity> mcpServers(JsonNode node, String at) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new PolicyInvalid(at, "must be an object: server name → {\"command\": …} or {\"url\": …}");
        }
        Map<String, McpIdentity> servers = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> server = it.next();
            String where = at + "." + server.getKey();
            name(server.getKey(), where);
            JsonNode identity = server.getValue();
            String command = identity.isObject() && identity.path("command").isTextual() ? identity.get("command").asText() : null;
            String url = identity.isObject() && identity.path("url").isTextual() ? identity.get("url").asText() : null;
            if (!identity.isObject() || identity.size() != 1 || (command == null) == (url == null)
                    || (command != null && command.isBlank()) || (url != null && !url.matches("https?://\\S+"))) {
                throw new PolicyInvalid(where, "must be {\"command\": \"<the stdio command>\"} or {\"url\": \"<the server's http(s) URL>\"}");
            }
            servers.put(server.getKey(), new McpIdentity(command, url));
        }
        return servers;
    }

    private static Map<String, Boolean> features(JsonNode node, String at) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new PolicyInvalid(at, "must be an object: feature name → true or false");
        }
        Map<String, Boolean> features = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> feature = it.next();
            name(feature.getKey(), at + "." + feature.getKey());
            if (!feature.getValue().isBoolean()) {
                throw new PolicyInvalid(at + "." + feature.getKey(), "must be true or false");
            }
            features.put(feature.getKey(), feature.getValue().asBoolean());
        }
        return features;
    }

    private static List<PrefixRule> prefixRules(JsonNode node, String at) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isArray() || node.isEmpty()) {
            throw new PolicyInvalid(at, "must be a non-empty array of {\"pattern\": [...], \"decision\": \"prompt\"|\"forbidden\"}");
        }
        List<PrefixRule> rules = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            String where = at + "[" + i + "]";
            JsonNode rule = node.get(i);
            if (!rule.isObject()) {
                throw new PolicyInvalid(where, "must be an object with pattern and decision");
            }
            JsonNode pattern = rule.get("pattern");
            if (pattern == null || !pattern.isArray() || pattern.isEmpty()) {
                throw new PolicyInvalid(where + ".pattern", "must be a non-empty array; each element a word or an array of alternative words");
            }
            List<List<String>> words = new ArrayList<>();
            for (int w = 0; w < pattern.size(); w++) {
                JsonNode word = pattern.get(w);
                List<String> alternatives = new ArrayList<>();
                if (word.isTextual() && !word.asText().isBlank()) {
                    alternatives.add(word.asText());
                } else if (word.isArray() && !word.isEmpty()) {
                    for (JsonNode alternative : word) {
                        if (!alternative.isTextual() || alternative.asText().isBlank()) {
                            throw new PolicyInvalid(where + ".pattern[" + w + "]", "alternatives must be non-empty words");
                        }
                        alternatives.add(alternative.asText());
                    }
                } else {
                    throw new PolicyInvalid(where + ".pattern[" + w + "]", "must be a word or a non-empty array of words");
                }
                words.add(alternatives);
            }
            JsonNode decision = rule.get("decision");
            if (decision == null || !decision.isTextual() || !RULE_DECISIONS.contains(decision.asText())) {
                throw new PolicyInvalid(where + ".decision", "must be prompt or forbidden (Codex refuses allow and a missing decision)");
            }
            JsonNode justification = rule.get("justification");
            if (justification != null && !justification.isNull() && !justification.isTextual()) {
                throw new PolicyInvalid(where + ".justification", "must be a string");
            }
            for (Iterator<String> names = rule.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!Set.of("pattern", "decision", "justification").contains(name)) {
                    throw new PolicyInvalid(where + "." + name, "unknown field; the fields are pattern, decision, justification");
                }
            }
            rules.add(new PrefixRule(words, decision.asText(),
                    justification == null || justification.isNull() ? null : justification.asText()));
        }
        return rules;
    }

    private static String version(JsonNode node, String at) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual() || !VERSION.matcher(node.asText()).matches()) {
            throw new PolicyInvalid(at, "must be a version like 0.160.0");
        }
        return node.asText();
    }

    static void name(String name, String at) {
        if (!NAME.matcher(name).matches()) {
            throw new PolicyInvalid(at, "a name is 1 to 64 letters, digits, '_' or '-'");
        }
    }

    /** The set's JSON form, as the API shows and takes it. */
    public ObjectNode toJson() {
        JsonNodeFactory json = JsonNodeFactory.instance;
        ObjectNode node = json.objectNode();
        list(node, "allowed_approval_policies", approvalPolicies);
        list(node, "allowed_sandbox_modes", sandboxModes);
        list(node, "allowed_web_search_modes", webSearchModes);
        if (mcpServers != null) {
            ObjectNode servers = node.putObject("mcp_servers");
            mcpServers.forEach((name, identity) -> servers.set(name, identity.command() != null
                    ? json.objectNode().put("command", identity.command()) : json.objectNode().put("url", identity.url())));
        }
        if (features != null) {
            ObjectNode pins = node.putObject("features");
            features.forEach(pins::put);
        }
        if (prefixRules != null) {
            ArrayNode rules = node.putArray("prefix_rules");
            for (PrefixRule rule : prefixRules) {
                ObjectNode r = rules.addObject();
                ArrayNode pattern = r.putArray("pattern");
                for (List<String> word : rule.pattern()) {
                    if (word.size() == 1) {
                        pattern.add(word.get(0));
                    } else {
                        word.forEach(pattern.addArray()::add);
                    }
                }
                r.put("decision", rule.decision());
                if (rule.justification() != null) {
                    r.put("justification", rule.justification());
                }
            }
        }
        if (minimumAppVersion != null) {
            node.put("minimum_app_version", minimumAppVersion);
        }
        return node;
    }

    private static void list(ObjectNode node, String field, List<String> values) {
        if (values != null) {
            values.forEach(node.putArray(field)::add);
        }
    }
}

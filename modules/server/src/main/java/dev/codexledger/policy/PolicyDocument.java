package dev.codexledger.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A workspace's managed-configuration policy: named requirement sets, groups of users, and ordered rules
 * "group → requirement set". A user gets the set of the <em>first</em> rule whose group holds them, and
 * nothing from later rules, as Codex applies its cloud requirements. The group {@value #EVERYONE} holds
 * every user, also one the telemetry does not name.
 *
 * <p>Groups are the policy's own, not the budget's teams: a policy is versioned so that a session is
 * judged by the version in force when it was recorded, and its groups must be versioned with it; the
 * budget keeps only its current membership (one team per user, for spend), while identity-provider
 * groups, which these mirror, overlap.
 */
public record PolicyDocument(Map<String, RequirementSet> requirementSets, Map<String, List<String>> groups,
                             List<Rule> rules) {

    /** The group every user is in. */
    public static final String EVERYONE = "*";
    public static final PolicyDocument EMPTY = new PolicyDocument(Map.of(), Map.of(), List.of());
    private static final Set<String> FIELDS = Set.of("requirement_sets", "groups", "rules");
    private static final int MAX_SETS = 100;
    private static final int MAX_GROUPS = 1000;
    private static final int MAX_USERS = 100_000;
    private static final int MAX_RULES = 1000;

    /** One rule: users of {@code group} get the requirement set {@code requirements}. */
    public record Rule(String group, String requirements) {}

    /** The rule a user matched: its position (0-based), group and set. */
    public record Match(int rule, String group, String setName, RequirementSet requirements) {}

    public PolicyDocument {
        requirementSets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(requirementSets));
        Map<String, List<String>> copied = new LinkedHashMap<>();
        groups.forEach((name, users) -> copied.put(name, List.copyOf(users)));
        groups = java.util.Collections.unmodifiableMap(copied);
        rules = List.copyOf(rules);
    }

    /** Reads and checks a whole document; every problem names its field. */
    public static PolicyDocument parse(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new PolicyInvalid("body", "must be a JSON object with requirement_sets, groups and rules");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new PolicyInvalid(name, "unknown field; the fields are groups, requirement_sets, rules");
            }
        }
        Map<String, RequirementSet> sets = new LinkedHashMap<>();
        JsonNode setsNode = node.get("requirement_sets");
        if (setsNode != null && !setsNode.isNull()) {
            if (!setsNode.isObject()) {
                throw new PolicyInvalid("requirement_sets", "must be an object: set name → requirements");
            }
            if (setsNode.size() > MAX_SETS) {
                throw new PolicyInvalid("requirement_sets", "at most " + MAX_SETS + " sets");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = setsNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> set = it.next();
                RequirementSet.name(set.getKey(), "requirement_sets." + set.getKey());
                sets.put(set.getKey(), RequirementSet.parse(set.getValue(), "requirement_sets." + set.getKey()));
            }
        }
        Map<String, List<String>> groups = new LinkedHashMap<>();
        JsonNode groupsNode = node.get("groups");
        int users = 0;
        if (groupsNode != null && !groupsNode.isNull()) {
            if (!groupsNode.isObject()) {
                throw new PolicyInvalid("groups", "must be an object: group name → array of user ids");
            }
            if (groupsNode.size() > MAX_GROUPS) {
                throw new PolicyInvalid("groups", "at most " + MAX_GROUPS + " groups");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = groupsNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> group = it.next();
                String at = "groups." + group.getKey();
                RequirementSet.name(group.getKey(), at);
                groups.put(group.getKey(), users(group.getValue(), at));
                users += groups.get(group.getKey()).size();
                if (users > MAX_USERS) {
                    throw new PolicyInvalid(at, "at most " + MAX_USERS + " users in all groups together");
                }
            }
        }
        List<Rule> rules = new ArrayList<>();
        JsonNode rulesNode = node.get("rules");
        if (rulesNode != null && !rulesNode.isNull()) {
            if (!rulesNode.isArray()) {
                throw new PolicyInvalid("rules", "must be an array of {\"group\": …, \"requirements\": …}, first match wins");
            }
            if (rulesNode.size() > MAX_RULES) {
                throw new PolicyInvalid("rules", "at most " + MAX_RULES + " rules");
            }
            for (int i = 0; i < rulesNode.size(); i++) {
                rules.add(rule(rulesNode.get(i), "rules[" + i + "]", sets, groups));
            }
        }
        return new PolicyDocument(sets, groups, rules);
    }

    /** Reads the rules alone against this document's sets and groups ({@code PUT …/policy/rules}). */
    public PolicyDocument withRules(JsonNode rulesNode) {
        ObjectNode whole = toJson();
        whole.set("rules", rulesNode);
        return parse(whole);
    }

    private static List<String> users(JsonNode node, String at) {
        if (node == null || !node.isArray()) {
            throw new PolicyInvalid(at, "must be an array of user ids (as the telemetry names them: user.account_id or the records' user.id)");
        }
        Set<String> users = new LinkedHashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode user = node.get(i);
            if (!user.isTextual() || user.asText().isBlank() || user.asText().length() > 256) {
                throw new PolicyInvalid(at + "[" + i + "]", "must be a user id of 1 to 256 characters");
            }
            users.add(user.asText());
        }
        return List.copyOf(users);
    }

    private static Rule rule(JsonNode node, String at, Map<String, RequirementSet> sets, Map<String, List<String>> groups) {
        if (node == null || !node.isObject()) {
            throw new PolicyInvalid(at, "must be an object {\"group\": …, \"requirements\": …}");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("group") && !name.equals("requirements")) {
                throw new PolicyInvalid(at + "." + name, "unknown field; the fields are group, requirements");
            }
        }
        JsonNode group = node.get("group");
        if (group == null || !group.isTextual() || (!group.asText().equals(EVERYONE) && !groups.containsKey(group.asText()))) {
            throw new PolicyInvalid(at + ".group", "must name a group of this policy or \"*\" (everyone); groups: "
                    + (groups.isEmpty() ? "none" : String.join(", ", groups.keySet())));
        }
        JsonNode requirements = node.get("requirements");
        if (requirements == null || !requirements.isTextual() || !sets.containsKey(requirements.asText())) {
            throw new PolicyInvalid(at + ".requirements", "must name a requirement set of this policy; sets: "
                    + (sets.isEmpty() ? "none" : String.join(", ", sets.keySet())));
        }
        return new Rule(group.asText(), requirements.asText());
    }

    /** The first rule {@code user} (null: a session that names no user) falls under, if any. */
    public Optional<Match> forUser(String user) {
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            if (rule.group().equals(EVERYONE) || (user != null && groups.getOrDefault(rule.group(), List.of()).contains(user))) {
                return Optional.of(new Match(i, rule.group(), rule.requirements(), requirementSets.get(rule.requirements())));
            }
        }
        return Optional.empty();
    }

    /** The set a group's members get: the first rule for that group or for everyone. */
    public Optional<Match> forGroup(String group) {
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            if (rule.group().equals(EVERYONE) || rule.group().equals(group)) {
                return Optional.of(new Match(i, rule.group(), rule.requirements(), requirementSets.get(rule.requirements())));
            }
        }
        return Optional.empty();
    }

    /** The document's JSON form, as stored and as the API shows and takes it. */
    public ObjectNode toJson() {
        JsonNodeFactory json = JsonNodeFactory.instance;
        ObjectNode node = json.objectNode();
        ObjectNode sets = node.putObject("requirement_sets");
        requirementSets.forEach((name, set) -> sets.set(name, set.toJson()));
        ObjectNode groupsNode = node.putObject("groups");
        groups.forEach((name, users) -> users.forEach(groupsNode.putArray(name)::add));
        ArrayNode rulesNode = node.putArray("rules");
        rules.forEach(rule -> rulesNode.addObject().put("group", rule.group()).put("requirements", rule.requirements()));
        return node;
    }
}

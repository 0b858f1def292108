package dev.codexledger.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyDocumentTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static final String DOCUMENT = """
            {"requirement_sets": {
               "strict": {"allowed_approval_policies": ["untrusted", "on-request"],
                          "allowed_sandbox_modes": ["read-only"],
                          "allowed_web_search_modes": ["cached"],
                          "mcp_servers": {"docs": {"command": "codex-mcp"}, "remote": {"url": "https://mcp.example.com/mcp"}},
                          "features": {"apps": false},
                          "prefix_rules": [{"pattern": ["rm"], "decision": "forbidden", "justification": "No rm."},
                                           {"pattern": ["git", ["push", "reset"]], "decision": "prompt"}],
                          "minimum_app_version": "0.160.0"},
               "open": {"allowed_sandbox_modes": ["read-only", "workspace-write"]}},
             "groups": {"contractors": ["ana", "bo"], "staff": ["ana", "cy"]},
             "rules": [{"group": "contractors", "requirements": "strict"},
                       {"group": "staff", "requirements": "open"},
                       {"group": "*", "requirements": "strict"}]}
            """;

    static PolicyDocument document() throws Exception {
        return PolicyDocument.parse(JSON.readTree(DOCUMENT));
    }

    @Test
    void theFirstMatchingRuleWinsAndEveryoneCatchesTheRest() throws Exception {
        PolicyDocument policy = document();
        assertEquals("strict", policy.forUser("ana").orElseThrow().setName(), "ana is in both groups: the first rule wins");
        assertEquals(0, policy.forUser("ana").orElseThrow().rule());
        assertEquals("open", policy.forUser("cy").orElseThrow().setName());
        assertEquals("*", policy.forUser("dee").orElseThrow().group());
        assertEquals("*", policy.forUser(null).orElseThrow().group(), "a session naming no user is everyone's");
        assertEquals("open", policy.forGroup("staff").orElseThrow().setName());
        assertTrue(PolicyDocument.EMPTY.forUser("ana").isEmpty());
    }

    @Test
    void aDocumentSurvivesItsOwnJsonForm() throws Exception {
        PolicyDocument policy = document();
        assertEquals(policy, PolicyDocument.parse(policy.toJson()));
        RequirementSet strict = policy.requirementSets().get("strict");
        assertEquals(List.of(List.of("git"), List.of("push", "reset")), strict.prefixRules().get(1).pattern());
        assertEquals("https://mcp.example.com/mcp", strict.mcpServers().get("remote").url());
    }

    @Test
    void badInputNamesTheFieldAndTheReason() {
        assertField("requirement_sets.strict.allowed_sandbox_modes[1]", "\"full\" is not one of",
                "{\"requirement_sets\": {\"strict\": {\"allowed_sandbox_modes\": [\"read-only\", \"full\"]}}}");
        assertField("requirement_sets.strict.allowed_sandbox_modes", "must include read-only",
                "{\"requirement_sets\": {\"strict\": {\"allowed_sandbox_modes\": [\"workspace-write\"]}}}");
        assertField("requirement_sets.strict.allowed_approval_policies", "non-empty array",
                "{\"requirement_sets\": {\"strict\": {\"allowed_approval_policies\": []}}}");
        assertField("requirement_sets.strict.sandbox", "unknown field",
                "{\"requirement_sets\": {\"strict\": {\"sandbox\": [\"read-only\"]}}}");
        assertField("requirement_sets.strict.mcp_servers.docs", "command",
                "{\"requirement_sets\": {\"strict\": {\"mcp_servers\": {\"docs\": {\"command\": \"x\", \"url\": \"https://a\"}}}}}");
        assertField("requirement_sets.strict.prefix_rules[0].decision", "prompt or forbidden",
                "{\"requirement_sets\": {\"strict\": {\"prefix_rules\": [{\"pattern\": [\"rm\"], \"decision\": \"allow\"}]}}}");
        assertField("requirement_sets.strict.minimum_app_version", "version",
                "{\"requirement_sets\": {\"strict\": {\"minimum_app_version\": \"latest\"}}}");
        assertField("rules[0].requirements", "must name a requirement set",
                "{\"requirement_sets\": {}, \"rules\": [{\"group\": \"*\", \"requirements\": \"missing\"}]}");
        assertField("rules[0].group", "must name a group",
                "{\"requirement_sets\": {\"a\": {}}, \"rules\": [{\"group\": \"nobody\", \"requirements\": \"a\"}]}");
        assertField("groups.staff[1]", "user id",
                "{\"groups\": {\"staff\": [\"ana\", 7]}}");
        assertField("groups.bad name", "a name is",
                "{\"groups\": {\"bad name\": []}}");
        assertField("owner", "unknown field", "{\"owner\": \"me\"}");
        assertField("body", "JSON object", "[1, 2]");
    }

    private static void assertField(String field, String reasonPart, String json) {
        PolicyInvalid invalid = assertThrows(PolicyInvalid.class, () -> PolicyDocument.parse(JSON.readTree(json)), json);
        assertEquals(field, invalid.field(), invalid.getMessage());
        assertTrue(invalid.getMessage().contains(reasonPart), invalid.getMessage());
    }

    @Test
    void rulesAloneAreCheckedAgainstTheDocumentsSetsAndGroups() throws Exception {
        PolicyDocument policy = document();
        JsonNode rules = JSON.readTree("[{\"group\": \"staff\", \"requirements\": \"strict\"}]");
        assertEquals(List.of(new PolicyDocument.Rule("staff", "strict")), policy.withRules(rules).rules());
        PolicyInvalid invalid = assertThrows(PolicyInvalid.class,
                () -> policy.withRules(JSON.readTree("[{\"group\": \"staff\", \"requirements\": \"lax\"}]")));
        assertEquals("rules[0].requirements", invalid.field());
    }
}

package dev.codexledger.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

/** What we write as requirements.toml, read back by an independent TOML parser (tomlj) in Codex's shape. */
class RequirementsTomlTest {

    @Test
    void aRequirementSetIsWrittenInCodexsShape() throws Exception {
        RequirementSet strict = PolicyDocumentTest.document().requirementSets().get("strict");
        String text = RequirementsToml.render(strict);
        TomlParseResult toml = Toml.parse(text);
        assertFalse(toml.hasErrors(), toml.errors() + "\n" + text);

        assertEquals(List.of("untrusted", "on-request"), toml.getArray("allowed_approval_policies").toList());
        assertEquals(List.of("read-only"), toml.getArray("allowed_sandbox_modes").toList());
        assertEquals(List.of("cached"), toml.getArray("allowed_web_search_modes").toList());
        assertEquals(Boolean.FALSE, toml.getBoolean("features.apps"));
        assertEquals("codex-mcp", toml.getString("mcp_servers.docs.identity.command"));
        assertEquals("https://mcp.example.com/mcp", toml.getString("mcp_servers.remote.identity.url"));
        TomlArray rules = toml.getArray("rules.prefix_rules");
        assertEquals(2, rules.size());
        TomlTable rm = rules.getTable(0);
        assertEquals("rm", rm.getArray("pattern").getTable(0).getString("token"));
        assertEquals("forbidden", rm.getString("decision"));
        assertEquals("No rm.", rm.getString("justification"));
        TomlTable git = rules.getTable(1);
        assertEquals("git", git.getArray("pattern").getTable(0).getString("token"));
        assertEquals(List.of("push", "reset"), git.getArray("pattern").getTable(1).getArray("any_of").toList());
        assertEquals("prompt", git.getString("decision"));
        assertFalse(toml.contains("minimum_app_version"), "ours, not Codex's: not written\n" + text);
        assertEquals(Set.of("allowed_approval_policies", "allowed_sandbox_modes", "allowed_web_search_modes", "features",
                "mcp_servers", "rules"), toml.keySet());
    }

    @Test
    void aSetWithFewFieldsWritesOnlyThose() throws Exception {
        RequirementSet open = PolicyDocumentTest.document().requirementSets().get("open");
        TomlParseResult toml = Toml.parse(RequirementsToml.render(open));
        assertFalse(toml.hasErrors(), toml.errors().toString());
        assertEquals(Set.of("allowed_sandbox_modes"), toml.keySet(), "a field left out is not required, as in Codex");
    }

    @Test
    void theMdmFormIsTheSameFileInBase64() throws Exception {
        RequirementSet strict = PolicyDocumentTest.document().requirementSets().get("strict");
        String decoded = new String(Base64.getDecoder().decode(RequirementsToml.base64(strict)), StandardCharsets.UTF_8);
        assertEquals(RequirementsToml.render(strict), decoded);
        assertTrue(RequirementsToml.base64(strict).matches("[A-Za-z0-9+/]+=*"));
    }
}

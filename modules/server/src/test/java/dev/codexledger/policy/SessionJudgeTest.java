package dev.codexledger.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;
import dev.codexledger.otlp.CodexEvents;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sessions of the real Codex CLI 0.169.0 captures, decoded by the product's OTLP decoder, judged. */
class SessionJudgeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The conversation_starts records of a capture, as the ledger stores them. */
    static List<SessionSettings> sessions(String fixture) throws Exception {
        ExportLogsServiceRequest.Builder request = ExportLogsServiceRequest.newBuilder();
        try (InputStream in = SessionJudgeTest.class.getResourceAsStream("/codex-otel/" + fixture)) {
            JsonFormat.parser().ignoringUnknownFields().merge(new String(in.readAllBytes(), StandardCharsets.UTF_8), request);
        }
        List<SessionSettings> sessions = new ArrayList<>();
        for (ResourceLogs resource : request.getResourceLogsList()) {
            for (ScopeLogs scope : resource.getScopeLogsList()) {
                for (LogRecord log : scope.getLogRecordsList()) {
                    var record = CodexEvents.toRecord(resource.getResource(), scope.getScope(), log, Instant.now());
                    if (SessionSettings.CONVERSATION_STARTS.equals(record.path("action").asText())) {
                        sessions.add(SessionSettings.of(JSON.readTree(JSON.writeValueAsBytes(record))));
                    }
                }
            }
        }
        return sessions;
    }

    @Test
    void theCapturesSayWhatTheirSessionsRanWith() throws Exception {
        List<SessionSettings> plain = sessions("json-003.json");
        assertEquals(1, plain.size());
        SessionSettings session = plain.get(0);
        assertEquals("never", session.approvalPolicy());
        assertEquals("read-only", session.sandboxMode());
        assertEquals(List.of(), session.mcpServers(), "\"\": no MCP servers, which is known, not unknown");
        assertEquals("0.169.0", session.appVersion());
        assertEquals("01a2012a-d5e9-7730-a4d6-19fae2c24218", session.conversation());
        assertEquals(null, session.user(), "the default capture names no user");

        SessionSettings optIn = sessions("optin-004.json").get(0);
        assertEquals("acct-harness-0001", optIn.user());
        assertEquals(List.of("codex_apps"), optIn.mcpServers());
    }

    @Test
    void aPolicyThatAllowsTheSessionFindsNothing() throws Exception {
        RequirementSet allowing = PolicyDocument.parse(JSON.readTree("""
                {"requirement_sets": {"a": {"allowed_approval_policies": ["never", "on-request"],
                  "allowed_sandbox_modes": ["read-only"], "mcp_servers": {"codex_apps": {"command": "codex"}},
                  "minimum_app_version": "0.160.0"}}}""")).requirementSets().get("a");
        for (String fixture : List.of("json-003.json", "optin-004.json")) {
            SessionJudge.Verdict verdict = SessionJudge.judge(allowing, sessions(fixture).get(0));
            assertTrue(verdict.compliant(), fixture + ": " + verdict);
        }
    }

    /**
     * The captures ran read-only, which Codex always allows (requirements without read-only are refused),
     * so no valid policy forbids their sandbox; their approval policy "never" can be forbidden.
     */
    @Test
    void aPolicyThatForbidsTheSessionsSettingsFindsEachBrokenRule() throws Exception {
        RequirementSet strict = PolicyDocumentTest.document().requirementSets().get("strict");
        SessionJudge.Verdict plain = SessionJudge.judge(strict, sessions("json-003.json").get(0));
        assertEquals(List.of(new SessionJudge.Violation("allowed_approval_policies", "one of untrusted, on-request", "never")),
                plain.violations());
        SessionJudge.Verdict optIn = SessionJudge.judge(strict, sessions("optin-004.json").get(0));
        assertEquals(List.of(
                new SessionJudge.Violation("allowed_approval_policies", "one of untrusted, on-request", "never"),
                new SessionJudge.Violation("mcp_servers.codex_apps", "one of docs, remote", "codex_apps")),
                optIn.violations());
        RequirementSet newer = PolicyDocument.parse(JSON.readTree(
                "{\"requirement_sets\": {\"n\": {\"minimum_app_version\": \"0.170.0\"}}}")).requirementSets().get("n");
        assertEquals(List.of(new SessionJudge.Violation("minimum_app_version", ">= 0.170.0", "0.169.0")),
                SessionJudge.judge(newer, sessions("json-003.json").get(0)).violations());
    }

    @Test
    void aSessionThatDoesNotSayItsSettingsIsUnknownNotCompliant() throws Exception {
        RequirementSet strict = PolicyDocumentTest.document().requirementSets().get("strict");
        SessionJudge.Verdict verdict = SessionJudge.judge(strict, SessionSettings.of(JSON.readTree(
                "{\"action\": \"codex.conversation_starts\", \"conversation_id\": \"c1\"}")));
        assertTrue(verdict.violations().isEmpty());
        assertEquals(List.of("allowed_approval_policies", "allowed_sandbox_modes", "mcp_servers", "minimum_app_version"),
                verdict.unknown());
        assertFalse(verdict.compliant());
    }

    /** The tool calls of a capture (codex.tool_result records), as the ledger stores them. */
    static List<ToolCall> toolCalls(String fixture) throws Exception {
        ExportLogsServiceRequest.Builder request = ExportLogsServiceRequest.newBuilder();
        try (InputStream in = SessionJudgeTest.class.getResourceAsStream("/codex-otel/" + fixture)) {
            JsonFormat.parser().ignoringUnknownFields().merge(new String(in.readAllBytes(), StandardCharsets.UTF_8), request);
        }
        List<ToolCall> calls = new ArrayList<>();
        for (ResourceLogs resource : request.getResourceLogsList()) {
            for (ScopeLogs scope : resource.getScopeLogsList()) {
                for (LogRecord log : scope.getLogRecordsList()) {
                    var record = CodexEvents.toRecord(resource.getResource(), scope.getScope(), log, Instant.now());
                    if (ToolCall.TOOL_RESULT.equals(record.path("action").asText())) {
                        calls.add(ToolCall.of(JSON.readTree(JSON.writeValueAsBytes(record))));
                    }
                }
            }
        }
        return calls;
    }

    @Test
    void aToolCallIsJudgedByTheCommandRulesAndTheMcpAllowlist() throws Exception {
        ToolCall call = toolCalls("json-003.json").get(0);
        assertEquals("echo hi", call.command());
        assertEquals(List.of("echo", "hi"), call.words());
        assertEquals("exec_command", call.toolName());
        assertEquals("call_resp_mock_002", call.callId());
        assertTrue(call.success());
        RequirementSet rules = PolicyDocument.parse(JSON.readTree("""
                {"requirement_sets": {"r": {"prefix_rules": [
                   {"pattern": ["echo"], "decision": "forbidden"},
                   {"pattern": ["echo", ["hi", "ho"]], "decision": "forbidden"},
                   {"pattern": ["echo"], "decision": "prompt"},
                   {"pattern": ["git", ["push", "reset"]], "decision": "forbidden"}]}}}""")).requirementSets().get("r");
        assertEquals(List.of(new SessionJudge.Violation("prefix_rules:echo", "forbidden: echo", "echo hi"),
                        new SessionJudge.Violation("prefix_rules:echo [hi|ho]", "forbidden: echo [hi|ho]", "echo hi")),
                SessionJudge.judgeTool(rules, call), "forbidden rules that match; a prompt rule is no finding");
        assertEquals(List.of(), SessionJudge.judgeTool(rules, new ToolCall(null, "c", "exec_command", "x", "echo hi",
                null, false)), "a call that failed ran nothing");
        ToolCall shell = ToolCall.of(JSON.readTree("""
                {"action": "codex.tool_result", "attributes": {"otel": {"attributes": {"tool_name": "shell",
                 "success": "true", "arguments": "{\\"command\\": [\\"bash\\", \\"-lc\\", \\"git push origin main\\"]}",
                 "mcp_server": "github"}}}}"""));
        assertEquals("git push origin main", shell.command());
        RequirementSet mcp = PolicyDocument.parse(JSON.readTree("""
                {"requirement_sets": {"m": {"mcp_servers": {"docs": {"command": "codex-mcp"}},
                   "prefix_rules": [{"pattern": ["git", ["push", "reset"]], "decision": "forbidden"}]}}}"""))
                .requirementSets().get("m");
        assertEquals(List.of(new SessionJudge.Violation("prefix_rules:git [push|reset]", "forbidden: git [push|reset]",
                        "git push origin main"), new SessionJudge.Violation("mcp_servers.github", "one of docs", "github")),
                SessionJudge.judgeTool(mcp, shell));
    }

    @Test
    void versionsCompareNumberByNumber() {
        assertTrue(SessionJudge.compareVersions("0.99.0", "0.169.0") < 0);
        assertTrue(SessionJudge.compareVersions("0.169.0", "0.169") == 0);
        assertTrue(SessionJudge.compareVersions("0.169.0-alpha.1", "0.169.0") < 0);
        assertTrue(SessionJudge.compareVersions("1.0.0", "0.999.9") > 0);
    }
}

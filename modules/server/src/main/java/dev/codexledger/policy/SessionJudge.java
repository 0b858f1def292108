package dev.codexledger.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * Judges one session's settings against the requirement set that applied to its user. Each requirement
 * is a rule of its own, so a finding says which one broke: {@code allowed_approval_policies},
 * {@code allowed_sandbox_modes}, {@code mcp_servers} (one finding per server not on the allowlist, as
 * {@code mcp_servers.<name>}), {@code minimum_app_version}. A requirement the session's telemetry says
 * nothing about is {@link Verdict#unknown unknown}, not met. The web search mode and feature pins are not
 * in Codex's session-start telemetry, so they are served but not judged.
 */
public final class SessionJudge {

    /** A requirement the session broke: what the set allows and what the session ran with. */
    public record Violation(String rule, String expected, String actual) {}

    /** The judgement of one session: its violations and the requirements its telemetry did not let us check. */
    public record Verdict(List<Violation> violations, List<String> unknown) {
        public boolean compliant() {
            return violations.isEmpty() && unknown.isEmpty();
        }
    }

    private SessionJudge() {}

    public static Verdict judge(RequirementSet set, SessionSettings session) {
        List<Violation> violations = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        allowed("allowed_approval_policies", set.approvalPolicies(), session.approvalPolicy(), violations, unknown);
        allowed("allowed_sandbox_modes", set.sandboxModes(), session.sandboxMode(), violations, unknown);
        if (set.mcpServers() != null) {
            if (session.mcpServers() == null) {
                unknown.add("mcp_servers");
            } else {
                for (String server : session.mcpServers()) {
                    if (!set.mcpServers().containsKey(server)) {
                        violations.add(new Violation("mcp_servers." + server,
                                "one of " + (set.mcpServers().isEmpty() ? "no servers" : String.join(", ", set.mcpServers().keySet())),
                                server));
                    }
                }
            }
        }
        if (set.minimumAppVersion() != null) {
            if (session.appVersion() == null) {
                unknown.add("minimum_app_version");
            } else if (compareVersions(session.appVersion(), set.minimumAppVersion()) < 0) {
                violations.add(new Violation("minimum_app_version", ">= " + set.minimumAppVersion(), session.appVersion()));
            }
        }
        return new Verdict(List.copyOf(violations), List.copyOf(unknown));
    }

    /**
     * Judges a tool call Codex ran: a shell command whose leading words match a {@code forbidden} command
     * rule ({@code prefix_rules:<pattern>}), or a call to an MCP server not on the allowlist
     * ({@code mcp_servers.<name>}, the same rule as a session that started it). A call that failed did not
     * run its command and breaks no command rule.
     */
    public static List<Violation> judgeTool(RequirementSet set, ToolCall call) {
        List<Violation> violations = new ArrayList<>();
        if (set.prefixRules() != null && call.success()) {
            List<String> words = call.words();
            for (RequirementSet.PrefixRule rule : set.prefixRules()) {
                if (rule.decision().equals("forbidden") && matches(rule.pattern(), words)) {
                    String pattern = pattern(rule.pattern());
                    violations.add(new Violation("prefix_rules:" + pattern, "forbidden: " + pattern, call.command()));
                }
            }
        }
        if (set.mcpServers() != null && call.mcpServer() != null && !set.mcpServers().containsKey(call.mcpServer())) {
            violations.add(new Violation("mcp_servers." + call.mcpServer(),
                    "one of " + (set.mcpServers().isEmpty() ? "no servers" : String.join(", ", set.mcpServers().keySet())),
                    call.mcpServer()));
        }
        return List.copyOf(violations);
    }

    static boolean matches(List<List<String>> pattern, List<String> words) {
        if (words.size() < pattern.size()) {
            return false;
        }
        for (int i = 0; i < pattern.size(); i++) {
            if (!pattern.get(i).contains(words.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** A pattern as text: {@code git [push|reset]}. */
    static String pattern(List<List<String>> pattern) {
        List<String> parts = new ArrayList<>();
        for (List<String> word : pattern) {
            parts.add(word.size() == 1 ? word.get(0) : "[" + String.join("|", word) + "]");
        }
        return String.join(" ", parts);
    }

    private static void allowed(String rule, List<String> allowed, String actual, List<Violation> violations,
                                List<String> unknown) {
        if (allowed == null) {
            return;
        }
        if (actual == null) {
            unknown.add(rule);
        } else if (!allowed.contains(actual)) {
            violations.add(new Violation(rule, "one of " + String.join(", ", allowed), actual));
        }
    }

    /**
     * Compares dotted versions number by number ({@code 0.99.0 < 0.169.0}); a suffix after the numbers
     * ({@code 0.169.0-alpha.1}) sorts before the plain version. Unreadable parts count as 0.
     */
    static int compareVersions(String a, String b) {
        String[] left = a.split("-", 2);
        String[] right = b.split("-", 2);
        String[] x = left[0].split("\\.");
        String[] y = right[0].split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Long.compare(number(x, i), number(y, i));
            if (c != 0) {
                return c;
            }
        }
        if (left.length != right.length) {
            return left.length > right.length ? -1 : 1;
        }
        return left.length == 2 ? left[1].compareTo(right[1]) : 0;
    }

    private static long number(String[] parts, int i) {
        if (i >= parts.length) {
            return 0;
        }
        try {
            return Long.parseLong(parts[i].replaceAll("\\D.*", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}

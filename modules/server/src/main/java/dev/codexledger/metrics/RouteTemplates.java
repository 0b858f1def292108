package dev.codexledger.metrics;

import java.util.Set;

/**
 * A request path as its route template, for metric labels: the words of the API's paths stay, every other
 * segment becomes a placeholder ({@code {workspace}} after {@code workspaces}, {@code {id}} elsewhere), so a
 * label never carries a tenant's name, a key id or a made-up path, and the number of series stays bounded.
 */
public final class RouteTemplates {

    /** The literal segments of the API's routes. */
    private static final Set<String> WORDS = Set.of("v1", "admin", "analytics", "budget", "budgets", "check",
            "checkpoints", "code_review_responses", "code_reviews", "codex", "compliance", "consistency", "dashboard",
            "erasures", "export", "exports", "forward-auth", "holds", "inclusion", "keys", "log", "logs", "members",
            "memory", "node", "org", "pricing", "proofs", "records", "reservations", "retention", "rotate", "scopes",
            "settings", "settle", "teams", "usage", "users", "vendor", "verifications", "workspaces", "ping",
            "thresholds", "spend", "files", "jobs", "windows", "prices", "policy", "versions", "rules", "groups",
            "requirement-sets", "requirements.toml", "managed-config", "policy_compliance");
    private static final int MAX_SEGMENTS = 8;

    private RouteTemplates() {}

    public static String of(String path) {
        if (path.isEmpty() || path.equals("/")) {
            return "/";
        }
        String[] segments = path.substring(path.startsWith("/") ? 1 : 0).split("/", -1);
        if (segments.length > MAX_SEGMENTS) {
            return "other";
        }
        StringBuilder template = new StringBuilder();
        String previous = "";
        for (String segment : segments) {
            template.append('/');
            if (segment.isEmpty()) {
                // a trailing slash (or an empty segment): nothing to name
            } else if (previous.equals("workspaces")) {
                template.append("{workspace}");
            } else if (WORDS.contains(segment)) {
                template.append(segment);
            } else if (previous.equals("dashboard") || previous.equals("vendor")) {
                template.append("{asset}");
            } else {
                template.append("{id}");
            }
            previous = segment;
        }
        return template.toString();
    }
}

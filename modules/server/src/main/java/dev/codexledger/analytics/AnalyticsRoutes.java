package dev.codexledger.analytics;

import static dev.codexledger.http.WorkspacePaths.workspace;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.BadRequest;
import dev.codexledger.http.Blocking;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /v1/analytics/codex/workspaces/{ws}/…} ({@code analytics.read}): the Codex Analytics API's
 * {@code usage}, {@code code_reviews} and {@code code_review_responses}, and a per-user ranking
 * ({@code users}); exports are {@link AnalyticsExportRoutes}'. Answers from the maintained daily rows,
 * never from records.
 */
public final class AnalyticsRoutes {

    /** A page of report rows; {@code next_page} null on the last. */
    record Page(String object, List<JsonNode> data, @JsonProperty("has_more") boolean hasMore,
                @JsonProperty("next_page") String nextPage) {}

    /** The users, ranked. */
    record Users(String object, List<ObjectNode> data, @JsonProperty("has_more") boolean hasMore) {}

    private final Analytics analytics;
    private final dev.codexledger.policy.PolicySessions policySessions;
    private final Access access;
    private final Executor blocking;
    private final Clock clock;

    public AnalyticsRoutes(Analytics analytics, dev.codexledger.policy.PolicySessions policySessions, Access access,
                           Executor blocking, Clock clock) {
        this.analytics = analytics;
        this.policySessions = policySessions;
        this.access = access;
        this.blocking = blocking;
        this.clock = clock;
    }

    public Route routes() {
        return pathPrefix("analytics", () -> pathPrefix("codex", () -> pathPrefix("workspaces", () ->
                workspace(workspace -> get(() -> concat(
                        path("usage", () -> paged(Endpoint.ANALYTICS_USAGE, workspace, AnalyticsReports::usage)),
                        path("code_reviews", () -> paged(Endpoint.ANALYTICS_CODE_REVIEWS, workspace,
                                AnalyticsReports::codeReviews)),
                        path("code_review_responses", () -> paged(Endpoint.ANALYTICS_CODE_REVIEW_RESPONSES,
                                workspace, AnalyticsReports::codeReviewResponses)),
                        path("users", () -> access.allow(Endpoint.ANALYTICS_USERS, workspace, key ->
                                parameterMap(params -> Blocking.answer(blocking, () -> users(workspace, params))))),
                        path("policy_compliance", () -> access.allow(Endpoint.ANALYTICS_POLICY_COMPLIANCE, workspace,
                                key -> parameterMap(params -> Blocking.answer(blocking,
                                        () -> policyCompliance(workspace, params)))))))))));
    }

    private interface Report {
        List<AnalyticsReports.Keyed> rows(List<AnalyticsStore.StoredRow> rows, AnalyticsReports.Range range,
                                          AnalyticsReports.Period period, boolean perUser);
    }

    private Route paged(Endpoint endpoint, String workspace, Report report) {
        return access.allow(endpoint, workspace, key -> parameterMap(params ->
                Blocking.answer(blocking, () -> page(workspace, report, params))));
    }

    private HttpResponse page(String workspace, Report report, Map<String, String> params) {
        AnalyticsParameters.only(params, Set.of("start_time", "end_time", "group_by", "group", "limit", "page"));
        AnalyticsReports.Range range = AnalyticsParameters.range(params, clock);
        AnalyticsReports.Period period = switch (params.getOrDefault("group_by", "day")) {
            case "day" -> AnalyticsReports.Period.DAY;
            case "week" -> AnalyticsReports.Period.WEEK;
            default -> throw new BadRequest("group_by", "day or week");
        };
        boolean perUser = switch (params.getOrDefault("group", "workspace")) {
            case "workspace" -> false;
            case "user" -> true;
            default -> throw new BadRequest("group", "workspace or user");
        };
        int limit = AnalyticsParameters.limit(params);
        String after = AnalyticsParameters.page(params);
        List<AnalyticsReports.Keyed> rows = report.rows(analytics.rows(workspace, range.first(), range.last()),
                range, period, perUser);
        List<JsonNode> data = new ArrayList<>();
        String last = null;
        boolean more = false;
        for (AnalyticsReports.Keyed row : rows) {
            if (after != null && row.cursor().compareTo(after) <= 0) {
                continue;
            }
            if (data.size() == limit) {
                more = true;
                break;
            }
            data.add(row.json());
            last = row.cursor();
        }
        return ApiErrors.ok(new Page("page", data, more, more ? AnalyticsParameters.nextPage(last) : null));
    }

    /**
     * Codex sessions per day (UTC, by their start) as the policy judge found them: compliant, violation,
     * unknown (telemetry silent on a requirement) or unruled (no policy or rule applied), the share
     * compliant among the judged, and the same per policy group. Every day of the period has a row.
     */
    private HttpResponse policyCompliance(String workspace, Map<String, String> params) {
        AnalyticsParameters.only(params, Set.of("start_time", "end_time"));
        AnalyticsReports.Range range = AnalyticsParameters.range(params, clock);
        Map<java.time.LocalDate, List<dev.codexledger.policy.PolicySessions.Session>> byDay = new java.util.TreeMap<>();
        for (dev.codexledger.policy.PolicySessions.Session session : policySessions.between(workspace, range.first(), range.last())) {
            byDay.computeIfAbsent(session.day(), d -> new ArrayList<>()).add(session);
        }
        List<JsonNode> data = new ArrayList<>();
        for (java.time.LocalDate day = range.first(); !day.isAfter(range.last()); day = day.plusDays(1)) {
            List<dev.codexledger.policy.PolicySessions.Session> sessions = byDay.getOrDefault(day, List.of());
            long start = day.atStartOfDay(java.time.ZoneOffset.UTC).toEpochSecond();
            ObjectNode row = counts(sessions).put("object", "codex.analytics.bucket").put("start_time", start)
                    .put("end_time", start + 86_400).put("date", day.toString());
            com.fasterxml.jackson.databind.node.ArrayNode groups = row.putArray("by_policy_group");
            Map<String, List<dev.codexledger.policy.PolicySessions.Session>> byGroup = new java.util.TreeMap<>();
            sessions.stream().filter(s -> s.group() != null)
                    .forEach(s -> byGroup.computeIfAbsent(s.group(), g -> new ArrayList<>()).add(s));
            byGroup.forEach((group, inGroup) -> groups.add(counts(inGroup).put("policy_group", group)));
            data.add(row);
        }
        return ApiErrors.ok(new Page("page", data, false, null));
    }

    private static ObjectNode counts(List<dev.codexledger.policy.PolicySessions.Session> sessions) {
        ObjectNode counts = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        counts.put("sessions", sessions.size());
        for (String verdict : dev.codexledger.policy.PolicySessions.VERDICTS) {
            counts.put(verdict, sessions.stream().filter(s -> s.verdict().equals(verdict)).count());
        }
        long judged = sessions.size() - counts.get("unruled").asLong();
        if (judged == 0) {
            counts.putNull("share_compliant");
        } else {
            counts.put("share_compliant", Math.round(counts.get("compliant").asLong() * 10_000.0 / judged) / 10_000.0);
        }
        return counts;
    }

    private HttpResponse users(String workspace, Map<String, String> params) {
        AnalyticsParameters.only(params, Set.of("start_time", "end_time", "sort", "limit"));
        AnalyticsReports.Range range = AnalyticsParameters.range(params, clock);
        String sort = params.getOrDefault("sort", "credits");
        Function<ObjectNode, Double> by = switch (sort) {
            case "credits" -> u -> u.get("credits").asDouble();
            case "threads", "turns", "streak", "active_days" -> u -> u.get(sort).asDouble();
            case "tokens" -> u -> u.get("tokens").get("total").asDouble();
            default -> throw new BadRequest("sort", "credits, threads, turns, tokens, active_days or streak");
        };
        int limit = AnalyticsParameters.limit(params);
        List<ObjectNode> users = new ArrayList<>(AnalyticsReports.users(
                analytics.rows(workspace, range.first(), range.last())));
        users.sort(Comparator.comparing(by).reversed().thenComparing(u -> u.get("user_id").asText()));
        return ApiErrors.ok(new Users("list", users.stream().limit(limit).toList(), users.size() > limit));
    }
}

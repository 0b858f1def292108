package dev.codexledger.analytics;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.budget.BudgetBook;
import dev.codexledger.budget.BudgetSpec;
import dev.codexledger.budget.Budgets;
import dev.codexledger.budget.Credits;
import dev.codexledger.budget.WorkspaceBudget;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.Blocking;
import dev.codexledger.records.InvalidRecords;
import dev.codexledger.workspace.WorkspaceId;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /v1/analytics/codex/workspaces/{ws}/…} ({@code analytics.read}): the Codex Analytics API's
 * {@code usage}, {@code code_reviews} and {@code code_review_responses}, a per-user ranking
 * ({@code users}) and CSV/JSON exports. Answers from the maintained daily rows, never from records.
 */
public final class AnalyticsRoutes {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_DAYS = 400;
    static final int DEFAULT_DAYS = 30;
    static final int DEFAULT_LIMIT = 30;
    static final int MAX_LIMIT = 1000;
    static final List<String> SERIES = List.of("daily_users_by_surface", "user_activity", "usage_by_model",
            "budget_by_team");
    private static final ContentType CSV = ContentTypes.create(MediaTypes.TEXT_CSV, org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8);

    private final Analytics analytics;
    private final Budgets budgets;
    private final Access access;
    private final Executor blocking;
    private final Clock clock;

    public AnalyticsRoutes(Analytics analytics, Budgets budgets, Access access, Executor blocking, Clock clock) {
        this.analytics = analytics;
        this.budgets = budgets;
        this.access = access;
        this.blocking = blocking;
        this.clock = clock;
    }

    public Route routes() {
        return pathPrefix("analytics", () -> pathPrefix("codex", () -> pathPrefix("workspaces", () ->
                pathPrefix(segment(), workspace -> {
                    if (!WorkspaceId.isValid(workspace)) {
                        return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, WorkspaceId.RULE, "workspace"));
                    }
                    return get(() -> concat(
                            path("usage", () -> paged(Endpoint.ANALYTICS_USAGE, workspace, AnalyticsReports::usage)),
                            path("code_reviews", () -> paged(Endpoint.ANALYTICS_CODE_REVIEWS, workspace,
                                    AnalyticsReports::codeReviews)),
                            path("code_review_responses", () -> paged(Endpoint.ANALYTICS_CODE_REVIEW_RESPONSES,
                                    workspace, AnalyticsReports::codeReviewResponses)),
                            path("users", () -> access.allow(Endpoint.ANALYTICS_USERS, workspace, key ->
                                    parameterMap(params -> answer(() -> users(workspace, params))))),
                            pathPrefix("exports", () -> path(segment(), series ->
                                    access.allow(Endpoint.ANALYTICS_EXPORT, workspace, key ->
                                            parameterMap(params -> export(workspace, series, params)))))));
                }))));
    }

    private interface Report {
        List<AnalyticsReports.Keyed> rows(List<AnalyticsStore.StoredRow> rows, AnalyticsReports.Range range,
                                          AnalyticsReports.Period period, boolean perUser);
    }

    private Route paged(Endpoint endpoint, String workspace, Report report) {
        return access.allow(endpoint, workspace, key -> parameterMap(params -> answer(() -> {
            only(params, Set.of("start_time", "end_time", "group_by", "group", "limit", "page"));
            AnalyticsReports.Range range = range(params);
            AnalyticsReports.Period period = switch (params.getOrDefault("group_by", "day")) {
                case "day" -> AnalyticsReports.Period.DAY;
                case "week" -> AnalyticsReports.Period.WEEK;
                default -> throw new InvalidRecords("group_by", "day or week");
            };
            boolean perUser = switch (params.getOrDefault("group", "workspace")) {
                case "workspace" -> false;
                case "user" -> true;
                default -> throw new InvalidRecords("group", "workspace or user");
            };
            int limit = limit(params);
            String after = page(params);
            List<AnalyticsReports.Keyed> rows = report.rows(analytics.rows(workspace, range.first(), range.last()),
                    range, period, perUser);
            ArrayNode data = JSON.createArrayNode();
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
            ObjectNode body = JSON.createObjectNode().put("object", "page");
            body.set("data", data);
            body.put("has_more", more);
            body.put("next_page", more ? encode(last) : null);
            return ApiErrors.json(StatusCodes.OK, body);
        })));
    }

    private HttpResponse users(String workspace, Map<String, String> params) {
        only(params, Set.of("start_time", "end_time", "sort", "limit"));
        AnalyticsReports.Range range = range(params);
        String sort = params.getOrDefault("sort", "credits");
        Function<ObjectNode, Double> by = switch (sort) {
            case "credits" -> u -> u.get("credits").asDouble();
            case "threads", "turns", "streak", "active_days" -> u -> u.get(sort).asDouble();
            case "tokens" -> u -> u.get("tokens").get("total").asDouble();
            default -> throw new InvalidRecords("sort", "credits, threads, turns, tokens, active_days or streak");
        };
        int limit = limit(params);
        List<ObjectNode> users = new ArrayList<>(AnalyticsReports.users(
                analytics.rows(workspace, range.first(), range.last())));
        users.sort(java.util.Comparator.comparing(by).reversed()
                .thenComparing(u -> u.get("user_id").asText()));
        ObjectNode body = JSON.createObjectNode().put("object", "list");
        ArrayNode data = body.putArray("data");
        users.stream().limit(limit).forEach(data::add);
        body.put("has_more", users.size() > limit);
        return ApiErrors.json(StatusCodes.OK, body);
    }

    // ---------------------------------------------------------------- exports

    /** A table: column names and rows of values in that order. */
    record Table(List<String> columns, List<List<Object>> rows) {}

    private Route export(String workspace, String series, Map<String, String> params) {
        CompletableFuture<HttpResponse> answer;
        try {
            only(params, Set.of("start_time", "end_time", "format"));
            String format = params.getOrDefault("format", "csv");
            if (!format.equals("csv") && !format.equals("json")) {
                throw new InvalidRecords("format", "csv or json");
            }
            if (!SERIES.contains(series)) {
                throw new InvalidRecords("series", "one of " + SERIES);
            }
            AnalyticsReports.Range range = range(params);
            CompletableFuture<Table> table = series.equals("budget_by_team")
                    ? budgets.<WorkspaceBudget.Status>change(workspace, WorkspaceBudget.GetStatus::new)
                            .thenApply(AnalyticsRoutes::budgetTable).toCompletableFuture()
                    : CompletableFuture.supplyAsync(() -> table(series,
                            analytics.rows(workspace, range.first(), range.last()), range), blocking);
            String name = workspace + "-" + series + "-" + range.first() + "-" + range.last() + "." + format;
            answer = table.thenApply(t -> format.equals("csv") ? csv(t, name) : json(t, series, range, name));
        } catch (InvalidRecords bad) {
            return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, bad.getMessage(), bad.field()));
        }
        return org.apache.pekko.http.javadsl.server.Directives.onComplete(answer, result -> complete(
                result.isSuccess() ? result.get() : ApiErrors.fromFailure(result.failed().get())));
    }

    static Table table(String series, List<AnalyticsStore.StoredRow> rows, AnalyticsReports.Range range) {
        List<List<Object>> out = new ArrayList<>();
        switch (series) {
            case "daily_users_by_surface" -> {
                for (AnalyticsReports.Keyed day : AnalyticsReports.usage(rows, range, AnalyticsReports.Period.DAY,
                        false)) {
                    day.json().get("by_surface").forEach(s -> {
                        if (s.get("active_users").asInt() > 0) {
                            out.add(List.of(day.bucket().toString(), s.get("surface").asText(),
                                    s.get("active_users").asInt()));
                        }
                    });
                }
                return new Table(List.of("date", "surface", "active_users"), out);
            }
            case "user_activity" -> {
                for (ObjectNode user : AnalyticsReports.users(rows)) {
                    out.add(List.of(user.get("user_id").asText(), user.get("threads").asLong(),
                            user.get("turns").asLong(), user.get("credits").decimalValue(),
                            user.get("tokens").get("total").asLong(), user.get("active_days").asInt(),
                            user.get("streak").asInt()));
                }
                return new Table(List.of("user_id", "sessions", "messages", "credits", "tokens", "active_days",
                        "streak"), out);
            }
            default -> {
                for (AnalyticsReports.Keyed day : AnalyticsReports.usage(rows, range, AnalyticsReports.Period.DAY,
                        false)) {
                    day.json().get("by_model").forEach(m -> {
                        if (m.get("turns").asLong() > 0 || m.get("tokens").get("total").asLong() > 0) {
                            out.add(List.of(day.bucket().toString(), m.get("model").asText(), m.get("turns").asLong(),
                                    m.get("credits").decimalValue(), m.get("tokens").get("input").asLong(),
                                    m.get("tokens").get("cached_input").asLong(),
                                    m.get("tokens").get("output").asLong(),
                                    m.get("tokens").get("reasoning").asLong()));
                        }
                    });
                }
                return new Table(List.of("date", "model", "turns", "credits", "input_tokens", "cached_input_tokens",
                        "output_tokens", "reasoning_tokens"), out);
            }
        }
    }

    static Table budgetTable(WorkspaceBudget.Status status) {
        List<List<Object>> out = new ArrayList<>();
        for (BudgetBook.Level level : status.levels()) {
            BudgetSpec spec = status.budgets().stream().filter(b -> b.key().equals(level.key())).findFirst()
                    .orElse(null);
            List<Integer> crossed = status.thresholdsCrossed(level.key());
            long used = level.spentMicros() + level.reservedMicros();
            long percent = level.capMicros() <= 0 ? 0 : Math.round(100.0 * used / level.capMicros());
            String state = crossed.isEmpty() ? "ok" : "crossed " + crossed.get(crossed.size() - 1) + "%";
            out.add(List.of(BudgetSpec.levelOf(level.key()), BudgetSpec.nameOf(level.key()),
                    spec == null || spec.parent() == null ? "" : spec.parent(), level.window(),
                    Credits.toCredits(level.spentMicros()), Credits.toCredits(level.reservedMicros()),
                    Credits.toCredits(level.capMicros()), Credits.toCredits(level.remainingMicros()), percent,
                    spec == null ? "" : spec.thresholds().toString(), state, level.resetsAt().toString()));
        }
        return new Table(List.of("level", "name", "parent", "window", "spent", "reserved", "cap", "remaining",
                "used_percent", "thresholds", "threshold_state", "resets_at"), out);
    }

    private static HttpResponse csv(Table table, String name) {
        StringBuilder text = new StringBuilder(String.join(",", table.columns())).append('\n');
        for (List<Object> row : table.rows()) {
            for (int i = 0; i < row.size(); i++) {
                if (i > 0) {
                    text.append(',');
                }
                text.append(csvField(String.valueOf(row.get(i))));
            }
            text.append('\n');
        }
        return HttpResponse.create().withStatus(StatusCodes.OK)
                .withEntity(HttpEntities.create(CSV, text.toString().getBytes(StandardCharsets.UTF_8)))
                .addHeader(RawHeader.create("Content-Disposition", "attachment; filename=\"" + name + "\""));
    }

    static String csvField(String value) {
        boolean quote = value.contains(",") || value.contains("\"") || value.contains("\n") || value.contains("\r");
        // a leading =, +, - or @ would make a spreadsheet run the cell as a formula
        String safe = !value.isEmpty() && "=+-@".indexOf(value.charAt(0)) >= 0 && !value.matches("-?[0-9.]+")
                ? "'" + value : value;
        return quote || !safe.equals(value) ? "\"" + safe.replace("\"", "\"\"") + "\"" : value;
    }

    private static HttpResponse json(Table table, String series, AnalyticsReports.Range range, String name) {
        ObjectNode body = JSON.createObjectNode().put("series", series)
                .put("start_date", range.first().toString()).put("end_date", range.last().toString());
        ArrayNode data = body.putArray("data");
        for (List<Object> row : table.rows()) {
            ObjectNode item = data.addObject();
            for (int i = 0; i < row.size(); i++) {
                item.set(table.columns().get(i), JSON.valueToTree(row.get(i)));
            }
        }
        return ApiErrors.json(StatusCodes.OK, body)
                .addHeader(RawHeader.create("Content-Disposition", "attachment; filename=\"" + name + "\""));
    }

    // ---------------------------------------------------------------- parameters

    private static void only(Map<String, String> params, Set<String> known) {
        for (String name : params.keySet()) {
            if (!known.contains(name)) {
                throw new InvalidRecords(name, "unknown parameter; known: " + new java.util.TreeSet<>(known));
            }
        }
    }

    /** {@code start_time} / {@code end_time}: Unix seconds; whole UTC days from start's to the one before end. */
    AnalyticsReports.Range range(Map<String, String> params) {
        long now = clock.instant().getEpochSecond();
        long end = seconds(params, "end_time", now);
        long start = seconds(params, "start_time", end - TimeUnit.DAYS.toSeconds(DEFAULT_DAYS));
        if (start >= end) {
            throw new InvalidRecords("end_time", "must be after start_time");
        }
        LocalDate first = LocalDate.ofInstant(Instant.ofEpochSecond(start), ZoneOffset.UTC);
        LocalDate last = LocalDate.ofInstant(Instant.ofEpochSecond(end - 1), ZoneOffset.UTC);
        AnalyticsReports.Range range = new AnalyticsReports.Range(first, last);
        if (range.days() > MAX_DAYS) {
            throw new InvalidRecords("start_time", "at most " + MAX_DAYS + " days from start_time to end_time");
        }
        return range;
    }

    private static long seconds(Map<String, String> params, String name, long otherwise) {
        String value = params.get(name);
        if (value == null) {
            return otherwise;
        }
        try {
            long seconds = Long.parseLong(value);
            if (seconds < 0 || seconds > 253_402_300_799L) {
                throw new NumberFormatException();
            }
            return seconds;
        } catch (NumberFormatException e) {
            throw new InvalidRecords(name, "Unix time in seconds, e.g. 1767225600");
        }
    }

    private static int limit(Map<String, String> params) {
        String value = params.get("limit");
        if (value == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new InvalidRecords("limit", "an integer from 1 to " + MAX_LIMIT);
    }

    private static String page(Map<String, String> params) {
        String value = params.get("page");
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            String cursor = new String(Base64.getUrlDecoder().decode(value), StandardCharsets.UTF_8);
            LocalDate.parse(cursor.substring(0, cursor.indexOf('|')));
            return cursor;
        } catch (RuntimeException e) {
            throw new InvalidRecords("page", "not a next_page value from an earlier answer");
        }
    }

    private static String encode(String cursor) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(cursor.getBytes(StandardCharsets.UTF_8));
    }

    private Route answer(Supplier<HttpResponse> work) {
        return Blocking.answer(blocking, () -> {
            try {
                return work.get();
            } catch (InvalidRecords bad) {
                return ApiErrors.error(StatusCodes.BAD_REQUEST, bad.getMessage(), bad.field());
            }
        });
    }
}

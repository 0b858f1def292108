package dev.codexledger.analytics;

import static dev.codexledger.http.WorkspacePaths.workspace;
import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.budget.BudgetBook;
import dev.codexledger.budget.BudgetSpec;
import dev.codexledger.budget.BudgetStatus;
import dev.codexledger.budget.Budgets;
import dev.codexledger.budget.Credits;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.BadRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /v1/analytics/codex/workspaces/{ws}/exports/{series}?start_time&end_time&format}
 * ({@code analytics.read}): a series as a CSV (spreadsheet-safe) or JSON attachment — daily users by
 * surface, user activity, usage by model from the daily rows; budgets by team from the workspace's budget.
 */
public final class AnalyticsExportRoutes {

    static final List<String> SERIES = List.of("daily_users_by_surface", "user_activity", "usage_by_model",
            "code_review_users", "code_review_findings", "cloud_tasks", "cli_ide_users",
            "budget_by_team");
    /** Values become JSON as a tree holds them (decimals without trailing zeros), as the export always wrote them. */
    private static final ObjectMapper TREES = new ObjectMapper();
    private static final ContentType CSV = ContentTypes.create(MediaTypes.TEXT_CSV, HttpCharsets.UTF_8);

    /** A table: column names and rows of values in that order. */
    record Table(List<String> columns, List<List<Object>> rows) {}

    /** A series as JSON: one object per row, its columns in order. */
    record Export(String series, @JsonProperty("start_date") String startDate,
                  @JsonProperty("end_date") String endDate, List<Map<String, JsonNode>> data) {}

    private final Analytics analytics;
    private final Budgets budgets;
    private final Access access;
    private final Executor blocking;
    private final Clock clock;

    public AnalyticsExportRoutes(Analytics analytics, Budgets budgets, Access access, Executor blocking, Clock clock) {
        this.analytics = analytics;
        this.budgets = budgets;
        this.access = access;
        this.blocking = blocking;
        this.clock = clock;
    }

    public Route routes() {
        return pathPrefix("analytics", () -> pathPrefix("codex", () -> pathPrefix("workspaces", () ->
                workspace(workspace -> get(() -> pathPrefix("exports", () -> path(segment(), series ->
                        access.allow(Endpoint.ANALYTICS_EXPORT, workspace, key ->
                                parameterMap(params -> export(workspace, series, params))))))))));
    }

    private Route export(String workspace, String series, Map<String, String> params) {
        AnalyticsParameters.only(params, Set.of("start_time", "end_time", "format"));
        String format = params.getOrDefault("format", "csv");
        if (!format.equals("csv") && !format.equals("json")) {
            throw new BadRequest("format", "csv or json");
        }
        if (!SERIES.contains(series)) {
            throw new BadRequest("series", "one of " + SERIES);
        }
        AnalyticsReports.Range range = AnalyticsParameters.range(params, clock);
        CompletionStage<Table> table = series.equals("budget_by_team")
                ? budgets.status(workspace).thenApply(AnalyticsExportRoutes::budgetTable)
                : CompletableFuture.supplyAsync(() -> table(series,
                        analytics.rows(workspace, range.first(), range.last()), range), blocking);
        String name = workspace + "-" + series + "-" + range.first() + "-" + range.last() + "." + format;
        return onSuccess(table, t -> complete(format.equals("csv") ? csv(t, name) : json(t, series, range, name)));
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
            case "code_review_users" -> {
                // each user with a review, comment, reply or reaction that day, with what they did
                for (Map.Entry<String, long[]> entry : perDayAndKey(rows, range, row -> AnalyticsReports.codeReviewActivity(row)
                        && !Facts.UNKNOWN.equals(row.key().user()), row -> row.key().user()).entrySet()) {
                    long[] c = entry.getValue();
                    String[] key = entry.getKey().split("\n", 2);
                    out.add(List.of(key[0], key[1], at(c, Metric.REVIEWS), at(c, Metric.COMMENTS), at(c, Metric.REPLIES),
                            at(c, Metric.REACTIONS_POSITIVE), at(c, Metric.REACTIONS_NEGATIVE)));
                }
                return new Table(List.of("date", "user_id", "reviews", "comments", "replies", "reactions_positive",
                        "reactions_negative"), out);
            }
            case "code_review_findings" -> {
                // per day: the reviews, their comments (findings) by priority, and the feedback on them
                for (Map.Entry<String, long[]> entry : perDayAndKey(rows, range, AnalyticsReports::codeReviewActivity,
                        row -> "").entrySet()) {
                    long[] c = entry.getValue();
                    out.add(List.of(entry.getKey().split("\n", 2)[0], at(c, Metric.REVIEWS), at(c, Metric.COMMENTS),
                            at(c, Metric.COMMENTS_P0), at(c, Metric.COMMENTS_P1), at(c, Metric.COMMENTS_P2),
                            at(c, Metric.REPLIES), at(c, Metric.REACTIONS_POSITIVE), at(c, Metric.REACTIONS_NEGATIVE)));
                }
                return new Table(List.of("date", "reviews", "comments", "comments_p0", "comments_p1", "comments_p2",
                        "replies", "reactions_positive", "reactions_negative"), out);
            }
            case "cloud_tasks" -> {
                // a cloud task is a thread (conversation) started on the cloud surface, on the day of its first record
                // (a task of no known user is listed as user "unknown", so the tasks add up to the chart's)
                for (Map.Entry<String, long[]> entry : perDayAndKey(rows, range, row -> CLOUD.equals(row.key().surface())
                        && row.get(Metric.EVENTS) > 0,
                        row -> row.key().user()).entrySet()) {
                    long[] c = entry.getValue();
                    String[] key = entry.getKey().split("\n", 2);
                    out.add(List.of(key[0], key[1], at(c, Metric.THREADS), at(c, Metric.TURNS),
                            Credits.toCredits(at(c, Metric.CREDITS))));
                }
                return new Table(List.of("date", "user_id", "tasks", "turns", "credits"), out);
            }
            case "cli_ide_users" -> {
                // each user active on the CLI or in an IDE extension (VS Code, JetBrains) that day, per surface
                for (Map.Entry<String, long[]> entry : perDayAndKey(rows, range, row -> LOCAL.contains(row.key().surface())
                        && row.get(Metric.EVENTS) > 0 && !Facts.UNKNOWN.equals(row.key().user()),
                        row -> row.key().surface() + "\n" + row.key().user()).entrySet()) {
                    long[] c = entry.getValue();
                    String[] key = entry.getKey().split("\n", 3);
                    out.add(List.of(key[0], key[1], key[2], at(c, Metric.THREADS), at(c, Metric.TURNS)));
                }
                return new Table(List.of("date", "surface", "user_id", "sessions", "messages"), out);
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

    private static final String CLOUD = "cloud";
    private static final java.util.Set<String> LOCAL = java.util.Set.of("cli", "ide");

    private static long at(long[] counts, Metric metric) {
        return counts[metric.ordinal()];
    }

    /** Counts summed per "day\nkey" of the rows in range that {@code keep} keeps, in (day, key) order. */
    private static java.util.SortedMap<String, long[]> perDayAndKey(List<AnalyticsStore.StoredRow> rows,
            AnalyticsReports.Range range, java.util.function.Predicate<AnalyticsStore.StoredRow> keep,
            java.util.function.Function<AnalyticsStore.StoredRow, String> key) {
        java.util.SortedMap<String, long[]> sums = new java.util.TreeMap<>();
        for (AnalyticsStore.StoredRow row : rows) {
            if (row.day().isBefore(range.first()) || row.day().isAfter(range.last()) || !keep.test(row)) {
                continue;
            }
            long[] sum = sums.computeIfAbsent(row.day() + "\n" + key.apply(row), k -> new long[Metric.COUNT]);
            for (int i = 0; i < Metric.COUNT; i++) {
                sum[i] += row.counts()[i];
            }
        }
        return sums;
    }

    static Table budgetTable(BudgetStatus status) {
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
        List<Map<String, JsonNode>> data = new ArrayList<>();
        for (List<Object> row : table.rows()) {
            Map<String, JsonNode> item = new LinkedHashMap<>();
            for (int i = 0; i < row.size(); i++) {
                item.put(table.columns().get(i), TREES.valueToTree(row.get(i)));
            }
            data.add(item);
        }
        return ApiErrors.ok(new Export(series, range.first().toString(), range.last().toString(), data))
                .addHeader(RawHeader.create("Content-Disposition", "attachment; filename=\"" + name + "\""));
    }
}

package dev.codexledger.analytics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.budget.Credits;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns stored analytics rows into the API's rows: buckets of a day or an ISO week (Monday to Sunday,
 * UTC), for the whole workspace or per user. Pure: no I/O.
 */
final class AnalyticsReports {

    private static final ObjectMapper JSON = new ObjectMapper();

    enum Period { DAY, WEEK }

    /** Whole UTC days, {@code first} to {@code last} inclusive. */
    record Range(LocalDate first, LocalDate last) {
        long days() {
            return ChronoUnit.DAYS.between(first, last) + 1;
        }
    }

    /** One row of an answer with the key it is ordered (and paged) by. */
    record Keyed(LocalDate bucket, String user, ObjectNode json) implements Comparable<Keyed> {
        String cursor() {
            return bucket + "|" + (user == null ? "" : user);
        }

        @Override
        public int compareTo(Keyed other) {
            int byBucket = bucket.compareTo(other.bucket);
            return byBucket != 0 ? byBucket : String.valueOf(user).compareTo(String.valueOf(other.user));
        }
    }

    /** Sums of counts, with the users active in them. */
    static final class Totals {
        final long[] counts = new long[Metric.COUNT];
        final Set<String> activeUsers = new HashSet<>();

        void add(AnalyticsStore.StoredRow row) {
            for (int i = 0; i < Metric.COUNT; i++) {
                counts[i] += row.counts()[i];
            }
            if (row.get(Metric.EVENTS) > 0 && !Facts.UNKNOWN.equals(row.key().user())) {
                activeUsers.add(row.key().user());
            }
        }

        long get(Metric metric) {
            return counts[metric.ordinal()];
        }
    }

    private AnalyticsReports() {}

    static LocalDate bucketOf(LocalDate day, Period period) {
        return period == Period.DAY ? day : day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
    }

    /** The buckets of a range, in order. */
    static List<LocalDate> buckets(Range range, Period period) {
        List<LocalDate> buckets = new ArrayList<>();
        for (LocalDate b = bucketOf(range.first(), period); !b.isAfter(range.last());
             b = period == Period.DAY ? b.plusDays(1) : b.plusWeeks(1)) {
            buckets.add(b);
        }
        return buckets;
    }

    /** Usage rows: threads, turns, credits, tokens, active users, per surface and per model. */
    static List<Keyed> usage(List<AnalyticsStore.StoredRow> rows, Range range, Period period, boolean perUser) {
        return grouped(rows, range, period, perUser, row -> row.get(Metric.EVENTS) > 0
                || row.get(Metric.CREDITS) > 0, (bucketRows, json) -> {
            Totals all = new Totals();
            Map<String, Totals> bySurface = new TreeMap<>();
            Map<String, Totals> byModel = new TreeMap<>();
            for (AnalyticsStore.StoredRow row : bucketRows) {
                all.add(row);
                bySurface.computeIfAbsent(row.key().surface(), s -> new Totals()).add(row);
                byModel.computeIfAbsent(row.key().model(), m -> new Totals()).add(row);
            }
            usageFields(json, all, !perUser);
            ArrayNode surfaces = json.putArray("by_surface");
            bySurface.forEach((surface, totals) -> usageFields(surfaces.addObject().put("surface", surface), totals,
                    true));
            ArrayNode models = json.putArray("by_model");
            byModel.forEach((model, totals) -> usageFields(models.addObject().put("model", model), totals, !perUser));
        });
    }

    private static void usageFields(ObjectNode json, Totals totals, boolean activeUsers) {
        json.put("threads", totals.get(Metric.THREADS))
                .put("turns", totals.get(Metric.TURNS))
                .put("events", totals.get(Metric.EVENTS))
                .put("credits", Credits.toCredits(totals.get(Metric.CREDITS)));
        tokens(json.putObject("tokens"), totals);
        if (activeUsers) {
            json.put("active_users", totals.activeUsers.size());
        }
    }

    static void tokens(ObjectNode json, Totals totals) {
        json.put("input", totals.get(Metric.INPUT_TOKENS))
                .put("cached_input", totals.get(Metric.CACHED_INPUT_TOKENS))
                .put("output", totals.get(Metric.OUTPUT_TOKENS))
                .put("reasoning", totals.get(Metric.REASONING_TOKENS))
                .put("total", totals.get(Metric.INPUT_TOKENS) + totals.get(Metric.OUTPUT_TOKENS));
    }

    /** Code reviews: reviews and their comments by priority. */
    static List<Keyed> codeReviews(List<AnalyticsStore.StoredRow> rows, Range range, Period period, boolean perUser) {
        return grouped(rows, range, period, perUser, row -> row.get(Metric.REVIEWS) + row.get(Metric.COMMENTS) > 0,
                (bucketRows, json) -> {
                    Totals all = sum(bucketRows);
                    json.put("reviews", all.get(Metric.REVIEWS)).put("comments", all.get(Metric.COMMENTS));
                    json.putObject("comments_by_priority")
                            .put("P0", all.get(Metric.COMMENTS_P0))
                            .put("P1", all.get(Metric.COMMENTS_P1))
                            .put("P2", all.get(Metric.COMMENTS_P2));
                    if (!perUser) {
                        json.put("users", codeReviewUsers(bucketRows).size());
                    }
                });
    }

    /** The metrics a code-review user has: a review, a comment, a reply or a reaction. */
    static final List<Metric> CODE_REVIEW_ACTIVITY = List.of(Metric.REVIEWS, Metric.COMMENTS, Metric.REPLIES,
            Metric.REACTIONS_POSITIVE, Metric.REACTIONS_NEGATIVE);

    static boolean codeReviewActivity(AnalyticsStore.StoredRow row) {
        return CODE_REVIEW_ACTIVITY.stream().anyMatch(m -> row.get(m) > 0);
    }

    /** Code-review users of some rows: users (known) with a review, comment, reply or reaction in them. */
    static Set<String> codeReviewUsers(List<AnalyticsStore.StoredRow> rows) {
        Set<String> users = new java.util.TreeSet<>();
        for (AnalyticsStore.StoredRow row : rows) {
            if (codeReviewActivity(row) && !Facts.UNKNOWN.equals(row.key().user())) {
                users.add(row.key().user());
            }
        }
        return users;
    }

    /** Responses to code reviews: replies and reactions. */
    static List<Keyed> codeReviewResponses(List<AnalyticsStore.StoredRow> rows, Range range, Period period,
                                           boolean perUser) {
        return grouped(rows, range, period, perUser, row -> row.get(Metric.REPLIES)
                + row.get(Metric.REACTIONS_POSITIVE) + row.get(Metric.REACTIONS_NEGATIVE) > 0, (bucketRows, json) -> {
                    Totals all = sum(bucketRows);
                    json.put("replies", all.get(Metric.REPLIES));
                    json.putObject("reactions")
                            .put("positive", all.get(Metric.REACTIONS_POSITIVE))
                            .put("negative", all.get(Metric.REACTIONS_NEGATIVE));
                });
    }

    private static Totals sum(List<AnalyticsStore.StoredRow> rows) {
        Totals totals = new Totals();
        rows.forEach(totals::add);
        return totals;
    }

    /**
     * Per user over the whole range, for rankings: credits, threads, turns, tokens, active days and the
     * longest run of consecutive active days (streak).
     */
    static List<ObjectNode> users(List<AnalyticsStore.StoredRow> rows) {
        Map<String, Totals> byUser = new TreeMap<>();
        Map<String, TreeSet<LocalDate>> activeDays = new TreeMap<>();
        for (AnalyticsStore.StoredRow row : rows) {
            if (Facts.UNKNOWN.equals(row.key().user()) || row.get(Metric.EVENTS) == 0) {
                continue;
            }
            byUser.computeIfAbsent(row.key().user(), u -> new Totals()).add(row);
            activeDays.computeIfAbsent(row.key().user(), u -> new TreeSet<>()).add(row.day());
        }
        List<ObjectNode> users = new ArrayList<>();
        byUser.forEach((user, totals) -> {
            TreeSet<LocalDate> days = activeDays.get(user);
            ObjectNode json = JSON.createObjectNode().put("user_id", user)
                    .put("credits", Credits.toCredits(totals.get(Metric.CREDITS)))
                    .put("threads", totals.get(Metric.THREADS))
                    .put("turns", totals.get(Metric.TURNS));
            tokens(json.putObject("tokens"), totals);
            json.put("active_days", days.size()).put("streak", longestRun(days))
                    .put("last_active", days.last().toString());
            users.add(json);
        });
        return users;
    }

    static int longestRun(TreeSet<LocalDate> days) {
        int best = 0;
        int run = 0;
        LocalDate previous = null;
        for (LocalDate day : days) {
            run = previous != null && previous.plusDays(1).equals(day) ? run + 1 : 1;
            best = Math.max(best, run);
            previous = day;
        }
        return best;
    }

    private interface Filler {
        void fill(List<AnalyticsStore.StoredRow> rows, ObjectNode json);
    }

    /**
     * Rows per bucket (every bucket of the range for the workspace; for users, the (bucket, user) pairs with
     * rows that {@code relevant} keeps), each with its bucket's start and end as Unix seconds.
     */
    private static List<Keyed> grouped(List<AnalyticsStore.StoredRow> rows, Range range, Period period,
                                       boolean perUser, java.util.function.Predicate<AnalyticsStore.StoredRow> relevant,
                                       Filler filler) {
        Map<LocalDate, Map<String, List<AnalyticsStore.StoredRow>>> byBucket = new TreeMap<>();
        for (LocalDate bucket : buckets(range, period)) {
            byBucket.put(bucket, new TreeMap<>());
        }
        for (AnalyticsStore.StoredRow row : rows) {
            if (row.day().isBefore(range.first()) || row.day().isAfter(range.last())) {
                continue;
            }
            if (perUser && !relevant.test(row)) {
                continue;
            }
            String user = perUser ? row.key().user() : "";
            byBucket.get(bucketOf(row.day(), period)).computeIfAbsent(user, u -> new ArrayList<>()).add(row);
        }
        List<Keyed> out = new ArrayList<>();
        byBucket.forEach((bucket, users) -> {
            if (!perUser) {
                users.putIfAbsent("", List.of());
            }
            users.forEach((user, bucketRows) -> {
                ObjectNode json = JSON.createObjectNode();
                LocalDate from = bucket.isBefore(range.first()) ? range.first() : bucket;
                LocalDate end = period == Period.DAY ? bucket.plusDays(1) : bucket.plusWeeks(1);
                LocalDate to = end.isAfter(range.last().plusDays(1)) ? range.last().plusDays(1) : end;
                json.put("object", "codex.analytics.bucket")
                        .put("start_time", from.atStartOfDay(ZoneOffset.UTC).toEpochSecond())
                        .put("end_time", to.atStartOfDay(ZoneOffset.UTC).toEpochSecond())
                        .put("date", bucket.toString());
                if (perUser) {
                    json.put("user_id", user);
                }
                filler.fill(bucketRows, json);
                out.add(new Keyed(bucket, perUser ? user : null, json));
            });
        });
        out.sort(Comparator.naturalOrder());
        return out;
    }
}

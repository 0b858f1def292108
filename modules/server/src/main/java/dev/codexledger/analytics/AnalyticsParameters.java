package dev.codexledger.analytics;

import dev.codexledger.http.BadRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/** The analytics API's query parameters, read into values; anything wrong is a {@link BadRequest} naming it. */
final class AnalyticsParameters {

    static final int MAX_DAYS = 400;
    static final int DEFAULT_DAYS = 30;
    static final int DEFAULT_LIMIT = 30;
    static final int MAX_LIMIT = 1000;
    private static final long LAST_SECOND = 253_402_300_799L; // 9999-12-31T23:59:59Z

    private AnalyticsParameters() {}

    static void only(Map<String, String> params, Set<String> known) {
        for (String name : params.keySet()) {
            if (!known.contains(name)) {
                throw new BadRequest(name, "unknown parameter; known: " + new TreeSet<>(known));
            }
        }
    }

    /** {@code start_time} / {@code end_time}: Unix seconds; whole UTC days from start's to the one before end. */
    static AnalyticsReports.Range range(Map<String, String> params, Clock clock) {
        long now = clock.instant().getEpochSecond();
        long end = seconds(params, "end_time", now);
        long start = seconds(params, "start_time", end - TimeUnit.DAYS.toSeconds(DEFAULT_DAYS));
        if (start >= end) {
            throw new BadRequest("end_time", "must be after start_time");
        }
        LocalDate first = LocalDate.ofInstant(Instant.ofEpochSecond(start), ZoneOffset.UTC);
        LocalDate last = LocalDate.ofInstant(Instant.ofEpochSecond(end - 1), ZoneOffset.UTC);
        AnalyticsReports.Range range = new AnalyticsReports.Range(first, last);
        if (range.days() > MAX_DAYS) {
            throw new BadRequest("start_time", "at most " + MAX_DAYS + " days from start_time to end_time");
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
            if (seconds >= 0 && seconds <= LAST_SECOND) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new BadRequest(name, "Unix time in seconds, e.g. 1767225600");
    }

    static int limit(Map<String, String> params) {
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
        throw new BadRequest("limit", "an integer from 1 to " + MAX_LIMIT);
    }

    /** The cursor a {@code next_page} value stands for; null for the first page. */
    static String page(Map<String, String> params) {
        String value = params.get("page");
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            String cursor = new String(Base64.getUrlDecoder().decode(value), StandardCharsets.UTF_8);
            LocalDate.parse(cursor.substring(0, cursor.indexOf('|')));
            return cursor;
        } catch (RuntimeException e) {
            throw new BadRequest("page", "not a next_page value from an earlier answer");
        }
    }

    static String nextPage(String cursor) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(cursor.getBytes(StandardCharsets.UTF_8));
    }
}

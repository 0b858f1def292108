package dev.codexledger.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.LocalDate;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class AnalyticsReportsTest {

    private static final LocalDate SUNDAY = LocalDate.of(2026, 11, 1);

    private static AnalyticsStore.StoredRow row(LocalDate day, String user, String surface, long events, long threads) {
        long[] counts = new long[Metric.COUNT];
        counts[Metric.EVENTS.ordinal()] = events;
        counts[Metric.THREADS.ordinal()] = threads;
        return new AnalyticsStore.StoredRow(day, new Fact.RowKey(user, surface, "m"), 1, counts);
    }

    @Test
    void weeksRunMondayToSundayAndAreClippedToTheRange() {
        AnalyticsReports.Range range = new AnalyticsReports.Range(SUNDAY, SUNDAY.plusDays(7));
        List<AnalyticsReports.Keyed> weeks = AnalyticsReports.usage(List.of(
                row(SUNDAY, "ana", "cli", 1, 1),
                row(SUNDAY.plusDays(1), "ana", "ide", 2, 1),
                row(SUNDAY.plusDays(2), "bo", "cli", 1, 1)), range, AnalyticsReports.Period.WEEK, false);
        assertEquals(List.of(LocalDate.of(2026, 10, 26), LocalDate.of(2026, 11, 2)),
                weeks.stream().map(AnalyticsReports.Keyed::bucket).toList());
        assertEquals(SUNDAY.atStartOfDay(java.time.ZoneOffset.UTC).toEpochSecond(),
                weeks.get(0).json().get("start_time").asLong(), "the first week starts where the range does");
        assertEquals(1, weeks.get(0).json().get("active_users").asInt());
        assertEquals(2, weeks.get(1).json().get("active_users").asInt(), "ana and bo, each once");
        assertEquals(2, weeks.get(1).json().get("threads").asInt());
    }

    @Test
    void usersWithoutActivityAndUnknownUsersAreNotActive() {
        AnalyticsReports.Range range = new AnalyticsReports.Range(SUNDAY, SUNDAY);
        List<AnalyticsReports.Keyed> day = AnalyticsReports.usage(List.of(row(SUNDAY, Facts.UNKNOWN, "cli", 3, 0),
                row(SUNDAY, "bo", "code_review", 0, 0)), range, AnalyticsReports.Period.DAY, false);
        assertEquals(0, day.get(0).json().get("active_users").asInt());
    }

    @Test
    void aStreakIsTheLongestRunOfConsecutiveActiveDays() {
        TreeSet<LocalDate> days = new TreeSet<>(List.of(SUNDAY, SUNDAY.plusDays(1), SUNDAY.plusDays(3),
                SUNDAY.plusDays(4), SUNDAY.plusDays(5), SUNDAY.plusDays(9)));
        assertEquals(3, AnalyticsReports.longestRun(days));
        assertEquals(0, AnalyticsReports.longestRun(new TreeSet<>()));
    }
}

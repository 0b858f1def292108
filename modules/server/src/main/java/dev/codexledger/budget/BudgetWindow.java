package dev.codexledger.budget;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.temporal.TemporalAdjusters;

/** How long a budget's spending counts before it starts again: calendar periods in the configured zone. */
public enum BudgetWindow {
    DAY, WEEK, MONTH;

    /** The first day of the window holding {@code day} (weeks start on Monday). */
    public LocalDate start(LocalDate day) {
        return switch (this) {
            case DAY -> day;
            case WEEK -> day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            case MONTH -> day.withDayOfMonth(1);
        };
    }

    /** The first day after the window holding {@code day}. */
    public LocalDate end(LocalDate day) {
        LocalDate start = start(day);
        return switch (this) {
            case DAY -> start.plusDays(1);
            case WEEK -> start.plusWeeks(1);
            case MONTH -> start.plusMonths(1);
        };
    }

    public static BudgetWindow parse(String value) {
        return valueOf(value.toUpperCase(java.util.Locale.ROOT));
    }

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

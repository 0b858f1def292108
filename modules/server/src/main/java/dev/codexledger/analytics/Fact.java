package dev.codexledger.analytics;

import java.time.LocalDate;

/**
 * What one record adds to the analytics: its day (UTC, from the record's timestamp), the row it counts
 * in, its conversation (or null) and its counts, indexed by {@link Metric#ordinal()} ({@link Metric#THREADS}
 * is decided by the workspace's state, not here).
 */
record Fact(long seq, LocalDate day, RowKey row, String conversation, long[] counts) {

    /** A row of {@code analytics_rows} within a day. */
    record RowKey(String user, String surface, String model) {}
}

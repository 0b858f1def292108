package dev.codexledger.analytics;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One workspace's analytics as stored, for the days recently counted: the single writer of its rows
 * (batches reach it one at a time, in sequence order). Counting is exact: a row holds the last sequence
 * number counted into it, and a record counts in a row only if its sequence number is above that. Rows
 * are written with absolute values (never Cassandra counters, which a retried write would count twice);
 * a thread (conversation) counts once, in the row of its first record, and is remembered in
 * {@code analytics_threads} after the rows that counted it are written; the workspace's progress is
 * written last. After a failed write the caller drops this object and counts on from what is stored.
 */
final class WorkspaceAnalytics {

    private static final int DAYS_KEPT = 40;

    private final String workspace;
    private final AnalyticsStore store;
    private AnalyticsStore.Progress progress;
    private final Map<LocalDate, Day> days = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<LocalDate, Day> eldest) {
            return size() > DAYS_KEPT;
        }
    };
    /** Conversations known to be counted, for the node's workspaces together (the others are looked up). */
    private final KnownThreads knownThreads;

    private static final class Day {
        final Map<Fact.RowKey, long[]> counts = new HashMap<>();
        final Map<Fact.RowKey, Long> through = new HashMap<>();

        Day(List<AnalyticsStore.StoredRow> rows) {
            for (AnalyticsStore.StoredRow row : rows) {
                counts.put(row.key(), row.counts());
                through.put(row.key(), row.throughSeq());
            }
        }
    }

    /** Rows live as long as the workspace's records (its retention), from their last update. */
    private final int ttlSeconds;

    WorkspaceAnalytics(String workspace, AnalyticsStore store, java.time.Duration retention, KnownThreads knownThreads) {
        this.workspace = workspace;
        this.store = store;
        this.knownThreads = knownThreads;
        this.ttlSeconds = (int) Math.min(Integer.MAX_VALUE, retention.toSeconds());
        this.progress = store.progress(workspace);
    }

    String workspace() {
        return workspace;
    }

    long countedThrough() {
        return progress.throughSeq();
    }

    long acceptedAtMicros() {
        return progress.acceptedAtMicros();
    }

    /**
     * Counts the facts of the records up to {@code throughSeq} (every record of the range that has one;
     * records at or below a row's counted sequence number are skipped) and stores the result.
     */
    void count(List<Fact> facts, long throughSeq, long acceptedAtMicros) {
        Set<String> threads = threadsCountedBefore(facts);
        Map<LocalDate, Map<Fact.RowKey, Boolean>> touched = new HashMap<>();
        Map<String, LocalDate> newThreads = new LinkedHashMap<>();
        Map<LocalDate, Day> used = new HashMap<>();
        for (Fact fact : facts) {
            Day day = used.computeIfAbsent(fact.day(), this::day);
            boolean counts = fact.seq() > day.through.getOrDefault(fact.row(), 0L);
            touched.computeIfAbsent(fact.day(), d -> new HashMap<>()).merge(fact.row(), counts, Boolean::logicalOr);
            boolean newThread = fact.conversation() != null && threads.add(fact.conversation());
            if (newThread) {
                newThreads.put(fact.conversation(), fact.day());
            }
            if (!counts) {
                continue;
            }
            long[] row = day.counts.computeIfAbsent(fact.row(), k -> new long[Metric.COUNT]);
            for (int i = 0; i < Metric.COUNT; i++) {
                row[i] += fact.counts()[i];
            }
            if (newThread) {
                row[Metric.THREADS.ordinal()]++;
            }
        }
        List<AnalyticsStore.RowWrite> changedRows = new ArrayList<>();
        touched.forEach((date, rows) -> {
            Day day = used.get(date);
            rows.forEach((key, changed) -> {
                if (changed) {
                    day.through.put(key, throughSeq);
                    changedRows.add(new AnalyticsStore.RowWrite(date, key, throughSeq, day.counts.get(key)));
                }
            });
        });
        join(store.write(workspace, changedRows, ttlSeconds));
        List<CompletableFuture<?>> threadWrites = new ArrayList<>();
        newThreads.forEach((conversation, firstDay) ->
                threadWrites.add(store.addThread(workspace, conversation, firstDay, ttlSeconds)));
        join(threadWrites);
        progress = new AnalyticsStore.Progress(throughSeq, Math.max(progress.acceptedAtMicros(), acceptedAtMicros));
        store.setProgress(workspace, progress);
        knownThreads.addAll(workspace, threads); // all stored now: the ones known before and the new ones
    }

    /**
     * The batch's conversations that were counted before it: held in the node's hint, or found in
     * {@code analytics_threads} (parallel point reads). Decided once per call, so an entry the node's
     * hint lets go meanwhile (other workspaces count at the same time) cannot make a thread count twice.
     */
    private Set<String> threadsCountedBefore(List<Fact> facts) {
        Set<String> known = new HashSet<>();
        Set<String> unknown = new LinkedHashSet<>();
        for (Fact fact : facts) {
            String conversation = fact.conversation();
            if (conversation != null && !known.contains(conversation) && !unknown.contains(conversation)) {
                (knownThreads.contains(workspace, conversation) ? known : unknown).add(conversation);
            }
        }
        Map<String, CompletableFuture<Boolean>> lookups = new HashMap<>();
        unknown.forEach(conversation -> lookups.put(conversation, store.threadKnown(workspace, conversation)));
        join(new ArrayList<>(lookups.values()));
        lookups.forEach((conversation, stored) -> {
            if (stored.join()) {
                known.add(conversation);
            }
        });
        return known;
    }

    private Day day(LocalDate date) {
        Day day = days.get(date);
        if (day == null) {
            day = new Day(store.day(workspace, date));
            days.put(date, day);
        }
        return day;
    }

    private static void join(List<? extends CompletableFuture<?>> writes) {
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();
    }
}

package dev.codexledger.budget;

import dev.codexledger.records.ContentFilter;
import dev.codexledger.records.RecordCursor;
import dev.codexledger.records.RecordPage;
import dev.codexledger.records.RecordQuery;
import dev.codexledger.records.RecordTable;
import dev.codexledger.records.StoredRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Reads missing usage back from the records table: the records of the last {@link BudgetBook#KEPT_DAYS}
 * days (older spending is not kept anyway), in sequence order, priced like {@link UsageReporter} does.
 * Blocking reads, on the given executor.
 */
public final class RecordsUsageSource implements UsageSource {

    private final RecordTable table;
    private final PriceBook prices;
    private final Executor executor;
    private final Clock clock;

    public RecordsUsageSource(RecordTable table, PriceBook prices, Executor executor, Clock clock) {
        this.table = table;
        this.prices = prices;
        this.executor = executor;
        this.clock = clock;
    }

    @Override
    public CompletionStage<List<WorkspaceBudget.SeqUsage>> usageBetween(String workspace, long fromSeq, long toSeq) {
        return CompletableFuture.supplyAsync(() -> read(workspace, fromSeq, toSeq), executor);
    }

    private List<WorkspaceBudget.SeqUsage> read(String workspace, long fromSeq, long toSeq) {
        long since = ChronoUnit.MICROS.between(Instant.EPOCH,
                clock.instant().minus(Duration.ofDays(BudgetBook.KEPT_DAYS)));
        RecordQuery query = new RecordQuery(workspace, Optional.of(since), Optional.empty(), Set.of(), Set.of(),
                ContentFilter.NONE, 1000, RecordCursor.START, 10_000);
        List<WorkspaceBudget.SeqUsage> lines = new ArrayList<>();
        while (query != null) {
            RecordPage page = table.read(query);
            for (StoredRecord record : page.records()) {
                if (record.seq() > toSeq) {
                    return lines;
                }
                if (record.seq() >= fromSeq) {
                    long micros = UsageReporter.costOf(prices, record.content(), record.timestampMicros());
                    if (micros > 0) {
                        lines.add(new WorkspaceBudget.SeqUsage(record.seq(), record.userId(), micros,
                                record.timestampMicros()));
                    }
                }
            }
            query = page.next() == null ? null : query.from(page.next());
        }
        return lines;
    }
}

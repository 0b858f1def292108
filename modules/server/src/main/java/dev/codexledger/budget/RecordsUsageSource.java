package dev.codexledger.budget;

import dev.codexledger.records.RecordStore;
import dev.codexledger.workspace.RecordFacts;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Reads missing usage back from the records table: the records of a range of seqs accepted in the last
 * {@link BudgetBook#KEPT_DAYS} days (older spending is not kept anyway), in sequence order, with the facts
 * read again from their content and priced like a written batch. Blocking reads, on the given executor.
 */
public final class RecordsUsageSource implements UsageSource {

    private final RecordStore records;
    private final Pricing prices;
    private final Executor executor;
    private final Clock clock;
    private final Duration acceptSkew;

    /** {@code acceptSkew}: how much earlier than its timestamp a record can have been accepted (clients' clocks run ahead). */
    public RecordsUsageSource(RecordStore records, Pricing prices, Executor executor, Clock clock, Duration acceptSkew) {
        this.records = records;
        this.prices = prices;
        this.executor = executor;
        this.clock = clock;
        this.acceptSkew = acceptSkew;
    }

    @Override
    public CompletionStage<List<WorkspaceBudget.SeqUsage>> usageBetween(String workspace, long fromSeq, long toSeq) {
        return CompletableFuture.supplyAsync(() -> read(workspace, fromSeq, toSeq), executor);
    }

    private List<WorkspaceBudget.SeqUsage> read(String workspace, long fromSeq, long toSeq) {
        long since = ChronoUnit.MICROS.between(Instant.EPOCH,
                clock.instant().minus(Duration.ofDays(BudgetBook.KEPT_DAYS)));
        List<WorkspaceBudget.SeqUsage> lines = new ArrayList<>();
        long acceptedSince = since - TimeUnit.MILLISECONDS.toMicros(acceptSkew.toMillis());
        records.between(workspace, fromSeq, toSeq, acceptedSince, record -> {
            if (record.timestampMicros() < since) {
                return;
            }
            long micros = prices.costMicros(RecordFacts.read(record.content().getBytes(StandardCharsets.UTF_8)),
                    record.timestampMicros());
            if (micros > 0) {
                lines.add(new WorkspaceBudget.SeqUsage(record.seq(), record.userId(), micros, record.timestampMicros()));
            }
        });
        return lines;
    }
}

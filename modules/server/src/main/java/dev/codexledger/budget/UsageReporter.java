package dev.codexledger.budget;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.codexledger.workspace.LedgerReadModel;
import dev.codexledger.workspace.LedgerRecord;
import dev.codexledger.workspace.RecordsAppended;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The ledger's read model, reporting each batch's spending to the workspace's budget once its rows are
 * written (and before the ingest is acknowledged). A batch written again on the ledger's recovery is
 * reported again; the budget skips the sequence numbers it has counted. Usage comes from records that
 * carry a {@code usage} object (Codex's {@code response.completed} telemetry, or JSON records), priced at
 * the record's model and time. The pricing (JSON parsing of the records with usage) runs on
 * {@code executor}, not on the Cassandra driver's I/O thread that completes the write; the ledger waits
 * for it before its next write, so a workspace's reports stay in order.
 */
public final class UsageReporter implements LedgerReadModel {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ByteString USAGE_KEY = ByteString.copyFromUtf8("\"usage\":{");

    private final LedgerReadModel tables;
    private final PriceBook prices;
    private final Budgets budgets;
    private final java.util.concurrent.Executor executor;

    public UsageReporter(LedgerReadModel tables, PriceBook prices, Budgets budgets,
                         java.util.concurrent.Executor executor) {
        this.tables = tables;
        this.prices = prices;
        this.budgets = budgets;
        this.executor = executor;
    }

    @Override
    public CompletionStage<Void> write(String workspace, RecordsAppended batch) {
        return tables.write(workspace, batch).thenApplyAsync(written -> report(workspace, batch), executor);
    }

    @Override
    public CompletionStage<Void> rewrite(String workspace, RecordsAppended batch) {
        return tables.rewrite(workspace, batch).thenApplyAsync(written -> report(workspace, batch), executor);
    }

    @Override
    public CompletionStage<Map<String, dev.codexledger.workspace.Digest>> storedContentHashes(String workspace,
                                                                                        Collection<String> eventIds) {
        return tables.storedContentHashes(workspace, eventIds);
    }

    private Void report(String workspace, RecordsAppended batch) {
        if (batch.isEmpty()) {
            return null;
        }
        List<WorkspaceBudget.SeqUsage> lines = new ArrayList<>();
        for (LedgerRecord record : batch.records()) {
            long micros = costOf(record);
            if (micros > 0) {
                lines.add(new WorkspaceBudget.SeqUsage(record.seq(), record.userId(), micros, record.timestampMicros()));
            }
        }
        budgets.reportUsage(workspace, new WorkspaceBudget.ReportUsage(batch.firstSeq(), batch.lastSeq(), lines));
        return null;
    }

    /** Micro-credits of a record's usage; 0 without one. Cheap for records without: no JSON parsing. */
    long costOf(LedgerRecord record) {
        if (!contains(record.content(), USAGE_KEY)) {
            return 0;
        }
        return costOf(prices, record.contentText(), record.timestampMicros());
    }

    /** Micro-credits of the usage in a record's content (JSON text), at its model's price at its time. */
    static long costOf(PriceBook prices, String content, long timestampMicros) {
        JsonNode json;
        try {
            json = JSON.readTree(content);
        } catch (IOException e) {
            return 0;
        }
        Usage usage = Usage.of(json.get("usage"));
        if (usage.isEmpty()) {
            return 0;
        }
        return prices.priceAt(json.path("model").asText(null), timestampMicros).costMicros(usage);
    }

    /**
     * Whether the content has a {@code "usage":{} key. Searched from the end: canonical content has its
     * keys sorted, so a top-level usage comes after the (large) attributes, near the end.
     */
    static boolean contains(ByteString haystack, ByteString needle) {
        java.nio.ByteBuffer bytes = haystack.asReadOnlyByteBuffer();
        int n = needle.size();
        byte first = needle.byteAt(0);
        outer:
        for (int i = bytes.limit() - n; i >= bytes.position(); i--) {
            if (bytes.get(i) != first) {
                continue;
            }
            for (int j = 1; j < n; j++) {
                if (bytes.get(i + j) != needle.byteAt(j)) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}

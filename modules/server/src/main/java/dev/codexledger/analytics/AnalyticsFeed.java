package dev.codexledger.analytics;

import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.LedgerReadModel;
import dev.codexledger.workspace.RecordsAppended;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/** The ledger's read model, handing each written batch to the {@link Analytics} (which count it later). */
public final class AnalyticsFeed implements LedgerReadModel {

    private final LedgerReadModel tables;
    private final Analytics analytics;

    public AnalyticsFeed(LedgerReadModel tables, Analytics analytics) {
        this.tables = tables;
        this.analytics = analytics;
    }

    @Override
    public CompletionStage<Void> write(String workspace, RecordsAppended batch) {
        return tables.write(workspace, batch).thenApply(written -> {
            analytics.submit(workspace, batch);
            return written;
        });
    }

    @Override
    public CompletionStage<Void> rewrite(String workspace, RecordsAppended batch) {
        return tables.rewrite(workspace, batch).thenApply(written -> {
            analytics.submit(workspace, batch);
            return written;
        });
    }

    @Override
    public CompletionStage<Map<String, Digest>> storedContentHashes(String workspace, Collection<String> eventIds) {
        return tables.storedContentHashes(workspace, eventIds);
    }
}

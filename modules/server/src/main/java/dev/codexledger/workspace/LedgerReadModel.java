package dev.codexledger.workspace;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The tables the ledger materializes its batches into. Writes are idempotent upserts: writing a batch
 * again (after a crash, on recovery) changes nothing but the remaining TTL it would have had anyway.
 */
public interface LedgerReadModel {

    /** Completes once every row of the batch is durable (per the configured consistency). */
    CompletionStage<Void> write(String workspace, RecordsAppended batch);

    /** The content hashes of those of the given ids that are stored in the workspace. */
    CompletionStage<Map<String, Digest>> storedContentHashes(String workspace, Collection<String> eventIds);
}

package dev.codexledger.workspace;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Deletes a ledger's journal events and snapshots older than its latest snapshot: after an erasure, the
 * events that still held the erased content.
 */
public interface JournalCleanup {

    CompletionStage<Void> deleteBeforeLatestSnapshot(String persistenceId);

    /** For unit tests on the in-memory journal. */
    JournalCleanup NONE = persistenceId -> CompletableFuture.completedFuture(null);
}

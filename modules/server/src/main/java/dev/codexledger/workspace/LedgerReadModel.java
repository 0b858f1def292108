package dev.codexledger.workspace;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The tables the ledger materializes its batches into. Writes are idempotent upserts: writing a batch
 * again (after a crash, on recovery) changes nothing but the remaining TTL it would have had anyway.
 */
public interface LedgerReadModel {

    /**
     * Completes once every row of the batch, and the tile entries it adds to the workspace's Merkle tree,
     * are durable (per the configured consistency).
     *
     * @param tree what the batch adds to the tree; null for a workspace without one (see {@link LedgerState#tree})
     */
    CompletionStage<Void> write(String workspace, RecordsAppended batch, TreeWrites tree);

    /**
     * Writes a batch again on recovery: its rows that are missing (a crash between persist and write),
     * leaving the rows that are present as they are, since an erasure may have changed them since; its
     * tile entries all again (they never change).
     */
    default CompletionStage<Void> rewrite(String workspace, RecordsAppended batch, TreeWrites tree) {
        return write(workspace, batch, tree);
    }

    /**
     * The workspace's ledger stops on this node (passivated, or its shard moves to another node): completes
     * once whatever this node still does for the workspace's written batches is finished, so the ledger's
     * next incarnation — here or on another node — is the only one that counts them.
     */
    default CompletionStage<Void> handOver(String workspace) {
        return java.util.concurrent.CompletableFuture.completedFuture(null);
    }

    /** The content hashes of those of the given ids that are stored in the workspace. */
    CompletionStage<Map<String, Digest>> storedContentHashes(String workspace, Collection<String> eventIds);
}

package dev.codexledger.workspace;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Signs and stores a checkpoint (C2SP tlog-checkpoint, a signed note) of a workspace's Merkle tree. Called
 * by the workspace's ledger only, for a tree its writer fence has confirmed: so no two checkpoints of a
 * workspace are ever inconsistent (see docs/architecture.md, "Provable records").
 */
@FunctionalInterface
public interface Checkpointer {

    /** Completes with the signed note once it is stored. */
    CompletionStage<String> sign(String workspace, long size, byte[] root);

    /** Signs nothing (tests of other things): every request fails, saying so. */
    Checkpointer NONE = (workspace, size, root) ->
            CompletableFuture.failedFuture(new IllegalStateException("this ledger signs no checkpoints"));
}

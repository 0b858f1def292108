package dev.codexledger.budget;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The priced usage of a workspace's stored records in a range of sequence numbers: what a budget reads
 * when a report from the ledger is missing (its own journal write failed, or the records were stored
 * before the workspace's budget counted anything).
 */
public interface UsageSource {

    CompletionStage<List<WorkspaceBudget.SeqUsage>> usageBetween(String workspace, long fromSeq, long toSeq);

    UsageSource NONE = (workspace, fromSeq, toSeq) -> CompletableFuture.completedFuture(List.of());
}

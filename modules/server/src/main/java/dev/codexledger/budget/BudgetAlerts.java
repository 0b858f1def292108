package dev.codexledger.budget;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Delivers a fired threshold: an alert record in the workspace's ledger and, when configured, a signed
 * webhook. Completes once both are done (retrying as it sees fit); the entity then persists the
 * delivery, and delivers again after a restart what it had not: at least once, with a stable alert id.
 */
public interface BudgetAlerts {

    CompletionStage<Void> deliver(String workspace, String alertId, BudgetBook.ThresholdCrossing crossing);

    BudgetAlerts NONE = (workspace, alertId, crossing) -> CompletableFuture.completedFuture(null);
}

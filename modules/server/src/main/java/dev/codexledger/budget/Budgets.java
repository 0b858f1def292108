package dev.codexledger.budget;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The way into the workspaces' budget entities: decisions are asked with the decision timeout (when it
 * passes, the routes answer per the failure policy), changes with the longer admin timeout.
 */
public final class Budgets {

    private final ClusterSharding sharding;
    private final Duration decisionTimeout;
    private final Duration adminTimeout;
    private final BudgetViews views;
    private final java.time.Clock clock;

    public Budgets(ActorSystem<?> system, Duration decisionTimeout, Duration adminTimeout, BudgetViews views,
                   java.time.Clock clock) {
        this.sharding = ClusterSharding.get(system);
        this.decisionTimeout = decisionTimeout;
        this.adminTimeout = adminTimeout;
        this.views = views;
        this.clock = clock;
    }

    /**
     * A check: from the entity's published book when it runs on this node (no message, no wait), else
     * asked through sharding within the decision timeout.
     */
    public CompletionStage<BudgetBook.Decision> check(String workspace, String user, long estimateMicros) {
        long now = java.time.temporal.ChronoUnit.MICROS.between(java.time.Instant.EPOCH, clock.instant());
        java.util.Optional<BudgetBook.Decision> local = views.decide(workspace, user, estimateMicros, now);
        return local.isPresent() ? java.util.concurrent.CompletableFuture.completedFuture(local.get())
                : decide(workspace, r -> new WorkspaceBudget.Check(user, estimateMicros, r));
    }

    public <T> CompletionStage<T> decide(String workspace, Function<ActorRef<T>, WorkspaceBudget.Command> command) {
        return sharding.entityRefFor(WorkspaceBudget.ENTITY_TYPE_KEY, workspace).ask(command::apply, decisionTimeout);
    }

    public <T> CompletionStage<T> change(String workspace, Function<ActorRef<T>, WorkspaceBudget.Command> command) {
        return sharding.entityRefFor(WorkspaceBudget.ENTITY_TYPE_KEY, workspace).ask(command::apply, adminTimeout);
    }

    /**
     * Tells the workspace's budget what a written batch spent (records with usage, at their price). A batch
     * reported again (the ledger's recovery) counts nothing twice: the budget skips the seqs it counted.
     */
    public void reportUsage(PricedBatch priced) {
        if (priced.isEmpty()) {
            return;
        }
        java.util.List<WorkspaceBudget.SeqUsage> lines = new java.util.ArrayList<>();
        for (int i = 0; i < priced.costMicros().length; i++) {
            if (priced.costMicros()[i] > 0) {
                dev.codexledger.workspace.LedgerRecord record = priced.records().get(i);
                lines.add(new WorkspaceBudget.SeqUsage(record.seq(), record.userId(), priced.costMicros()[i],
                        record.timestampMicros()));
            }
        }
        sharding.entityRefFor(WorkspaceBudget.ENTITY_TYPE_KEY, priced.workspace()).tell(
                new WorkspaceBudget.ReportUsage(priced.batch().firstSeq(), priced.batch().lastSeq(), lines));
    }
}

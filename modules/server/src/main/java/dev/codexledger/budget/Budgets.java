package dev.codexledger.budget;

import dev.codexledger.workspace.LedgerRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * The way into the workspaces' budget entities: decisions are asked with the decision timeout (when it
 * passes, the routes answer per the failure policy), changes with the longer admin timeout. A change
 * answers a {@link StatusReply}: an error says why it was refused (an unknown budget or reservation).
 */
public final class Budgets {

    private final ClusterSharding sharding;
    private final Duration decisionTimeout;
    private final Duration adminTimeout;
    private final BudgetViews views;
    private final Clock clock;

    public Budgets(ActorSystem<?> system, Duration decisionTimeout, Duration adminTimeout, BudgetViews views,
                   Clock clock) {
        this.sharding = ClusterSharding.get(system);
        this.decisionTimeout = decisionTimeout;
        this.adminTimeout = adminTimeout;
        this.views = views;
        this.clock = clock;
    }

    // ---------------------------------------------------------------- decisions

    /**
     * A check: from the entity's published book when it runs on this node (no message, no wait), else
     * asked through sharding within the decision timeout.
     */
    public CompletionStage<BudgetBook.Decision> check(String workspace, String user, long estimateMicros) {
        long now = ChronoUnit.MICROS.between(Instant.EPOCH, clock.instant());
        Optional<BudgetBook.Decision> local = views.decide(workspace, user, estimateMicros, now);
        return local.isPresent() ? CompletableFuture.completedFuture(local.get())
                : budget(workspace).ask(r -> new WorkspaceBudget.Check(user, estimateMicros, r), decisionTimeout);
    }

    /** {@code ttl} empty: the configured default; {@code idempotencyKey} empty: none. */
    public CompletionStage<ReserveResult> reserve(String workspace, String user, long estimateMicros,
                                                  Optional<Duration> ttl, Optional<String> idempotencyKey) {
        return budget(workspace).ask(r -> new WorkspaceBudget.Reserve(user, estimateMicros, ttl, idempotencyKey, r),
                decisionTimeout);
    }

    public CompletionStage<StatusReply<Done>> settle(String workspace, String reservationId, long actualMicros) {
        return budget(workspace).ask(r -> new WorkspaceBudget.Settle(reservationId, actualMicros, r), adminTimeout);
    }

    public CompletionStage<StatusReply<Done>> release(String workspace, String reservationId) {
        return budget(workspace).ask(r -> new WorkspaceBudget.Release(reservationId, r), adminTimeout);
    }

    // ---------------------------------------------------------------- admin

    public CompletionStage<StatusReply<Done>> setBudget(String workspace, BudgetSpec spec) {
        return budget(workspace).ask(r -> new WorkspaceBudget.SetBudget(spec, r), adminTimeout);
    }

    public CompletionStage<StatusReply<Done>> removeBudget(String workspace, String key) {
        return budget(workspace).ask(r -> new WorkspaceBudget.RemoveBudget(key, r), adminTimeout);
    }

    /** {@code team} empty: the user leaves their team. */
    public CompletionStage<StatusReply<Done>> setMember(String workspace, String user, Optional<String> team) {
        return budget(workspace).ask(r -> new WorkspaceBudget.SetMember(user, team, r), adminTimeout);
    }

    /** {@code source}: both, records or settlements. */
    public CompletionStage<StatusReply<Done>> setSpendFrom(String workspace, String source) {
        return budget(workspace).ask(r -> new WorkspaceBudget.SetSpendFrom(source, r), adminTimeout);
    }

    public CompletionStage<BudgetStatus> status(String workspace) {
        return budget(workspace).ask(WorkspaceBudget.GetStatus::new, adminTimeout);
    }

    // ---------------------------------------------------------------- usage

    /**
     * Tells the workspace's budget what a written batch spent (records with usage, at their price). A batch
     * reported again (the ledger's recovery) counts nothing twice: the budget skips the seqs it counted.
     */
    public void reportUsage(PricedBatch priced) {
        if (priced.isEmpty()) {
            return;
        }
        List<WorkspaceBudget.SeqUsage> lines = new ArrayList<>();
        for (int i = 0; i < priced.costMicros().length; i++) {
            if (priced.costMicros()[i] > 0) {
                LedgerRecord record = priced.records().get(i);
                lines.add(new WorkspaceBudget.SeqUsage(record.seq(), record.userId(), priced.costMicros()[i],
                        record.timestampMicros()));
            }
        }
        budget(priced.workspace()).tell(
                new WorkspaceBudget.ReportUsage(priced.batch().firstSeq(), priced.batch().lastSeq(), lines));
    }

    private EntityRef<WorkspaceBudget.Command> budget(String workspace) {
        return sharding.entityRefFor(WorkspaceBudget.ENTITY_TYPE_KEY, workspace);
    }
}

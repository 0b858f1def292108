package dev.codexledger.workspace;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** The way into the workspace ledgers for the transports: holds sharding, asks with a timeout. */
public final class WorkspaceLedgers {

    private final ClusterSharding sharding;
    private final Duration askTimeout;

    public WorkspaceLedgers(ActorSystem<?> system, Duration askTimeout) {
        this.sharding = ClusterSharding.get(system);
        this.askTimeout = askTimeout;
    }

    /** Fails with a {@link java.util.concurrent.TimeoutException} when the ledger does not answer in time. */
    public CompletionStage<WorkspaceLedger.AppendResult> append(String workspace, List<NewRecord> records) {
        return sharding.entityRefFor(WorkspaceLedger.ENTITY_TYPE_KEY, workspace)
                .ask(replyTo -> new WorkspaceLedger.Append(records, replyTo), askTimeout);
    }

    public CompletionStage<WorkspaceLedger.Head> head(String workspace) {
        return sharding.entityRefFor(WorkspaceLedger.ENTITY_TYPE_KEY, workspace)
                .ask(WorkspaceLedger.GetHead::new, askTimeout);
    }
}

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

    public Budgets(ActorSystem<?> system, Duration decisionTimeout, Duration adminTimeout) {
        this.sharding = ClusterSharding.get(system);
        this.decisionTimeout = decisionTimeout;
        this.adminTimeout = adminTimeout;
    }

    public <T> CompletionStage<T> decide(String workspace, Function<ActorRef<T>, WorkspaceBudget.Command> command) {
        return sharding.entityRefFor(WorkspaceBudget.ENTITY_TYPE_KEY, workspace).ask(command::apply, decisionTimeout);
    }

    public <T> CompletionStage<T> change(String workspace, Function<ActorRef<T>, WorkspaceBudget.Command> command) {
        return sharding.entityRefFor(WorkspaceBudget.ENTITY_TYPE_KEY, workspace).ask(command::apply, adminTimeout);
    }

    public void reportUsage(String workspace, WorkspaceBudget.ReportUsage report) {
        sharding.entityRefFor(WorkspaceBudget.ENTITY_TYPE_KEY, workspace).tell(report);
    }
}

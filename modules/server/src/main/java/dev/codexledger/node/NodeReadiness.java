package dev.codexledger.node;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/** Pekko Management readiness check ({@code /ready}): the API is bound and Cassandra answers. */
public final class NodeReadiness implements Supplier<CompletionStage<Boolean>> {

    private final ActorSystem system;

    public NodeReadiness(ActorSystem system) {
        this.system = system;
    }

    @Override
    public CompletionStage<Boolean> get() {
        return NodeStatus.get(system).ready();
    }
}

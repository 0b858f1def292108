package dev.codexledger.node;

import com.datastax.oss.driver.api.core.CqlSession;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/** What the readiness check needs to know about this node: is it serving, and does storage answer. */
public final class NodeStatus implements Extension {

    private volatile CqlSession session;
    private volatile boolean serving;

    public static final class Id extends AbstractExtensionId<NodeStatus> {
        @Override
        public NodeStatus createExtension(ExtendedActorSystem system) {
            return new NodeStatus();
        }
    }

    public static final Id ID = new Id();

    public static NodeStatus get(ActorSystem system) {
        return ID.get(system);
    }

    void serving(CqlSession cqlSession) {
        this.session = cqlSession;
        this.serving = true;
    }

    CompletionStage<Boolean> ready() {
        CqlSession current = session;
        if (!serving || current == null || current.isClosed()) {
            return CompletableFuture.completedFuture(false);
        }
        return current.executeAsync("SELECT release_version FROM system.local")
                .thenApply(rs -> rs.one() != null)
                .exceptionally(failure -> false);
    }
}

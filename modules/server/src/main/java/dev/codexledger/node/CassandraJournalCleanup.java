package dev.codexledger.node;

import dev.codexledger.workspace.JournalCleanup;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.cassandra.cleanup.Cleanup;

/**
 * The Cassandra journal plugin's cleanup tool, keeping the latest snapshot of a ledger and deleting its
 * older snapshots and the events before it. Needs {@code pekko.persistence.cassandra.cleanup.dry-run =
 * false} (ledger-cassandra.conf), or it would only log what it would delete.
 */
final class CassandraJournalCleanup implements JournalCleanup {

    private final Cleanup cleanup;

    CassandraJournalCleanup(ActorSystem<?> system) {
        this.cleanup = new Cleanup(system);
    }

    @Override
    public CompletionStage<Void> deleteBeforeLatestSnapshot(String persistenceId) {
        return scala.jdk.javaapi.FutureConverters.asJava(cleanup.cleanupBeforeSnapshot(persistenceId, 1))
                .thenApply(done -> null);
    }
}

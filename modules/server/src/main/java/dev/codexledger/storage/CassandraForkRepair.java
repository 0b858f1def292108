package dev.codexledger.storage;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.ForkRepair;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * {@link ForkRepair} on pekko-persistence-cassandra's {@code messages} table (key {@code ((persistence_id,
 * partition_nr), sequence_nr, timestamp)}): reads the events at the forked sequence number, deserializes
 * each with the actor system's serializers, and deletes those whose head is not the fenced one.
 */
public final class CassandraForkRepair implements ForkRepair {

    private final CqlSession session;
    private final Serialization serialization;
    private final long partitionSize;
    private final String table;
    private final String snapshots;
    private final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(CassandraForkRepair.class);

    public CassandraForkRepair(CqlSession session, ActorSystem<?> system) {
        this.session = session;
        this.serialization = SerializationExtension.get(system.classicSystem());
        com.typesafe.config.Config journal = system.settings().config().getConfig("pekko.persistence.cassandra.journal");
        this.table = journal.getString("keyspace") + "." + journal.getString("table");
        com.typesafe.config.Config snapshot = system.settings().config().getConfig("pekko.persistence.cassandra.snapshot");
        this.snapshots = snapshot.getString("keyspace") + "." + snapshot.getString("table");
        this.partitionSize = journal.getLong("target-partition-size");
    }

    @Override
    public CompletionStage<Integer> keepOnly(String persistenceId, long seq, Digest fencedHead,
                                             Function<Object, Digest> headOf) {
        long partition = (seq - 1) / partitionSize; // as the journal lays events out
        // prepared here, not at start: the journal creates its table on first use, and a repair is rare
        SimpleStatement read = SimpleStatement.newInstance("SELECT timestamp, ser_id, ser_manifest, event FROM " + table
                + " WHERE persistence_id = ? AND partition_nr = ? AND sequence_nr = ?", persistenceId, partition, seq);
        return session.executeAsync(read).thenCompose(rows -> {
            List<UUID> others = new ArrayList<>();
            int fenced = 0;
            for (Row row : rows.currentPage()) {
                ByteBuffer bytes = row.getByteBuffer("event");
                byte[] copy = new byte[bytes.remaining()];
                bytes.duplicate().get(copy);
                Object event = serialization.deserialize(copy, row.getInt("ser_id"), row.getString("ser_manifest")).get();
                if (fencedHead.equals(headOf.apply(event))) {
                    fenced++;
                } else {
                    others.add(row.getUuid("timestamp"));
                }
            }
            if (fenced != 1) {
                log.error("{}: the journal is forked at seq {} but {} event(s) there carry the acknowledged head and {}"
                        + " do not; nothing deleted, an operator has to decide", persistenceId, seq, fenced, others.size());
                return CompletableFuture.completedFuture(0);
            }
            log.warn("{}: deleting {} event(s) at seq {} that were never acknowledged (a downed node's late write), and"
                    + " a snapshot at that seq (it may hold that write); the acknowledged event stays", persistenceId,
                    others.size(), seq);
            // the snapshot a recovery starts from may be the late writer's own, taken with its write; the one
            // before it and the events after that hold the same without it
            CompletableFuture<Void> all = session.executeAsync(SimpleStatement.newInstance("DELETE FROM " + snapshots
                    + " WHERE persistence_id = ? AND sequence_nr = ?", persistenceId, seq)).thenApply(deleted -> (Void) null)
                    .toCompletableFuture();
            for (UUID timestamp : others) {
                all = all.thenCompose(done -> session.executeAsync(SimpleStatement.newInstance("DELETE FROM " + table
                                + " WHERE persistence_id = ? AND partition_nr = ? AND sequence_nr = ? AND timestamp = ?",
                                persistenceId, partition, seq, timestamp)).thenApply(deleted -> null));
            }
            int count = others.size();
            return all.thenApply(done -> count);
        });
    }
}

package dev.codexledger.workspace;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Repairs a journal forked at its last sequence number ({@link WriterFence.Forked}): two events at one
 * sequence number, of which the replay returns the one written first (Cassandra's journal stops reading
 * at the highest sequence number), while the writer fence says the other one was acknowledged. Deletes
 * every event at that sequence number whose head ({@code headOf}, from the deserialized event) is not the
 * fenced one, and the snapshot at that sequence number (the late writer takes its snapshots with its
 * writes; the snapshot before it and the events after that hold the same), so the next recovery reads the
 * acknowledged event; deletes nothing unless exactly one event there has the fenced head.
 */
public interface ForkRepair {

    /** Completes with the number of events deleted (0: nothing could be told apart; left for an operator). */
    CompletionStage<Integer> keepOnly(String persistenceId, long seq, Digest fencedHead, Function<Object, Digest> headOf);

    /** No repair (unit tests of entities). */
    ForkRepair NONE = (persistenceId, seq, fencedHead, headOf) -> CompletableFuture.completedFuture(0);
}

package dev.codexledger.workspace;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** The way into the workspace ledgers for the transports: holds sharding, asks with a timeout. */
public final class WorkspaceLedgers {

    private final ClusterSharding sharding;
    private final Duration askTimeout;
    private final IngestGate gate;

    public WorkspaceLedgers(ActorSystem<?> system, Duration askTimeout, IngestGate gate) {
        this.sharding = ClusterSharding.get(system);
        this.askTimeout = askTimeout;
        this.gate = gate;
    }

    /**
     * Fails with {@link LedgerOverloaded} at once when the node holds too much ingest already, with
     * {@link LedgerUnavailable} when the ledger could not store the batch, and with a
     * {@link java.util.concurrent.TimeoutException} when it does not answer in time.
     */
    public CompletionStage<Appended> append(String workspace, List<NewRecord> records) {
        return append(workspace, records, false);
    }

    /** The ledger's own records (the audit of access and of budgets): see {@link IngestGate#tryAcquireInternal}. */
    public CompletionStage<Appended> appendInternal(String workspace, List<NewRecord> records) {
        return append(workspace, records, true);
    }

    private CompletionStage<Appended> append(String workspace, List<NewRecord> records, boolean internal) {
        IngestGate.Refusal refusal = internal ? gate.tryAcquireInternal(workspace, records.size())
                : gate.tryAcquire(workspace, records.size());
        if (refusal != null) {
            return CompletableFuture.failedFuture(new LedgerOverloaded(refusal));
        }
        return sharding.entityRefFor(WorkspaceLedger.ENTITY_TYPE_KEY, workspace)
                .<WorkspaceLedger.AppendResult>ask(replyTo -> new WorkspaceLedger.Append(records, replyTo), askTimeout)
                .whenComplete((result, failure) -> gate.release(workspace, records.size()))
                .thenApply(WorkspaceLedgers::appended);
    }

    private static Appended appended(WorkspaceLedger.AppendResult result) {
        if (result instanceof WorkspaceLedger.Accepted accepted) {
            return new Appended.Stored(accepted.accepted(), accepted.duplicates(), accepted.firstSeq(),
                    accepted.lastSeq());
        }
        if (result instanceof WorkspaceLedger.Conflict conflict) {
            return new Appended.Conflict(conflict.index(), conflict.eventId());
        }
        throw new LedgerUnavailable(((WorkspaceLedger.Unavailable) result).reason());
    }

    public IngestGate gate() {
        return gate;
    }

    /** See {@link WorkspaceLedger.Forget}; {@code timeout}: snapshot and journal cleanup take longer than an append. */
    public CompletionStage<WorkspaceLedger.Forgotten> forget(String workspace, String field, String value,
                                                            long erasedAtMicros, Duration timeout) {
        return sharding.entityRefFor(WorkspaceLedger.ENTITY_TYPE_KEY, workspace)
                .ask(replyTo -> new WorkspaceLedger.Forget(field, value, erasedAtMicros, replyTo), timeout);
    }

    /** A checkpoint of the workspace's tree signed now: its size and signed note. */
    public record SignedCheckpoint(long size, String note) {}

    /** Asks the workspace's ledger to sign a checkpoint of its fenced tree now. */
    public CompletionStage<SignedCheckpoint> signCheckpoint(String workspace) {
        return sharding.entityRefFor(WorkspaceLedger.ENTITY_TYPE_KEY, workspace)
                .<WorkspaceLedger.CheckpointSigned>ask(WorkspaceLedger.SignCheckpoint::new, askTimeout)
                .thenApply(signed -> {
                    if (signed.error() == null) {
                        return new SignedCheckpoint(signed.size(), signed.note());
                    }
                    if (signed.error().contains("predates")) {
                        throw new NotProvable(signed.error());
                    }
                    throw new LedgerUnavailable(signed.error());
                });
    }

    public CompletionStage<WorkspaceLedger.Head> head(String workspace) {
        return sharding.entityRefFor(WorkspaceLedger.ENTITY_TYPE_KEY, workspace)
                .ask(WorkspaceLedger.GetHead::new, askTimeout);
    }
}

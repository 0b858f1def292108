package dev.codexledger.workspace;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import dev.codexledger.verify.MerkleFrontier;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.SnapshotFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The single writer of one workspace's audit ledger. Invariant: every accepted record has a gap-free
 * sequence number and a chain hash over its predecessor; an id is accepted once (a re-send with the same
 * content is a duplicate, with other content a conflict); and a batch is acknowledged only after its
 * event is in the journal <em>and</em> its rows are in the read tables.
 *
 * <p>One batch is in flight at a time: while the ledger looks up ids or writes rows, further appends
 * queue, and the queued ones are then handled together (up to {@code max-coalesced-records}) as one
 * persisted event and one write. So only the last persisted batch can ever be missing from the tables,
 * and recovery writes that batch again. Sharding stops it with {@link HandOver}: it finishes its queue,
 * waits for the read model's {@link LedgerReadModel#handOver}, then stops, so what follows its writes is
 * never done for a workspace on two nodes at once.
 */
public final class WorkspaceLedger
        extends EventSourcedBehaviorWithEnforcedReplies<WorkspaceLedger.Command, LedgerEvent, LedgerState> {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
            EntityTypeKey.create(Command.class, "WorkspaceLedger");

    public static void init(ActorSystem<?> system, LedgerReadModel readModel, LedgerSettings settings,
                            JournalCleanup cleanup, WriterFence fence, ActiveLedgers active) {
        ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY,
                entityContext -> create(entityContext.getEntityId(), readModel, settings, cleanup, fence, active,
                        entityContext.getShard()))
                .withStopMessage(HandOver.INSTANCE));
    }

    // ---------------------------------------------------------------- protocol

    /** Travels between nodes as Protobuf ({@link LedgerMessageSerializer}), but for the ledger's messages to itself. */
    public sealed interface Command {}

    /** Append a batch; the reply comes once it is durable and queryable, or refused. */
    public record Append(List<NewRecord> records, ActorRef<AppendResult> replyTo) implements Command {}

    public record GetHead(ActorRef<Head> replyTo) implements Command {}

    /**
     * An erasure ran over the tables ({@code field} user_id or conversation_id equal to {@code value}):
     * drop that content from the ledger's own copies too. The last batch's matching records lose theirs,
     * a snapshot is taken and the journal's older events (which held it) are deleted; the reply comes
     * once they are.
     */
    public record Forget(String field, String value, long erasedAtMicros, ActorRef<Forgotten> replyTo)
            implements Command {}

    /** {@code inLastBatch}: records of the last batch whose content was dropped; {@code error} when it failed. */
    public record Forgotten(int inLastBatch, String error) {}

    /**
     * Sign a checkpoint of the workspace's tree now, at the size its writer fence last confirmed (a
     * checkpoint is also signed every {@code ledger.checkpoints.interval} while there are new records).
     */
    public record SignCheckpoint(ActorRef<CheckpointSigned> replyTo) implements Command {}

    /** The signed note and its tree size; or {@code error} (then {@code note} is empty). */
    public record CheckpointSigned(long size, String note, String error) {}

    // Messages of the ledger to itself (answers of its own futures): they never leave its node, so they
    // have no wire format, and serialize-messages leaves them alone.

    private record JournalCleaned(List<AwaitingCleanup> done, Throwable failure)
            implements Command, NoSerializationVerificationNeeded {}

    private record LookedUp(int incarnation, List<Append> group, Map<String, Digest> stored, Throwable failure)
            implements Command, NoSerializationVerificationNeeded {}

    private record Materialized(int incarnation, List<Pending> replies, Throwable failure)
            implements Command, NoSerializationVerificationNeeded {}

    private record Rematerialized(int incarnation, Throwable failure)
            implements Command, NoSerializationVerificationNeeded {}

    private record Claimed(int incarnation, long epoch, Throwable failure)
            implements Command, NoSerializationVerificationNeeded {}

    private enum Drain implements Command, NoSerializationVerificationNeeded { INSTANCE }

    private enum CheckpointTick implements Command, NoSerializationVerificationNeeded { INSTANCE }

    private record CheckpointDone(long size, String note, Throwable failure, List<ActorRef<CheckpointSigned>> waiting)
            implements Command, NoSerializationVerificationNeeded {}

    /** Asked by {@link ActiveLedgers} to give its memory back: it asks its shard to passivate it. */
    private enum Passivate implements Command, NoSerializationVerificationNeeded { INSTANCE }

    /** Sharding's stop message (passivation, rebalancing, shutdown): finish, hand over, stop. */
    enum HandOver implements Command { INSTANCE }

    private enum HandedOver implements Command, NoSerializationVerificationNeeded { INSTANCE }

    /** A Forget waiting for the snapshot after its event, then for the journal cleanup. */
    private record AwaitingCleanup(ActorRef<Forgotten> replyTo, int inLastBatch, long eventSeqNr) {}

    /** An admitted request waiting for its batch to be durable and queryable. */
    private record Pending(ActorRef<AppendResult> replyTo, Accepted result) {}

    public sealed interface AppendResult {}

    /** {@code firstSeq} and {@code lastSeq} are 0 when nothing new was accepted. */
    public record Accepted(int accepted, int duplicates, long firstSeq, long lastSeq) implements AppendResult {}

    public record Conflict(int index, String eventId) implements AppendResult {}

    public record Unavailable(String reason) implements AppendResult {}

    public record Head(long nextSeq, Digest headHash, int windowSize) {}

    // ---------------------------------------------------------------- factory

    /** A ledger outside sharding (tests): never passivated for memory. */
    public static Behavior<Command> create(String workspace, LedgerReadModel readModel, LedgerSettings settings,
                                           JournalCleanup cleanup, WriterFence fence) {
        return create(workspace, readModel, settings, cleanup, fence, ActiveLedgers.UNBOUNDED, null);
    }

    /** @param shard the shard hosting it, asked to passivate it when {@code active} says so */
    public static Behavior<Command> create(String workspace, LedgerReadModel readModel, LedgerSettings settings,
                                           JournalCleanup cleanup, WriterFence fence, ActiveLedgers active,
                                           ActorRef<ClusterSharding.ShardCommand> shard) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> new WorkspaceLedger(context, timers, workspace,
                readModel, settings, cleanup, fence, active, shard)));
    }

    private final ActorContext<Command> context;
    private final String workspace;
    private final LedgerReadModel readModel;
    private final LedgerSettings settings;
    private final JournalCleanup cleanup;
    private final WriterFence fence;
    private final ActiveLedgers active;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    /** Not state: this actor in {@link ActiveLedgers} (a later actor of the workspace is another one). */
    private final Object activeToken = new Object();
    /** Not state: this incarnation's claim on the workspace ({@link WriterFence}); valid once claimed. */
    private long epoch;
    /** Not state: erasures waiting for their snapshot and journal cleanup. */
    private final List<AwaitingCleanup> awaitingCleanup = new ArrayList<>();
    /** Not state: whether a lookup or a write is under way. Commands meanwhile wait in the stash. */
    private boolean busy;
    /** Not state: asked to stop; stops once its queue is written and the read model has handed over. */
    private boolean stopping;
    /**
     * Counts recoveries. A journal failure restarts the event-sourced behavior (with backoff) but keeps
     * this object: answers to lookups and writes started before the restart carry the old number and are
     * ignored.
     */
    private int incarnation;
    /** When this incarnation started, recovered and claimed (System.nanoTime), for the start-up log line. */
    private final long startedNanos = System.nanoTime();
    private long recoveredNanos;
    private long claimedNanos;
    /** Appends that arrived while busy; handled together next. Bounded by the IngestGate in front. */
    private final ArrayDeque<Append> queued = new ArrayDeque<>();

    /** Not state: the tree as the writer fence last confirmed it (null until claimed, or without a tree). */
    private MerkleFrontier fencedTree;
    /** Not state: the size of the last checkpoint this actor signed (-1: none yet). */
    private long signedSize = -1;
    /** Not state: a periodic checkpoint is being signed. */
    private boolean signing;
    private final TimerScheduler<Command> timers;

    private WorkspaceLedger(ActorContext<Command> context, TimerScheduler<Command> timers, String workspace,
                            LedgerReadModel readModel, LedgerSettings settings, JournalCleanup cleanup, WriterFence fence,
                            ActiveLedgers active, ActorRef<ClusterSharding.ShardCommand> shard) {
        super(PersistenceId.of(ENTITY_TYPE_KEY.name(), workspace),
                SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
        this.context = context;
        this.timers = timers;
        this.workspace = workspace;
        this.readModel = readModel;
        this.settings = settings;
        this.cleanup = cleanup;
        this.fence = fence;
        this.active = active;
        this.shard = shard;
    }

    @Override
    public LedgerState emptyState() {
        return LedgerState.empty(settings.dedupWindowSize());
    }

    /** An erasure is followed by a snapshot at once, so the events before it can be deleted. */
    @Override
    public boolean shouldSnapshot(LedgerState state, LedgerEvent event, long sequenceNr) {
        return event instanceof RecordsForgotten;
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), settings.keepSnapshots())
                .withDeleteEventsOnSnapshot();
    }

    @Override
    public SignalHandler<LedgerState> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), this::claim)
                .onSignal(PostStop.instance(), state -> active.stopped(workspace, activeToken))
                .onSignal(SnapshotCompleted.class, (state, done) -> cleanUpAfter(done.metadata().sequenceNr()))
                .onSignal(SnapshotFailed.class, (state, failed) -> {
                    List<AwaitingCleanup> due = due(failed.metadata().sequenceNr());
                    due.forEach(a -> a.replyTo().tell(new Forgotten(a.inLastBatch(),
                            "snapshot failed: " + failed.getFailure().getMessage())));
                })
                .build();
    }

    /**
     * Recovered: claims the workspace in the writer fence before anything else is written or answered
     * (what it recovered is then the history every later write extends).
     */
    private void claim(LedgerState state) {
        incarnation++;
        recoveredNanos = System.nanoTime();
        // a journal failure restarted the ledger: erasures waiting for their event are told so
        awaitingCleanup.forEach(a -> a.replyTo().tell(new Forgotten(a.inLastBatch(), "the ledger restarted")));
        awaitingCleanup.clear();
        busy = true;
        int current = incarnation;
        context.pipeToSelf(fence.claim(workspace, state.nextSeq() - 1, state.headHash(), state::passesThrough),
                (claimed, failure) -> new Claimed(current, failure == null ? claimed : 0, failure));
    }

    /** Claimed: writes the last batch again (a crash may have cut it short), then goes on with the queue. */
    private ReplyEffect<LedgerEvent, LedgerState> onClaimed(LedgerState state, Claimed claimed) {
        if (claimed.incarnation() != incarnation) {
            return Effect().noReply();
        }
        if (claimed.failure() != null) {
            // refused (another incarnation holds it, or this recovery is behind) or the fence is unreachable:
            // the next message starts a fresh incarnation, which recovers and claims again
            context.getLog().warn("workspace {}: could not claim the writer fence: {}", workspace,
                    cause(claimed.failure()).toString());
            queued.forEach(append -> append.replyTo().tell(new Unavailable("the workspace's ledger is starting; retry")));
            queued.clear();
            return Effect().stop().thenNoReply();
        }
        epoch = claimed.epoch();
        claimedNanos = System.nanoTime();
        // what was recovered is the fenced history (the claim checked its head): its tree may be signed once
        // its tiles are surely written, so up to the last batch now, and with it once it is written again
        fencedTree = state.lastBatch().isEmpty() || state.tree() == null ? state.tree()
                : state.lastBatchTreeWrites().before();
        if (fencedTree != null && !settings.checkpointInterval().isZero()) {
            timers.startTimerWithFixedDelay(CheckpointTick.INSTANCE, settings.checkpointInterval());
        }
        reportUse(state);
        if (!state.lastBatch().isEmpty()) {
            int current = incarnation;
            context.pipeToSelf(readModel.rewrite(workspace, state.lastBatch(), state.lastBatchTreeWrites()),
                    (ok, failure) -> new Rematerialized(current, failure));
            return Effect().noReply();
        }
        busy = false;
        logReady(state, claimedNanos);
        // appends queued before a restart are still here: go on with them
        return startNext(state);
    }

    private static Throwable cause(Throwable failure) {
        return failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
    }

    /** Once a snapshot at or after an erasure's event is stored, deletes the journal before it. */
    private void cleanUpAfter(long snapshotSeqNr) {
        List<AwaitingCleanup> due = due(snapshotSeqNr);
        if (!due.isEmpty()) {
            context.pipeToSelf(cleanup.deleteBeforeLatestSnapshot(persistenceId().id()),
                    (ok, failure) -> new JournalCleaned(due, failure));
        }
    }

    private List<AwaitingCleanup> due(long snapshotSeqNr) {
        List<AwaitingCleanup> due = awaitingCleanup.stream().filter(a -> a.eventSeqNr() <= snapshotSeqNr).toList();
        awaitingCleanup.removeAll(due);
        return due;
    }

    // ---------------------------------------------------------------- command handlers

    @Override
    public CommandHandlerWithReply<Command, LedgerEvent, LedgerState> commandHandler() {
        return newCommandHandlerWithReplyBuilder()
                .forAnyState()
                .onCommand(Append.class, this::onAppend)
                .onCommand(LookedUp.class, this::onLookedUp)
                .onCommand(Materialized.class, this::onMaterialized)
                .onCommand(Rematerialized.class, this::onRematerialized)
                .onCommand(Claimed.class, this::onClaimed)
                .onCommand(Drain.class, (state, drain) -> busy ? Effect().noReply() : startNext(state))
                .onCommand(GetHead.class, this::onGetHead)
                .onCommand(SignCheckpoint.class, this::onSignCheckpoint)
                .onCommand(CheckpointTick.class, (state, tick) -> onCheckpointTick())
                .onCommand(CheckpointDone.class, (state, done) -> onCheckpointDone(done))
                .onCommand(Forget.class, this::onForget)
                .onCommand(JournalCleaned.class, this::onJournalCleaned)
                .onCommand(HandOver.class, (state, stop) -> onHandOver(state))
                .onCommand(Passivate.class, (state, passivate) -> onPassivate())
                .onCommand(HandedOver.class, (state, done) -> onHandedOver())
                .build();
    }

    private ReplyEffect<LedgerEvent, LedgerState> onAppend(LedgerState state, Append append) {
        reportUse(state);
        queued.add(append);
        return busy ? Effect().noReply() : startNext(state);
    }

    /** Tells {@link ActiveLedgers} it was used and what it holds now; it may ask others to passivate. */
    private void reportUse(LedgerState state) {
        ActorRef<Command> self = context.getSelf();
        active.used(workspace, activeToken, state.heapBytes(), () -> self.tell(Passivate.INSTANCE));
    }

    /** Sharding then sends {@link HandOver}, and holds back messages for it until it has stopped. */
    private ReplyEffect<LedgerEvent, LedgerState> onPassivate() {
        if (shard != null && !stopping) {
            shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
        }
        return Effect().noReply();
    }

    /** Appends that reached it while it handed over (sharding normally holds them back) are refused: re-sent, they reach the next incarnation. */
    private ReplyEffect<LedgerEvent, LedgerState> onHandedOver() {
        queued.forEach(append -> append.replyTo().tell(new Unavailable("the workspace's ledger is moving; retry")));
        queued.clear();
        return Effect().stop().thenNoReply();
    }

    private ReplyEffect<LedgerEvent, LedgerState> onHandOver(LedgerState state) {
        stopping = true;
        return busy ? Effect().noReply() : startNext(state);
    }

    /**
     * Takes the queued appends (at least one, then up to the coalescing limit) and starts on them; with
     * none left, a stopping ledger hands over.
     */
    private ReplyEffect<LedgerEvent, LedgerState> startNext(LedgerState state) {
        if (queued.isEmpty()) {
            if (stopping && !busy) {
                busy = true;
                context.pipeToSelf(finalCheckpoint().thenCompose(signed -> readModel.handOver(workspace)),
                        (ok, failure) -> HandedOver.INSTANCE);
            }
            return Effect().noReply();
        }
        List<Append> group = new ArrayList<>();
        int records = 0;
        long chars = 0;
        do {
            Append next = queued.poll();
            group.add(next);
            records += next.records().size();
            chars += contentChars(next);
        } while (!queued.isEmpty() && records + queued.peek().records().size() <= settings.maxCoalescedRecords()
                && chars + contentChars(queued.peek()) <= settings.maxCoalescedChars());
        Set<String> unknown = new LinkedHashSet<>();
        group.forEach(append -> unknown.addAll(Admission.idsToLookUp(append.records(), state.window())));
        if (unknown.isEmpty()) {
            return admit(state, group, Map.of());
        }
        busy = true;
        int current = incarnation;
        context.pipeToSelf(readModel.storedContentHashes(workspace, unknown),
                (stored, failure) -> new LookedUp(current, group, stored, failure));
        return Effect().noReply();
    }

    private static long contentChars(Append append) {
        long chars = 0;
        for (NewRecord record : append.records()) {
            chars += record.content().size();
        }
        return chars;
    }

    private ReplyEffect<LedgerEvent, LedgerState> onLookedUp(LedgerState state, LookedUp lookedUp) {
        if (lookedUp.incarnation() != incarnation) {
            return Effect().noReply();
        }
        busy = false;
        if (lookedUp.failure() != null) {
            context.getLog().warn("id lookup failed for workspace {}", workspace, lookedUp.failure());
            lookedUp.group().forEach(append -> append.replyTo().tell(new Unavailable("storage read failed")));
            return startNext(state);
        }
        return admit(state, lookedUp.group(), lookedUp.stored());
    }

    /**
     * Decides on each request of the group in order: a conflicting one is refused alone, the new records
     * of the others are sequenced into one event. Records repeated across the group count once. Every
     * answer but a conflict waits until the event is durable and its rows written.
     */
    private ReplyEffect<LedgerEvent, LedgerState> admit(LedgerState state, List<Append> group,
                                                            Map<String, Digest> stored) {
        Map<String, Digest> admittedEarlier = new HashMap<>();
        List<NewRecord> fresh = new ArrayList<>();
        List<Pending> replies = new ArrayList<>();
        for (Append append : group) {
            Admission admission = Admission.decide(append.records(), stored, admittedEarlier);
            if (admission instanceof Admission.Conflicting conflict) {
                append.replyTo().tell(new Conflict(conflict.index(), conflict.eventId()));
                continue;
            }
            Admission.Admitted admitted = (Admission.Admitted) admission;
            if (admitted.fresh().isEmpty()) {
                // Its records may be duplicates of records admitted above in this very group: it may only
                // be answered once they are durable, so it waits with them.
                replies.add(new Pending(append.replyTo(), new Accepted(0, admitted.duplicates(), 0, 0)));
                continue;
            }
            long first = state.nextSeq() + fresh.size();
            fresh.addAll(admitted.fresh());
            admitted.fresh().forEach(record -> admittedEarlier.put(record.eventId(), record.contentHash()));
            replies.add(new Pending(append.replyTo(), new Accepted(admitted.fresh().size(), admitted.duplicates(),
                    first, first + admitted.fresh().size() - 1)));
        }
        if (fresh.isEmpty()) {
            // nothing new in the whole group: every duplicate is of a stored record
            replies.forEach(p -> p.replyTo().tell(p.result()));
            return startNext(state);
        }
        RecordsAppended event = sequence(state, fresh);
        busy = true;
        return Effect().persist(event)
                .thenRun(newState -> materialize(event, newState.lastBatchTreeWrites(), replies))
                .thenNoReply();
    }

    private RecordsAppended sequence(LedgerState state, List<NewRecord> fresh) {
        long now = ChronoUnit.MICROS.between(Instant.EPOCH, settings.clock().instant());
        List<LedgerRecord> records = new ArrayList<>(fresh.size());
        long seq = state.nextSeq();
        Digest previous = state.headHash();
        for (NewRecord record : fresh) {
            LedgerRecord appended = LedgerRecord.append(record, seq++, previous);
            records.add(appended);
            previous = appended.chainHash();
        }
        return new RecordsAppended(state.acceptanceTime(now), records);
    }

    /** Fences the batch (still this incarnation's workspace?), then writes its rows. */
    private void materialize(RecordsAppended event, TreeWrites tree, List<Pending> replies) {
        int current = incarnation;
        LedgerRecord last = event.records().get(event.records().size() - 1);
        context.pipeToSelf(fence.advance(workspace, epoch, last.seq(), last.chainHash())
                        .thenCompose(fenced -> readModel.write(workspace, event, tree)),
                (ok, failure) -> new Materialized(current, replies, failure));
    }

    private ReplyEffect<LedgerEvent, LedgerState> onMaterialized(LedgerState state, Materialized done) {
        if (done.incarnation() != incarnation) {
            return Effect().noReply();
        }
        busy = false;
        if (done.failure() != null) {
            if (cause(done.failure()) instanceof WriterFence.Refused refused) {
                // A newer incarnation (another node, after this one was downed) owns the workspace: nothing
                // of this batch is written or acknowledged; the client's retry reaches the new owner.
                context.getLog().warn("workspace {}: fenced off, stopping: {}", workspace, refused.getMessage());
                done.replies().forEach(p -> p.replyTo().tell(new Unavailable("the workspace moved to another node; retry")));
                queued.forEach(append -> append.replyTo().tell(new Unavailable("the workspace moved to another node; retry")));
                queued.clear();
                return Effect().stop().thenNoReply();
            }
            // The batch is in the journal but maybe not in the tables: stop, and let recovery write it again.
            context.getLog().warn("writing rows failed for workspace {}; restarting the ledger", workspace,
                    done.failure());
            done.replies().forEach(p -> p.replyTo().tell(new Unavailable("storage write failed")));
            return Effect().stop().thenNoReply();
        }
        // fenced and written: the tree now includes this batch
        fencedTree = state.tree();
        done.replies().forEach(p -> p.replyTo().tell(p.result()));
        reportUse(state);
        return startNext(state);
    }

    // ---------------------------------------------------------------- checkpoints

    private ReplyEffect<LedgerEvent, LedgerState> onSignCheckpoint(LedgerState state, SignCheckpoint sign) {
        if (state.tree() == null) {
            sign.replyTo().tell(new CheckpointSigned(0, "", "this workspace's ledger predates its Merkle log: it has no checkpoints"));
        } else if (fencedTree == null) {
            sign.replyTo().tell(new CheckpointSigned(0, "", "the workspace's ledger is starting; retry"));
        } else {
            signFenced(List.of(sign.replyTo()));
        }
        return Effect().noReply();
    }

    private ReplyEffect<LedgerEvent, LedgerState> onCheckpointTick() {
        if (!signing && fencedTree != null && fencedTree.size() > Math.max(signedSize, 0)) {
            signing = true;
            signFenced(List.of());
        }
        return Effect().noReply();
    }

    private void signFenced(List<ActorRef<CheckpointSigned>> waiting) {
        MerkleFrontier tree = fencedTree;
        context.pipeToSelf(settings.checkpointer().sign(workspace, tree.size(), tree.root()),
                (note, failure) -> new CheckpointDone(tree.size(), note, failure, waiting));
    }

    private ReplyEffect<LedgerEvent, LedgerState> onCheckpointDone(CheckpointDone done) {
        if (done.waiting().isEmpty()) {
            signing = false;
        }
        if (done.failure() != null) {
            context.getLog().warn("workspace {}: signing the checkpoint at size {} failed", workspace, done.size(),
                    done.failure());
            done.waiting().forEach(r -> r.tell(new CheckpointSigned(done.size(), "",
                    "signing failed: " + cause(done.failure()).getMessage())));
            return Effect().noReply();
        }
        signedSize = Math.max(signedSize, done.size());
        done.waiting().forEach(r -> r.tell(new CheckpointSigned(done.size(), done.note(), null)));
        return Effect().noReply();
    }

    /** Before the ledger stops: a checkpoint of records not yet in one (periodic signing only; failures logged). */
    private java.util.concurrent.CompletionStage<Void> finalCheckpoint() {
        MerkleFrontier tree = fencedTree;
        if (tree == null || settings.checkpointInterval().isZero() || tree.size() <= Math.max(signedSize, 0)) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        // the future completes on a driver thread: log with a logger taken here, never through the context
        org.slf4j.Logger log = context.getLog();
        return settings.checkpointer().sign(workspace, tree.size(), tree.root()).handle((note, failure) -> {
            if (failure != null) {
                log.warn("workspace {}: the checkpoint before stopping failed: {}", workspace, failure.toString());
            }
            return null;
        });
    }

    private ReplyEffect<LedgerEvent, LedgerState> onRematerialized(LedgerState state, Rematerialized done) {
        if (done.incarnation() != incarnation) {
            return Effect().noReply();
        }
        busy = false;
        if (done.failure() != null) {
            context.getLog().warn("re-writing the last batch of workspace {} failed; stopping", workspace,
                    done.failure());
            return Effect().stop().thenNoReply();
        }
        fencedTree = state.tree();
        logReady(state, System.nanoTime());
        return startNext(state);
    }

    /**
     * Where a start's time went, once the ledger serves (recovery, fence claim, last batch written again):
     * at INFO when it took a second or more (a failover or a slow store shows here), else at DEBUG. Only the
     * first incarnation: a restart after a journal failure recovers in the same actor, whose start is older.
     */
    private void logReady(LedgerState state, long readyNanos) {
        if (incarnation != 1) {
            return;
        }
        long total = (readyNanos - startedNanos) / 1_000_000;
        String format = "workspace {} ready after {} ms (incarnation {}): recovered to seq {} in {} ms, fence claimed in {}"
                + " ms, last batch written again in {} ms, {} appends waiting";
        Object[] args = {workspace, total, incarnation, state.nextSeq() - 1, (recoveredNanos - startedNanos) / 1_000_000,
                (claimedNanos - recoveredNanos) / 1_000_000, (readyNanos - claimedNanos) / 1_000_000, queued.size()};
        if (total >= 1000) {
            context.getLog().info(format, args);
        } else {
            context.getLog().debug(format, args);
        }
    }

    private ReplyEffect<LedgerEvent, LedgerState> onGetHead(LedgerState state, GetHead get) {
        return Effect().reply(get.replyTo(),
                new Head(state.nextSeq(), state.headHash(), state.window().size()));
    }

    private ReplyEffect<LedgerEvent, LedgerState> onForget(LedgerState state, Forget forget) {
        List<Long> seqs = state.lastBatch().records().stream()
                .filter(r -> ErasedContent.matches(r, forget.field(), forget.value()))
                .map(LedgerRecord::seq).toList();
        // registered before persisting: the snapshot after the event can complete before any thenRun
        awaitingCleanup.add(new AwaitingCleanup(forget.replyTo(), seqs.size(), lastSequenceNumber(context) + 1));
        return Effect().persist(new RecordsForgotten(forget.erasedAtMicros(), seqs)).thenNoReply();
    }

    private ReplyEffect<LedgerEvent, LedgerState> onJournalCleaned(LedgerState state, JournalCleaned cleaned) {
        String error = cleaned.failure() == null ? null : "journal cleanup failed: " + cleaned.failure().getMessage();
        cleaned.done().forEach(a -> a.replyTo().tell(new Forgotten(a.inLastBatch(), error)));
        return Effect().noReply();
    }

    // ---------------------------------------------------------------- event handler

    @Override
    public EventHandler<LedgerState, LedgerEvent> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(RecordsAppended.class, LedgerState::apply)
                .onEvent(RecordsForgotten.class, LedgerState::apply)
                .build();
    }
}

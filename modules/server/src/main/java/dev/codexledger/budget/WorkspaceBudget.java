package dev.codexledger.budget;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.ForkRepair;
import dev.codexledger.workspace.WriterFence;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The budgets of one workspace, event-sourced (its own journal, beside the workspace's ledger) and
 * sharded like it. It is the single writer of spending and reservations, so a reservation is granted
 * only if, at that moment, settled + reserved + the estimate fits every level above the user: however
 * many gateways ask at once, their reservations are decided one after the other. Decisions are answered
 * from memory; only changes are persisted.
 */
public final class WorkspaceBudget
        extends EventSourcedBehaviorWithEnforcedReplies<WorkspaceBudget.Command, BudgetEvent, BudgetBook> {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "WorkspaceBudget");

    /**
     * {@code reservationTtl}: how long a reservation holds when the caller names no time; {@code
     * maxReservationTtl} caps it. {@code fence}: one writer per budget, enforced by the store ({@link
     * FencedReplies}); {@code repair} mends a journal the fence finds forked at its last event.
     */
    public record Settings(ZoneId zone, Duration reservationTtl, Duration maxReservationTtl, Clock clock,
                           BudgetViews views, BudgetAlerts alerts, UsageSource usage, WriterFence fence,
                           ForkRepair repair) {

        /** Without a fence: unit tests of the entity. */
        public Settings(ZoneId zone, Duration reservationTtl, Duration maxReservationTtl, Clock clock,
                        BudgetViews views, BudgetAlerts alerts, UsageSource usage) {
            this(zone, reservationTtl, maxReservationTtl, clock, views, alerts, usage, WriterFence.NONE,
                    ForkRepair.NONE);
        }
    }

    public static void init(ActorSystem<?> system, Settings settings) {
        ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY,
                context -> front(context.getEntityId(), settings)).withStopMessage(Stop.INSTANCE));
    }

    /**
     * The sharded entity: answers checks from the budget's book in memory — also while the budget waits
     * on a journal write, so a check sent from another node costs one hop and never waits on Cassandra —
     * and hands everything else to the event-sourced budget, its child. Until the budget has recovered
     * its book, checks wait for it too.
     */
    static Behavior<Command> front(String workspace, Settings settings) {
        return Behaviors.setup(context -> {
            ActorRef<Command> budget = context.spawn(create(workspace, settings), "budget");
            context.watch(budget);
            return Behaviors.receive(Command.class)
                    .onMessage(Check.class, check -> {
                        long now = ChronoUnit.MICROS.between(Instant.EPOCH, settings.clock().instant());
                        Optional<BudgetBook.Decision> decided =
                                settings.views().decide(workspace, check.user(), check.estimateMicros(), now);
                        if (decided.isPresent()) {
                            check.replyTo().tell(decided.get());
                        } else {
                            budget.tell(check);
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Command.class, command -> {
                        budget.tell(command); // Stop too: the budget writes what is pending, answers, then stops
                        return Behaviors.same();
                    })
                    .onSignal(org.apache.pekko.actor.typed.Terminated.class, stopped -> Behaviors.stopped())
                    .build();
        });
    }

    public static Behavior<Command> create(String workspace, Settings settings) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> new WorkspaceBudget(context, timers, workspace,
                settings)));
    }

    // ---------------------------------------------------------------- protocol

    /**
     * Travels between nodes as Protobuf ({@link BudgetMessageSerializer}), but for the budget's messages to
     * itself (GapRead, ExpireReservations, FireThresholds, Delivered), which never leave its node.
     */
    public sealed interface Command {}

    public record SetBudget(BudgetSpec spec, ActorRef<StatusReply<Done>> replyTo) implements Command {}

    /** An error reply when there is no such budget. */
    public record RemoveBudget(String key, ActorRef<StatusReply<Done>> replyTo) implements Command {}

    /** {@code team} empty: the user belongs to no team. */
    public record SetMember(String user, Optional<String> team, ActorRef<StatusReply<Done>> replyTo)
            implements Command {}

    public record Check(String user, long estimateMicros, ActorRef<BudgetBook.Decision> replyTo) implements Command {}

    /**
     * {@code ttl} empty: the configured default. {@code idempotencyKey}: the gateway's key for this
     * reservation; asked again while the reservation is in force, the same reservation is answered.
     */
    public record Reserve(String user, long estimateMicros, Optional<Duration> ttl, Optional<String> idempotencyKey,
                          ActorRef<ReserveResult> replyTo) implements Command {

        public Reserve(String user, long estimateMicros, Optional<Duration> ttl, ActorRef<ReserveResult> replyTo) {
            this(user, estimateMicros, ttl, Optional.empty(), replyTo);
        }
    }

    /** An error reply when no such reservation is in force. */
    public record Settle(String id, long actualMicros, ActorRef<StatusReply<Done>> replyTo) implements Command {}

    /** An error reply when no such reservation is in force. */
    public record Release(String id, ActorRef<StatusReply<Done>> replyTo) implements Command {}

    /**
     * Spending of the ledger's records {@code fromSeq..throughSeq} (one batch); lines already counted are
     * skipped, and records between what was counted and {@code fromSeq} are read back first.
     */
    public record ReportUsage(long fromSeq, long throughSeq, List<SeqUsage> lines) implements Command {}

    /** The usage read back for a gap before {@code report}. */
    private record GapRead(ReportUsage report, List<SeqUsage> gap, Throwable failure)
            implements Command, NoSerializationVerificationNeeded {}

    public record SeqUsage(long seq, String user, long micros, long atMicros) {}

    public record GetStatus(ActorRef<BudgetStatus> replyTo) implements Command {}

    /** both | records | settlements (validated by the caller). */
    public record SetSpendFrom(String source, ActorRef<StatusReply<Done>> replyTo) implements Command {}

    private enum ExpireReservations implements Command, NoSerializationVerificationNeeded { INSTANCE }

    /** Writes the changes decided since the last write (group commit). */
    private enum Flush implements Command, NoSerializationVerificationNeeded { INSTANCE }

    /**
     * Sharding's stop (passivation, hand-off in a rebalance or rolling update): the budget writes what is
     * pending, answers, and stops; commands held back during a write are handled before it.
     */
    enum Stop implements Command, NoSerializationVerificationNeeded { INSTANCE }

    /** {@code fence} refused this incarnation (another one claimed the budget) or could not be updated. */
    private record FenceFailed(int incarnation, Throwable failure)
            implements Command, NoSerializationVerificationNeeded {}

    /** This incarnation claimed the budget in the writer fence: what waited for that goes on. */
    private record Claimed(int incarnation) implements Command, NoSerializationVerificationNeeded {}

    /** A stopping incarnation's answers have all gone out (or been given up): it stops. */
    private record Drained(int incarnation) implements Command, NoSerializationVerificationNeeded {}


    // ---------------------------------------------------------------- behavior

    private static final SecureRandom RANDOM = new SecureRandom();

    private final ActorContext<Command> context;
    private final Settings settings;
    private final String workspace;
    /** The actor's own reference and log, also for answers sent from the fence's threads. */
    private final ActorRef<Command> self;
    private final org.slf4j.Logger log;
    /** Started once recovered, also after a restart (which cancels the actor's timers). */
    private final org.apache.pekko.actor.typed.javadsl.TimerScheduler<Command> timers;
    /** Not state: a gap before a report is being read back; reports meanwhile wait in the stash. */
    private boolean readingGap;
    /**
     * Not state: changes decided and not yet written. While a write is in flight Pekko holds the commands
     * back; once it is done they are decided one after the other, each against the book and the changes
     * before it, and the next {@link Flush} writes them all as one event.
     */
    private final PendingChanges pending = new PendingChanges();
    private boolean flushAsked;
    /** Not state: this incarnation's claim on the budget; the answers of its writes wait for it. */
    private FencedReplies fenced;
    /**
     * Not state: counts the recoveries of this actor (a failed write restarts it), to tell their fences apart;
     * also read from the fence's threads.
     */
    private volatile int incarnation;
    /** Not state: sharding asked this budget to stop; a restart (a failed write) does not forget it. */
    private boolean stopAsked;
    /**
     * Not state: this incarnation holds its claim. Until then nothing is written: a recovery that missed
     * an acknowledged write is refused its claim, and its own writes at those sequence numbers would
     * otherwise push the acknowledged ones out of the next replay. Commands that write wait in the stash.
     */
    private boolean claimed;
    /** Not state: answers collected while a write's after-write actions run, handed to {@link #fenced}. */
    private List<Runnable> outbox;

    private WorkspaceBudget(ActorContext<Command> context,
                            org.apache.pekko.actor.typed.javadsl.TimerScheduler<Command> timers, String workspace,
                            Settings settings) {
        super(PersistenceId.of(ENTITY_TYPE_KEY.name(), workspace),
                SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
        this.context = context;
        this.settings = settings;
        this.workspace = workspace;
        this.timers = timers;
        this.self = context.getSelf();
        this.log = context.getLog();
    }

    @Override
    public org.apache.pekko.persistence.typed.javadsl.SignalHandler<BudgetBook> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(org.apache.pekko.actor.typed.PreRestart.instance(), book -> {
                    // a write failed: Pekko recovers into the same (empty-state) book, so it is emptied first;
                    // what was decided and not written is gone, and nobody was answered for it
                    book.retire(); // a check reading it meanwhile discards what it read
                    settings.views().withdraw(workspace, book);
                    book.reset();
                    pending.take();
                    flushAsked = false;
                })
                .onSignal(org.apache.pekko.persistence.typed.RecoveryCompleted.instance(), book -> {
                    timers.startTimerWithFixedDelay(ExpireReservations.INSTANCE, Duration.ofSeconds(1));
                    int claiming = ++incarnation;
                    claimed = false;
                    FencedReplies before = fenced;
                    fenced = new FencedReplies(settings.fence(), workspace, lastSequenceNumber(context),
                            FencedReplies.head(book.lastWriteId), () -> self.tell(new Claimed(claiming)),
                            failure -> fenceFailed(claiming, failure));
                    if (before != null) { // restarted after a failed write: the answers of the writes before it
                        before.handOver(fenced);
                    }
                    book.recovered();
                    settings.views().publish(workspace, book);
                })
                .onSignal(org.apache.pekko.actor.typed.PostStop.instance(),
                        book -> settings.views().withdraw(workspace, book))
                .build();
    }

    @Override
    public BudgetBook emptyState() {
        return new BudgetBook(settings.zone());
    }

    /**
     * Events between snapshots. An event holds up to {@link #MAX_CHANGES_PER_WRITE} changes (usually a few
     * dozen under load), so a cold budget replays at most this many writes after its snapshot.
     */
    static final int SNAPSHOT_EVERY = 100;

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(SNAPSHOT_EVERY, 2).withDeleteEventsOnSnapshot();
    }

    /** The book is mutable: snapshots copy it in the entity's own thread. */
    @Override
    public SnapshotAdapter<BudgetBook> snapshotAdapter() {
        return new SnapshotAdapter<>() {
            @Override
            public Object toJournal(BudgetBook book) {
                return BudgetSerializer.snapshotOf(book);
            }

            @Override
            public BudgetBook fromJournal(Object from) {
                return BudgetSerializer.bookOf((BudgetSerializer.Snapshot) from, settings.zone());
            }
        };
    }

    private long now() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, settings.clock().instant());
    }

    @Override
    public CommandHandlerWithReply<Command, BudgetEvent, BudgetBook> commandHandler() {
        CommandHandlerWithReply<Command, BudgetEvent, BudgetBook> handler = newCommandHandlerWithReplyBuilder().forAnyState()
                .onCommand(SetBudget.class, (book, c) -> writeNow(book, List.of(new BudgetEvent.BudgetSet(c.spec())),
                        after -> send(c.replyTo(), StatusReply.ack())).thenNoReply())
                .onCommand(RemoveBudget.class, (book, c) -> book.budgets().containsKey(c.key())
                        ? writeNow(book, List.of(new BudgetEvent.BudgetRemoved(c.key())),
                                after -> send(c.replyTo(), StatusReply.ack())).thenNoReply()
                        : Effect().reply(c.replyTo(), StatusReply.error("no budget " + c.key())))
                .onCommand(SetMember.class, (book, c) ->
                        writeNow(book, List.of(new BudgetEvent.MemberSet(c.user(), c.team().orElse(null))),
                                after -> send(c.replyTo(), StatusReply.ack())).thenNoReply())
                .onCommand(Check.class, (book, c) -> Effect().reply(c.replyTo(),
                        book.decide(c.user(), c.estimateMicros(), now(), pending)))
                .onCommand(Reserve.class, this::onReserve)
                .onCommand(Settle.class, this::onSettle)
                .onCommand(Release.class, (book, c) -> {
                    if (pending.reservation(c.id(), book) == null) {
                        return Effect().reply(c.replyTo(), StatusReply.error("no reservation " + c.id() + " in force"));
                    }
                    return decided(book, new BudgetEvent.ReservationEnded(c.id(), "released", 0, List.of(), now()),
                            after -> send(c.replyTo(), StatusReply.ack()));
                })
                .onCommand(ReportUsage.class, this::onReportUsage)
                .onCommand(GapRead.class, this::onGapRead)
                .onCommand(SetSpendFrom.class, (book, c) ->
                        writeNow(book, List.of(new BudgetEvent.SpendFromSet(c.source())),
                                after -> send(c.replyTo(), StatusReply.ack())).thenNoReply())
                .onCommand(ExpireReservations.class, this::onExpire)
                .onCommand(Flush.class, (book, flush) -> writeNow(book, List.of(), after -> {}).thenNoReply())
                // stops once the answers of its writes went out: a next incarnation's claim would refuse them
                .onCommand(Stop.class, (book, stop) -> {
                    stopAsked = true;
                    int stopping = incarnation;
                    return writeNow(book, List.of(), after -> {})
                            .thenRun(after -> context.pipeToSelf(fenced.drained(), (done, failed) -> new Drained(stopping)))
                            .thenNoReply();
                })
                .onCommand(Drained.class, (book, drained) -> drained.incarnation() == incarnation
                        ? Effect().stop().thenNoReply() : Effect().noReply())
                .onCommand(Claimed.class, (book, claim) -> {
                    if (claim.incarnation() != incarnation) {
                        return Effect().noReply();
                    }
                    claimed = true;
                    book.pendingAlerts().forEach(this::deliver); // left undelivered by a stop: again
                    if (stopAsked) { // asked before a failed write restarted it
                        self.tell(Stop.INSTANCE);
                    }
                    return Effect().none().thenNoReply().thenUnstashAll();
                })
                .onCommand(FenceFailed.class, (book, failed) -> {
                    if (failed.incarnation() != incarnation) {
                        return Effect().noReply(); // an earlier incarnation's, before a restart
                    }
                    // another node owns this budget now (this one was downed, maybe frozen), or the fence
                    // is unreachable: nothing more is answered here; the next message starts it afresh
                    context.getLog().warn("budget of workspace {}: fenced off, stopping: {}", workspace,
                            failed.failure().getMessage());
                    return Effect().stop().thenNoReply();
                })
                .onCommand(GetStatus.class, this::onGetStatus)
                .onCommand(FireThresholds.class, (book, fire) -> {
                    // fired meanwhile (two spends crossing at once) are not fired twice
                    List<BudgetEvent> fired = book.crossings(fire.crossings().stream()
                                    .map(BudgetBook.ThresholdCrossing::key).distinct().toList(), now()).stream()
                            .<BudgetEvent>map(BudgetEvent.ThresholdFired::new).toList();
                    return fired.isEmpty() ? Effect().noReply() : writeNow(book, fired,
                            after -> fired.forEach(event -> {
                                BudgetBook.ThresholdCrossing crossing = ((BudgetEvent.ThresholdFired) event).crossing();
                                outbox.add(() -> deliver(BudgetBook.alertId(crossing), crossing));
                            }))
                            .thenNoReply();
                })
                .onCommand(Delivered.class, (book, done) -> book.pendingAlerts().containsKey(done.alertId())
                        ? writeNow(book, List.of(new BudgetEvent.AlertDelivered(done.alertId())), after -> {}).thenNoReply()
                        : Effect().noReply())
                .build();
        return (book, command) -> {
            if ((claimed && !fenced.failed()) || command instanceof Check || command instanceof GetStatus
                    || command instanceof Claimed || command instanceof FenceFailed || command instanceof Drained) {
                return handler.apply(book, command);
            }
            // not claimed yet, or fenced off and about to stop: nothing is written (see claimed)
            return command instanceof ExpireReservations ? Effect().noReply() : Effect().stash();
        };
    }

    /** Most changes one write holds; more decided meanwhile wait for the next. */
    static final int MAX_CHANGES_PER_WRITE = 1000;

    /**
     * A reservation, settlement, release or expiry decided: counted at once by the decisions after it, written
     * with the others decided meanwhile at the next {@link Flush}, and only then answered ({@code afterWrite}).
     */
    private ReplyEffect<BudgetEvent, BudgetBook> decided(BudgetBook book, BudgetEvent change,
                                                         java.util.function.Consumer<BudgetBook> afterWrite) {
        pending.add(change, book);
        pending.afterWrite(afterWrite);
        if (pending.size() >= MAX_CHANGES_PER_WRITE) {
            return writeNow(book, List.of(), after -> {}).thenNoReply();
        }
        askFlush();
        return Effect().noReply();
    }

    private void askFlush() {
        if (!flushAsked) {
            flushAsked = true;
            context.getSelf().tell(Flush.INSTANCE);
        }
    }

    /**
     * Writes the pending changes and then {@code more} as one journal event; once written, runs their
     * after-write actions and then {@code then}, against the book as the write left it. What they
     * {@link #send} goes out once the writer fence holds the write. Nothing pending and nothing more: no
     * write (the answers still wait for the fence to hold what was written before).
     */
    private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<BudgetEvent, BudgetBook> writeNow(
            BudgetBook book, List<BudgetEvent> more, java.util.function.Consumer<BudgetBook> then) {
        PendingChanges.Taken taken = pending.take();
        flushAsked = false; // nothing pending: a Flush still on its way finds nothing (or what is decided by then)
        List<BudgetEvent> events = new ArrayList<>(taken.events());
        events.addAll(more);
        org.apache.pekko.persistence.typed.javadsl.EffectBuilder<BudgetEvent, BudgetBook> write = events.isEmpty()
                ? Effect().none()
                : Effect().persist(new BudgetEvent.Changes(events, newWriteId()));
        return write.thenRun(after -> {
            outbox = new ArrayList<>();
            try {
                taken.afterWrite().forEach(action -> action.accept(after));
                then.accept(after);
                fenced.submit(lastSequenceNumber(context), FencedReplies.head(after.lastWriteId), outbox);
            } finally {
                outbox = null;
            }
        });
    }

    private static String newWriteId() {
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    /**
     * This incarnation's fence failed (told from the fence's threads). A journal forked at its last event
     * is mended first, so the next start recovers the acknowledged event.
     */
    private void fenceFailed(int claiming, Throwable failure) {
        if (failure instanceof WriterFence.Forked forked && claiming == incarnation) { // not while a newer one recovers
            settings.repair().keepOnly(PersistenceId.of(ENTITY_TYPE_KEY.name(), workspace).id(), forked.seq(),
                            forked.fencedHead(), event -> event instanceof BudgetEvent.Changes changes
                                    ? FencedReplies.head(changes.writeId()) : Digest.ZERO)
                    .whenComplete((deleted, repairFailed) -> {
                        if (repairFailed != null) {
                            log.error("budget of workspace {}: mending the forked journal failed", workspace, repairFailed);
                        }
                        self.tell(new FenceFailed(claiming, failure));
                    });
        } else {
            self.tell(new FenceFailed(claiming, failure));
        }
    }

    /** An answer after a write: sent once the fence holds the write (directly when no write is running). */
    private <T> void send(ActorRef<T> to, T message) {
        if (outbox == null) {
            to.tell(message);
        } else {
            outbox.add(() -> to.tell(message));
        }
    }

    private ReplyEffect<BudgetEvent, BudgetBook> onReserve(BudgetBook book, Reserve reserve) {
        long now = now();
        if (reserve.idempotencyKey().isPresent()) {
            BudgetBook.Reservation held = pending.reservationByKey(reserve.idempotencyKey().get(), book);
            if (held != null && held.expiresAtMicros() > now) { // one whose time is up ends at the next tick
                return replay(book, reserve, held, now);
            }
        }
        BudgetBook.Decision decision = book.decide(reserve.user(), reserve.estimateMicros(), now, pending);
        if (!decision.allowed()) {
            return Effect().reply(reserve.replyTo(), new ReserveResult.Denied(decision));
        }
        Duration ttl = reserve.ttl().orElse(settings.reservationTtl());
        if (ttl.compareTo(settings.maxReservationTtl()) > 0) {
            ttl = settings.maxReservationTtl();
        }
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        long expires = now + ChronoUnit.MICROS.between(Instant.EPOCH, Instant.EPOCH.plus(ttl));
        BudgetBook.Reservation reservation = new BudgetBook.Reservation("res_" + HexFormat.of().formatHex(random),
                reserve.user(), book.chain(reserve.user()), reserve.estimateMicros(), expires,
                reserve.idempotencyKey().orElse(null));
        return decided(book, new BudgetEvent.Reserved(reservation), after -> send(reserve.replyTo(),
                new ReserveResult.Reserved(reservation.id(), Instant.EPOCH.plus(expires, ChronoUnit.MICROS),
                        after.decide(reserve.user(), 0, now))));
    }

    /** The reservation already held under the request's idempotency key: answered again, not held twice. */
    private ReplyEffect<BudgetEvent, BudgetBook> replay(BudgetBook book, Reserve reserve, BudgetBook.Reservation held,
                                                       long now) {
        boolean same = held.user().equals(reserve.user()) && held.amountMicros() == reserve.estimateMicros();
        Instant expiresAt = Instant.EPOCH.plus(held.expiresAtMicros(), ChronoUnit.MICROS);
        java.util.function.Function<BudgetBook, ReserveResult> answer = after -> same
                ? new ReserveResult.Reserved(held.id(), expiresAt, after.decide(reserve.user(), 0, now), true)
                : new ReserveResult.KeyConflict(held.id(), "idempotency key " + held.idempotencyKey()
                        + " holds reservation " + held.id() + ", asked for with another user or estimate; a new"
                        + " reservation needs a new key", after.decide(reserve.user(), 0, now));
        if (pending.isPending(held.id())) { // decided, not written yet: answered with it, after its write
            pending.afterWrite(after -> send(reserve.replyTo(), answer.apply(after)));
            askFlush();
            return Effect().noReply();
        }
        // written, maybe not yet fenced (a zombie's): answered once the fence holds the last write
        ReserveResult result = answer.apply(book);
        fenced.submit(lastSequenceNumber(context), FencedReplies.head(book.lastWriteId),
                List.of(() -> reserve.replyTo().tell(result)));
        return Effect().noReply();
    }

    private ReplyEffect<BudgetEvent, BudgetBook> onSettle(BudgetBook book, Settle settle) {
        BudgetBook.Reservation reservation = pending.reservation(settle.id(), book);
        if (reservation == null) {
            return Effect().reply(settle.replyTo(), StatusReply.error("no reservation " + settle.id() + " in force"
                    + " (expired, released or settled)"));
        }
        // with spend counted from records, the call's usage arrives with its telemetry: not counted twice
        long spent = book.spendFrom().equals("records") ? 0 : settle.actualMicros();
        return decided(book, new BudgetEvent.ReservationEnded(settle.id(), "settled", spent, reservation.levels(), now()),
                after -> {
                    checkThresholds(after, reservation.levels());
                    send(settle.replyTo(), StatusReply.ack());
                });
    }

    private ReplyEffect<BudgetEvent, BudgetBook> onReportUsage(BudgetBook book, ReportUsage report) {
        if (readingGap) {
            return Effect().stash();
        }
        if (report.throughSeq() <= book.countedThroughSeq()) {
            return Effect().noReply(); // a batch written again on the ledger's recovery: counted already
        }
        if (report.fromSeq() > book.countedThroughSeq() + 1) {
            // records the budget never heard of: a report lost (its journal write failed), or stored
            // before this budget counted anything; read them back before counting this batch
            readingGap = true;
            long from = book.countedThroughSeq() + 1;
            context.pipeToSelf(settings.usage().usageBetween(workspace, from, report.fromSeq() - 1),
                    (gap, failure) -> new GapRead(report, gap, failure));
            return Effect().noReply();
        }
        List<String> touched = new ArrayList<>();
        BudgetEvent.UsageCounted counted = counted(book, report.throughSeq(), report.lines(), touched);
        return writeNow(book, List.of(counted), after -> checkThresholds(after, touched)).thenNoReply();
    }

    private ReplyEffect<BudgetEvent, BudgetBook> onGapRead(BudgetBook book, GapRead read) {
        readingGap = false;
        List<String> touched = new ArrayList<>();
        List<BudgetEvent> events = new ArrayList<>();
        if (read.failure() != null) {
            context.getLog().error("reading back usage before seq {} of workspace {} failed; it is not counted",
                    read.report().fromSeq(), workspace, read.failure());
        } else {
            events.add(counted(book, read.report().fromSeq() - 1, read.gap(), touched));
        }
        events.add(counted(book, read.report().throughSeq(), read.report().lines(), touched));
        return writeNow(book, events, after -> checkThresholds(after, touched)).thenNoReply()
                .thenUnstashAll();
    }

    /** The event counting {@code lines} (those above the watermark) on each user's levels as they are now. */
    private static BudgetEvent.UsageCounted counted(BudgetBook book, long throughSeq, List<SeqUsage> lines,
                                                    List<String> touched) {
        List<BudgetEvent.UsageLine> counted = new ArrayList<>();
        boolean counts = !book.spendFrom().equals("settlements"); // else only the watermark moves
        for (SeqUsage line : lines) {
            if (counts && line.seq() > book.countedThroughSeq() && line.micros() > 0) {
                List<String> levels = book.chain(line.user());
                levels.stream().filter(k -> !touched.contains(k)).forEach(touched::add);
                counted.add(new BudgetEvent.UsageLine(levels, line.micros(), line.atMicros()));
            }
        }
        return new BudgetEvent.UsageCounted(throughSeq, counted);
    }

    private ReplyEffect<BudgetEvent, BudgetBook> onExpire(BudgetBook book, ExpireReservations tick) {
        long now = now();
        // the rest at the next tick: one write holds at most MAX_CHANGES_PER_WRITE changes
        List<String> expired = book.expired(now).stream().filter(id -> !pending.isEnded(id))
                .limit(Math.max(0, MAX_CHANGES_PER_WRITE - pending.size())).toList();
        if (expired.isEmpty()) {
            return Effect().noReply();
        }
        expired.forEach(id -> pending.add(new BudgetEvent.ReservationEnded(id, "expired", 0, List.of(), now), book));
        askFlush();
        return Effect().noReply();
    }

    private ReplyEffect<BudgetEvent, BudgetBook> onGetStatus(BudgetBook book, GetStatus get) {
        long now = now();
        List<BudgetBook.Level> levels = new ArrayList<>();
        List<String> fired = new ArrayList<>();
        for (BudgetSpec spec : book.budgets().values()) {
            levels.add(book.level(spec, now));
            String windowStart = spec.window().start(book.day(now)).toString();
            book.fired.getOrDefault(spec.key(), java.util.Set.of()).stream()
                    .filter(mark -> mark.startsWith(windowStart + ":"))
                    .forEach(mark -> fired.add(spec.key() + "@" + mark.substring(windowStart.length() + 1) + "%"));
        }
        levels.sort(java.util.Comparator.comparing(BudgetBook.Level::key));
        return Effect().reply(get.replyTo(), new BudgetStatus(List.copyOf(book.budgets().values()),
                java.util.Map.copyOf(book.members()), levels, fired, book.countedThroughSeq(), book.spendFrom()));
    }

    /** After spending: persists the thresholds it crossed (each fires once per window). */
    private void checkThresholds(BudgetBook book, List<String> keys) {
        List<BudgetBook.ThresholdCrossing> crossed = book.crossings(keys, now());
        if (!crossed.isEmpty()) {
            context.getSelf().tell(new FireThresholds(crossed));
        }
    }

    private record FireThresholds(List<BudgetBook.ThresholdCrossing> crossings)
            implements Command, NoSerializationVerificationNeeded {}

    private record Delivered(String alertId) implements Command, NoSerializationVerificationNeeded {}

    private void deliver(String alertId, BudgetBook.ThresholdCrossing crossing) {
        settings.alerts().deliver(workspace, alertId, crossing).whenComplete((ok, failure) -> {
            if (failure == null) {
                self.tell(new Delivered(alertId));
            } else {
                log.warn("alert {} of workspace {} not delivered; again at the next start", alertId, workspace, failure);
            }
        });
    }

    @Override
    public EventHandler<BudgetBook, BudgetEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState()
                .onAnyEvent(BudgetEvent::apply);
    }
}

package dev.codexledger.streams;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The one deliverer of a workspace's records to its stream destinations (sharded by workspace, so one per
 * cluster). Each destination has its own cursor and runs its own rounds ({@link StreamDelivery}), one at a
 * time, so a failing destination backs off (exponential, with jitter) without holding up the others. The
 * ledger wakes it after each write; the cluster's leader wakes it when a destination is behind and nothing
 * else would (its node stopped, a destination was resumed or created from the beginning).
 */
public final class StreamLane {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "StreamLane");
    private static final Duration TICK = Duration.ofSeconds(1);
    private static final Duration PAUSED_CHECK = Duration.ofSeconds(60);

    private StreamLane() {}

    /** Travels between nodes as Protobuf ({@link StreamMessageSerializer}): {@link Wake} only. */
    public sealed interface Command {}

    /** Records through {@code headSeq} exist ({@code written}: told after their rows were written). */
    public record Wake(long headSeq, boolean written) implements Command {}

    private enum Tick implements Command, NoSerializationVerificationNeeded { INSTANCE }

    private record Done(String destination, StreamDelivery.Outcome outcome, Throwable failure)
            implements Command, NoSerializationVerificationNeeded {}

    /** Backoff of a destination's retries: first, doubled per failure up to max, each with +-50 % jitter. */
    record Backoff(Duration first, Duration max) {
        long millis(int failures) {
            double base = Math.min(max.toMillis(), first.toMillis() * Math.pow(2, Math.min(30, failures - 1)));
            return (long) (base * (0.5 + ThreadLocalRandom.current().nextDouble()));
        }
    }

    private static final class Track {
        StreamStore.Cursor cursor;
        boolean inFlight;
        long nextAttemptMillis;
        int failures;
        /** Waiting only because the destination was paused: a resume ends the wait. */
        boolean pausedWait;
    }

    static Behavior<Command> create(String workspace, StreamDelivery delivery, StreamMetrics metrics, Executor executor,
                                    Backoff backoff) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Tick.INSTANCE, TICK);
            return new Lane(context, workspace, delivery, metrics, executor, backoff).behavior();
        }));
    }

    private static final class Lane {
        private final ActorContext<Command> context;
        private final String workspace;
        private final StreamDelivery delivery;
        private final StreamMetrics metrics;
        private final Executor executor;
        private final Backoff backoff;
        private final Map<String, Track> tracks = new HashMap<>();
        private long hintHead;
        private long writtenHead;

        Lane(ActorContext<Command> context, String workspace, StreamDelivery delivery, StreamMetrics metrics,
             Executor executor, Backoff backoff) {
            this.context = context;
            this.workspace = workspace;
            this.delivery = delivery;
            this.metrics = metrics;
            this.executor = executor;
            this.backoff = backoff;
        }

        Behavior<Command> behavior() {
            return Behaviors.receive(Command.class)
                    .onMessage(Wake.class, wake -> {
                        hintHead = Math.max(hintHead, wake.headSeq());
                        if (wake.written()) {
                            writtenHead = Math.max(writtenHead, wake.headSeq());
                        }
                        pump();
                        return Behaviors.same();
                    })
                    .onMessage(Tick.class, tick -> {
                        pump();
                        return Behaviors.same();
                    })
                    .onMessage(Done.class, this::done)
                    .onSignal(PostStop.class, stop -> {
                        metrics.laneStopped(workspace);
                        return Behaviors.same();
                    })
                    .build();
        }

        private Behavior<Command> done(Done done) {
            Track track = tracks.get(done.destination());
            if (track == null) {
                return Behaviors.same(); // removed meanwhile
            }
            track.inFlight = false;
            long now = System.currentTimeMillis();
            if (done.failure() != null || done.outcome().error() != null) {
                track.failures++;
                track.nextAttemptMillis = now + backoff.millis(track.failures);
                if (done.failure() != null) {
                    context.getLog().warn("stream round of {} for {} failed: {}", done.destination(), workspace,
                            done.failure().toString());
                } else if (track.failures == 1) { // once per outage; the status shows the last error
                    context.getLog().warn("stream {} cannot deliver {}'s records, retrying with backoff: {}",
                            done.destination(), workspace, done.outcome().error());
                }
            } else if (done.outcome() != null && done.outcome().waiting()) {
                track.nextAttemptMillis = now + TICK.toMillis(); // rows still being written, or no thread free
            } else {
                if (track.failures > 0) {
                    context.getLog().info("stream {} delivers {}'s records again after {} failed attempts",
                            done.destination(), workspace, track.failures);
                }
                track.failures = 0;
                if (!track.pausedWait) {
                    track.nextAttemptMillis = 0;
                }
            }
            if (done.outcome() != null && done.outcome().cursor() != null) {
                track.cursor = done.outcome().cursor();
                writtenHead = Math.max(writtenHead, track.cursor.headSeq());
                hintHead = Math.max(hintHead, writtenHead);
            }
            pump();
            return Behaviors.same();
        }

        private void pump() {
            List<StreamDestination> destinations = delivery.destinations(workspace);
            Set<String> present = new HashSet<>();
            long now = System.currentTimeMillis();
            long head = Math.max(hintHead, writtenHead);
            for (StreamDestination d : destinations) {
                present.add(d.id());
                Track track = tracks.computeIfAbsent(d.id(), id -> new Track());
                if (track.cursor != null) {
                    metrics.lane(d, workspace, Math.max(0, head - track.cursor.deliveredSeq()), track.cursor.pendingSince());
                }
                if (track.pausedWait && !d.paused()) {
                    track.pausedWait = false;
                    track.nextAttemptMillis = 0;
                }
                if (track.inFlight || now < track.nextAttemptMillis) {
                    continue;
                }
                if (track.cursor != null && track.cursor.deliveredSeq() >= head) {
                    continue; // caught up
                }
                if (d.paused()) {
                    track.nextAttemptMillis = now + PAUSED_CHECK.toMillis();
                    track.pausedWait = true;
                }
                track.inFlight = true;
                StreamStore.Cursor known = track.cursor;
                long hint = hintHead;
                long written = writtenHead;
                CompletableFuture.supplyAsync(() -> delivery.round(workspace, d, known, hint, written), executor)
                        .whenComplete((outcome, failure) -> context.getSelf().tell(new Done(d.id(), outcome, failure)));
            }
            tracks.keySet().retainAll(present);
        }
    }
}

package dev.codexledger.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.dungeon.SerializationCheckFailedException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.event.Logging;

/**
 * With {@code serialize-messages} on, a message that has no wire format is not delivered, and Pekko only
 * logs why: a test whose outcome does not hang on that message would pass. This collects those failures
 * from a node's event stream so that the test class fails ({@link SharedCassandra} asks after each class).
 */
public final class SerializationChecks {

    private static final ConcurrentLinkedQueue<String> FAILURES = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger LISTENERS = new AtomicInteger();

    private SerializationChecks() {}

    /** Records every message {@code system} could not serialize from now on. */
    public static void watch(ActorSystem<?> system) {
        ActorRef<Logging.Error> listener = system.systemActorOf(Behaviors.receiveMessage(error -> {
            if (error.cause() instanceof SerializationCheckFailedException failed) {
                FAILURES.add(system.name() + ": " + failed.getMessage() + " (" + failed.getCause() + ")");
            }
            return Behaviors.same();
        }), "serialization-checks-" + LISTENERS.incrementAndGet(), Props.empty());
        system.eventStream().tell(new EventStream.Subscribe<>(Logging.Error.class, listener));
    }

    /** Fails with the messages that could not be serialized since the last call. */
    public static void assertNoneFailed() {
        List<String> failed = new ArrayList<>();
        for (String failure = FAILURES.poll(); failure != null; failure = FAILURES.poll()) {
            failed.add(failure);
        }
        if (!failed.isEmpty()) {
            throw new AssertionError("messages without a wire format (serialize-messages):\n" + String.join("\n", failed));
        }
    }
}

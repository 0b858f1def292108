package dev.codexledger.testing;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * Waiting for a condition instead of for time: polls until the condition holds or a deadline passes.
 *
 * <ul>
 *   <li>{@link #until} polls a probe until its value satisfies a predicate and returns that value. An
 *       exception (or failed assertion) thrown by the probe or the predicate ends the wait at once: use
 *       it for conditions that must not fail on the way (a process that must stay alive, a status that
 *       must be 503 while recovering).</li>
 *   <li>{@link #assertThat} retries a block of assertions (and whatever it reads) until it passes; at the
 *       deadline it throws the last failure, saying how long it waited.</li>
 * </ul>
 * Both poll every {@link #POLL} unless given another interval, and check once more at the deadline.
 */
public final class Eventually {

    /** How often a condition is checked, unless a test says otherwise. */
    public static final Duration POLL = Duration.ofMillis(50);

    /** A value to poll; may throw. */
    @FunctionalInterface
    public interface Probe<T> {
        T get() throws Exception;
    }

    /** A block of assertions to retry; may throw. */
    @FunctionalInterface
    public interface Check {
        void run() throws Exception;
    }

    private Eventually() {}

    /** The first value of {@code probe} that satisfies {@code done}, polled every {@link #POLL}. */
    public static <T> T until(Duration within, Probe<T> probe, Predicate<? super T> done) {
        return until(within, POLL, probe, done);
    }

    /**
     * The first value of {@code probe} that satisfies {@code done}, polled every {@code every}; an
     * {@link AssertionError} naming the last value when none did within {@code within}.
     */
    public static <T> T until(Duration within, Duration every, Probe<T> probe, Predicate<? super T> done) {
        long start = System.nanoTime();
        long deadline = start + within.toNanos();
        int tries = 0;
        while (true) {
            boolean last = System.nanoTime() - deadline >= 0;
            T value = get(probe);
            tries++;
            if (done.test(value)) {
                return value;
            }
            if (last) {
                throw new AssertionError("condition not met within " + within + " (waited " + millisSince(start)
                        + " ms, " + tries + " tries); last value: " + value);
            }
            pause(every, deadline);
        }
    }

    /** Runs {@code check} until it passes (no exception), every {@link #POLL}. */
    public static void assertThat(Duration within, Check check) {
        assertThat(within, POLL, check);
    }

    /**
     * Runs {@code check} until it passes, every {@code every}; when it still fails at {@code within},
     * throws an {@link AssertionError} with the last failure's message (and the failure as its cause),
     * noting how long it waited.
     */
    public static void assertThat(Duration within, Duration every, Check check) {
        long start = System.nanoTime();
        long deadline = start + within.toNanos();
        int tries = 0;
        while (true) {
            boolean last = System.nanoTime() - deadline >= 0;
            tries++;
            try {
                check.run();
                return;
            } catch (AssertionError | Exception failure) {
                if (failure instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted while waiting", failure);
                }
                if (last) {
                    throw new AssertionError("still failing after " + millisSince(start) + " ms (" + tries
                            + " tries, limit " + within + "): " + failure.getMessage(), failure);
                }
            }
            pause(every, deadline);
        }
    }

    private static <T> T get(Probe<T> probe) {
        try {
            return probe.get();
        } catch (RuntimeException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        } catch (Exception e) {
            throw new AssertionError(e.toString(), e);
        }
    }

    /** Sleeps the poll interval, never past the deadline (so the last check falls at it). */
    private static void pause(Duration every, long deadline) {
        long nanos = Math.min(every.toNanos(), Math.max(0, deadline - System.nanoTime()));
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}

package dev.codexledger.localcassandra;

import java.time.Duration;
import java.util.Locale;

/**
 * How a node's commit log reaches the disk, which decides what a power cut (or a kernel crash) can take
 * from it; a killed process loses nothing in any mode, the operating system still holds its writes.
 *
 * <ul>
 *   <li>{@code periodic}: a write is acknowledged at once and the log is synced every {@code interval}:
 *       up to that long of acknowledged writes can be lost.</li>
 *   <li>{@code group}: a write is acknowledged after the sync that follows it; syncs happen at most every
 *       {@code interval}, so concurrent writes share one. Nothing acknowledged is lost.</li>
 *   <li>{@code batch}: like {@code group}, but the log is synced as soon as writes are waiting.</li>
 * </ul>
 *
 * Written as in config: {@code "periodic"}, {@code "periodic 10s"}, {@code "group"}, {@code "group 15ms"},
 * {@code "batch"}.
 */
public record CommitLogSync(Mode mode, Duration interval) {

    public enum Mode { PERIODIC, GROUP, BATCH }

    /** Cassandra's own default period. */
    static final Duration DEFAULT_PERIOD = Duration.ofSeconds(10);
    /** Long enough for concurrent writes to share a sync, short against the ledger's ~100 ms acknowledgements. */
    static final Duration DEFAULT_GROUP_WINDOW = Duration.ofMillis(15);

    public CommitLogSync {
        if (mode != Mode.BATCH && (interval.isNegative() || interval.isZero())) {
            throw new IllegalArgumentException("commit log " + mode + " needs a positive interval, not " + interval);
        }
    }

    public static CommitLogSync periodic() {
        return new CommitLogSync(Mode.PERIODIC, DEFAULT_PERIOD);
    }

    public static CommitLogSync group() {
        return new CommitLogSync(Mode.GROUP, DEFAULT_GROUP_WINDOW);
    }

    public static CommitLogSync batch() {
        return new CommitLogSync(Mode.BATCH, Duration.ZERO);
    }

    /** {@code "<mode> [<n>ms|<n>s]"}; the interval defaults to 10 s for periodic and 15 ms for group. */
    public static CommitLogSync parse(String value) {
        String[] parts = value.trim().toLowerCase(Locale.ROOT).split("\\s+");
        if (parts.length > 2 || parts[0].isEmpty()) {
            throw new IllegalArgumentException("commit log sync '" + value + "': expected periodic, group or batch,"
                    + " optionally followed by an interval such as 10s or 15ms");
        }
        CommitLogSync defaults = switch (parts[0]) {
            case "periodic" -> periodic();
            case "group" -> group();
            case "batch" -> batch();
            default -> throw new IllegalArgumentException("commit log sync '" + value
                    + "': the mode is periodic, group or batch");
        };
        if (parts.length == 1) {
            return defaults;
        }
        if (defaults.mode == Mode.BATCH) {
            throw new IllegalArgumentException("commit log sync '" + value + "': batch takes no interval");
        }
        return new CommitLogSync(defaults.mode, parseDuration(parts[1], value));
    }

    private static Duration parseDuration(String text, String whole) {
        try {
            if (text.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
            }
            if (text.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)));
            }
        } catch (NumberFormatException e) {
            // reported below with the whole value
        }
        throw new IllegalArgumentException("commit log sync '" + whole + "': the interval is <n>ms or <n>s");
    }

    /** The cassandra.yaml lines. */
    String yaml() {
        return switch (mode) {
            case PERIODIC -> "commitlog_sync: periodic\ncommitlog_sync_period: " + interval.toMillis() + "ms\n";
            case GROUP -> "commitlog_sync: group\ncommitlog_sync_group_window: " + interval.toMillis() + "ms\n";
            case BATCH -> "commitlog_sync: batch\n";
        };
    }

    @Override
    public String toString() {
        String name = mode.name().toLowerCase(Locale.ROOT);
        return mode == Mode.BATCH ? name : name + " " + interval.toMillis() + "ms";
    }
}

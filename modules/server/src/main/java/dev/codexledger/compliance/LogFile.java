package dev.codexledger.compliance;

import java.time.Instant;
import java.util.Optional;

/**
 * A compliance log file: the records of one event type accepted in one closed ingestion window of a
 * workspace. Its id names the event type and the window, so it means the same file on every node and
 * never changes once the window is closed.
 */
record LogFile(String eventType, Instant start, long windowMillis, long firstSeq, long lastSeq, long records) {

    Instant end() {
        return start.plusMillis(windowMillis);
    }

    String id() {
        return eventType + "-" + start.toEpochMilli() + "-" + windowMillis;
    }

    /** The event type, window start and length of an id; empty when it is not one. */
    record Key(String eventType, long startMillis, long windowMillis) {}

    static Optional<Key> parse(String id) {
        String[] parts = id.split("-");
        if (parts.length != 3 || !dev.codexledger.records.RecordParser.EVENT_TYPES.contains(parts[0])) {
            return Optional.empty();
        }
        try {
            long start = Long.parseLong(parts[1]);
            long length = Long.parseLong(parts[2]);
            return start < 0 || length <= 0 || start % length != 0 ? Optional.empty()
                    : Optional.of(new Key(parts[0], start, length));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}

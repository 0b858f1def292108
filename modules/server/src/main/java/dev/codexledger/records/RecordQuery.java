package dev.codexledger.records;

import java.util.Optional;

/**
 * A page request over one workspace's records. Filters apply to the record's own timestamp
 * ({@code from} inclusive, {@code to} exclusive), its user id and its event type.
 */
public record RecordQuery(String workspace, Optional<Long> fromMicros, Optional<Long> toMicros, Optional<String> user,
                          Optional<String> eventType, int limit, RecordCursor cursor, int scanBudget) {

    boolean matches(StoredRecord record) {
        return fromMicros.map(f -> record.timestampMicros() >= f).orElse(true)
                && toMicros.map(t -> record.timestampMicros() < t).orElse(true)
                && user.map(u -> u.equals(record.userId())).orElse(true)
                && eventType.map(e -> e.equals(record.eventType())).orElse(true);
    }
}

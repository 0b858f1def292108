package dev.codexledger.records;

import java.util.Optional;

/**
 * A page request over one workspace's records. Filters apply to the record's own timestamp
 * ({@code from} inclusive, {@code to} exclusive), its user ids and event types (any of), and its content.
 */
public record RecordQuery(String workspace, Optional<Long> fromMicros, Optional<Long> toMicros,
                          java.util.Set<String> users, java.util.Set<String> eventTypes, ContentFilter content,
                          int limit, RecordCursor cursor, int scanBudget) {

    boolean matches(StoredRecord record) {
        return fromMicros.map(f -> record.timestampMicros() >= f).orElse(true)
                && toMicros.map(t -> record.timestampMicros() < t).orElse(true)
                && (users.isEmpty() || (record.userId() != null && users.contains(record.userId())))
                && (eventTypes.isEmpty() || eventTypes.contains(record.eventType()))
                && content.matches(record.content());
    }

    /** Every record of a workspace, {@code limit} per page. */
    public static RecordQuery everything(String workspace, int limit, int scanBudget) {
        return new RecordQuery(workspace, Optional.empty(), Optional.empty(), java.util.Set.of(), java.util.Set.of(),
                ContentFilter.NONE, limit, RecordCursor.START, scanBudget);
    }

    public RecordQuery from(RecordCursor next) {
        return new RecordQuery(workspace, fromMicros, toMicros, users, eventTypes, content, limit, next, scanBudget);
    }
}

package dev.codexledger.records;

import java.util.Set;
import java.util.function.Supplier;

/** Which active legal holds keep a record beyond its retention (see {@code LegalHolds}). */
public interface HoldPolicy {

    /**
     * Ids of the workspace's active holds that match a record; empty (answered from memory, without
     * looking at the content) when the workspace has no active hold, which is the usual case.
     */
    Set<String> holdsFor(String workspace, String userId, long timestampMicros, String eventType,
                         Supplier<String> content);

    HoldPolicy NONE = (workspace, userId, timestampMicros, eventType, content) -> Set.of();
}

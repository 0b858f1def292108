package dev.codexledger.workspace;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What a ledger decides about an incoming batch: take the new records, or refuse it whole. */
public sealed interface Admission {

    /** The new records, in request order, and how many were re-sends of stored ones. */
    record Admitted(List<NewRecord> fresh, int duplicates) implements Admission {}

    /** Record {@code index} of the request reuses a stored (or earlier) id with different content. */
    record Conflicting(int index, String eventId) implements Admission {}

    /**
     * The ids the window cannot decide alone, to be looked up in the records' id index: those it may
     * hold (a re-send: is the content the same?) and those below its horizon.
     */
    static Set<String> idsToLookUp(Collection<NewRecord> batch, DedupWindow window) {
        Set<String> ids = new LinkedHashSet<>();
        for (NewRecord record : batch) {
            if (window.mayContain(record.eventId()) || window.needsLookup(record.timestampMicros())) {
                ids.add(record.eventId());
            }
        }
        return ids;
    }

    /**
     * Decides on a batch given the content hashes looked up for {@link #idsToLookUp} (an id looked up but
     * not found is new). A record whose id is already known is a duplicate when its content is the same,
     * a conflict otherwise; the same holds between records of the one batch.
     */
    static Admission decide(List<NewRecord> batch, Map<String, Digest> stored) {
        return decide(batch, stored, Map.of());
    }

    /**
     * As {@link #decide(List, Map)}, where {@code earlier} holds the ids (and content hashes) of records
     * admitted from other requests handled in the same persisted batch.
     */
    static Admission decide(List<NewRecord> batch, Map<String, Digest> stored, Map<String, Digest> earlier) {
        Map<String, Digest> seenInBatch = new HashMap<>();
        List<NewRecord> fresh = new ArrayList<>();
        int duplicates = 0;
        for (int i = 0; i < batch.size(); i++) {
            NewRecord record = batch.get(i);
            Digest known = earlier.get(record.eventId());
            if (known == null) {
                known = stored.getOrDefault(record.eventId(), seenInBatch.get(record.eventId()));
            }
            if (known == null) {
                fresh.add(record);
                seenInBatch.put(record.eventId(), record.contentHash());
            } else if (known.equals(record.contentHash())) {
                duplicates++;
            } else {
                return new Conflicting(i, record.eventId());
            }
        }
        return new Admitted(List.copyOf(fresh), duplicates);
    }
}

package dev.codexledger.records;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Pages of a workspace's records in sequence order for the records API, searches and exports: the
 * records table's hours merged with the held copies of records kept past their retention.
 */
public final class RecordSearch {

    private final RecordStore store;
    private final HeldRecords held;
    private final long acceptSkewMicros;

    /** {@code acceptSkew}: how much earlier than its timestamp a record can have been accepted (clients' clocks run ahead). */
    public RecordSearch(RecordStore store, HeldRecords held, Duration acceptSkew) {
        this.store = store;
        this.held = held;
        this.acceptSkewMicros = TimeUnit.MILLISECONDS.toMicros(acceptSkew.toMillis());
    }

    /**
     * One page of a workspace's records in sequence order. Blocking: call it off the HTTP threads.
     * Scans at most {@code query.scanBudget()} rows; a page can hold fewer than {@code limit} records and
     * still have a cursor when the filters matched few of the rows scanned.
     */
    public RecordPage read(RecordQuery query) {
        List<StoredRecord> matches = new ArrayList<>();
        Map<Long, Long> bucketOfSeq = new HashMap<>();
        RecordCursor position = query.cursor();
        int scanned = 0;
        // Records are accepted after they happen (give or take clock skew): a search from `from` need not
        // look at hours accepted long before it.
        long firstBucket = position.equals(RecordCursor.START) && query.fromMicros().isPresent()
                ? RecordStore.bucketOf(query.fromMicros().get() - acceptSkewMicros) : position.bucket();
        long from = Math.max(firstBucket, position.bucket());
        NavigableSet<Long> buckets = store.bucketsOf(query.workspace(), from);
        buckets.addAll(held.bucketsOf(query.workspace(), from));
        for (long bucket : buckets) {
            long afterSeq = bucket == position.bucket() ? position.seq() : 0;
            // held copies of this bucket (records kept by a legal hold past their TTL), merged in by seq
            TreeMap<Long, StoredRecord> heldHere = new TreeMap<>();
            held.heldIn(query.workspace(), bucket, afterSeq, query.scanBudget())
                    .forEach(copy -> heldHere.put(copy.seq(), copy));
            Iterator<StoredRecord> rows = store.rowsOf(query.workspace(), bucket, afterSeq, !query.content().isEmpty(),
                    Math.min(query.scanBudget(), query.content().isEmpty() ? 5000 : 1000));
            while (rows.hasNext() || !heldHere.isEmpty()) {
                StoredRecord record;
                if (rows.hasNext()) {
                    StoredRecord stored = rows.next();
                    Map.Entry<Long, StoredRecord> firstHeld = heldHere.firstEntry();
                    if (firstHeld != null && firstHeld.getKey() < stored.seq()) {
                        record = heldHere.pollFirstEntry().getValue();
                        heldHere.put(stored.seq(), stored); // comes next; its held copy (same seq) is replaced
                    } else {
                        heldHere.remove(stored.seq());
                        record = stored;
                    }
                } else {
                    record = heldHere.pollFirstEntry().getValue();
                }
                scanned++;
                position = new RecordCursor(bucket, record.seq());
                if (query.matches(record)) {
                    matches.add(record);
                    bucketOfSeq.put(record.seq(), bucket);
                }
                if (matches.size() == query.limit() || scanned >= query.scanBudget()) {
                    return new RecordPage(withContent(query.workspace(), matches, bucketOfSeq), position);
                }
            }
        }
        return new RecordPage(withContent(query.workspace(), matches, bucketOfSeq), null);
    }

    /**
     * Fills in the content of records read without it (a scan whose filters need no content reads only
     * the small columns, then fetches the content of the matches).
     */
    private List<StoredRecord> withContent(String workspace, List<StoredRecord> records, Map<Long, Long> bucketOfSeq) {
        Map<Long, List<Long>> missing = new TreeMap<>();
        for (StoredRecord record : records) {
            if (record.content() == null) {
                missing.computeIfAbsent(bucketOfSeq.get(record.seq()), b -> new ArrayList<>()).add(record.seq());
            }
        }
        if (missing.isEmpty()) {
            return records;
        }
        Map<Long, String> contents = new HashMap<>();
        missing.forEach((bucket, seqs) -> contents.putAll(store.contents(workspace, bucket, seqs)));
        List<StoredRecord> filled = new ArrayList<>(records.size());
        for (StoredRecord r : records) {
            filled.add(r.content() != null ? r : new StoredRecord(r.seq(), r.eventType(), r.timestampMicros(),
                    r.userId(), contents.get(r.seq()), r.chainHash()));
        }
        // a row that expired between the two reads has no content left: leave it out
        return filled.stream().filter(r -> r.content() != null).toList();
    }
}

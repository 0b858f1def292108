package dev.codexledger.records;

import java.util.List;
import java.util.NavigableSet;

/**
 * Copies of records kept past their retention (by legal holds, see {@code compliance.HeldCopies}): a
 * search reads them beside the records table, merged by seq, so a held record stays findable after its
 * original expired.
 */
public interface HeldRecords {

    /** The hour buckets of a workspace that have held copies, from {@code fromBucket} on. Blocking. */
    NavigableSet<Long> bucketsOf(String workspace, long fromBucket);

    /** The held copies of one hour bucket after {@code afterSeq}, in seq order, at most {@code limit}. Blocking. */
    List<StoredRecord> heldIn(String workspace, long bucket, long afterSeq, int limit);

    HeldRecords NONE = new HeldRecords() {
        @Override
        public NavigableSet<Long> bucketsOf(String workspace, long fromBucket) {
            return new java.util.TreeSet<>();
        }

        @Override
        public List<StoredRecord> heldIn(String workspace, long bucket, long afterSeq, int limit) {
            return List.of();
        }
    };
}

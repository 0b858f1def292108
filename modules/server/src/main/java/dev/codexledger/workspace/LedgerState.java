package dev.codexledger.workspace;

import dev.codexledger.verify.MerkleFrontier;

/**
 * State of one workspace's ledger. Domain only, no Pekko types.
 *
 * @param nextSeq   the sequence number the next accepted record gets (gap-free from 1)
 * @param headHash  the chain hash of the last accepted record ({@link Digest#ZERO} before the first)
 * @param lastBatch the last accepted batch, written again on recovery in case it never reached the tables
 * @param window    recently accepted ids (see {@link DedupWindow}); mutated by {@link #apply} only
 * @param tree      the right edge of the workspace's Merkle tree over records 1 … nextSeq-1; null for a
 *                  workspace whose snapshot predates the tree (it has no proofs)
 * @param treeBeforeLastBatch the tree before {@code lastBatch}, to write its tile entries again on recovery
 */
public record LedgerState(long nextSeq, Digest headHash, RecordsAppended lastBatch, DedupWindow window,
                          MerkleFrontier tree, MerkleFrontier treeBeforeLastBatch) {

    public static LedgerState empty(int dedupWindowSize) {
        return new LedgerState(1, Digest.ZERO, RecordsAppended.NONE, DedupWindow.empty(dedupWindowSize),
                MerkleFrontier.EMPTY, MerkleFrontier.EMPTY);
    }

    /** Heap the ledger holds for this state: its dedup window and its last batch (see {@link ActiveLedgers}). */
    public long heapBytes() {
        return window.bytes() + lastBatch.heapBytes();
    }

    /** The acceptance time for a new batch: the clock, but never before the previous batch. */
    public long acceptanceTime(long nowMicros) {
        return Math.max(nowMicros, lastBatch.acceptedAtMicros());
    }

    /** The tree writes of the last batch (null without a tree): what recovery writes again with its rows. */
    public TreeWrites lastBatchTreeWrites() {
        return tree == null || lastBatch.isEmpty() ? null : TreeWrites.of(treeBeforeLastBatch, lastBatch.records());
    }

    /**
     * Applies an accepted batch. The window is shared with (and mutated for) the new state, except that
     * the first event after the empty state starts a window of its own: Pekko keeps the empty state
     * object across journal-failure restarts, and recovery must not start from ids of a failed batch.
     */
    public LedgerState apply(RecordsAppended event) {
        DedupWindow next = lastBatch.isEmpty() ? window.emptyCopy() : window;
        event.records().forEach(next::add);
        LedgerRecord last = event.records().get(event.records().size() - 1);
        MerkleFrontier grown = tree;
        if (tree != null && tree.size() != event.firstSeq() - 1) {
            // cannot happen for a ledger's own events (they follow from seq 1 or from a snapshot with its tree);
            // a tree that does not end where the batch starts would prove something false: keep none
            grown = null;
        } else if (tree != null) {
            for (LedgerRecord record : event.records()) {
                grown = grown.append(record.leafHash());
            }
        }
        return new LedgerState(last.seq() + 1, last.chainHash(), event.withoutFacts(), next, grown,
                grown == null ? null : tree);
    }

    /** Applies an erasure: the last batch loses the erased records' content (sequence, chain and tree unchanged). */
    public LedgerState apply(RecordsForgotten event) {
        return new LedgerState(nextSeq, headHash, lastBatch.forget(event.seqs(), event.erasedAtMicros()), window,
                tree, treeBeforeLastBatch);
    }
}

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
 * @param lastBatchTree what {@code lastBatch} added to the tree (its tile entries, computed once when it was
 *                      applied and written again on recovery); null without a tree
 */
public record LedgerState(long nextSeq, Digest headHash, RecordsAppended lastBatch, DedupWindow window,
                          MerkleFrontier tree, TreeWrites lastBatchTree) {

    private static final TreeWrites NO_BATCH = new TreeWrites(MerkleFrontier.EMPTY, MerkleFrontier.EMPTY, java.util.List.of());

    public static LedgerState empty(int dedupWindowSize) {
        return new LedgerState(1, Digest.ZERO, RecordsAppended.NONE, DedupWindow.empty(dedupWindowSize),
                MerkleFrontier.EMPTY, NO_BATCH);
    }

    /** The tree before the last batch (null without a tree). */
    public MerkleFrontier treeBeforeLastBatch() {
        return lastBatchTree == null ? null : lastBatchTree.before();
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
        return tree == null || lastBatch.isEmpty() ? null : lastBatchTree;
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
        TreeWrites writes = null;
        if (tree != null && tree.size() == event.firstSeq() - 1) {
            writes = TreeWrites.of(tree, event.records());
        }
        // a tree that does not end where the batch starts (cannot happen for a ledger's own events: they follow
        // from seq 1 or from a snapshot with its tree) would prove something false: then keep none
        return new LedgerState(last.seq() + 1, last.chainHash(), event.withoutFacts(), next,
                writes == null ? null : writes.after(), writes);
    }

    /**
     * Whether the chain has head {@code head} at {@code seq}, as far as this state can tell: at its head, within
     * its last batch, or just before it (the batch's first record must chain from {@code head}); empty
     * further back, or when the record that would tell was erased.
     */
    public java.util.Optional<Boolean> passesThrough(long seq, Digest head) {
        if (seq == nextSeq - 1) {
            return java.util.Optional.of(head.equals(headHash));
        }
        if (lastBatch.isEmpty() || seq < lastBatch.firstSeq() - 1 || seq > lastBatch.lastSeq()) {
            return java.util.Optional.empty();
        }
        if (seq >= lastBatch.firstSeq()) {
            return java.util.Optional.of(lastBatch.records().get((int) (seq - lastBatch.firstSeq())).chainHash().equals(head));
        }
        LedgerRecord first = lastBatch.records().get(0);
        if (ErasedContent.isMarker(first.content())) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(Digest.chain(head, first.seq(), first.content()).equals(first.chainHash()));
    }

    /** Applies an erasure: the last batch loses the erased records' content (sequence, chain and tree unchanged). */
    public LedgerState apply(RecordsForgotten event) {
        return new LedgerState(nextSeq, headHash, lastBatch.forget(event.seqs(), event.erasedAtMicros()), window,
                tree, lastBatchTree);
    }
}

package dev.codexledger.workspace;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One writer per workspace, enforced by the store. Sharding and the split brain resolver keep one ledger
 * per workspace in a healthy cluster, but a node frozen long enough to be downed (SIGSTOP, a long pause)
 * wakes up still running its ledgers for a moment; the journal stores a late event of such a zombie
 * beside the new owner's (DESIGN.md), so without a fence it could acknowledge records that the next
 * recovery drops. Each incarnation of a ledger {@link #claim claims} the workspace after its recovery,
 * and {@link #advance advances} the fenced sequence before it writes a batch's rows and answers: a claim
 * by a newer incarnation makes every later advance of the older one fail, and a claim refuses an
 * incarnation whose recovery missed what an older one had already fenced.
 */
public interface WriterFence {

    /**
     * Claims the workspace for a ledger that recovered through {@code recoveredSeq} (0: nothing) with
     * chain head {@code recoveredHead}; completes with its epoch, or fails with {@link Refused}.
     */
    CompletionStage<Long> claim(String workspace, long recoveredSeq, Digest recoveredHead);

    /**
     * As {@link #claim(String, long, Digest)}, where the recovered history can also say whether it passes
     * through an earlier head: a recovery ahead of the fenced seq must pass through the fenced head, or its
     * last batch is a zombie's late event that forked the sequence ({@link Forked}).
     */
    default CompletionStage<Long> claim(String workspace, long recoveredSeq, Digest recoveredHead, History history) {
        return claim(workspace, recoveredSeq, recoveredHead);
    }

    /** What a recovered ledger knows of its recent chain. */
    @FunctionalInterface
    interface History {
        /** True or false when it can tell whether its chain has head {@code head} at {@code seq}; empty when it cannot. */
        java.util.Optional<Boolean> passesThrough(long seq, Digest head);

        History UNKNOWN = (seq, head) -> java.util.Optional.empty();
    }

    /**
     * Completes once the fence holds {@code throughSeq} for {@code epoch}; fails with {@link Refused} when
     * another incarnation has claimed the workspace since (nothing of the batch may then be written or
     * acknowledged).
     */
    CompletionStage<Void> advance(String workspace, long epoch, long throughSeq, Digest head);

    /** No fence (unit tests of the entity, and the measurement of what the fence costs). */
    WriterFence NONE = new WriterFence() {
        @Override
        public CompletionStage<Long> claim(String workspace, long recoveredSeq, Digest recoveredHead) {
            return CompletableFuture.completedFuture(0L);
        }

        @Override
        public CompletionStage<Void> advance(String workspace, long epoch, long throughSeq, Digest head) {
            return CompletableFuture.completedFuture(null);
        }
    };

    /** The fence refused a claim or an advance; {@code reason} says which and why. */
    class Refused extends RuntimeException {
        public Refused(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * A claim refused because the event recovered at {@code seq}, the last one, is not the one acknowledged
     * there (head {@code fencedHead}): two writers' events at one sequence number, and the journal's replay
     * returned the one written first, which was never acknowledged.
     */
    final class Forked extends Refused {
        private final long seq;
        private final Digest fencedHead;

        public Forked(String reason, long seq, Digest fencedHead) {
            super(reason);
            this.seq = seq;
            this.fencedHead = fencedHead;
        }

        public long seq() {
            return seq;
        }

        public Digest fencedHead() {
            return fencedHead;
        }
    }
}

package dev.codexledger.budget;

import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.WriterFence;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The answers of one budget incarnation's writes, held until the writer fence holds the write: a budget
 * on a node frozen long enough to be downed, woken up after another node recovered the same budget, must
 * not grant a reservation the new owner does not know of (the journal stores the zombie's late event beside
 * the new owner's, see {@link WriterFence}). So each incarnation claims the budget after its recovery, and
 * an answer goes out only once a conditional update of the fence row, made after the write, says this
 * incarnation still owns it and the write's sequence number is acknowledged there; a newer claim refuses
 * both that update and, because the fenced sequence number is past what it recovered, a recovery that
 * missed the write.
 *
 * <p>One update is in flight at a time and covers every write done meanwhile (the fence is grouped like the
 * journal writes), so it adds latency to an answer but no write to the journal's pace. The answers run on
 * the driver's threads: they only send messages. On a refusal or a failure nothing held is answered
 * (the callers' decision timeout applies) and {@code onFailure} is told once.
 */
final class FencedReplies {

    private final WriterFence fence;
    private final String workspace;
    private final Consumer<Throwable> onFailure;
    private final ArrayDeque<Held> waiting = new ArrayDeque<>();
    /** This incarnation's epoch; null until claimed. */
    private Long epoch;
    private long fencedThrough;
    private boolean inFlight;
    private boolean failed;

    private record Held(long seq, Digest head, List<Runnable> answers) {}

    /** The head the fence holds for a write: its write id ({@link BudgetEvent.Changes}); none: zero. */
    static Digest head(String writeId) {
        return writeId.isEmpty() ? Digest.ZERO : Digest.sha256(writeId);
    }

    /**
     * Claims the budget for an incarnation that recovered through {@code recoveredSeq}, the last event
     * recovered having head {@code recoveredHead}; answers submitted before the claim is done wait for it.
     */
    FencedReplies(WriterFence fence, String workspace, long recoveredSeq, Digest recoveredHead,
                  Consumer<Throwable> onFailure) {
        this.fence = fence;
        this.workspace = workspace;
        this.onFailure = onFailure;
        fence.claim(workspace, recoveredSeq, recoveredHead).whenComplete((claimed, failure) -> {
            List<Runnable> release;
            synchronized (this) {
                if (failure != null) {
                    failed = true;
                    waiting.clear();
                    release = null;
                } else {
                    epoch = claimed;
                    fencedThrough = recoveredSeq;
                    release = releasable();
                }
            }
            finish(release, failure);
        });
    }

    /**
     * Sends {@code answers} once the fence holds sequence number {@code seq} (the write's, or the last
     * one's when nothing was written; its head {@code head}) for this incarnation.
     */
    void submit(long seq, Digest head, List<Runnable> answers) {
        if (answers.isEmpty()) {
            return;
        }
        List<Runnable> release;
        synchronized (this) {
            if (failed) {
                return; // fenced off: nobody is answered for a write that may not count
            }
            waiting.add(new Held(seq, head, answers));
            release = releasable();
        }
        run(release);
    }

    /** The answers the fence already covers, in order; starts the update for the rest if none is in flight. */
    private List<Runnable> releasable() {
        List<Runnable> release = new ArrayList<>();
        if (epoch == null || inFlight) {
            return release;
        }
        while (!waiting.isEmpty() && waiting.peek().seq() <= fencedThrough) {
            release.addAll(waiting.poll().answers());
        }
        if (!waiting.isEmpty()) {
            Held last = waiting.peekLast();
            long target = last.seq();
            inFlight = true;
            fence.advance(workspace, epoch, target, last.head()).whenComplete((done, failure) -> advanced(target, failure));
        }
        return release;
    }

    private void advanced(long target, Throwable failure) {
        List<Runnable> release;
        synchronized (this) {
            inFlight = false;
            if (failure != null) {
                failed = true;
                waiting.clear();
                release = null;
            } else {
                fencedThrough = Math.max(fencedThrough, target);
                release = releasable();
            }
        }
        finish(release, failure);
    }

    private void finish(List<Runnable> release, Throwable failure) {
        if (failure != null) {
            onFailure.accept(failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure);
        } else {
            run(release);
        }
    }

    private static void run(List<Runnable> answers) {
        answers.forEach(Runnable::run);
    }

    /** For tests: whether this incarnation was fenced off or its fence failed. */
    synchronized boolean failed() {
        return failed;
    }

}

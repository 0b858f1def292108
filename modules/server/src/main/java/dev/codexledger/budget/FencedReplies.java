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
    /** What this incarnation recovered through (the seq its claim fences first). */
    private final long recoveredSeq;
    /** Completed once nothing waits any more; null while nobody asked. */
    private java.util.concurrent.CompletableFuture<Void> drained;
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
                  Runnable onClaimed, Consumer<Throwable> onFailure) {
        this.fence = fence;
        this.workspace = workspace;
        this.onFailure = onFailure;
        this.recoveredSeq = recoveredSeq;
        fence.claim(workspace, recoveredSeq, recoveredHead).whenComplete((claimed, failure) -> {
            List<Runnable> release;
            synchronized (this) {
                if (failure != null) {
                    release = giveUp();
                } else {
                    epoch = claimed;
                    fencedThrough = recoveredSeq;
                    release = releasable();
                    if (waiting.isEmpty() && !inFlight) {
                        completeDrained();
                    }
                }
            }
            finish(release, failure);
            if (failure == null) {
                onClaimed.run();
            }
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

    /**
     * Hands what waits here to {@code next}, the incarnation recovered after this one's journal write
     * failed: those writes were persisted before the failure, so they are in {@code next}'s recovery and
     * its claim covers them (this one's own update, still in flight, may be refused by that claim).
     */
    void handOver(FencedReplies next) {
        List<Held> moved;
        synchronized (this) {
            moved = new ArrayList<>(waiting);
            waiting.clear();
            failed = true; // nothing more goes through this incarnation's fence
            completeDrained();
        }
        moved.forEach(held -> next.submit(next.recoveredSeq, held.head(), held.answers()));
    }

    /** Completes once nothing waits here any more (answered, or given up after a failure). */
    synchronized java.util.concurrent.CompletionStage<Void> drained() {
        if (failed || (waiting.isEmpty() && !inFlight)) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        if (drained == null) {
            drained = new java.util.concurrent.CompletableFuture<>();
        }
        return drained;
    }

    /** The fence refused or failed: nothing waiting here is answered, ever (held under the lock). */
    private List<Runnable> giveUp() {
        failed = true;
        waiting.clear();
        completeDrained();
        return null;
    }

    private void completeDrained() {
        if (drained != null) {
            drained.complete(null);
            drained = null;
        }
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
            if (failed) { // handed over meanwhile: its answers went with it
                return;
            }
            if (failure != null) {
                release = giveUp();
            } else {
                fencedThrough = Math.max(fencedThrough, target);
                release = releasable();
                if (waiting.isEmpty() && !inFlight) {
                    completeDrained(); // completes before the answers run, but they only send messages
                }
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

    private void run(List<Runnable> answers) {
        for (Runnable answer : answers) {
            try {
                answer.run();
            } catch (RuntimeException e) { // one failing answer does not keep the others back
                org.slf4j.LoggerFactory.getLogger(FencedReplies.class).error("an answer of workspace {}'s budget failed",
                        workspace, e);
            }
        }
    }

    /** For tests: whether this incarnation was fenced off or its fence failed. */
    synchronized boolean failed() {
        return failed;
    }

}

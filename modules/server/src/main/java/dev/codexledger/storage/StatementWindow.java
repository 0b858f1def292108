package dev.codexledger.storage;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Statement;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs statements asynchronously with at most {@code parallelism} in flight, and completes when all
 * succeeded or at the first failure. Unbounded fan-out would exhaust the driver's per-connection slots.
 */
public final class StatementWindow {

    private final CqlSession session;
    private final Iterator<? extends Statement<?>> pending;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final AtomicInteger remaining;

    private StatementWindow(CqlSession session, List<? extends Statement<?>> statements) {
        this.session = session;
        this.pending = statements.iterator();
        this.remaining = new AtomicInteger(statements.size());
    }

    public static CompletionStage<Void> executeAll(CqlSession session, List<? extends Statement<?>> statements,
                                                   int parallelism) {
        StatementWindow window = new StatementWindow(session, statements);
        if (statements.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        for (int i = 0; i < parallelism; i++) {
            window.startNext();
        }
        return window.done;
    }

    private void startNext() {
        Statement<?> next;
        synchronized (pending) {
            if (done.isDone() || !pending.hasNext()) {
                return;
            }
            next = pending.next();
        }
        session.executeAsync(next).whenComplete((result, failure) -> {
            if (failure != null) {
                done.completeExceptionally(failure);
            } else if (remaining.decrementAndGet() == 0) {
                done.complete(null);
            } else {
                startNext();
            }
        });
    }
}

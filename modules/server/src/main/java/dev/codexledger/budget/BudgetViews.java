package dev.codexledger.budget;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The budget books of the workspaces whose entity runs on this node, published by the entities
 * themselves once recovered: a check for such a workspace is decided in the HTTP thread from the
 * entity's own state, with no message to the actor (whose mailbox may be waiting on a journal write).
 * A workspace not found here (entity not started, or on another node) is asked through sharding.
 */
public final class BudgetViews {

    private final ConcurrentHashMap<String, BudgetBook> books = new ConcurrentHashMap<>();

    void publish(String workspace, BudgetBook book) {
        books.put(workspace, book);
    }

    void withdraw(String workspace, BudgetBook book) {
        books.remove(workspace, book);
    }

    public Optional<BudgetBook.Decision> decide(String workspace, String user, long estimateMicros, long nowMicros) {
        BudgetBook book = books.get(workspace);
        if (book == null) {
            return Optional.empty();
        }
        BudgetBook.Decision decision = book.decide(user, estimateMicros, nowMicros);
        // read after deciding: a book being emptied for a restart (set before it is touched) is not trusted
        return book.retired() ? Optional.empty() : Optional.of(decision);
    }
}

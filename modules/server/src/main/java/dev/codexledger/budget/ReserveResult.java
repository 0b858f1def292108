package dev.codexledger.budget;

import java.time.Instant;

/** What a reservation request came to: held (with its id and expiry) or denied; both with the decision. */
public sealed interface ReserveResult {

    BudgetBook.Decision decision();

    /** {@code decision}: the user's standing with the reservation counted. */
    record Reserved(String id, Instant expiresAt, BudgetBook.Decision decision) implements ReserveResult {}

    record Denied(BudgetBook.Decision decision) implements ReserveResult {}
}

package dev.codexledger.budget;

import java.time.Instant;

/**
 * What a reservation request came to: held (with its id and expiry), denied, or refused because its
 * idempotency key already holds a different reservation; each with the user's standing.
 */
public sealed interface ReserveResult {

    BudgetBook.Decision decision();

    /**
     * {@code decision}: the user's standing with the reservation counted; {@code replayed}: the request
     * repeated an idempotency key whose reservation is in force, and this is that reservation (no new hold).
     */
    record Reserved(String id, Instant expiresAt, BudgetBook.Decision decision, boolean replayed)
            implements ReserveResult {

        public Reserved(String id, Instant expiresAt, BudgetBook.Decision decision) {
            this(id, expiresAt, decision, false);
        }
    }

    record Denied(BudgetBook.Decision decision) implements ReserveResult {}

    /** The key holds reservation {@code reservationId}, asked for with another user or estimate. */
    record KeyConflict(String reservationId, String reason, BudgetBook.Decision decision) implements ReserveResult {}
}

package dev.codexledger.workspace;

/** The node holds as much ingest as it is configured to: the client should retry later (429). */
public final class LedgerOverloaded extends RuntimeException {

    public LedgerOverloaded(String message) {
        super(message, null, false, false);
    }
}

package dev.codexledger.workspace;

/** The ledger could not store a batch now (its journal or tables failed): the client should retry (503). */
public final class LedgerUnavailable extends RuntimeException {

    public LedgerUnavailable(String reason) {
        super(reason, null, false, false);
    }
}

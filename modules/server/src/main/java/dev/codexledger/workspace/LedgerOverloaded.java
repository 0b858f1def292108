package dev.codexledger.workspace;

/** The node will not take this batch now (see {@link IngestGate.Refusal}): the client should retry later. */
public final class LedgerOverloaded extends RuntimeException {

    private final IngestGate.Refusal refusal;

    public LedgerOverloaded(IngestGate.Refusal refusal) {
        super(refusal.message, null, false, false);
        this.refusal = refusal;
    }

    /** 429 (the node's or the workspace's share is taken) or 503 (the heap is full). */
    public int status() {
        return refusal.status;
    }

    public IngestGate.Refusal refusal() {
        return refusal;
    }
}

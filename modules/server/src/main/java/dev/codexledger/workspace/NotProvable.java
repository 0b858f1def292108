package dev.codexledger.workspace;

/** A proof or checkpoint that cannot be given (the workspace predates its Merkle log, a size beyond its tree, …): 409. */
public class NotProvable extends RuntimeException {

    public NotProvable(String reason) {
        super(reason, null, false, false);
    }
}

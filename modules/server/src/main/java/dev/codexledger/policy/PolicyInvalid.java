package dev.codexledger.policy;

/** A policy document refused: {@code field} (a JSON path such as {@code requirement_sets.strict.allowed_sandbox_modes[1]}) and why. */
public final class PolicyInvalid extends RuntimeException {

    private final String field;

    public PolicyInvalid(String field, String reason) {
        super(reason);
        this.field = field;
    }

    public String field() {
        return field;
    }
}

package dev.codexledger.records;

/** A request body the records API refuses: names the offending field (e.g. "records[3].timestamp"). */
public final class InvalidRecords extends RuntimeException {

    private final String field;

    public InvalidRecords(String field, String message) {
        super(message, null, false, false);
        this.field = field;
    }

    public String field() {
        return field;
    }
}

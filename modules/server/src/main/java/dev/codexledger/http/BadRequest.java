package dev.codexledger.http;

/**
 * A request the API refuses as malformed: 400 with {@code {"error": message, "field": field}}, mapped by
 * {@link ApiErrors}' handler wherever it is thrown (in the route, or inside the future it answers with).
 * Parsers that know their request's shape throw it (or a subclass, e.g. the records' own).
 */
public class BadRequest extends RuntimeException {

    private final String field;

    public BadRequest(String field, String message) {
        super(message, null, false, false);
        this.field = field;
    }

    /** The offending field, e.g. {@code records[3].timestamp}, {@code limit}, {@code body}. */
    public String field() {
        return field;
    }
}

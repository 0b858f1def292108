package dev.codexledger.records;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** RFC 3339 date-times with an offset, as the records API takes them in bodies and query parameters. */
final class Rfc3339 {

    static final String EXPECTED = "an RFC 3339 date-time with offset (e.g. 2026-11-22T10:15:30Z)";

    private Rfc3339() {}

    /** @throws InvalidRecords naming {@code field} when the text is not such a date-time */
    static Instant parse(String text, String field) {
        try {
            return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw new InvalidRecords(field, "not " + EXPECTED);
        }
    }
}

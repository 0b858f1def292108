package dev.codexledger.records;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** RFC 3339 date-times with an offset, as the records API takes them in bodies and query parameters. */
public final class Rfc3339 {

    public static final String EXPECTED = "an RFC 3339 date-time with offset (e.g. 2026-11-22T10:15:30Z)";

    private Rfc3339() {}

    /**
     * @throws InvalidRecords naming {@code field} when the text is not such a date-time, or its year is
     *                        outside 0000-9999 (RFC 3339 has four-digit years)
     */
    public static Instant parse(String text, String field) {
        OffsetDateTime parsed;
        try {
            parsed = OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        } catch (DateTimeParseException e) {
            throw new InvalidRecords(field, "not " + EXPECTED);
        }
        if (parsed.getYear() < 0 || parsed.getYear() > 9999) {
            throw new InvalidRecords(field, "year out of range: " + EXPECTED);
        }
        return parsed.toInstant();
    }

    /**
     * Microseconds since the epoch, exactly ({@code ChronoUnit.MICROS.between} goes through nanoseconds and
     * overflows after the year 2262; any instant {@link #parse} returns fits here).
     */
    public static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }
}

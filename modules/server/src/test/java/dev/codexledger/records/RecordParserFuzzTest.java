package dev.codexledger.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.codexledger.workspace.NewRecord;
import java.util.List;

/**
 * The records API decoder under Jazzer: whatever the bytes, it returns valid records or throws
 * {@link InvalidRecords} (a 400 naming a field); any other exception is a finding. Without JAZZER_FUZZ
 * these run on the inputs under {@code RecordParserFuzzTestInputs/} as regression tests; the README
 * gives the command for a long run.
 */
class RecordParserFuzzTest {

    private static final RecordParser PARSER = new RecordParser(1000, 64, 1 << 20);
    /** Reads numbers as the parser does (decimals exactly), so canonical text can be compared. */
    private static final com.fasterxml.jackson.databind.ObjectMapper EXACT = new com.fasterxml.jackson.databind.ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    @FuzzTest(maxDuration = "30m")
    void jsonBody(byte[] body) {
        try {
            check(PARSER.parseJson(body));
        } catch (InvalidRecords expected) {
            assertNotNull(expected.field());
        }
    }

    @FuzzTest(maxDuration = "30m")
    void ndjsonBody(byte[] body) {
        try {
            check(PARSER.parseNdjson(body));
        } catch (InvalidRecords expected) {
            assertNotNull(expected.field());
        }
    }

    /** What the ledger relies on for every accepted record. */
    private static void check(List<NewRecord> records) {
        assertFalse(records.isEmpty());
        for (NewRecord record : records) {
            assertFalse(record.eventId().isEmpty());
            assertNotNull(record.eventType());
            assertEquals(dev.codexledger.workspace.Digest.sha256(record.content()), record.contentHash());
            // canonical content parses back to itself
            assertEquals(record.contentText(), PARSER.canonical(readTree(record.contentText())));
            // the facts read with the parse are the facts of the stored content (what read-backs see)
            assertEquals(dev.codexledger.workspace.RecordFacts.read(record.content().toByteArray()), record.facts());
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode readTree(String json) {
        try {
            return EXACT.readTree(json);
        } catch (java.io.IOException e) {
            throw new AssertionError("canonical content is not JSON: " + json, e);
        }
    }
}

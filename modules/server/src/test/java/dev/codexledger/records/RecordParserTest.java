package dev.codexledger.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.NewRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordParserTest {

    private final RecordParser parser = new RecordParser(5, 8, 1000);

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private String fieldOf(Runnable parse) {
        return assertThrows(InvalidRecords.class, parse::run).field();
    }

    @Test
    void contentIsCanonicalSortedCompactAndInUtc() {
        NewRecord record = parser.parseJson(utf8("""
                [{"timestamp": "2026-11-22T11:00:00.500+01:00", "event_type": "CODEX_LOG", "event_id": "e1",
                  "user": {"id": "u1", "email": "u1@example.com"}, "model": "gpt-5-codex",
                  "usage": {"output_tokens": 7, "input_tokens": 11},
                  "attributes": {"zeta": {"b": 1, "a": [true, null, "x"]}, "alpha": 1.25}}]
                """)).get(0);
        assertEquals("{\"attributes\":{\"alpha\":1.25,\"zeta\":{\"a\":[true,null,\"x\"],\"b\":1}},"
                + "\"event_id\":\"e1\",\"event_type\":\"CODEX_LOG\",\"model\":\"gpt-5-codex\","
                + "\"timestamp\":\"2026-11-22T10:00:00.500Z\",\"usage\":{\"input_tokens\":11,\"output_tokens\":7},"
                + "\"user\":{\"email\":\"u1@example.com\",\"id\":\"u1\"}}", record.contentText());
        assertEquals("e1", record.eventId());
        assertEquals("u1", record.userId());
        assertEquals(1_795_341_600_500_000L, record.timestampMicros());
        assertEquals(Digest.sha256(record.content()), record.contentHash());
    }

    @Test
    void aMissingIdIsDerivedFromTheContentSoEqualRecordsGetEqualIds() {
        List<NewRecord> records = parser.parseNdjson(utf8("""
                {"event_type":"AUTH_LOG","timestamp":"2026-11-22T10:00:00Z","action":"login"}

                {"action":"login","event_type":"AUTH_LOG","timestamp":"2026-11-22T11:00:00+01:00"}
                {"action":"logout","event_type":"AUTH_LOG","timestamp":"2026-11-22T10:00:00Z"}
                """));
        assertEquals(3, records.size());
        assertEquals(records.get(0).eventId(), records.get(1).eventId());
        assertTrue(records.get(0).eventId().matches("sha256:[0-9a-f]{32}"));
        assertTrue(!records.get(0).eventId().equals(records.get(2).eventId()));
    }

    @Test
    void aDerivedIdIsPlacedExactlyWhereSerializingTheRecordWouldPutIt() throws Exception {
        NewRecord record = parser.parseJson(utf8("""
                [{"event_type":"CODEX_LOG","timestamp":"2026-11-22T10:00:00Z","action":"a",
                  "attributes":{"event_type":"nested","x":{"event_type":"deeper"}},"user":{"id":"u"}}]
                """)).get(0);
        String reserialized = parser.canonical(new com.fasterxml.jackson.databind.ObjectMapper().readTree(record.contentText()));
        assertEquals(reserialized, record.contentText());
        assertTrue(record.contentText().contains(",\"event_id\":\"" + record.eventId() + "\",\"event_type\":\"CODEX_LOG\""));
    }

    @Test
    void eachProblemNamesItsField() {
        String ok = "{\"event_type\":\"CODEX_LOG\",\"timestamp\":\"2026-11-22T10:00:00Z\"}";
        assertEquals("records[1].timestamp", fieldOf(() -> parser.parseJson(utf8("[" + ok
                + ",{\"event_type\":\"CODEX_LOG\",\"timestamp\":\"2026-11-22\"}]"))));
        assertEquals("records[0].timestamp", fieldOf(() -> parser.parseJson(utf8("[{\"event_type\":\"CODEX_LOG\"}]"))));
        assertEquals("records[0].event_type", fieldOf(() -> parser.parseJson(utf8(
                "[{\"timestamp\":\"2026-11-22T10:00:00Z\"}]"))));
        assertEquals("records[0].user.name", fieldOf(() -> parser.parseJson(utf8(
                "[" + ok.replace("}", ",\"user\":{\"name\":\"x\"}}") + "]"))));
        assertEquals("records[0].usage.output_tokens", fieldOf(() -> parser.parseJson(utf8(
                "[" + ok.replace("}", ",\"usage\":{\"output_tokens\":1.5}}") + "]"))));
        assertEquals("records[0].model", fieldOf(() -> parser.parseJson(utf8(
                "[" + ok.replace("}", ",\"model\":42}") + "]"))));
        assertEquals("records[0].colour", fieldOf(() -> parser.parseJson(utf8(
                "[" + ok.replace("}", ",\"colour\":\"red\"}") + "]"))));
        assertEquals("records[0].attributes", fieldOf(() -> parser.parseJson(utf8(
                "[" + ok.replace("}", ",\"attributes\":[1]}") + "]"))));
        assertEquals("records[0].event_id", fieldOf(() -> parser.parseJson(utf8(
                "[" + ok.replace("}", ",\"event_id\":\"\"}") + "]"))));
        assertEquals("records[2]", fieldOf(() -> parser.parseNdjson(utf8(ok + "\n" + ok + "\n{oops\n"))));
        assertEquals("records[1]", fieldOf(() -> parser.parseJson(utf8("[" + ok + ",7]"))));
    }

    @Test
    void malformedOrHostileBodiesAreRefused() {
        String ok = "{\"event_type\":\"CODEX_LOG\",\"timestamp\":\"2026-11-22T10:00:00Z\"}";
        assertEquals("body", fieldOf(() -> parser.parseJson(utf8("[" + ok))));
        assertEquals("body", fieldOf(() -> parser.parseJson(utf8(""))));
        assertEquals("body", fieldOf(() -> parser.parseJson(utf8("[]"))));
        assertEquals("body", fieldOf(() -> parser.parseJson(utf8("\"text\""))));
        assertEquals("body", fieldOf(() -> parser.parseJson(utf8("[" + ok + "] trailing"))));
        assertEquals("body", fieldOf(() -> parser.parseJson(utf8(
                "[" + String.join(",", java.util.Collections.nCopies(6, ok)) + "]"))), "over 5 records");
        assertEquals("body", fieldOf(() -> parser.parseJson(utf8(
                "[" + ok.replace("}", ",\"attributes\":{\"a\":[[[[[[[[[[1]]]]]]]]]]}}") + "]"))), "too deep");
        assertEquals("body", fieldOf(() -> parser.parseJson(utf8(
                "[" + ok.replace("}", ",\"prompt\":\"" + "x".repeat(2000) + "\"}") + "]"))), "string too long");
        assertEquals("body", fieldOf(() -> parser.parseJson(utf8(
                "[{\"event_type\":\"CODEX_LOG\",\"event_type\":\"AUTH_LOG\",\"timestamp\":\"2026-11-22T10:00:00Z\"}]"))),
                "duplicate keys");
    }

    /** Found by Jazzer: MICROS.between overflowed past the year 2262 instead of giving micros or a 400. */
    @Test
    void farFutureTimestampsAreExactAndYearsPastRfc3339Are400() {
        RecordParser parser = new RecordParser(10, 64, 1 << 20);
        java.util.List<dev.codexledger.workspace.NewRecord> far = parser.parseJson(
                "[{\"event_type\":\"CODEX_LOG\",\"timestamp\":\"7858-11-22T08:00:00.123456Z\"}]"
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        java.time.Instant expected = java.time.Instant.parse("7858-11-22T08:00:00.123456Z");
        org.junit.jupiter.api.Assertions.assertEquals(expected.getEpochSecond() * 1_000_000 + 123_456,
                far.get(0).timestampMicros());
        InvalidRecords tooFar = org.junit.jupiter.api.Assertions.assertThrows(InvalidRecords.class, () -> parser.parseJson(
                "[{\"event_type\":\"CODEX_LOG\",\"timestamp\":\"+10000-01-01T00:00:00Z\"}]"
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        org.junit.jupiter.api.Assertions.assertEquals("records[0].timestamp", tooFar.field());
    }

    @Test
    void aRecordIsDecodedWithItsFactsInTheSameParse() {
        NewRecord record = parser.parseJson(utf8("""
                {"event_type":"CODEX_SECURITY_LOG","timestamp":"2026-11-22T10:15:30Z","user":{"id":"u-42"},
                 "surface":"cli","conversation_id":"c-1","model":"gpt-5-codex","prompt":"fix it","action":"x",
                 "usage":{"input_tokens":1200,"cached_input_tokens":800,"output_tokens":300,"reasoning_tokens":64},
                 "attributes":{"codex":{"tool_name":"shell","decision":"approved"},"tool_name":"",
                               "decision":"denied","priority":"P1"}}""")).get(0);
        dev.codexledger.workspace.RecordFacts facts = record.facts();
        assertEquals(new dev.codexledger.workspace.RecordFacts("cli", "gpt-5-codex", "c-1", "x", true,
                new dev.codexledger.workspace.Usage(1200, 800, 300, 64), "P1", null, "shell", "denied"), facts);
        assertEquals(dev.codexledger.workspace.RecordFacts.read(record.content().toByteArray()), facts,
                "what a read-back finds in the stored content");
    }
}

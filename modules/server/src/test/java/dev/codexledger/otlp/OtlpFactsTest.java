package dev.codexledger.otlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.codexledger.records.RecordParser;
import dev.codexledger.workspace.NewRecord;
import dev.codexledger.workspace.RecordFacts;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The facts decoded with real Codex telemetry: what budgets and analytics count, read in the one parse. */
class OtlpFactsTest {

    private static final OtlpDecoder DECODER = new OtlpDecoder(1 << 20, 64);
    private static final OtlpLogs LOGS = new OtlpLogs(new RecordParser(1000, 64, 1 << 20), 64 * 1024, 1000,
            Clock.systemUTC());

    private static List<NewRecord> records(String fixture, OtlpDecoder.Encoding encoding) {
        return LOGS.toRecords(DECODER.decode(Fixtures.bytes(fixture), encoding)).records();
    }

    @Test
    void theCaptureFactsMatchTheFileAndTheStoredContent() {
        for (String fixture : List.of("json-003.json", "json-005.json", "optin-004.json")) {
            List<NewRecord> records = records(fixture, OtlpDecoder.Encoding.JSON);
            List<Fixtures.Expected> expected = Fixtures.expected(fixture);
            assertEquals(expected.size(), records.size(), fixture);
            for (int i = 0; i < records.size(); i++) {
                RecordFacts facts = records.get(i).facts();
                assertEquals(RecordFacts.read(records.get(i).content().toByteArray()), facts, fixture + " #" + i);
                assertEquals(expected.get(i).conversationId(), facts.conversation(), fixture + " #" + i);
                assertEquals(expected.get(i).inputTokens(), facts.usage().input(), fixture + " #" + i);
                assertEquals(expected.get(i).outputTokens(), facts.usage().output(), fixture + " #" + i);
                assertEquals(expected.get(i).eventName(), facts.action(), fixture + " #" + i);
            }
        }
    }

    @Test
    void aToolDecisionCarriesItsToolAndDecision() {
        List<RecordFacts> decisions = records("protobuf-004.bin", OtlpDecoder.Encoding.PROTOBUF).stream()
                .map(NewRecord::facts).filter(f -> "codex.tool_decision".equals(f.action())).toList();
        assertFalse(decisions.isEmpty(), "the capture has tool decisions");
        assertTrue(decisions.stream().allMatch(f -> f.toolName() != null && f.decision() != null), decisions.toString());
        assertTrue(decisions.stream().allMatch(f -> f.surface() != null && f.model() != null), decisions.toString());
    }
}

package dev.codexledger.analytics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.codexledger.workspace.RecordFacts;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FactsTest {

    /** One micro-credit per input token, ten per output token, whatever the model. */
    private static long cost(RecordFacts facts) {
        return facts.usage().input() + 10 * facts.usage().output();
    }

    private static final long NOON_NOV_2 = TimeUnit.SECONDS.toMicros(
            LocalDate.of(2026, 11, 2).atTime(12, 0).toEpochSecond(java.time.ZoneOffset.UTC));

    private Fact of(String eventType, String userId, String content) {
        RecordFacts read = RecordFacts.read(content.getBytes(StandardCharsets.UTF_8));
        return Facts.of(7, eventType, NOON_NOV_2, userId, read, cost(read));
    }

    @Test
    void aPromptIsATurnInItsConversationSurfaceAndModel() {
        Fact fact = of("CODEX_LOG", "ana", "{\"attributes\":{\"model\":\"not-this\",\"prompt\":\"nor this\"},"
                + "\"conversation_id\":\"c1\",\"event_type\":\"CODEX_LOG\",\"model\":\"gpt-5\",\"prompt\":\"hi\","
                + "\"surface\":\"cli\",\"user\":{\"id\":\"ana\"}}");
        assertEquals(LocalDate.of(2026, 11, 2), fact.day());
        assertEquals(new Fact.RowKey("ana", "cli", "gpt-5"), fact.row());
        assertEquals("c1", fact.conversation());
        assertEquals(1, fact.counts()[Metric.EVENTS.ordinal()]);
        assertEquals(1, fact.counts()[Metric.TURNS.ordinal()]);
        assertEquals(0, fact.counts()[Metric.CREDITS.ordinal()]);
    }

    @Test
    void codexTelemetryOfAUserPromptWithoutItsTextIsStillATurn() {
        Fact fact = of("CODEX_LOG", "ana", "{\"action\":\"codex.user_prompt\",\"event_type\":\"CODEX_LOG\"}");
        assertEquals(1, fact.counts()[Metric.TURNS.ordinal()]);
        assertEquals(new Fact.RowKey("ana", Facts.UNKNOWN, Facts.UNKNOWN), fact.row());
    }

    @Test
    void usageIsCountedAndPriced() {
        Fact fact = of("CODEX_LOG", "", "{\"event_type\":\"CODEX_LOG\",\"model\":\"m\",\"usage\":{\"cached_input_tokens\":"
                + "40,\"input_tokens\":100,\"output_tokens\":20,\"reasoning_tokens\":5,\"other\":{\"x\":1}}}");
        long[] expected = new long[Metric.COUNT];
        expected[Metric.EVENTS.ordinal()] = 1;
        expected[Metric.INPUT_TOKENS.ordinal()] = 100;
        expected[Metric.CACHED_INPUT_TOKENS.ordinal()] = 40;
        expected[Metric.OUTPUT_TOKENS.ordinal()] = 20;
        expected[Metric.REASONING_TOKENS.ordinal()] = 5;
        expected[Metric.CREDITS.ordinal()] = 300;
        assertArrayEquals(expected, fact.counts());
        assertEquals(Facts.UNKNOWN, fact.row().user(), "a record without a user counts, as nobody's");
    }

    @Test
    void codeReviewRecordsCountByActionPriorityAndReaction() {
        Fact comment = of("CODE_REVIEW_LOG", "bo", "{\"action\":\"comment\",\"attributes\":{\"body\":{\"a\":[1]},"
                + "\"priority\":\"P1\"},\"event_type\":\"CODE_REVIEW_LOG\"}");
        assertEquals(1, comment.counts()[Metric.COMMENTS.ordinal()]);
        assertEquals(1, comment.counts()[Metric.COMMENTS_P1.ordinal()]);
        assertEquals(0, comment.counts()[Metric.EVENTS.ordinal()], "not a Codex session event");
        assertEquals("code_review", comment.row().surface());
        assertNull(comment.conversation());
        Fact reaction = of("CODE_REVIEW_LOG", "bo", "{\"action\":\"reaction\",\"attributes\":{\"reaction\":"
                + "\"negative\"},\"event_type\":\"CODE_REVIEW_LOG\"}");
        assertEquals(1, reaction.counts()[Metric.REACTIONS_NEGATIVE.ordinal()]);
    }

    @Test
    void auditAndBudgetRecordsAreNotAnalytics() {
        assertNull(of("AUTH_LOG", "key:x", "{\"action\":\"key.created\",\"event_type\":\"AUTH_LOG\"}"));
        assertNull(of("BUDGET_LOG", "", "{\"event_type\":\"BUDGET_LOG\"}"));
    }
}

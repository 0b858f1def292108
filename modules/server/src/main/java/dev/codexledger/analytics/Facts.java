package dev.codexledger.analytics;

import dev.codexledger.workspace.RecordFacts;
import dev.codexledger.workspace.Usage;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;

/**
 * What a record adds to the analytics ({@link Fact}), from the facts it was decoded with and its price:
 * nothing here parses a record. Records of other event types (AUTH_LOG, BUDGET_LOG) add nothing.
 */
final class Facts {

    static final String UNKNOWN = "unknown";

    private Facts() {}

    /** The fact of a record, or null when the analytics do not count its event type. */
    static Fact of(long seq, String eventType, long timestampMicros, String userId, RecordFacts fields,
                   long costMicros) {
        boolean codex = "CODEX_LOG".equals(eventType) || "CODEX_SECURITY_LOG".equals(eventType);
        boolean review = "CODE_REVIEW_LOG".equals(eventType);
        if (!codex && !review) {
            return null;
        }
        long[] counts = new long[Metric.COUNT];
        String surface = fields.surface() == null ? (review ? "code_review" : UNKNOWN) : fields.surface();
        String model = fields.model() == null ? UNKNOWN : fields.model();
        if (codex) {
            counts[Metric.EVENTS.ordinal()] = 1;
            if (fields.prompt() || "codex.user_prompt".equals(fields.action())) {
                counts[Metric.TURNS.ordinal()] = 1;
            }
            Usage usage = fields.usage();
            if (!usage.isEmpty()) {
                counts[Metric.INPUT_TOKENS.ordinal()] = usage.input();
                counts[Metric.CACHED_INPUT_TOKENS.ordinal()] = usage.cachedInput();
                counts[Metric.OUTPUT_TOKENS.ordinal()] = usage.output();
                counts[Metric.REASONING_TOKENS.ordinal()] = usage.reasoning();
                counts[Metric.CREDITS.ordinal()] = costMicros;
            }
        } else {
            countReview(fields, counts);
        }
        String user = userId == null || userId.isEmpty() ? UNKNOWN : userId;
        LocalDate day = LocalDate.ofInstant(java.time.Instant.ofEpochSecond(0,
                TimeUnit.MICROSECONDS.toNanos(timestampMicros)), ZoneOffset.UTC);
        return new Fact(seq, day, new Fact.RowKey(user, surface, model), codex ? fields.conversation() : null, counts);
    }

    private static void countReview(RecordFacts fields, long[] counts) {
        if (fields.action() == null) {
            return;
        }
        switch (fields.action()) {
            case "review" -> counts[Metric.REVIEWS.ordinal()] = 1;
            case "comment" -> {
                counts[Metric.COMMENTS.ordinal()] = 1;
                if ("P0".equals(fields.priority())) {
                    counts[Metric.COMMENTS_P0.ordinal()] = 1;
                } else if ("P1".equals(fields.priority())) {
                    counts[Metric.COMMENTS_P1.ordinal()] = 1;
                } else if ("P2".equals(fields.priority())) {
                    counts[Metric.COMMENTS_P2.ordinal()] = 1;
                }
            }
            case "reply" -> counts[Metric.REPLIES.ordinal()] = 1;
            case "reaction" -> {
                if ("positive".equals(fields.reaction())) {
                    counts[Metric.REACTIONS_POSITIVE.ordinal()] = 1;
                } else if ("negative".equals(fields.reaction())) {
                    counts[Metric.REACTIONS_NEGATIVE.ordinal()] = 1;
                }
            }
            default -> { }
        }
    }
}

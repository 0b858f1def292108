package dev.codexledger.analytics;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.codexledger.budget.PriceBook;
import dev.codexledger.budget.Usage;
import java.io.IOException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;

/**
 * Reads a record's analytics {@link Fact} from its canonical content with a streaming parser: only the
 * top-level fields the analytics need are looked at (large attributes are skipped, except a code review
 * record's priority and reaction). Records of other event types (AUTH_LOG, BUDGET_LOG) have none.
 */
final class Facts {

    static final String UNKNOWN = "unknown";
    private static final JsonFactory JSON = new JsonFactory();

    /** Micro-credits of a model call's usage at its time. */
    interface Pricing {
        long costMicros(String model, long atMicros, Usage usage);

        static Pricing of(PriceBook prices) {
            return (model, atMicros, usage) -> prices.priceAt(model, atMicros).costMicros(usage);
        }
    }

    private final Pricing prices;

    Facts(Pricing prices) {
        this.prices = prices;
    }

    /** The fact of a record, or null when the analytics do not count its event type. */
    Fact of(long seq, String eventType, long timestampMicros, String userId, byte[] content) {
        boolean codex = "CODEX_LOG".equals(eventType) || "CODEX_SECURITY_LOG".equals(eventType);
        boolean review = "CODE_REVIEW_LOG".equals(eventType);
        if (!codex && !review) {
            return null;
        }
        Fields fields = new Fields();
        try (JsonParser parser = JSON.createParser(content)) {
            fields.read(parser, review);
        } catch (IOException e) {
            // canonical content is valid JSON; an unreadable one counts as a bare event
        }
        long[] counts = new long[Metric.COUNT];
        String surface = fields.surface == null ? (review ? "code_review" : UNKNOWN) : fields.surface;
        String model = fields.model == null ? UNKNOWN : fields.model;
        if (codex) {
            counts[Metric.EVENTS.ordinal()] = 1;
            if (fields.prompt || "codex.user_prompt".equals(fields.action)) {
                counts[Metric.TURNS.ordinal()] = 1;
            }
            Usage usage = fields.usage();
            if (!usage.isEmpty()) {
                counts[Metric.INPUT_TOKENS.ordinal()] = usage.input();
                counts[Metric.CACHED_INPUT_TOKENS.ordinal()] = usage.cachedInput();
                counts[Metric.OUTPUT_TOKENS.ordinal()] = usage.output();
                counts[Metric.REASONING_TOKENS.ordinal()] = usage.reasoning();
                counts[Metric.CREDITS.ordinal()] = prices.costMicros(fields.model, timestampMicros, usage);
            }
        } else {
            countReview(fields, counts);
        }
        String user = userId == null || userId.isEmpty() ? UNKNOWN : userId;
        LocalDate day = LocalDate.ofInstant(java.time.Instant.ofEpochSecond(0,
                TimeUnit.MICROSECONDS.toNanos(timestampMicros)), ZoneOffset.UTC);
        return new Fact(seq, day, new Fact.RowKey(user, surface, model), codex ? fields.conversation : null, counts);
    }

    private static void countReview(Fields fields, long[] counts) {
        if (fields.action == null) {
            return;
        }
        switch (fields.action) {
            case "review" -> counts[Metric.REVIEWS.ordinal()] = 1;
            case "comment" -> {
                counts[Metric.COMMENTS.ordinal()] = 1;
                if ("P0".equals(fields.priority)) {
                    counts[Metric.COMMENTS_P0.ordinal()] = 1;
                } else if ("P1".equals(fields.priority)) {
                    counts[Metric.COMMENTS_P1.ordinal()] = 1;
                } else if ("P2".equals(fields.priority)) {
                    counts[Metric.COMMENTS_P2.ordinal()] = 1;
                }
            }
            case "reply" -> counts[Metric.REPLIES.ordinal()] = 1;
            case "reaction" -> {
                if ("positive".equals(fields.reaction)) {
                    counts[Metric.REACTIONS_POSITIVE.ordinal()] = 1;
                } else if ("negative".equals(fields.reaction)) {
                    counts[Metric.REACTIONS_NEGATIVE.ordinal()] = 1;
                }
            }
            default -> { }
        }
    }

    /** The top-level fields of one record. */
    private static final class Fields {
        String surface;
        String model;
        String conversation;
        String action;
        boolean prompt;
        String priority;
        String reaction;
        long input;
        long cachedInput;
        long output;
        long reasoning;

        Usage usage() {
            return new Usage(input, cachedInput, output, reasoning);
        }

        void read(JsonParser parser, boolean review) throws IOException {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "surface" -> surface = text(parser, value);
                    case "model" -> model = text(parser, value);
                    case "conversation_id" -> conversation = text(parser, value);
                    case "action" -> action = text(parser, value);
                    case "prompt" -> {
                        prompt = value == JsonToken.VALUE_STRING;
                        parser.skipChildren();
                    }
                    case "usage" -> readUsage(parser, value);
                    case "attributes" -> {
                        if (review && value == JsonToken.START_OBJECT) {
                            readReviewAttributes(parser);
                        } else {
                            parser.skipChildren();
                        }
                    }
                    default -> parser.skipChildren();
                }
            }
        }

        private void readUsage(JsonParser parser, JsonToken value) throws IOException {
            if (value != JsonToken.START_OBJECT) {
                parser.skipChildren();
                return;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken token = parser.nextToken();
                long count = token == JsonToken.VALUE_NUMBER_INT ? Math.max(0, parser.getLongValue()) : 0;
                parser.skipChildren();
                switch (name) {
                    case "input_tokens" -> input = count;
                    case "cached_input_tokens" -> cachedInput = count;
                    case "output_tokens" -> output = count;
                    case "reasoning_tokens" -> reasoning = count;
                    default -> { }
                }
            }
        }

        private void readReviewAttributes(JsonParser parser) throws IOException {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken token = parser.nextToken();
                if (name.equals("priority")) {
                    priority = text(parser, token);
                } else if (name.equals("reaction")) {
                    reaction = text(parser, token);
                } else {
                    parser.skipChildren();
                }
            }
        }

        private static String text(JsonParser parser, JsonToken token) throws IOException {
            if (token == JsonToken.VALUE_STRING) {
                String text = parser.getText();
                return text.isEmpty() ? null : text;
            }
            parser.skipChildren();
            return null;
        }
    }
}

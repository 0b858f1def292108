package dev.codexledger.workspace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;

/**
 * What the steps after a write need to know of a record, read once where the record is decoded (the
 * records API or OTLP) and carried with it: its surface, model, conversation, action, whether it holds a
 * prompt, its token usage, a code review's priority and reaction, and a tool call's name and decision.
 * Absent fields are null (an empty string counts as absent). A record read back from storage gets its
 * facts again from its canonical content ({@link #read}), which yields the same facts.
 */
public record RecordFacts(String surface, String model, String conversation, String action, boolean prompt,
                          Usage usage, String priority, String reaction, String toolName, String decision) {

    public static final RecordFacts NONE =
            new RecordFacts(null, null, null, null, false, Usage.NONE, null, null, null, null);

    /**
     * Without Jackson's default read limits: the content was validated at the edge, where numbers are
     * kept exactly and may be written longer than they were sent (a BigDecimal's plain form), so a
     * default limit could stop a read-back half-way and lose facts the live path had (found in review).
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNumberLength(Integer.MAX_VALUE)
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .maxNestingDepth(Integer.MAX_VALUE)
                    .maxDocumentLength(-1)
                    .build())
            .build();

    public RecordFacts {
        usage = usage == null ? Usage.NONE : usage;
    }

    /**
     * The facts of a record's canonical content (a JSON object), with a streaming parser: only the top-level
     * fields and the attributes named above are looked at; everything else is skipped unread.
     */
    public static RecordFacts read(byte[] content) {
        Reader reader = new Reader();
        try (JsonParser parser = JSON.createParser(content)) {
            reader.read(parser);
        } catch (IOException e) {
            // canonical content is valid JSON; an unreadable one has the facts read so far
        }
        return reader.facts();
    }

    /** Reads one record's facts; a tool's name and decision under {@code attributes} win over {@code attributes.codex}'s. */
    private static final class Reader {
        private String surface;
        private String model;
        private String conversation;
        private String action;
        private boolean prompt;
        private long input;
        private long cachedInput;
        private long output;
        private long reasoning;
        private String priority;
        private String reaction;
        private String toolName;
        private String decision;

        RecordFacts facts() {
            return new RecordFacts(surface, model, conversation, action, prompt,
                    new Usage(input, cachedInput, output, reasoning), priority, reaction, toolName, decision);
        }

        void read(JsonParser parser) throws IOException {
            eachField(parser, parser.nextToken(), (name, value) -> {
                switch (name) {
                    case "surface" -> surface = text(parser, value);
                    case "model" -> model = text(parser, value);
                    case "conversation_id" -> conversation = text(parser, value);
                    case "action" -> action = text(parser, value);
                    case "prompt" -> {
                        prompt = value == JsonToken.VALUE_STRING;
                        parser.skipChildren();
                    }
                    case "usage" -> eachField(parser, value, (kind, count) -> readCount(parser, kind, count));
                    case "attributes" -> eachField(parser, value, (attribute, token) -> readAttribute(parser, attribute, token));
                    default -> parser.skipChildren();
                }
            });
        }

        private void readCount(JsonParser parser, String kind, JsonToken token) throws IOException {
            long count = token == JsonToken.VALUE_NUMBER_INT ? Math.max(0, parser.getLongValue()) : 0;
            parser.skipChildren();
            switch (kind) {
                case "input_tokens" -> input = count;
                case "cached_input_tokens" -> cachedInput = count;
                case "output_tokens" -> output = count;
                case "reasoning_tokens" -> reasoning = count;
                default -> { }
            }
        }

        private void readAttribute(JsonParser parser, String name, JsonToken token) throws IOException {
            switch (name) {
                case "priority" -> priority = text(parser, token);
                case "reaction" -> reaction = text(parser, token);
                // these win over attributes.codex's (read before them: keys are sorted), unless empty
                case "tool_name" -> toolName = orElse(text(parser, token), toolName);
                case "decision" -> decision = orElse(text(parser, token), decision);
                // Codex telemetry keeps its tool call's name and decision under attributes.codex
                case "codex" -> eachField(parser, token, (field, value) -> {
                    if (field.equals("tool_name") && toolName == null) {
                        toolName = text(parser, value);
                    } else if (field.equals("decision") && decision == null) {
                        decision = text(parser, value);
                    } else {
                        parser.skipChildren();
                    }
                });
                default -> parser.skipChildren();
            }
        }

        private static String orElse(String value, String otherwise) {
            return value != null ? value : otherwise;
        }

        /** What to do with one field of an object; the parser stands on its value, which it must consume. */
        @FunctionalInterface
        private interface FieldReader {
            void read(String name, JsonToken value) throws IOException;
        }

        /** Hands each field of the object starting at {@code start} to {@code reader}; skips a value that is no object. */
        private static void eachField(JsonParser parser, JsonToken start, FieldReader reader) throws IOException {
            if (start != JsonToken.START_OBJECT) {
                parser.skipChildren();
                return;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                reader.read(name, parser.nextToken());
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

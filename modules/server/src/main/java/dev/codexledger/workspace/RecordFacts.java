package dev.codexledger.workspace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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

    private static final JsonFactory JSON = new JsonFactory();

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
                    case "attributes" -> readAttributes(parser, value);
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

        private void readAttributes(JsonParser parser, JsonToken value) throws IOException {
            if (value != JsonToken.START_OBJECT) {
                parser.skipChildren();
                return;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken token = parser.nextToken();
                switch (name) {
                    case "priority" -> priority = text(parser, token);
                    case "reaction" -> reaction = text(parser, token);
                    case "tool_name" -> toolName = text(parser, token);
                    case "decision" -> decision = text(parser, token);
                    case "codex" -> readCodexAttributes(parser, token);
                    default -> parser.skipChildren();
                }
            }
        }

        /** Codex telemetry keeps its tool call's name and decision under {@code attributes.codex}. */
        private void readCodexAttributes(JsonParser parser, JsonToken value) throws IOException {
            if (value != JsonToken.START_OBJECT) {
                parser.skipChildren();
                return;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken token = parser.nextToken();
                if (name.equals("tool_name") && toolName == null) {
                    toolName = text(parser, token);
                } else if (name.equals("decision") && decision == null) {
                    decision = text(parser, token);
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

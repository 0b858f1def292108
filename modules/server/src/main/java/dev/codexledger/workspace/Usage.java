package dev.codexledger.workspace;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Token counts of one model call, as records carry them ({@code usage.input_tokens},
 * {@code cached_input_tokens}, {@code output_tokens}, {@code reasoning_tokens}). As in OpenAI's usage
 * objects, input includes the cached input and output includes the reasoning tokens.
 */
public record Usage(long input, long cachedInput, long output, long reasoning) {

    public static final Usage NONE = new Usage(0, 0, 0, 0);

    /** The usage of a record's content; {@link #NONE} when it has none. */
    public static Usage of(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return NONE;
        }
        return new Usage(count(usage, "input_tokens"), count(usage, "cached_input_tokens"),
                count(usage, "output_tokens"), count(usage, "reasoning_tokens"));
    }

    private static long count(JsonNode usage, String field) {
        long value = usage.path(field).asLong(0);
        return Math.max(0, value);
    }

    public boolean isEmpty() {
        return input == 0 && cachedInput == 0 && output == 0 && reasoning == 0;
    }
}

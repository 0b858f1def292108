package dev.codexledger.budget;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.http.BadRequest;
import dev.codexledger.workspace.Usage;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The budget API's request bodies, read into domain values; anything wrong is a {@link BadRequest} naming the field. */
final class BudgetRequests {

    private BudgetRequests() {}

    /** The user and the estimate (credits, or tokens priced at the model's current price) of a request. */
    record Ask(String user, String model, long estimateMicros) {}

    static Ask ask(JsonNode json, PriceBook prices) {
        only(json, List.of("user", "model", "estimate_credits", "estimate_tokens", "ttl_seconds", "idempotency_key"));
        JsonNode user = json.path("user");
        if (!user.isTextual() || user.textValue().isEmpty() || user.textValue().length() > 512) {
            throw new BadRequest("user", "required: the user's id");
        }
        String model = json.hasNonNull("model") ? json.get("model").asText() : null;
        long estimate = 0;
        if (json.has("estimate_credits")) {
            estimate = micros(json, "estimate_credits");
        } else if (json.has("estimate_tokens")) {
            JsonNode tokens = json.get("estimate_tokens");
            if (!tokens.isObject()) {
                throw new BadRequest("estimate_tokens", "an object of token counts (input_tokens, output_tokens, …)");
            }
            estimate = prices.priceAt(model, prices.nowMicros()).costMicros(Usage.of(tokens));
        }
        return new Ask(user.textValue(), model, estimate);
    }

    /** {@code ttl_seconds}, when the request names how long its reservation holds. */
    static Optional<Duration> ttl(JsonNode json) {
        if (!json.has("ttl_seconds")) {
            return Optional.empty();
        }
        JsonNode seconds = json.get("ttl_seconds");
        if (!seconds.canConvertToInt() || seconds.intValue() < 1) {
            throw new BadRequest("ttl_seconds", "a whole number of seconds, at least 1");
        }
        return Optional.of(Duration.ofSeconds(seconds.intValue()));
    }

    /**
     * The reservation's idempotency key: the {@code Idempotency-Key} header or {@code idempotency_key} in the
     * body (the same if both), 1 to 255 visible ASCII characters.
     */
    static Optional<String> idempotencyKey(JsonNode json, Optional<String> header) {
        Optional<String> body = Optional.empty();
        if (json.has("idempotency_key")) {
            if (!json.get("idempotency_key").isTextual()) {
                throw new BadRequest("idempotency_key", "a string of 1 to 255 visible ASCII characters");
            }
            body = Optional.of(json.get("idempotency_key").textValue());
        }
        if (body.isPresent() && header.isPresent() && !body.get().equals(header.get())) {
            throw new BadRequest("idempotency_key", "differs from the Idempotency-Key header; send one of them");
        }
        Optional<String> key = body.isPresent() ? body : header;
        if (key.isPresent() && !validKey(key.get())) {
            throw new BadRequest(body.isPresent() ? "idempotency_key" : "Idempotency-Key",
                    "1 to 255 visible ASCII characters");
        }
        return key;
    }

    private static boolean validKey(String key) {
        return !key.isEmpty() && key.length() <= 255 && key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e);
    }

    /** What a settled call cost: {@code actual_credits}, or its {@code usage} priced at the model's price now. */
    static long actualMicros(JsonNode json, PriceBook prices) {
        only(json, List.of("actual_credits", "usage", "model"));
        if (json.has("actual_credits")) {
            return micros(json, "actual_credits");
        }
        if (json.has("usage") && json.get("usage").isObject()) {
            String model = json.hasNonNull("model") ? json.get("model").asText() : null;
            return prices.priceAt(model, prices.nowMicros()).costMicros(Usage.of(json.get("usage")));
        }
        throw new BadRequest("actual_credits", "send actual_credits, or usage (token counts) with the model");
    }

    static BudgetSpec spec(String key, JsonNode json) {
        only(json, List.of("window", "cap", "thresholds", "parent"));
        BudgetWindow window;
        try {
            window = BudgetWindow.parse(json.path("window").asText(""));
        } catch (IllegalArgumentException e) {
            throw new BadRequest("window", "required: day, week or month");
        }
        long cap = micros(json, "cap");
        List<Integer> thresholds = new ArrayList<>();
        JsonNode list = json.path("thresholds");
        if (!list.isMissingNode() && !list.isNull()) {
            if (!list.isArray()) {
                throw new BadRequest("thresholds", "must be an array of percents, e.g. [80, 100]");
            }
            for (JsonNode percent : list) {
                if (!percent.isInt() || percent.intValue() < 1 || percent.intValue() > 1000) {
                    throw new BadRequest("thresholds", "each a whole percent of the cap, 1 to 1000");
                }
                thresholds.add(percent.intValue());
            }
        }
        thresholds.sort(null);
        String parent = null;
        if (json.hasNonNull("parent")) {
            if (!BudgetSpec.levelOf(key).equals("team")) {
                throw new BadRequest("parent", "only a team has a parent (its department)");
            }
            parent = json.get("parent").asText();
            if (parent.isEmpty() || !json.get("parent").isTextual() || key.equals(BudgetSpec.team(parent))) {
                throw new BadRequest("parent", "the name of another team");
            }
        }
        return new BudgetSpec(key, window, cap, thresholds, parent);
    }

    /** A member's team: empty for none ({@code "team": null}). */
    static Optional<String> team(JsonNode json) {
        only(json, List.of("team"));
        JsonNode team = json.path("team");
        if (!team.isNull() && (!team.isTextual() || team.textValue().isEmpty() || team.textValue().length() > 200)) {
            throw new BadRequest("team", "the team's name (1 to 200 characters), or null for none");
        }
        return team.isNull() ? Optional.empty() : Optional.of(team.textValue());
    }

    static String spendFrom(JsonNode json) {
        only(json, List.of("spend_from"));
        String source = json.path("spend_from").asText("");
        if (!List.of("both", "records", "settlements").contains(source)) {
            throw new BadRequest("spend_from", "both, records or settlements");
        }
        return source;
    }

    static void only(JsonNode json, List<String> fields) {
        for (var names = json.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!fields.contains(name)) {
                throw new BadRequest(name, "unknown field; expected " + String.join(", ", fields));
            }
        }
    }

    private static long micros(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || !value.isNumber() || value.decimalValue().signum() < 0
                || value.decimalValue().compareTo(BigDecimal.valueOf(1_000_000_000_000L)) > 0) {
            throw new BadRequest(field, "a number of credits, 0 or more");
        }
        return Credits.toMicros(value.decimalValue());
    }
}

package dev.codexledger.budget;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.put;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.ApiKey;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.BadRequest;
import dev.codexledger.http.RequestBodies;
import dev.codexledger.records.Rfc3339;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /v1/admin/pricing} (org-wide keys): the price of each model per million tokens, and price
 * changes from a time on — never for usage already counted.
 */
public final class PricingRoutes {

    private static final long MAX_BODY = 64 * 1024;
    private static final Duration BODY_TIMEOUT = Duration.ofSeconds(10);
    private static final BigDecimal MAX_RATE = BigDecimal.valueOf(1_000_000);

    private final PriceBook prices;
    private final Access access;
    private final RequestBodies bodies;
    private final Executor blocking;

    public PricingRoutes(PriceBook prices, Access access, RequestBodies bodies, Executor blocking) {
        this.prices = prices;
        this.access = access;
        this.bodies = bodies;
        this.blocking = blocking;
    }

    public Route routes() {
        return pathPrefix("admin", () -> pathPrefix("pricing", () -> concat(
                pathEndOrSingleSlash(() -> get(() ->
                        access.allow(Endpoint.PRICING_LIST, ApiKey.ALL_WORKSPACES, key -> list()))),
                path(segment(), model -> put(() -> access.allow(Endpoint.PRICING_SET, ApiKey.ALL_WORKSPACES, key ->
                        bodies.jsonObject(MAX_BODY, BODY_TIMEOUT, json -> set(model, json, "key:" + key.id()))))))));
    }

    private Route list() {
        return complete(ApiErrors.ok(new BudgetAnswers.Prices(
                prices.list().stream().map(BudgetAnswers.PriceAnswer::of).toList())));
    }

    private Route set(String model, JsonNode json, String setBy) {
        Price price = price(model, json);
        return onSuccess(CompletableFuture.runAsync(() -> prices.set(price, setBy), blocking),
                done -> complete(ApiErrors.ok(BudgetAnswers.PriceAnswer.of(price))));
    }

    private Price price(String model, JsonNode json) {
        BudgetRequests.only(json, List.of("input", "cached_input", "output", "reasoning", "effective_from"));
        long now = prices.nowMicros();
        long effective = now;
        if (json.hasNonNull("effective_from")) {
            effective = Rfc3339.micros(Rfc3339.parse(json.get("effective_from").asText(), "effective_from"));
            if (effective < now) {
                throw new BadRequest("effective_from", "is in the past: a price applies from now or later,"
                        + " never to usage already counted");
            }
        }
        return new Price(model, effective, rate(json, "input"), rate(json, "cached_input"),
                rate(json, "output"), rate(json, "reasoning"));
    }

    private static BigDecimal rate(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || !value.isNumber() || value.decimalValue().signum() < 0
                || value.decimalValue().compareTo(MAX_RATE) > 0) {
            throw new BadRequest(field, "required: credits per million tokens, 0 to 1000000");
        }
        return value.decimalValue();
    }
}

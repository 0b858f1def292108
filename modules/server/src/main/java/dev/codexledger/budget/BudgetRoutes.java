package dev.codexledger.budget;

import dev.codexledger.workspace.Usage;
import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.put;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.ApiKey;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.RequestBodies;
import dev.codexledger.records.InvalidRecords;
import dev.codexledger.records.Rfc3339;
import dev.codexledger.workspace.WorkspaceId;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Budgets over HTTP. Admin ({@code budget.admin}): budgets per workspace ({@code org}, teams, users),
 * team membership, status; prices (org-wide keys). Decisions ({@code budget.check}): check,
 * reserve / settle / release, and forward-auth for gateways. When a decision cannot be made within the
 * decision timeout, the answer follows the failure policy and says so ({@code decided_by}).
 */
public final class BudgetRoutes {

    /** Forward-auth settings: where a gateway puts the identity, and what status denies. */
    public record ForwardAuth(String workspaceHeader, String userHeader, String modelHeader, String estimateHeader,
                              int denyStatus) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 64 * 1024;

    private final Budgets budgets;
    private final PriceBook prices;
    private final Access access;
    private final RequestBodies bodies;
    private final boolean failOpen;
    private final ForwardAuth forwardAuth;
    private final java.util.concurrent.Executor blocking;

    public BudgetRoutes(Budgets budgets, PriceBook prices, Access access, RequestBodies bodies, boolean failOpen,
                        ForwardAuth forwardAuth, java.util.concurrent.Executor blocking) {
        this.budgets = budgets;
        this.prices = prices;
        this.access = access;
        this.bodies = bodies;
        this.failOpen = failOpen;
        this.forwardAuth = forwardAuth;
        this.blocking = blocking;
    }

    public Route routes() {
        return concat(
                pathPrefix("admin", () -> concat(
                        pathPrefix("pricing", this::pricingRoutes),
                        pathPrefix("workspaces", () -> pathPrefix(segment(), workspace ->
                                valid(workspace, () -> adminRoutes(workspace)))))),
                pathPrefix("budget", () -> concat(
                        path("forward-auth", this::forwardAuth),
                        pathPrefix("workspaces", () -> pathPrefix(segment(), workspace ->
                                valid(workspace, () -> decisionRoutes(workspace)))))));
    }

    private Route pricingRoutes() {
        Route list = pathEndOrSingleSlash(() -> get(() ->
                access.allow(Endpoint.PRICING_LIST, ApiKey.ALL_WORKSPACES, key -> listPrices())));
        Route set = path(segment(), model -> put(() -> access.allow(Endpoint.PRICING_SET, ApiKey.ALL_WORKSPACES,
                key -> body(json -> setPrice(model, json, "key:" + key.id())))));
        return concat(list, set);
    }

    private Route adminRoutes(String workspace) {
        Route status = pathEndOrSingleSlash(() -> get(() ->
                access.allow(Endpoint.BUDGETS_STATUS, workspace, key -> status(workspace))));
        Route org = path("org", () -> budgetAt(workspace, BudgetSpec.ORG));
        Route teams = pathPrefix("teams", () -> path(segment(), team -> budgetAt(workspace, BudgetSpec.team(team))));
        Route users = pathPrefix("users", () -> path(segment(), user -> budgetAt(workspace, BudgetSpec.user(user))));
        Route members = pathPrefix("members", () -> path(segment(), user -> concat(
                put(() -> access.allow(Endpoint.MEMBER_SET, workspace, key ->
                        body(json -> setMember(workspace, user, json)))),
                delete(() -> access.allow(Endpoint.MEMBER_SET, workspace, key ->
                        done(budgets.change(workspace, r -> new WorkspaceBudget.SetMember(user, null, r))))))));
        Route settings = path("settings", () -> put(() -> access.allow(Endpoint.BUDGET_SET, workspace, key ->
                body(json -> {
                    only(json, List.of("spend_from"));
                    String source = json.path("spend_from").asText("");
                    if (!List.of("both", "records", "settlements").contains(source)) {
                        throw new InvalidRecords("spend_from", "both, records or settlements");
                    }
                    return done(budgets.change(workspace, r -> new WorkspaceBudget.SetSpendFrom(source, r)));
                }))));
        return concat(pathPrefix("budgets", () -> concat(status, settings, org, teams, users)), members);
    }

    private Route decisionRoutes(String workspace) {
        Route check = path("check", () -> post(() ->
                access.allow(Endpoint.BUDGET_CHECK, workspace, key -> body(json -> check(workspace, json)))));
        Route reserve = pathEndOrSingleSlash(() -> post(() ->
                access.allow(Endpoint.RESERVE, workspace, key -> body(json -> reserve(workspace, json)))));
        Route one = pathPrefix(segment(), id -> concat(
                path("settle", () -> post(() ->
                        access.allow(Endpoint.SETTLE, workspace, key -> body(json -> settle(workspace, id, json))))),
                pathEndOrSingleSlash(() -> delete(() -> access.allow(Endpoint.RELEASE, workspace, key ->
                        done(budgets.change(workspace, r -> new WorkspaceBudget.Release(id, r))))))));
        return concat(check, pathPrefix("reservations", () -> concat(reserve, one)));
    }

    private static Route valid(String workspace, java.util.function.Supplier<Route> inner) {
        return WorkspaceId.isValid(workspace) ? inner.get()
                : complete(ApiErrors.error(StatusCodes.BAD_REQUEST, WorkspaceId.RULE, "workspace"));
    }

    private Route body(Function<JsonNode, Route> inner) {
        return extractRequestEntity(entity -> bodies.strict(entity, MAX_BODY, Duration.ofSeconds(10), (bytes, r) -> {
            JsonNode json;
            try {
                json = JSON.readTree(bytes);
            } catch (IOException e) {
                return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, "malformed JSON body", "body"));
            }
            if (json == null || !json.isObject()) {
                return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, "expected a JSON object", "body"));
            }
            try {
                return inner.apply(json);
            } catch (InvalidRecords bad) {
                return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, bad.getMessage(), bad.field()));
            }
        }));
    }

    // ---------------------------------------------------------------- admin

    private Route budgetAt(String workspace, String key) {
        Route set = put(() -> access.allow(Endpoint.BUDGET_SET, workspace, k -> body(json -> {
            BudgetSpec spec = spec(key, json);
            return done(budgets.change(workspace, r -> new WorkspaceBudget.SetBudget(spec, r)));
        })));
        Route remove = delete(() -> access.allow(Endpoint.BUDGET_SET, workspace, k ->
                done(budgets.change(workspace, r -> new WorkspaceBudget.RemoveBudget(key, r)))));
        return concat(set, remove);
    }

    static BudgetSpec spec(String key, JsonNode json) {
        only(json, List.of("window", "cap", "thresholds", "parent"));
        BudgetWindow window;
        try {
            window = BudgetWindow.parse(json.path("window").asText(""));
        } catch (IllegalArgumentException e) {
            throw new InvalidRecords("window", "required: day, week or month");
        }
        long cap = micros(json, "cap");
        List<Integer> thresholds = new ArrayList<>();
        JsonNode list = json.path("thresholds");
        if (!list.isMissingNode() && !list.isNull()) {
            if (!list.isArray()) {
                throw new InvalidRecords("thresholds", "must be an array of percents, e.g. [80, 100]");
            }
            for (JsonNode percent : list) {
                if (!percent.isInt() || percent.intValue() < 1 || percent.intValue() > 1000) {
                    throw new InvalidRecords("thresholds", "each a whole percent of the cap, 1 to 1000");
                }
                thresholds.add(percent.intValue());
            }
        }
        thresholds.sort(null);
        String parent = null;
        if (json.hasNonNull("parent")) {
            if (!BudgetSpec.levelOf(key).equals("team")) {
                throw new InvalidRecords("parent", "only a team has a parent (its department)");
            }
            parent = json.get("parent").asText();
            if (parent.isEmpty() || !json.get("parent").isTextual() || key.equals(BudgetSpec.team(parent))) {
                throw new InvalidRecords("parent", "the name of another team");
            }
        }
        return new BudgetSpec(key, window, cap, thresholds, parent);
    }

    private Route setMember(String workspace, String user, JsonNode json) {
        only(json, List.of("team"));
        JsonNode team = json.path("team");
        if (!team.isNull() && (!team.isTextual() || team.textValue().isEmpty() || team.textValue().length() > 200)) {
            throw new InvalidRecords("team", "the team's name (1 to 200 characters), or null for none");
        }
        return done(budgets.change(workspace, r -> new WorkspaceBudget.SetMember(user, team.isNull() ? null
                : team.textValue(), r)));
    }

    private Route status(String workspace) {
        return answer(budgets.<WorkspaceBudget.Status>change(workspace, WorkspaceBudget.GetStatus::new), status -> {
            ObjectNode body = JSON.createObjectNode().put("workspace", workspace).put("spend_from", status.spendFrom());
            ArrayNode list = body.putArray("budgets");
            for (BudgetBook.Level level : status.levels()) {
                BudgetSpec spec = status.budgets().stream().filter(b -> b.key().equals(level.key())).findFirst()
                        .orElseThrow();
                ObjectNode item = levelJson(level);
                spec.thresholds().forEach(item.putArray("thresholds")::add);
                if (spec.parent() != null) {
                    item.put("parent", spec.parent());
                }
                status.thresholdsCrossed(level.key()).forEach(item.putArray("thresholds_crossed")::add);
                list.add(item);
            }
            ObjectNode members = body.putObject("members");
            new java.util.TreeMap<>(status.members()).forEach(members::put);
            return ApiErrors.json(StatusCodes.OK, body);
        });
    }

    private Route listPrices() {
        ArrayNode list = JSON.createArrayNode();
        for (Price price : prices.list()) {
            ObjectNode item = priceJson(price);
            list.add(item);
        }
        ObjectNode body = JSON.createObjectNode();
        body.set("prices", list);
        return complete(ApiErrors.json(StatusCodes.OK, body));
    }

    private Route setPrice(String model, JsonNode json, String setBy) {
        only(json, List.of("input", "cached_input", "output", "reasoning", "effective_from"));
        long now = prices.nowMicros();
        long effective = now;
        if (json.hasNonNull("effective_from")) {
            effective = Rfc3339.micros(Rfc3339.parse(json.get("effective_from").asText(), "effective_from"));
            if (effective < now) {
                throw new InvalidRecords("effective_from", "is in the past: a price applies from now or later,"
                        + " never to usage already counted");
            }
        }
        Price price = new Price(model, effective, rate(json, "input"), rate(json, "cached_input"),
                rate(json, "output"), rate(json, "reasoning"));
        return onComplete(java.util.concurrent.CompletableFuture.runAsync(() -> prices.set(price, setBy), blocking),
                done -> complete(done.isSuccess() ? ApiErrors.json(StatusCodes.OK, priceJson(price))
                        : ApiErrors.fromFailure(done.failed().get())));
    }

    private static BigDecimal rate(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || !value.isNumber() || value.decimalValue().signum() < 0
                || value.decimalValue().compareTo(BigDecimal.valueOf(1_000_000)) > 0) {
            throw new InvalidRecords(field, "required: credits per million tokens, 0 to 1000000");
        }
        return value.decimalValue();
    }

    private static ObjectNode priceJson(Price price) {
        ObjectNode item = JSON.createObjectNode().put("model", price.model());
        item.put("effective_from", price.effectiveFromMicros() == Long.MIN_VALUE ? null
                : Instant.EPOCH.plus(price.effectiveFromMicros(), ChronoUnit.MICROS).toString());
        item.put("input", price.input()).put("cached_input", price.cachedInput()).put("output", price.output())
                .put("reasoning", price.reasoning());
        return item;
    }

    // ---------------------------------------------------------------- decisions

    /** The user and the estimate (credits, or tokens priced at the model's current price) of a request. */
    record Ask(String user, String model, long estimateMicros) {}

    private Ask ask(JsonNode json) {
        only(json, List.of("user", "model", "estimate_credits", "estimate_tokens", "ttl_seconds"));
        JsonNode user = json.path("user");
        if (!user.isTextual() || user.textValue().isEmpty() || user.textValue().length() > 512) {
            throw new InvalidRecords("user", "required: the user's id");
        }
        String model = json.hasNonNull("model") ? json.get("model").asText() : null;
        long estimate = 0;
        if (json.has("estimate_credits")) {
            estimate = micros(json, "estimate_credits");
        } else if (json.has("estimate_tokens")) {
            JsonNode tokens = json.get("estimate_tokens");
            if (!tokens.isObject()) {
                throw new InvalidRecords("estimate_tokens", "an object of token counts (input_tokens, output_tokens, …)");
            }
            estimate = prices.priceAt(model, prices.nowMicros()).costMicros(Usage.of(tokens));
        }
        return new Ask(user.textValue(), model, estimate);
    }

    private Route check(String workspace, JsonNode json) {
        Ask ask = ask(json);
        return decided(budgets.check(workspace, ask.user(), ask.estimateMicros()),
                decision -> ApiErrors.json(StatusCodes.OK, decisionJson(decision, ask)),
                () -> ApiErrors.json(StatusCodes.OK, policyJson(ask)));
    }

    private Route reserve(String workspace, JsonNode json) {
        Ask ask = ask(json);
        Optional<Duration> ttl = Optional.empty();
        if (json.has("ttl_seconds")) {
            JsonNode seconds = json.get("ttl_seconds");
            if (!seconds.canConvertToInt() || seconds.intValue() < 1) {
                throw new InvalidRecords("ttl_seconds", "a whole number of seconds, at least 1");
            }
            ttl = Optional.of(Duration.ofSeconds(seconds.intValue()));
        }
        Optional<Duration> holdFor = ttl;
        return decided(budgets.<WorkspaceBudget.ReserveResult>decide(workspace,
                        r -> new WorkspaceBudget.Reserve(ask.user(), ask.estimateMicros(), holdFor, r)),
                result -> {
                    ObjectNode body = decisionJson(result.decision(), ask);
                    body.put("allowed", result.id() != null);
                    body.put("reservation_id", result.id());
                    body.put("expires_at", result.expiresAt() == null ? null : result.expiresAt().toString());
                    return ApiErrors.json(result.id() != null ? StatusCodes.CREATED : StatusCodes.OK, body);
                },
                () -> ApiErrors.json(failOpen ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, policyJson(ask))
                        .addHeader(RawHeader.create("Retry-After", ApiErrors.RETRY_AFTER_SECONDS)));
    }

    private Route settle(String workspace, String id, JsonNode json) {
        only(json, List.of("actual_credits", "usage", "model"));
        long actual;
        if (json.has("actual_credits")) {
            actual = micros(json, "actual_credits");
        } else if (json.has("usage") && json.get("usage").isObject()) {
            String model = json.hasNonNull("model") ? json.get("model").asText() : null;
            actual = prices.priceAt(model, prices.nowMicros()).costMicros(Usage.of(json.get("usage")));
        } else {
            throw new InvalidRecords("actual_credits", "send actual_credits, or usage (token counts) with the model");
        }
        return done(budgets.change(workspace, r -> new WorkspaceBudget.Settle(id, actual, r)));
    }

    // ---------------------------------------------------------------- forward-auth

    /**
     * For nginx {@code auth_request}, Envoy {@code ext_authz} (HTTP) and Traefik ForwardAuth: any method;
     * the identity in headers (workspace, user, model, estimate) or the key's own workspace. 200 allows
     * (with {@code X-Budget-*} headers), the configured deny status (429 by default) denies, with a JSON
     * reason.
     */
    private Route forwardAuth() {
        return extractRequest(request -> {
            Optional<String> named = header(request, forwardAuth.workspaceHeader());
            return access.authenticate(Endpoint.FORWARD_AUTH, named, key -> {
                String workspace = named.orElse(key.orgWide() ? null : key.workspace());
                if (workspace == null || !WorkspaceId.isValid(workspace)) {
                    return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, "name the workspace in "
                            + forwardAuth.workspaceHeader() + " (or use a key bound to one)", forwardAuth.workspaceHeader()));
                }
                Optional<String> user = header(request, forwardAuth.userHeader());
                if (user.isEmpty() || user.get().isEmpty()) {
                    return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, "the user's id is required in "
                            + forwardAuth.userHeader(), forwardAuth.userHeader()));
                }
                long estimate;
                try {
                    estimate = header(request, forwardAuth.estimateHeader())
                            .map(v -> Credits.toMicros(new BigDecimal(v.trim()))).orElse(0L);
                    if (estimate < 0) {
                        throw new NumberFormatException();
                    }
                } catch (NumberFormatException | ArithmeticException e) {
                    return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, "a number of credits, at least 0",
                            forwardAuth.estimateHeader()));
                }
                Ask ask = new Ask(user.get(), header(request, forwardAuth.modelHeader()).orElse(null), estimate);
                return access.authorize(key, Endpoint.FORWARD_AUTH, workspace, () -> decided(
                        budgets.check(workspace, ask.user(), ask.estimateMicros()),
                        decision -> {
                            ObjectNode body = decisionJson(decision, ask);
                            HttpResponse response = ApiErrors.json(decision.allowed() ? StatusCodes.OK
                                    : StatusCodes.get(forwardAuth.denyStatus()), body);
                            return response.addHeaders(budgetHeaders(decision, "budget"));
                        },
                        () -> ApiErrors.json(failOpen ? StatusCodes.OK : StatusCodes.get(forwardAuth.denyStatus()),
                                policyJson(ask)).addHeader(RawHeader.create("X-Budget-Decided-By", policy()))));
            });
        });
    }

    private static Optional<String> header(org.apache.pekko.http.javadsl.model.HttpRequest request, String name) {
        return request.getHeader(name).map(HttpHeader::value);
    }

    private static List<HttpHeader> budgetHeaders(BudgetBook.Decision decision, String decidedBy) {
        List<HttpHeader> headers = new ArrayList<>();
        headers.add(RawHeader.create("X-Budget-Decided-By", decidedBy));
        if (decision.binding() != null) {
            BudgetBook.Level level = decision.binding();
            headers.add(RawHeader.create("X-Budget-Level", level.key()));
            headers.add(RawHeader.create("X-Budget-Remaining", Credits.toCredits(level.remainingMicros()).toPlainString()));
            headers.add(RawHeader.create("X-Budget-Resets-At", level.resetsAt().toString()));
        }
        return headers;
    }

    // ---------------------------------------------------------------- answers

    private String policy() {
        return failOpen ? "policy:fail-open" : "policy:fail-closed";
    }

    private ObjectNode policyJson(Ask ask) {
        return JSON.createObjectNode()
                .put("allowed", failOpen)
                .put("decided_by", policy())
                .put("reason", "the budget could not be decided in time; the configured policy is "
                        + (failOpen ? "fail-open" : "fail-closed"))
                .put("user", ask.user())
                .put("estimate_credits", Credits.toCredits(ask.estimateMicros()));
    }

    private static ObjectNode decisionJson(BudgetBook.Decision decision, Ask ask) {
        ObjectNode body = JSON.createObjectNode()
                .put("allowed", decision.allowed())
                .put("decided_by", "budget")
                .put("user", ask.user())
                .put("model", ask.model())
                .put("estimate_credits", Credits.toCredits(ask.estimateMicros()));
        if (decision.binding() != null) {
            body.set("binding_level", levelJson(decision.binding()));
            if (!decision.allowed()) {
                BudgetBook.Level level = decision.binding();
                body.put("reason", BudgetSpec.levelOf(level.key()) + " " + BudgetSpec.nameOf(level.key()) + " has "
                        + Credits.toCredits(Math.max(0, level.remainingMicros())).toPlainString() + " of "
                        + Credits.toCredits(level.capMicros()).toPlainString() + " credits left this "
                        + level.window() + " (resets " + level.resetsAt() + ")");
            }
        } else {
            body.putNull("binding_level");
        }
        ArrayNode levels = body.putArray("levels");
        decision.levels().forEach(level -> levels.add(levelJson(level)));
        return body;
    }

    private static ObjectNode levelJson(BudgetBook.Level level) {
        return JSON.createObjectNode()
                .put("level", BudgetSpec.levelOf(level.key()))
                .put("name", BudgetSpec.nameOf(level.key()))
                .put("window", level.window())
                .put("cap", Credits.toCredits(level.capMicros()))
                .put("spent", Credits.toCredits(level.spentMicros()))
                .put("reserved", Credits.toCredits(level.reservedMicros()))
                .put("remaining", Credits.toCredits(level.remainingMicros()))
                .put("resets_at", level.resetsAt().toString());
    }

    private static <T> Route decided(CompletionStage<T> asked, Function<T, HttpResponse> answer,
                                     java.util.function.Supplier<HttpResponse> undecided) {
        return onComplete(asked, result -> complete(result.isSuccess() ? answer.apply(result.get()) : undecided.get()));
    }

    private static <T> Route answer(CompletionStage<T> asked, Function<T, HttpResponse> answer) {
        return onComplete(asked, result -> complete(result.isSuccess() ? answer.apply(result.get())
                : ApiErrors.unavailable("the workspace's budget did not answer in time; retry")));
    }

    private static Route done(CompletionStage<WorkspaceBudget.Done> asked) {
        return answer(asked, done -> done.error() == null
                ? ApiErrors.json(StatusCodes.OK, JSON.createObjectNode().put("ok", true))
                : ApiErrors.error(StatusCodes.CONFLICT, done.error(), "id"));
    }

    private static void only(JsonNode json, List<String> fields) {
        for (var names = json.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!fields.contains(name)) {
                throw new InvalidRecords(name, "unknown field; expected " + String.join(", ", fields));
            }
        }
    }

    private static long micros(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || !value.isNumber() || value.decimalValue().signum() < 0
                || value.decimalValue().compareTo(BigDecimal.valueOf(1_000_000_000_000L)) > 0) {
            throw new InvalidRecords(field, "a number of credits, 0 or more");
        }
        return Credits.toMicros(value.decimalValue());
    }
}

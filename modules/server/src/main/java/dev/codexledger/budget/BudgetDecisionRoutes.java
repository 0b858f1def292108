package dev.codexledger.budget;

import static dev.codexledger.http.WorkspacePaths.workspace;
import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.ApiKey;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.BadRequest;
import dev.codexledger.http.RequestBodies;
import dev.codexledger.workspace.WorkspaceId;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Budget decisions for gateways ({@code budget.check}): {@code /v1/budget/workspaces/{ws}/check},
 * reservations (reserve, settle, release) and {@code /v1/budget/forward-auth}. When a decision cannot be
 * made within the decision timeout, the answer follows the failure policy and says so ({@code decided_by}).
 */
public final class BudgetDecisionRoutes {

    /** Forward-auth settings: where a gateway puts the identity, and what status denies. */
    public record ForwardAuth(String workspaceHeader, String userHeader, String modelHeader, String estimateHeader,
                              int denyStatus) {

        /** From {@code ledger.budget.forward-auth}. */
        public static ForwardAuth fromConfig(com.typesafe.config.Config config) {
            return new ForwardAuth(config.getString("workspace-header"), config.getString("user-header"),
                    config.getString("model-header"), config.getString("estimate-header"), config.getInt("deny-status"));
        }
    }

    private static final long MAX_BODY = 64 * 1024;
    private static final Duration BODY_TIMEOUT = Duration.ofSeconds(10);

    private final Budgets budgets;
    private final PriceBook prices;
    private final Access access;
    private final RequestBodies bodies;
    private final boolean failOpen;
    private final ForwardAuth forwardAuth;
    private final dev.codexledger.metrics.LedgerMetrics metrics;

    public BudgetDecisionRoutes(Budgets budgets, PriceBook prices, Access access, RequestBodies bodies,
                                boolean failOpen, ForwardAuth forwardAuth, dev.codexledger.metrics.LedgerMetrics metrics) {
        this.metrics = metrics;
        this.budgets = budgets;
        this.prices = prices;
        this.access = access;
        this.bodies = bodies;
        this.failOpen = failOpen;
        this.forwardAuth = forwardAuth;
    }

    public Route routes() {
        return pathPrefix("budget", () -> concat(
                path("forward-auth", this::forwardAuth),
                pathPrefix("workspaces", () -> workspace(workspace -> concat(
                        path("check", () -> post(() -> access.allow(Endpoint.BUDGET_CHECK, workspace, key ->
                                body(json -> check(workspace, json))))),
                        pathPrefix("reservations", () -> reservations(workspace)))))));
    }

    private Route reservations(String workspace) {
        return concat(
                pathEndOrSingleSlash(() -> post(() -> access.allow(Endpoint.RESERVE, workspace, key ->
                        extractRequest(request -> body(json -> reserve(workspace, json,
                                header(request, "Idempotency-Key"))))))),
                pathPrefix(segment(), id -> concat(
                        path("settle", () -> post(() -> access.allow(Endpoint.SETTLE, workspace, key ->
                                body(json -> settle(workspace, id, json))))),
                        pathEndOrSingleSlash(() -> delete(() -> access.allow(Endpoint.RELEASE, workspace, key ->
                                changed("release", budgets.release(workspace, id))))))));
    }

    private Route body(Function<JsonNode, Route> inner) {
        return bodies.jsonObject(MAX_BODY, BODY_TIMEOUT, inner);
    }

    // ---------------------------------------------------------------- check and reservations

    private Route check(String workspace, JsonNode json) {
        BudgetRequests.Ask ask = BudgetRequests.ask(json, prices);
        return decided("check", budgets.check(workspace, ask.user(), ask.estimateMicros()),
                decision -> decision.allowed() ? "allowed" : "denied",
                decision -> ApiErrors.ok(BudgetAnswers.Decision.of(decision, ask)),
                () -> ApiErrors.ok(BudgetAnswers.Policy.of(failOpen, ask)));
    }

    private Route reserve(String workspace, JsonNode json, Optional<String> keyHeader) {
        BudgetRequests.Ask ask = BudgetRequests.ask(json, prices);
        Optional<Duration> ttl = BudgetRequests.ttl(json);
        Optional<String> idempotencyKey = BudgetRequests.idempotencyKey(json, keyHeader);
        return decided("reserve", budgets.reserve(workspace, ask.user(), ask.estimateMicros(), ttl, idempotencyKey),
                BudgetDecisionRoutes::outcome,
                result -> reserved(result, ask, json.has("idempotency_key") ? "idempotency_key" : "Idempotency-Key"),
                () -> ApiErrors.json(failOpen ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE,
                                BudgetAnswers.Policy.of(failOpen, ask))
                        .addHeader(RawHeader.create("Retry-After", ApiErrors.RETRY_AFTER_SECONDS)));
    }

    /** 201 held (with {@code Idempotent-Replayed: true} when held before under the key), 200 denied, 409 key conflict. */
    private HttpResponse reserved(ReserveResult result, BudgetRequests.Ask ask, String keyField) {
        if (result instanceof ReserveResult.KeyConflict conflict) {
            return ApiErrors.json(StatusCodes.CONFLICT, com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                    .objectNode().put("error", conflict.reason()).put("field", keyField)
                    .put("reservation_id", conflict.reservationId()));
        }
        HttpResponse answer = ApiErrors.json(result instanceof ReserveResult.Reserved ? StatusCodes.CREATED : StatusCodes.OK,
                BudgetAnswers.Reservation.of(result, ask));
        return result instanceof ReserveResult.Reserved held && held.replayed()
                ? answer.addHeader(RawHeader.create("Idempotent-Replayed", "true")) : answer;
    }

    private Route settle(String workspace, String id, JsonNode json) {
        return changed("settle", budgets.settle(workspace, id, BudgetRequests.actualMicros(json, prices)));
    }

    private static String outcome(ReserveResult result) {
        if (result instanceof ReserveResult.KeyConflict) {
            return "key_conflict";
        }
        return result instanceof ReserveResult.Reserved held ? (held.replayed() ? "replayed" : "reserved") : "denied";
    }

    /** A settlement or release: done, or refused (unknown or expired reservation, bad amount), or failed. */
    private Route changed(String kind, CompletionStage<org.apache.pekko.pattern.StatusReply<org.apache.pekko.Done>> change) {
        long started = System.nanoTime();
        return onSuccess(change.whenComplete((reply, failure) -> metrics.budgetDecision(kind,
                        failure != null ? "failed" : reply.isSuccess() ? "done" : "refused", System.nanoTime() - started)),
                reply -> complete(BudgetAnswers.changed(reply)));
    }

    /**
     * The decision's answer, or the failure policy's when none came in time (that is no error: it is the
     * policy); counted by kind and outcome, the undecided as fail_open or fail_closed.
     */
    private <T> Route decided(String kind, CompletionStage<T> asked, Function<T, String> outcome,
                              Function<T, HttpResponse> answer, Supplier<HttpResponse> undecided) {
        long started = System.nanoTime();
        return onComplete(asked, result -> {
            metrics.budgetDecision(kind, result.isSuccess() ? outcome.apply(result.get())
                    : failOpen ? "fail_open" : "fail_closed", System.nanoTime() - started);
            return complete(result.isSuccess() ? answer.apply(result.get()) : undecided.get());
        });
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
                String workspace = forwardedWorkspace(named, key);
                BudgetRequests.Ask ask = forwardedAsk(request);
                return access.authorize(key, Endpoint.FORWARD_AUTH, workspace, () -> decided("forward_auth",
                        budgets.check(workspace, ask.user(), ask.estimateMicros()),
                        decision -> decision.allowed() ? "allowed" : "denied",
                        decision -> ApiErrors.json(decision.allowed() ? StatusCodes.OK
                                        : StatusCodes.get(forwardAuth.denyStatus()), BudgetAnswers.Decision.of(decision, ask))
                                .addHeaders(budgetHeaders(decision)),
                        () -> ApiErrors.json(failOpen ? StatusCodes.OK : StatusCodes.get(forwardAuth.denyStatus()),
                                        BudgetAnswers.Policy.of(failOpen, ask))
                                .addHeader(RawHeader.create("X-Budget-Decided-By", BudgetAnswers.Policy.name(failOpen)))));
            });
        });
    }

    private String forwardedWorkspace(Optional<String> named, ApiKey key) {
        String workspace = named.orElse(key.orgWide() ? null : key.workspace());
        if (workspace == null || !WorkspaceId.isValid(workspace)) {
            throw new BadRequest(forwardAuth.workspaceHeader(), "name the workspace in "
                    + forwardAuth.workspaceHeader() + " (or use a key bound to one)");
        }
        return workspace;
    }

    private BudgetRequests.Ask forwardedAsk(HttpRequest request) {
        Optional<String> user = header(request, forwardAuth.userHeader());
        if (user.isEmpty() || user.get().isEmpty()) {
            throw new BadRequest(forwardAuth.userHeader(), "the user's id is required in " + forwardAuth.userHeader());
        }
        long estimate;
        try {
            estimate = header(request, forwardAuth.estimateHeader())
                    .map(v -> Credits.toMicros(new BigDecimal(v.trim()))).orElse(0L);
        } catch (NumberFormatException | ArithmeticException e) {
            estimate = -1;
        }
        if (estimate < 0) {
            throw new BadRequest(forwardAuth.estimateHeader(), "a number of credits, at least 0");
        }
        return new BudgetRequests.Ask(user.get(), header(request, forwardAuth.modelHeader()).orElse(null), estimate);
    }

    private static Optional<String> header(HttpRequest request, String name) {
        return request.getHeader(name).map(HttpHeader::value);
    }

    private static List<HttpHeader> budgetHeaders(BudgetBook.Decision decision) {
        List<HttpHeader> headers = new ArrayList<>();
        headers.add(RawHeader.create("X-Budget-Decided-By", "budget"));
        if (decision.binding() != null) {
            BudgetBook.Level level = decision.binding();
            headers.add(RawHeader.create("X-Budget-Level", level.key()));
            headers.add(RawHeader.create("X-Budget-Remaining", Credits.toCredits(level.remainingMicros()).toPlainString()));
            headers.add(RawHeader.create("X-Budget-Resets-At", level.resetsAt().toString()));
        }
        return headers;
    }
}

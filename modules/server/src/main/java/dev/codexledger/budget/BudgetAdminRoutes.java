package dev.codexledger.budget;

import static dev.codexledger.http.WorkspacePaths.workspace;
import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.put;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import dev.codexledger.auth.Access;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.RequestBodies;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

/**
 * {@code /v1/admin/workspaces/{ws}/…} ({@code budget.admin}): a workspace's budgets ({@code org}, teams,
 * users), where spending is counted from, team membership, and the status of them all.
 */
public final class BudgetAdminRoutes {

    private static final long MAX_BODY = 64 * 1024;
    private static final Duration BODY_TIMEOUT = Duration.ofSeconds(10);

    private final Budgets budgets;
    private final Access access;
    private final RequestBodies bodies;

    public BudgetAdminRoutes(Budgets budgets, Access access, RequestBodies bodies) {
        this.budgets = budgets;
        this.access = access;
        this.bodies = bodies;
    }

    public Route routes() {
        return pathPrefix("admin", () -> pathPrefix("workspaces", () -> workspace(workspace -> concat(
                pathPrefix("budgets", () -> concat(
                        pathEndOrSingleSlash(() -> get(() -> status(workspace))),
                        path("settings", () -> put(() -> spendFrom(workspace))),
                        path("org", () -> budgetAt(workspace, BudgetSpec.ORG)),
                        pathPrefix("teams", () -> path(segment(), team -> budgetAt(workspace, BudgetSpec.team(team)))),
                        pathPrefix("users", () -> path(segment(), user -> budgetAt(workspace, BudgetSpec.user(user)))))),
                pathPrefix("members", () -> path(segment(), user -> member(workspace, user)))))));
    }

    private Route status(String workspace) {
        return access.allow(Endpoint.BUDGETS_STATUS, workspace, key -> onSuccess(budgets.status(workspace),
                status -> complete(ApiErrors.ok(BudgetAnswers.Status.of(workspace, status)))));
    }

    private Route spendFrom(String workspace) {
        return access.allow(Endpoint.BUDGET_SET, workspace, key -> body(json ->
                changed(budgets.setSpendFrom(workspace, BudgetRequests.spendFrom(json)))));
    }

    private Route budgetAt(String workspace, String budgetKey) {
        return concat(
                put(() -> access.allow(Endpoint.BUDGET_SET, workspace, key -> body(json ->
                        changed(budgets.setBudget(workspace, BudgetRequests.spec(budgetKey, json)))))),
                delete(() -> access.allow(Endpoint.BUDGET_SET, workspace, key ->
                        changed(budgets.removeBudget(workspace, budgetKey)))));
    }

    private Route member(String workspace, String user) {
        return concat(
                put(() -> access.allow(Endpoint.MEMBER_SET, workspace, key -> body(json ->
                        changed(budgets.setMember(workspace, user, BudgetRequests.team(json)))))),
                delete(() -> access.allow(Endpoint.MEMBER_SET, workspace, key ->
                        changed(budgets.setMember(workspace, user, Optional.empty())))));
    }

    private Route body(java.util.function.Function<com.fasterxml.jackson.databind.JsonNode, Route> inner) {
        return bodies.jsonObject(MAX_BODY, BODY_TIMEOUT, inner);
    }

    private static Route changed(CompletionStage<StatusReply<Done>> change) {
        return onSuccess(change, reply -> complete(BudgetAnswers.changed(reply)));
    }
}

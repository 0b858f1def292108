package dev.codexledger.load.gatling;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.group;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpRequestActionBuilder;
import java.time.Duration;

/**
 * Budget decisions as gateways ask for them, open model (calls arrive on schedule whatever the answers
 * take), all over one pool of {@code budget.gateways} (64) keep-alive connections, on the workspace
 * {@code budget.workspace} whose budgets and members the runner set up. One run, in this order:
 * <ol>
 *   <li>warm-up: the constant endpoint and pairs at half the rate ({@code warm-up …} requests);</li>
 *   <li>{@code constant endpoint (before)}: {@code POST /v1/ping} at twice {@code budget.pairs} requests/s
 *       (the request rate of the pairs);</li>
 *   <li>{@code reserve} + {@code settle}: {@code budget.pairs} calls/s, each a reservation of 0.01 credits
 *       for user {@code gw-(n mod 64)} and, when held (201), its settlement for what it reserved; the group
 *       {@code pair} times both;</li>
 *   <li>{@code constant endpoint (after)};</li>
 *   <li>{@code check} and {@code forward-auth}: {@code budget.checks} calls/s each, with the constant
 *       endpoint at the same rate before them ({@code constant endpoint (checks)}).</li>
 * </ol>
 * A denial (200 on a reservation) or a 503 is a KO. Each phase lasts {@code budget.seconds} (20), the
 * warm-up {@code budget.warmup.seconds} (10). The runner checks the accounting afterwards.
 */
public class BudgetSimulation extends Simulation {

    static final String CALL = "0.01";
    private final String workspace = Ledger.required("budget.workspace");
    private final int gateways = Ledger.integer("budget.gateways", 64);
    private final int pairs = Ledger.integer("budget.pairs", 2000);
    private final int checks = Ledger.integer("budget.checks", 5000);
    private final Duration phase = Ledger.seconds("budget.seconds", 20);
    private final Duration warmUp = Ledger.seconds("budget.warmup.seconds", 10);

    private static String user(long userId, int gateways) {
        return "gw-" + (userId % gateways);
    }

    private ScenarioBuilder constant(String name) {
        return scenario(name).exec(http(name).post("/v1/ping").header("Content-Type", "application/json")
                .body(StringBody("{\"user\":\"gw-1\",\"estimate_credits\":" + CALL + "}")).check(status().is(200)));
    }

    private ScenarioBuilder pairs(String prefix) {
        HttpRequestActionBuilder reserve = http(prefix + "reserve")
                .post("/v1/budget/workspaces/" + workspace + "/reservations")
                .header("Content-Type", "application/json")
                .body(StringBody(session -> "{\"user\":\"" + user(session.userId(), gateways)
                        + "\",\"estimate_credits\":" + CALL + "}"))
                .check(status().is(201), jsonPath("$.reservation_id").saveAs("reservation"));
        HttpRequestActionBuilder settle = http(prefix + "settle")
                .post("/v1/budget/workspaces/" + workspace + "/reservations/#{reservation}/settle")
                .header("Content-Type", "application/json")
                .body(StringBody("{\"actual_credits\":" + CALL + "}"))
                .check(status().is(200));
        return scenario(prefix + "gateway pairs").exec(group(prefix + "pair").on(exec(reserve).exitHereIfFailed().exec(settle)));
    }

    private ScenarioBuilder decide(String name, boolean forwardAuth) {
        String body = "{\"user\":\"gw-1\",\"estimate_credits\":" + CALL + "}";
        return scenario(name).exec(forwardAuth
                ? http(name).post("/v1/budget/forward-auth").header("X-Ledger-Workspace", workspace)
                        .header("X-Ledger-User", "gw-1").header("X-Ledger-Estimate-Credits", CALL)
                        .check(status().is(200))
                : http(name).post("/v1/budget/workspaces/" + workspace + "/check")
                        .header("Content-Type", "application/json").body(StringBody(body)).check(status().is(200)));
    }

    private static PopulationBuilder at(ScenarioBuilder scenario, int perSecond, Duration duration) {
        return scenario.injectOpen(constantUsersPerSec(perSecond).during(duration));
    }

    {
        setUp(at(constant("warm-up constant endpoint"), pairs, warmUp)
                .andThen(at(pairs("warm-up "), Math.max(1, pairs / 2), warmUp))
                .andThen(at(constant("constant endpoint (before)"), 2 * pairs, phase))
                .andThen(at(pairs(""), pairs, phase))
                .andThen(at(constant("constant endpoint (after)"), 2 * pairs, phase))
                .andThen(at(constant("constant endpoint (checks)"), checks, phase))
                .andThen(at(decide("check", false), checks, phase))
                .andThen(at(decide("forward-auth", true), checks, phase)))
                .protocols(Ledger.protocol(gateways));
    }
}

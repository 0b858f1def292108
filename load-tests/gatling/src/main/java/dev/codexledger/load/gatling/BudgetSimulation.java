package dev.codexledger.load.gatling;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.group;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pace;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpRequestActionBuilder;
import java.time.Duration;

/**
 * Budget decisions as gateways ask for them: {@code budget.gateways} (64) gateways, each a virtual user on
 * its own keep-alive connection that starts a call on a fixed schedule ({@code pace}: one call per
 * gateways ÷ rate seconds), so the phase offers its rate whatever the answers take, up to the point where
 * a gateway's answer arrives after its next call was due (then that gateway runs late, and its calls
 * start as soon as it can). The workspace {@code budget.workspace} has the budgets and members the runner
 * set up. One run, in this order:
 * <ol>
 *   <li>warm-up: the constant endpoint and pairs at half the rate ({@code warm-up …} requests);</li>
 *   <li>{@code constant endpoint (before)}: {@code POST /v1/ping} at twice {@code budget.pairs} requests/s
 *       (the request rate of the pairs);</li>
 *   <li>{@code reserve} + {@code settle}: {@code budget.pairs} calls/s, each a reservation of 0.01 credits
 *       for the gateway's user {@code gw-n} and, when held (201), its settlement for what it reserved; the
 *       group {@code pair} times both;</li>
 *   <li>{@code constant endpoint (after)};</li>
 *   <li>{@code constant endpoint (checks)}, {@code check} and {@code forward-auth}: {@code budget.checks}
 *       calls/s each.</li>
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

    private ChainBuilder constant(String name) {
        return exec(http(name).post("/v1/ping").header("Content-Type", "application/json")
                .body(StringBody("{\"user\":\"gw-1\",\"estimate_credits\":" + CALL + "}")).check(status().is(200)));
    }

    private ChainBuilder pair(String prefix) {
        HttpRequestActionBuilder reserve = http(prefix + "reserve")
                .post("/v1/budget/workspaces/" + workspace + "/reservations")
                .header("Content-Type", "application/json")
                .body(StringBody(session -> "{\"user\":\"gw-" + (session.userId() % gateways)
                        + "\",\"estimate_credits\":" + CALL + "}"))
                .check(status().is(201), jsonPath("$.reservation_id").saveAs("reservation"));
        HttpRequestActionBuilder settle = http(prefix + "settle")
                .post("/v1/budget/workspaces/" + workspace + "/reservations/#{reservation}/settle")
                .header("Content-Type", "application/json")
                .body(StringBody("{\"actual_credits\":" + CALL + "}"))
                .check(status().is(200));
        return group(prefix + "pair").on(exec(reserve).exitHereIfFailed().exec(settle));
    }

    private ChainBuilder decide(String name, boolean forwardAuth) {
        return exec(forwardAuth
                ? http(name).post("/v1/budget/forward-auth").header("X-Ledger-Workspace", workspace)
                        .header("X-Ledger-User", "gw-1").header("X-Ledger-Estimate-Credits", CALL)
                        .check(status().is(200))
                : http(name).post("/v1/budget/workspaces/" + workspace + "/check")
                        .header("Content-Type", "application/json")
                        .body(StringBody("{\"user\":\"gw-1\",\"estimate_credits\":" + CALL + "}"))
                        .check(status().is(200)));
    }

    /** The gateways calling {@code call} at {@code perSecond} calls/s in all for {@code duration}. */
    private PopulationBuilder gateways(String name, ChainBuilder call, int perSecond, Duration duration) {
        Duration interval = Duration.ofNanos(Math.round(gateways * 1e9 / Math.max(1, perSecond)));
        // exitASAP false: a pair started before the end is settled, not left reserved
        return scenario(name).during(duration, false).on(pace(interval).exec(call)).injectOpen(atOnceUsers(gateways));
    }

    {
        setUp(gateways("warm-up constant endpoint", constant("warm-up constant endpoint"), pairs, warmUp)
                .andThen(gateways("warm-up gateway pairs", pair("warm-up "), Math.max(1, pairs / 2), warmUp))
                .andThen(gateways("constant endpoint (before)", constant("constant endpoint (before)"), 2 * pairs, phase))
                .andThen(gateways("gateway pairs", pair(""), pairs, phase))
                .andThen(gateways("constant endpoint (after)", constant("constant endpoint (after)"), 2 * pairs, phase))
                .andThen(gateways("constant endpoint (checks)", constant("constant endpoint (checks)"), checks, phase))
                .andThen(gateways("check", decide("check", false), checks, phase))
                .andThen(gateways("forward-auth", decide("forward-auth", true), checks, phase)))
                .protocols(Ledger.protocol());
    }
}

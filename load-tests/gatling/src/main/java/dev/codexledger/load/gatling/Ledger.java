package dev.codexledger.load.gatling;

import static io.gatling.javaapi.http.HttpDsl.http;

import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;

/**
 * What every simulation reads from the system properties the runner ({@code load-tests/run-gatling.sh})
 * sets: the node under test, its admin key, phase lengths and rates.
 */
final class Ledger {

    private Ledger() {}

    /** {@code ledger.base}: the node's API, e.g. {@code http://127.0.0.1:8080}. */
    static String base() {
        return required("ledger.base");
    }

    /**
     * The HTTP protocol of a simulation: the node's base URL and the admin key as a bearer token. Each
     * virtual user of our simulations is one client (an exporter, a gateway) that lives the whole phase and
     * keeps its own keep-alive connection, as exporters and gateways do. (Not Gatling's usual open model of
     * a new user per call: over a shared pool Gatling opens a new connection whenever none is idle, without
     * a bound, and a short pause of the node then turns into thousands of connections and connect timeouts
     * against the server's connection limit; measured here at 2,000 calls/s.)
     */
    static HttpProtocolBuilder protocol() {
        return http.baseUrl(base())
                .authorizationHeader("Bearer " + required("ledger.key"))
                .acceptHeader("application/json");
    }

    static Duration seconds(String property, long fallback) {
        return Duration.ofSeconds(Long.getLong(property, fallback));
    }

    static int integer(String property, int fallback) {
        return Integer.getInteger(property, fallback);
    }

    static String required(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("system property " + property + " is required (set by load-tests/run-gatling.sh)");
        }
        return value;
    }
}

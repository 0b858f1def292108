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
     * The HTTP protocol of a simulation: the node's base URL, the admin key as a bearer token, one pool of
     * at most {@code connections} keep-alive connections shared by all virtual users (gateways and
     * exporters keep a few connections open; they do not open one per call).
     */
    static HttpProtocolBuilder protocol(int connections) {
        return http.baseUrl(base())
                .authorizationHeader("Bearer " + required("ledger.key"))
                .acceptHeader("application/json")
                .shareConnections()
                .maxConnectionsPerHost(connections);
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

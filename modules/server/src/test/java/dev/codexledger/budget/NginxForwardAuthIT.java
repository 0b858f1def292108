package dev.codexledger.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The README's nginx {@code auth_request} block, run by a real nginx (Debian's nginx-light, installed by
 * .ci/run) in front of a stand-in model API: allowed requests pass with the remaining credits in a
 * header, a user over budget is refused by nginx itself.
 */
@ExtendWith(SharedCassandra.class)
class NginxForwardAuthIT {

    private static final Path NGINX = Path.of("/usr/sbin/nginx");

    @Test
    void nginxAuthRequestLetsThroughWhatTheBudgetAllowsAndRefusesTheRest() throws Exception {
        assumeTrue(Files.isExecutable(NGINX), "nginx is not installed (.ci/run installs nginx-light)");
        LedgerNode.Running node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("nginx"),
                Map.of("ledger.budget.forward-auth.deny-status", 403));
        Path prefix = Files.createTempDirectory("ledger-nginx-");
        Process nginx = null;
        try {
            LedgerClient admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
            String key = dev.codexledger.testing.Keys.create(admin, "gw", "gateway", "budget.check").secret();
            assertEquals(200, admin.send("PUT", "/v1/admin/workspaces/gw/budgets/users/ana", Map.of("Content-Type",
                    "application/json"), "{\"window\":\"day\",\"cap\":1}".getBytes(StandardCharsets.UTF_8)).status());

            int port;
            try (ServerSocket free = new ServerSocket(0)) {
                port = free.getLocalPort();
            }
            int ledger = node.httpAddress().getPort();
            Files.writeString(prefix.resolve("nginx.conf"), """
                    daemon off;
                    worker_processes 1;
                    pid %1$s/nginx.pid;
                    error_log %1$s/error.log;
                    events {}
                    http {
                        access_log off;
                        client_body_temp_path %1$s/body;
                        proxy_temp_path %1$s/proxy;
                        fastcgi_temp_path %1$s/fastcgi;
                        uwsgi_temp_path %1$s/uwsgi;
                        scgi_temp_path %1$s/scgi;
                        server {
                            listen 127.0.0.1:%2$d;
                            location /model/ {                # stands in for the model API
                                auth_request /ledger-budget;
                                auth_request_set $budget_left $upstream_http_x_budget_remaining;
                                add_header X-Budget-Remaining $budget_left always;
                                proxy_pass http://127.0.0.1:%3$d/v1/ping;
                            }
                            location = /ledger-budget {
                                internal;
                                proxy_pass http://127.0.0.1:%3$d/v1/budget/forward-auth;
                                proxy_pass_request_body off;
                                proxy_set_header Content-Length "";
                                proxy_set_header Authorization "Bearer %4$s";
                                proxy_set_header X-Ledger-User $http_x_user_id;
                                proxy_set_header X-Ledger-Estimate-Credits "0.5";
                            }
                        }
                    }
                    """.formatted(prefix, port, ledger, key));
            nginx = new ProcessBuilder(NGINX.toString(), "-p", prefix.toString(), "-c", prefix.resolve("nginx.conf").toString())
                    .redirectErrorStream(true).redirectOutput(prefix.resolve("stdout.log").toFile()).start();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> first = awaitNginx(http, port, "ana");

            assertEquals(200, first.statusCode(), first.body());
            assertTrue(first.body().contains("\"ok\":true"), "reached the upstream: " + first.body());
            assertEquals("1", first.headers().firstValue("X-Budget-Remaining").orElse(""));

            // ana spends 0.8 of her 1 credit: 0.5 more no longer fits
            LedgerClient gateway = admin.withKey(key);
            LedgerClient.Reply reserved = gateway.post("/v1/budget/workspaces/gw/reservations", "application/json",
                    "{\"user\":\"ana\",\"estimate_credits\":0.8}");
            assertEquals(201, reserved.status(), reserved.raw().body());
            assertEquals(200, gateway.post("/v1/budget/workspaces/gw/reservations/" + reserved.body()
                    .get("reservation_id").asText() + "/settle", "application/json", "{\"actual_credits\":0.8}").status());

            HttpResponse<String> refused = send(http, port, "ana");
            assertEquals(403, refused.statusCode(), "nginx refuses what the budget denies: " + refused.body());
            HttpResponse<String> other = send(http, port, "bob");
            assertEquals(200, other.statusCode(), "a user without a budget is not limited");
        } finally {
            if (nginx != null) {
                nginx.destroy();
                nginx.waitFor();
            }
            node.stop();
            SharedCassandra.deleteRecursively(prefix);
        }
    }

    /** The first answer once nginx listens. */
    private static HttpResponse<String> awaitNginx(HttpClient http, int port, String user) {
        return Eventually.until(Duration.ofSeconds(20), Duration.ofMillis(100), () -> {
            try {
                return Optional.of(send(http, port, user));
            } catch (java.io.IOException notListeningYet) {
                return Optional.<HttpResponse<String>>empty();
            }
        }, Optional::isPresent).orElseThrow();
    }

    private static HttpResponse<String> send(HttpClient http, int port, String user) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/model/"))
                .header("X-User-Id", user).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}

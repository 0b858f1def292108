package dev.codexledger.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tomlj.Toml;

/**
 * The real Codex CLI (0.169.0 from the npm registry, installed into target/ on first use) on this machine,
 * offline against a mock model: the requirements.toml and managed_config.toml this ledger serves go to
 * /etc/codex; Codex, configured to ask for approval "never" and the "danger-full-access" sandbox, runs as
 * the requirements allow, exports its telemetry to the node with the ingest key the managed config
 * carries, and its session is judged compliant. The same machine without the requirements file runs as
 * asked, and its session gets one finding per broken requirement. /etc/codex governs every Codex on the
 * machine, so the test puts back what was there.
 */
@ExtendWith(SharedCassandra.class)
class CodexRequirementsIT {

    private static final String CODEX_VERSION = "0.169.0";
    private static final Path NPM = Path.of("target", "codex-npm").toAbsolutePath();
    private static final Path ETC = Path.of("/etc/codex");
    private static final Duration WITHIN = Duration.ofSeconds(30);
    private static final String WS = "codex-real";

    private static LedgerNode.Running node;
    private static LedgerClient admin;
    private static HttpServer model;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isWritable(ETC.getParent()), "needs to write /etc/codex (CI runs as root)");
        if (!Files.isExecutable(NPM.resolve("node_modules/.bin/codex"))) {
            run(List.of("npm", "install", "--no-audit", "--no-fund", "--prefix", NPM.toString(),
                    "@openai/codex@" + CODEX_VERSION), Map.of(), Duration.ofMinutes(5));
        }
        node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("codexreal"));
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
        model = mockModel();
    }

    @AfterAll
    static void stop() throws Exception {
        if (model != null) {
            model.stop(0);
        }
        if (node != null) {
            node.stop();
        }
    }

    /** A Responses API that answers every turn with "hi" (SSE), like the captures' harness. */
    private static HttpServer mockModel() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/responses", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            String[] events = {
                "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\"}}",
                "{\"type\":\"response.output_item.done\",\"item\":{\"type\":\"message\",\"role\":\"assistant\",\"id\":\"msg_1\","
                        + "\"content\":[{\"type\":\"output_text\",\"text\":\"hi\"}]}}",
                "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"usage\":{\"input_tokens\":10,"
                        + "\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":2,"
                        + "\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":12}}}"};
            try (OutputStream out = exchange.getResponseBody()) {
                for (String event : events) {
                    String type = event.substring(9, event.indexOf('"', 9));
                    out.write(("event: " + type + "\ndata: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            }
        });
        server.start();
        return server;
    }

    private static LedgerClient.Reply put(String path, String body) {
        return admin.send("PUT", path, Map.of("Content-Type", "application/json"), body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void codexHonoursTheServedRequirementsAndOnlyAMachineWithoutThemIsFound() throws Exception {
        String policy = "/v1/admin/workspaces/" + WS + "/policy";
        assertEquals(200, put(policy, """
                {"requirement_sets": {"strict": {"allowed_approval_policies": ["untrusted", "on-request"],
                   "allowed_sandbox_modes": ["read-only"], "minimum_app_version": "0.160.0"}},
                 "rules": [{"group": "*", "requirements": "strict"}]}""").status());
        String requirements = admin.get(policy + "/requirements.toml?group=*").raw().body();
        assertFalse(Toml.parse(requirements).hasErrors(), requirements);
        LedgerClient.Reply managed = admin.post(policy + "/managed-config", "application/json",
                "{\"endpoint\": \"" + admin.baseUrl() + "/v1/logs\", \"protocol\": \"json\", \"environment\": \"test\"}");
        assertEquals(201, managed.status(), managed.raw().body());
        assertTrue(Toml.parse(managed.raw().body()).getString("otel.exporter.otlp-http.headers.authorization")
                .startsWith("Bearer clk_"), managed.raw().body());

        Path saved = ETC.resolveSibling("codex.saved-by-CodexRequirementsIT");
        boolean hadEtc = Files.exists(ETC);
        if (hadEtc) {
            Files.move(ETC, saved);
        }
        try {
            Files.createDirectories(ETC);
            Files.writeString(ETC.resolve("managed_config.toml"), managed.raw().body());
            Files.writeString(ETC.resolve("requirements.toml"), requirements);
            String governed = codex("governed");
            assertTrue(governed.contains("approval: untrusted") && governed.contains("sandbox: read-only"), governed);

            Files.delete(ETC.resolve("requirements.toml")); // a machine the requirements never reached
            String ungoverned = codex("ungoverned");
            assertTrue(ungoverned.contains("approval: never") && ungoverned.contains("sandbox: danger-full-access"),
                    ungoverned);
        } finally {
            deleteTree(ETC);
            if (hadEtc) {
                Files.move(saved, ETC);
            }
        }

        List<JsonNode> starts = Eventually.until(WITHIN, () -> records("codex.conversation_starts"), s -> s.size() >= 2);
        assertEquals(2, starts.size(), starts.toString());
        JsonNode governedStart = starts.stream().filter(s -> "untrusted".equals(otel(s, "approval_policy"))).findFirst()
                .orElseThrow(() -> new AssertionError("no governed session in " + starts));
        JsonNode ungovernedStart = starts.stream().filter(s -> "never".equals(otel(s, "approval_policy"))).findFirst()
                .orElseThrow(() -> new AssertionError("no ungoverned session in " + starts));
        assertEquals("read-only", otel(governedStart, "sandbox_policy"));
        assertEquals("danger-full-access", otel(ungovernedStart, "sandbox_policy"));

        List<JsonNode> findings = Eventually.until(WITHIN, () -> records(PolicyJudge.FINDING), f -> f.size() >= 2);
        Thread.sleep(1500);
        findings = records(PolicyJudge.FINDING);
        assertEquals(2, findings.size(), findings.toString());
        for (JsonNode finding : findings) {
            assertEquals(ungovernedStart.get("conversation_id").asText(), finding.get("conversation_id").asText(),
                    "only the machine without requirements is found");
            assertEquals("violation", finding.get("attributes").get("verdict").asText());
        }
        assertEquals(java.util.Set.of("allowed_approval_policies:never", "allowed_sandbox_modes:danger-full-access"),
                java.util.Set.of(rule(findings.get(0)), rule(findings.get(1))));
    }

    private static String rule(JsonNode finding) {
        return finding.get("attributes").get("rule").asText() + ":" + finding.get("attributes").get("actual").asText();
    }

    private static String otel(JsonNode record, String attribute) {
        return record.path("attributes").path("otel").path("attributes").path(attribute).asText(null);
    }

    private static List<JsonNode> records(String action) {
        List<JsonNode> found = new ArrayList<>();
        admin.get("/v1/workspaces/" + WS + "/records?event_type=CODEX_SECURITY_LOG&limit=1000").body().get("records")
                .forEach(r -> {
                    if (action.equals(r.path("action").asText())) {
                        found.add(r);
                    }
                });
        return found;
    }

    /** Runs {@code codex exec} once with a home that asks for "never" and "danger-full-access"; its output. */
    private static String codex(String name) throws Exception {
        Path home = Files.createDirectories(Path.of("target", "codex-home-" + name + "-" + System.nanoTime()).toAbsolutePath());
        Files.writeString(home.resolve("config.toml"), """
                model = "mock-model"
                model_provider = "mock"
                approval_policy = "never"
                sandbox_mode = "danger-full-access"
                check_for_update_on_startup = false

                [analytics]
                enabled = false

                [model_providers.mock]
                name = "Mock Responses"
                base_url = "http://127.0.0.1:%d/v1"
                env_key = "MOCK_OPENAI_API_KEY"
                wire_api = "responses"
                request_max_retries = 0
                stream_max_retries = 0
                """.formatted(model.getAddress().getPort()));
        return run(List.of(NPM.resolve("node_modules/.bin/codex").toString(), "exec", "--skip-git-repo-check", "say hi"),
                Map.of("CODEX_HOME", home.toString(), "MOCK_OPENAI_API_KEY", "not-a-real-key"), Duration.ofSeconds(90));
    }

    private static String run(List<String> command, Map<String, String> env, Duration limit) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(env);
        Process process = builder.start();
        byte[] output;
        try (var in = process.getInputStream()) {
            java.util.concurrent.CompletableFuture<byte[]> read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return in.readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            if (!process.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command.get(0) + " did not finish in " + limit + " (pid " + process.pid() + ")");
            }
            output = read.get(10, TimeUnit.SECONDS);
        }
        String text = new String(output, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), command + " failed:\n" + text);
        return text;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }
}

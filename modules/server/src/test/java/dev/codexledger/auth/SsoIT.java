package dev.codexledger.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Single sign-on against a real OpenID Connect provider (npm oidc-provider, run by node), in headless
 * Chromium: alice (group codex-admins: every workspace) signs in, opens a workspace and sees every panel;
 * bob (codex-analytics: analytics.read on acme) sees acme's analytics only; carol (no mapped group) is
 * refused; logout ends the session on the server. Each sign-in, denial and logout is an AUTH_LOG record.
 */
@ExtendWith(SharedCassandra.class)
class SsoIT {

    private static final String OIDC_PROVIDER = "9.13.3";
    private static final Path NPM = Path.of("target", "oidc-npm").toAbsolutePath();

    private static Process provider;
    private static LedgerNode.Running node;
    private static LedgerClient admin;
    private static WebDriver browser;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        dev.codexledger.testing.HeadlessChromium.assumeInstalled();
        if (!Files.isDirectory(NPM.resolve("node_modules/oidc-provider"))) {
            Files.createDirectories(NPM);
            Process npm = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--prefix", NPM.toString(),
                    "oidc-provider@" + OIDC_PROVIDER).redirectErrorStream(true)
                    .redirectOutput(NPM.resolve("npm-install.log").toFile()).start();
            assertTrue(npm.waitFor(5, TimeUnit.MINUTES) && npm.exitValue() == 0,
                    "npm install oidc-provider: " + Files.readString(NPM.resolve("npm-install.log")));
        }
        // ESM resolves oidc-provider from the script's own folder
        try (var script = SsoIT.class.getResourceAsStream("/oidc/provider.mjs")) {
            Files.write(NPM.resolve("provider.mjs"), script.readAllBytes());
        }
        int providerPort = freePort();
        int ledgerPort = freePort();
        base = "http://127.0.0.1:" + ledgerPort;
        node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("sso"), Map.of(
                "ledger.http.port", ledgerPort,
                "ledger.sso.issuer", "http://127.0.0.1:" + providerPort,
                "ledger.sso.client-id", "codex-ledger",
                "ledger.sso.redirect-uri", base + "/auth/callback",
                "ledger.sso.roles-string", "codex-admins=*:admin+analytics.read+compliance.read;"
                        + "codex-analytics=acme:analytics.read"));
        provider = new ProcessBuilder("node", NPM.resolve("provider.mjs").toString(), Integer.toString(providerPort),
                base + "/auth/callback", base + "/").directory(NPM.toFile()).redirectErrorStream(true)
                .redirectOutput(NPM.resolve("provider.log").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        Eventually.until(Duration.ofSeconds(60), () -> {
            try {
                return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + providerPort
                        + "/.well-known/openid-configuration")).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
            } catch (IOException e) {
                return 0;
            }
        }, status -> status == 200);
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
        for (String workspace : List.of("acme", "globex")) {
            assertEquals(200, admin.post("/v1/workspaces/" + workspace + "/records", "application/json",
                    Records.array(Records.record(workspace + "-1", "dev", Instant.now().minusSeconds(60), "hello"),
                            Records.record(workspace + "-2", "dev", Instant.now().minusSeconds(30), "again"))).status());
            long today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).atStartOfDay(java.time.ZoneOffset.UTC).toEpochSecond();
            Eventually.until(Duration.ofSeconds(30), () -> admin.get("/v1/analytics/codex/workspaces/" + workspace
                    + "/usage?start_time=" + (today - 86400) + "&end_time=" + (today + 86400)).body(),
                    body -> java.util.stream.StreamSupport.stream(body.get("data").spliterator(), false)
                            .mapToLong(bucket -> bucket.get("turns").asLong()).sum() == 2);
        }

        browser = dev.codexledger.testing.HeadlessChromium.start(null);
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (provider != null) {
            provider.destroy();
            provider.waitFor(10, TimeUnit.SECONDS);
        }
        if (node != null) {
            node.stop();
        }
    }

    @BeforeEach
    void anew() {
        browser.get(base + "/");
        browser.manage().deleteAllCookies(); // the provider's (same host) too: the next person signs in afresh
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static WebElement $(String id) {
        return browser.findElement(By.id(id));
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) {
        // a page that reloads (sign-out) leaves elements found before it stale: look again
        new WebDriverWait(browser, Duration.ofSeconds(30)).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .until(d -> condition.getAsBoolean());
    }

    private static void signInAtTheProvider(String who) {
        browser.get(base + "/");
        waitFor(() -> $("sso").isDisplayed());
        $("sso-sign-in").click();
        waitFor(() -> !browser.findElements(By.id("username")).isEmpty());
        $("username").sendKeys(who);
        $("password").sendKeys("password");
        $("submit").click();
    }

    private static String auditOf(String action) {
        return Eventually.until(Duration.ofSeconds(10), () -> admin.get("/v1/workspaces/_org/records?event_type=AUTH_LOG"
                + "&limit=1000").raw().body(), body -> body.contains(action));
    }

    @Test
    void anAdminSignsInOpensAWorkspaceSeesEveryPanelAndLogoutEndsTheSession() throws Exception {
        signInAtTheProvider("alice");
        waitFor(() -> $("sso-workspace-form").isDisplayed());
        assertEquals("Alice Admin", $("sso-name").getText());
        Cookie session = browser.manage().getCookieNamed(SsoRoutes.SESSION_COOKIE);
        assertNotNull(session, "a session cookie");
        assertTrue(session.isHttpOnly() && session.isSecure(), "HttpOnly and Secure");
        assertEquals("Strict", session.getSameSite());
        assertNotNull(session.getExpiry(), "it expires");
        $("sso-workspace").clear();
        $("sso-workspace").sendKeys("globex");
        $("sso-open").click();
        waitFor(() -> $("app").isDisplayed() && $("updated").getText().startsWith("Updated"));
        assertTrue($("whoami").getText().contains("Alice Admin") && $("whoami").getText().contains("globex"));
        assertEquals("2", $("kpi-turns").getText());
        assertTrue($("findings-note").getText().startsWith("Latest of the period"), "compliance.read through the"
                + " admins' group: " + $("findings-note").getText());
        String signedIn = auditOf("sso.signed_in");
        assertTrue(signedIn.contains("codex-admins"), signedIn);

        // the cookie is the API key of a person: the API answers it as the group allows, and only while signed in
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest usage = HttpRequest.newBuilder(URI.create(base + "/v1/analytics/codex/workspaces/acme/usage"))
                .header("Cookie", SsoRoutes.SESSION_COOKIE + "=" + session.getValue()).build();
        assertEquals(200, http.send(usage, HttpResponse.BodyHandlers.ofString()).statusCode());
        $("sign-out").click();
        waitFor(() -> $("sign-in").isDisplayed() && $("sso").isDisplayed());
        assertEquals(401, Eventually.until(Duration.ofSeconds(5), () -> http.send(usage,
                HttpResponse.BodyHandlers.ofString()).statusCode(), status -> status == 401));
        assertTrue(auditOf("sso.signed_out").contains("alice"));
        assertEquals(200, admin.get("/v1/analytics/codex/workspaces/acme/usage").status(), "API keys keep working");
    }

    @Test
    void anAnalystSeesOnlyTheirWorkspacesAnalytics() throws Exception {
        signInAtTheProvider("bob");
        // one workspace granted: it opens at once
        waitFor(() -> $("app").isDisplayed() && $("updated").getText().startsWith("Updated"));
        assertTrue($("whoami").getText().contains("acme"), $("whoami").getText());
        assertEquals("2", $("kpi-turns").getText());
        assertTrue($("findings-note").getText().startsWith("This key may not read this"), $("findings-note").getText());
        String cookie = browser.manage().getCookieNamed(SsoRoutes.SESSION_COOKIE).getValue();
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> other = http.send(HttpRequest.newBuilder(URI.create(base
                + "/v1/analytics/codex/workspaces/globex/usage")).header("Cookie", SsoRoutes.SESSION_COOKIE + "=" + cookie)
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, other.statusCode(), other.body());
        HttpResponse<String> records = http.send(HttpRequest.newBuilder(URI.create(base
                + "/v1/workspaces/acme/records")).header("Cookie", SsoRoutes.SESSION_COOKIE + "=" + cookie).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, records.statusCode(), "analytics only: " + records.body());
    }

    @Test
    void aPersonWithoutAMappedGroupIsRefusedAndTheDenialIsRecorded() {
        signInAtTheProvider("carol");
        waitFor(() -> !browser.findElements(By.id("sso-title")).isEmpty());
        assertEquals("No access", $("sso-title").getText());
        assertTrue(browser.manage().getCookieNamed(SsoRoutes.SESSION_COOKIE) == null, "no session");
        String denied = auditOf("sso.denied");
        assertTrue(denied.contains("carol") && denied.contains("marketing"), denied);
    }

    @Test
    void aCallbackThatThisLedgerDidNotStartIsRefused() throws Exception {
        browser.get(base + "/auth/callback?code=forged&state=forged");
        assertEquals("Sign-in failed", $("sso-title").getText());
        assertTrue(browser.manage().getCookieNamed(SsoRoutes.SESSION_COOKIE) == null, "no session");
    }

    @Test
    void aSignInReturnsOnlyIntoThisSite() throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        // as sent in the query: a tab the browser would drop from /<tab>/evil.example, //, a scheme, a backslash
        for (String returnTo : List.of("/%09/evil.example", "%2F%2Fevil.example", "https%3A%2F%2Fevil.example",
                "/%5Cevil.example")) {
            HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + "/auth/login?return_to="
                    + returnTo)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(302, login.statusCode());
            String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
            String payload = cookie.substring(cookie.indexOf('=') + 1, cookie.indexOf('.'));
            JsonNode pending = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                    java.util.Base64.getUrlDecoder().decode(payload));
            assertEquals("/", pending.get("return_to").asText(), returnTo + " is not a path of this site");
        }
    }

    @Test
    void aChangeMadeWithTheSessionCookieNeedsTheCsrfHeader() throws Exception {
        signInAtTheProvider("alice");
        waitFor(() -> $("sso-workspace-form").isDisplayed());
        String cookie = browser.manage().getCookieNamed(SsoRoutes.SESSION_COOKIE).getValue();
        HttpClient http = HttpClient.newHttpClient();
        String body = "{\"name\":\"csrf\",\"workspace\":\"acme\",\"type\":\"https\",\"https\":{\"url\":"
                + "\"http://127.0.0.1:9/x\",\"secret\":{\"env\":\"LEDGER_STREAM_SECRET_X\"}}}";
        HttpRequest.Builder create = HttpRequest.newBuilder(URI.create(base + "/v1/admin/streams"))
                .header("Cookie", SsoRoutes.SESSION_COOKIE + "=" + cookie).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        assertEquals(403, http.send(create.build(), HttpResponse.BodyHandlers.ofString()).statusCode(),
                "what a cross-site form could send");
        HttpResponse<String> made = http.send(create.header(SsoRoutes.CSRF_HEADER, "1").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, made.statusCode(), made.body());
    }
}

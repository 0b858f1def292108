package dev.codexledger.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.Keys;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser (Debian's headless Chromium, driven by Selenium): data goes in through
 * the ingest API, then the test signs in like a user and checks that every chart and table shows the
 * ingested numbers, runs a search, downloads exports, and saves screenshots (laptop and phone width)
 * under {@code target/screenshots}.
 */
@ExtendWith(SharedCassandra.class)
class DashboardIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private static LedgerNode.Running node;
    private static WebDriver browser;
    private static Path downloads;
    private static String key;
    private static final LocalDate TODAY = LocalDate.now(ZoneOffset.UTC);
    private static final LocalDate D1 = TODAY.minusDays(1);
    private static final LocalDate D2 = TODAY.minusDays(2);

    @BeforeAll
    static void start() throws Exception {
        dev.codexledger.testing.HeadlessChromium.assumeInstalled();
        node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("dashboard"));
        LedgerClient admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
        load(admin);
        key = Keys.create(admin, "acme", "dashboard viewer", "analytics.read", "compliance.read", "admin").secret();

        downloads = Files.createTempDirectory("ledger-downloads");
        browser = dev.codexledger.testing.HeadlessChromium.start(downloads);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (node != null) {
            node.stop();
        }
    }

    /**
     * Three users over three days. Prices (per million tokens): gpt-5-codex input 1.25, output 10;
     * gpt-5-mini input 0.25, output 2 — so every usage record below costs a round number of credits.
     */
    private static void load(LedgerClient admin) throws Exception {
        Instant now = Instant.now();
        Instant today = Stream.of(now.minus(2, ChronoUnit.MINUTES), TODAY.atStartOfDay(ZoneOffset.UTC).toInstant()
                .plusSeconds(1)).max(Instant::compareTo).orElseThrow();
        List<ObjectNode> records = new ArrayList<>(List.of(
                AnalyticsIT.prompt("d1", "ana", D2, 0, "cli", "gpt-5-codex", "a1", "add a parser"),
                AnalyticsIT.usage("d2", "ana", D2, 1, "cli", "gpt-5-codex", "a1", 800_000, 0, 0, 0),
                AnalyticsIT.prompt("d3", "bo", D2, 2, "ide", "gpt-5-mini", "b1", "explain the build"),
                AnalyticsIT.prompt("d4", "bo", D2, 3, "ide", "gpt-5-mini", "b1", "and the tests"),
                AnalyticsIT.usage("d5", "bo", D2, 4, "ide", "gpt-5-mini", "b1", 0, 0, 500_000, 0),
                AnalyticsIT.prompt("d6", "ana", D1, 0, "cli", "gpt-5-codex", "a2", "refactor storage"),
                AnalyticsIT.usage("d7", "ana", D1, 1, "cli", "gpt-5-codex", "a2", 1_600_000, 0, 0, 0)));
        // a session that ran outside the workspace's policy: the judge makes a finding of it
        put(admin, "/v1/admin/workspaces/acme/policy", "{\"requirement_sets\": {\"s\": {\"allowed_sandbox_modes\":"
                + " [\"read-only\"]}}, \"rules\": [{\"group\": \"*\", \"requirements\": \"s\"}]}");
        ObjectNode start = AnalyticsIT.codex("d10", "ana", D1, 3, "cli", "gpt-5-codex", "a2")
                .put("event_type", "CODEX_SECURITY_LOG").put("action", "codex.conversation_starts");
        start.putObject("attributes").putObject("otel").putObject("attributes").put("approval_policy", "on-request")
                .put("sandbox_policy", "danger-full-access");
        records.add(start);
        ObjectNode finding = AnalyticsIT.codex("d8", "ana", D1, 2, "cli", "gpt-5-codex", "a2")
                .put("event_type", "CODEX_SECURITY_LOG").put("action", "codex.tool_decision");
        finding.putObject("attributes").putObject("codex").put("tool_name", "shell").put("decision", "denied");
        records.add(finding);
        for (int i = 0; i < 3; i++) {
            ObjectNode prompt = AnalyticsIT.prompt("d9" + i, "chen", TODAY, 0, "cloud", "gpt-5-codex", "c1",
                    i == 1 ? "review the project falcon rollout" : "step " + i);
            prompt.put("timestamp", today.plusMillis(i).toString());
            records.add(prompt);
        }
        ObjectNode chenUsage = AnalyticsIT.usage("d95", "chen", TODAY, 0, "cloud", "gpt-5-codex", "c1", 0, 0,
                300_000, 0);
        chenUsage.put("timestamp", today.plusMillis(5).toString());
        records.add(chenUsage);
        // code review: dana reviews on D1 (a P0 and a P1 finding); on TODAY ana replies and likes it, eve does not
        records.add(AnalyticsIT.review("r1", "dana", D1, "review", null, null));
        records.add(AnalyticsIT.review("r2", "dana", D1, "comment", "priority", "P0"));
        records.add(AnalyticsIT.review("r3", "dana", D1, "comment", "priority", "P1"));
        records.add(AnalyticsIT.review("r4", "ana", TODAY, "reply", null, null));
        records.add(AnalyticsIT.review("r5", "ana", TODAY, "reaction", "reaction", "positive"));
        records.add(AnalyticsIT.review("r6", "eve", TODAY, "reaction", "reaction", "negative"));
        put(admin, "/v1/admin/workspaces/acme/budgets/teams/research", "{\"window\":\"month\",\"cap\":4,"
                + "\"thresholds\":[50,100]}");
        put(admin, "/v1/admin/workspaces/acme/members/chen", "{\"team\":\"research\"}");
        AnalyticsIT.send(admin, "acme", records);
        LedgerClient.Reply hold = admin.post("/v1/compliance/workspaces/acme/holds", "application/json",
                "{\"name\":\"falcon matter\",\"custodians\":[\"chen\"]}");
        assertEquals(201, hold.status(), hold.raw().body());
        // a SIEM stream of acme, paused since before the records: all of them wait for it
        LedgerClient.Reply stream = admin.post("/v1/admin/streams", "application/json", "{\"name\":\"soc\","
                + "\"workspace\":\"acme\",\"type\":\"https\",\"start\":\"beginning\",\"https\":{\"url\":"
                + "\"http://127.0.0.1:9/never\",\"secret\":{\"env\":\"LEDGER_STREAM_SECRET_SOC\"}}}");
        assertEquals(201, stream.status(), stream.raw().body());
        assertEquals(200, admin.post("/v1/admin/streams/" + stream.body().get("id").asText() + "/pause",
                "application/json", "").status());
        // the numbers are counted in the background: wait until the API has them all
        AnalyticsIT.await(admin, "/v1/analytics/codex/workspaces/acme/users?start_time="
                + AnalyticsIT.seconds(D2) + "&end_time=" + AnalyticsIT.seconds(TODAY.plusDays(1)), body ->
                body.get("data").size() == 3 && body.get("data").get(0).get("credits").asDouble()
                        + body.get("data").get(1).get("credits").asDouble()
                        + body.get("data").get(2).get("credits").asDouble() == 7.0);
        // and the judge has found the session outside the policy
        AnalyticsIT.await(admin, "/v1/workspaces/acme/records?event_type=CODEX_SECURITY_LOG&limit=100", body ->
                body.get("records").findValues("action").stream().anyMatch(a -> a.asText().equals("policy.finding")));
        // and the budget counts them after the acknowledgement too
        Eventually.assertThat(Duration.ofSeconds(20), () -> assertEquals(0, new BigDecimal(admin.get(
                "/v1/admin/workspaces/acme/budgets").body().get("budgets").get(0).get("spent").asText())
                .compareTo(new BigDecimal(3)), "the team budget counted chen's 3 credits"));
    }

    private static void put(LedgerClient admin, String path, String body) {
        LedgerClient.Reply reply = admin.send("PUT", path, Map.of("Content-Type", "application/json"),
                body.getBytes(StandardCharsets.UTF_8));
        assertEquals(200, reply.status() / 100 * 100, reply.raw().body());
    }

    @Test
    void aSignedInAdminSeesTheIngestedNumbersInEveryChartAndTable() throws Exception {
        browser.manage().window().setSize(new Dimension(1366, 900));
        browser.get("http://127.0.0.1:" + node.httpAddress().getPort() + "/");
        signIn("acme", "clk_0000000000000000_wrong");
        waitFor(() -> !text("sign-in-error").isEmpty());
        assertEquals("Unknown or revoked key.", text("sign-in-error"));
        signIn("acme", key);
        $("range").findElement(By.cssSelector("option[value='7']")).click();
        waitFor(() -> text("updated").startsWith("Updated") && "false".equals(loading()));

        assertEquals("3", text("kpi-users"));
        assertEquals("4", text("kpi-threads"));
        assertEquals("7", text("kpi-turns"));
        assertEquals("7", text("kpi-credits"));
        assertEquals("3,200,000", text("kpi-tokens"));

        JsonNode charts = charts();
        List<String> days = new ArrayList<>();
        for (int i = 6; i >= 0; i--) {
            days.add(TODAY.minusDays(i).toString());
        }
        assertEquals(days, strings(charts.get("chart-users").get("labels")));
        assertSeries(charts, "chart-users", "cli", Map.of(D2, 1.0, D1, 1.0));
        assertSeries(charts, "chart-users", "ide", Map.of(D2, 1.0));
        assertSeries(charts, "chart-users", "cloud", Map.of(TODAY, 1.0));
        assertSeries(charts, "chart-credits", "gpt-5-codex", Map.of(D2, 1.0, D1, 2.0, TODAY, 3.0));
        assertSeries(charts, "chart-credits", "gpt-5-mini", Map.of(D2, 1.0));
        assertSeries(charts, "chart-tokens", "gpt-5-codex", Map.of(D2, 800_000.0, D1, 1_600_000.0, TODAY, 300_000.0));
        assertSeries(charts, "chart-tokens", "gpt-5-mini", Map.of(D2, 500_000.0));
        assertSeries(charts, "chart-activity", "Threads", Map.of(D2, 2.0, D1, 1.0, TODAY, 1.0));
        assertSeries(charts, "chart-activity", "Turns", Map.of(D2, 3.0, D1, 1.0, TODAY, 3.0));
        // the console's other daily panels: CLI, IDE extension and cloud users, cloud tasks, code review
        assertSeries(charts, "chart-cli-users", "Active users", Map.of(D2, 1.0, D1, 1.0));
        assertSeries(charts, "chart-ide-users", "Active users", Map.of(D2, 1.0));
        assertSeries(charts, "chart-cloud-tasks", "Tasks", Map.of(TODAY, 1.0));
        assertSeries(charts, "chart-cloud-users", "Active users", Map.of(TODAY, 1.0));
        assertSeries(charts, "chart-review-users", "Users", Map.of(D1, 1.0, TODAY, 2.0));
        assertSeries(charts, "chart-reviews", "Reviews", Map.of(D1, 1.0));
        assertSeries(charts, "chart-review-priority", "P0", Map.of(D1, 1.0));
        assertSeries(charts, "chart-review-priority", "P1", Map.of(D1, 1.0));
        assertSeries(charts, "chart-review-priority", "P2", Map.of());
        assertSeries(charts, "chart-review-feedback", "Positive", Map.of(TODAY, 1.0));
        assertSeries(charts, "chart-review-feedback", "Negative", Map.of(TODAY, 1.0));
        assertSeries(charts, "chart-review-feedback", "Replies", Map.of(TODAY, 1.0));

        assertEquals(List.of(
                List.of("ana", "3", "2", "2", "2,400,000", "2"),
                List.of("chen", "3", "1", "3", "300,000", "1"),
                List.of("bo", "1", "1", "2", "500,000", "1")), rows("users-table"));
        header("users-table", "Turns").click();
        assertEquals(List.of("chen", "ana", "bo"), column(rows("users-table"), 0), "by turns, most first");
        header("users-table", "Turns").click();
        assertEquals(List.of("ana", "bo", "chen"), column(rows("users-table"), 0), "by turns, fewest first");
        header("users-table", "Tokens").click();
        assertEquals(List.of("ana", "bo", "chen"), column(rows("users-table"), 0), "by tokens");

        List<List<String>> budgets = rows("budgets-table");
        assertEquals(1, budgets.size(), budgets.toString());
        List<String> research = budgets.get(0);
        assertEquals(List.of("team", "research", "month", "3", "4"), research.subList(0, 5));
        assertEquals("crossed 50%", research.get(6));

        List<List<String>> findings = rows("findings-table");
        assertEquals(3, findings.size(), findings.toString());
        assertEquals(List.of("ana", "policy.finding", "", "", "allowed_sandbox_modes: danger-full-access"),
                findings.get(0).subList(1, 6), "the judge's finding, newest first");
        assertEquals(List.of("ana", "codex.tool_decision", "shell", "denied", ""), findings.get(1).subList(1, 6));
        assertEquals(List.of("ana", "codex.conversation_starts", "", "", ""), findings.get(2).subList(1, 6));
        assertSeries(charts, "chart-compliance", "Violation", Map.of(D1, 1.0));
        assertSeries(charts, "chart-compliance", "Compliant", Map.of());
        assertEquals("0% compliant", text("compliance-share"));

        assertEquals("falcon matter", rows("holds-table").get(0).get(0));
        assertEquals("chen", rows("holds-table").get(0).get(2));

        List<String> soc = rows("streams-table").get(0);
        assertEquals(List.of("soc", "https", "paused"), soc.subList(0, 3));
        assertTrue(Long.parseLong(soc.get(3).replace(",", "")) >= 1, "records behind: " + soc);
        assertEquals("0", soc.get(5), "nothing delivered while paused");

        screenshot("dashboard-laptop", 1366);

        $("search-q").sendKeys("\"project falcon\"");
        $("search-run").click();
        waitFor(() -> text("search-note").startsWith("1 record shown."));
        List<List<String>> found = rows("search-table");
        assertEquals("review the project falcon rollout", found.get(0).get(4));
        $("search-export").click();
        String exported = awaitDownload("acme-audit.jsonl");
        assertEquals(1, exported.lines().count());
        assertTrue(exported.contains("review the project falcon rollout"));

        $("export-usage_by_model-csv").click();
        List<String> csv = awaitDownload("acme-usage_by_model.csv").lines().toList();
        assertEquals("date,model,turns,credits,input_tokens,cached_input_tokens,output_tokens,reasoning_tokens",
                csv.get(0));
        assertTrue(csv.contains(D2 + ",gpt-5-mini,2,1,0,0,500000,0"), csv.toString());
        assertTrue(csv.contains(TODAY + ",gpt-5-codex,3,3,0,0,300000,0"), csv.toString());
        $("export-code_review_users-csv").click();
        assertEquals(List.of("date,user_id,reviews,comments,replies,reactions_positive,reactions_negative",
                D1 + ",dana,1,2,0,0,0", TODAY + ",ana,0,0,1,1,0", TODAY + ",eve,0,0,0,0,1"),
                awaitDownload("acme-code_review_users.csv").lines().toList());
        $("export-code_review_findings-json").click();
        JsonNode findingsExport = JSON.readTree(awaitDownload("acme-code_review_findings.json"));
        assertEquals(2, findingsExport.get("data").size(), findingsExport.toString());
        JsonNode d1 = findingsExport.get("data").get(0);
        assertEquals(List.of(D1.toString(), "1", "2", "1", "1", "0", "0", "0", "0"), List.of(d1.get("date").asText(),
                d1.get("reviews").asText(), d1.get("comments").asText(), d1.get("comments_p0").asText(),
                d1.get("comments_p1").asText(), d1.get("comments_p2").asText(), d1.get("replies").asText(),
                d1.get("reactions_positive").asText(), d1.get("reactions_negative").asText()));
        $("export-cloud_tasks-csv").click();
        assertEquals(List.of("date,user_id,tasks,turns,credits", TODAY + ",chen,1,3,3"),
                awaitDownload("acme-cloud_tasks.csv").lines().toList());
        $("export-cli_ide_users-csv").click();
        assertEquals(List.of("date,surface,user_id,sessions,messages", D2 + ",cli,ana,1,1", D2 + ",ide,bo,1,2",
                D1 + ",cli,ana,1,1"), awaitDownload("acme-cli_ide_users.csv").lines().toList());
        $("export-budget_by_team-json").click();
        JsonNode budgetExport = JSON.readTree(awaitDownload("acme-budget_by_team.json"));
        assertEquals("research", budgetExport.get("data").get(0).get("name").asText());
    }

    @Test
    void itFitsAPhoneScreen() throws Exception {
        browser.manage().window().setSize(new Dimension(1366, 900));
        browser.get("http://127.0.0.1:" + node.httpAddress().getPort() + "/");
        if (!$("app").isDisplayed()) {
            signIn("acme", key);
        }
        waitFor(() -> text("updated").startsWith("Updated") && "false".equals(loading()));
        browser.manage().window().setSize(new Dimension(390, 844));
        awaitRendered();
        // the page and its charts re-lay themselves out once the browser has the new width: check until they have
        Eventually.assertThat(Duration.ofSeconds(5), () -> {
            long overflow = (Long) js("return document.documentElement.scrollWidth - window.innerWidth;");
            assertTrue(overflow <= 0, "no sideways scrolling of the page at phone width (" + overflow + " px)");
            long chartWidth = (Long) js("return Math.round(document.getElementById('chart-credits').getBoundingClientRect().width);");
            long viewport = (Long) js("return window.innerWidth;");
            assertTrue(chartWidth > viewport / 2 && chartWidth <= viewport, "charts take the phone's width: " + chartWidth);
        });
        screenshot("dashboard-phone", 390);
    }

    // ---------------------------------------------------------------- helpers

    private static void signIn(String workspace, String secret) {
        $("workspace").clear();
        $("workspace").sendKeys(workspace);
        $("api-key").clear();
        $("api-key").sendKeys(secret);
        browser.findElement(By.cssSelector("#sign-in-form button[type=submit]")).click();
    }

    private static WebElement $(String id) {
        return browser.findElement(By.id(id));
    }

    private static String text(String id) {
        return $(id).getText().trim();
    }

    private static String loading() {
        return (String) js("return document.body.dataset.loading;");
    }

    private static Object js(String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) {
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> condition.getAsBoolean());
    }

    /** What each chart draws: its labels and each dataset's label and values, read from Chart.js. */
    private static JsonNode charts() throws IOException {
        return JSON.readTree((String) js("return JSON.stringify(Object.fromEntries(Object.entries(window.ledgerCharts)"
                + ".map(([id, c]) => [id, {labels: c.data.labels, datasets: c.data.datasets.map(d => ({label: d.label,"
                + " data: d.data}))}])));"));
    }

    private static void assertSeries(JsonNode charts, String chart, String label, Map<LocalDate, Double> values) {
        JsonNode labels = charts.get(chart).get("labels");
        for (JsonNode dataset : charts.get(chart).get("datasets")) {
            if (!dataset.get("label").asText().equals(label)) {
                continue;
            }
            for (int i = 0; i < labels.size(); i++) {
                double expected = values.getOrDefault(LocalDate.parse(labels.get(i).asText()), 0.0);
                assertEquals(expected, dataset.get("data").get(i).asDouble(), 1e-9,
                        chart + " / " + label + " on " + labels.get(i).asText());
            }
            return;
        }
        throw new AssertionError("no series " + label + " in " + chart + ": " + charts.get(chart));
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static WebElement header(String table, String name) {
        return browser.findElements(By.cssSelector("#" + table + " thead th")).stream()
                .filter(th -> th.getText().trim().startsWith(name)).findFirst().orElseThrow();
    }

    private static List<List<String>> rows(String table) {
        List<List<String>> rows = new ArrayList<>();
        for (WebElement tr : browser.findElements(By.cssSelector("#" + table + " tbody tr"))) {
            List<String> cells = new ArrayList<>();
            tr.findElements(By.tagName("td")).forEach(td -> cells.add(td.getText().trim()));
            rows.add(cells);
        }
        return rows;
    }

    private static List<String> column(List<List<String>> rows, int index) {
        return rows.stream().map(r -> r.get(index)).toList();
    }

    /** A download's content, once Chromium has finished it: the file there, no partial file, not empty. */
    private static String awaitDownload(String name) throws Exception {
        Path file = downloads.resolve(name);
        Path partial = downloads.resolve(name + ".crdownload");
        Eventually.assertThat(Duration.ofSeconds(15), () -> assertTrue(Files.exists(file) && !Files.exists(partial)
                && Files.size(file) > 0, "downloaded " + name + " (have: " + list(downloads) + ")"));
        return Files.readString(file);
    }

    /**
     * Waits for the browser to render what a window resize set off: the layout, the charts' resize
     * observers, and the redraw Chart.js schedules for the next animation frame (three frames).
     */
    private static void awaitRendered() {
        ((JavascriptExecutor) browser).executeAsyncScript("const done = arguments[arguments.length - 1];"
                + " requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(() => done())));");
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }

    /** The whole page at this width (the window made as tall as the page), saved as a test artifact. */
    private static void screenshot(String name, int width) throws Exception {
        js("window.scrollTo(0, 0);");
        long height = (Long) js("return Math.ceil(document.documentElement.scrollHeight);");
        browser.manage().window().setSize(new Dimension(width, (int) Math.min(height + 120, 6000)));
        awaitRendered();
        Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(shot, SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        browser.manage().window().setSize(new Dimension(width, 900));
    }
}

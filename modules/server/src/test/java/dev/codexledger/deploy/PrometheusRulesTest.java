package dev.codexledger.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * deploy/prometheus: the alert rules are valid for Prometheus ({@code promtool check rules}) and fire when
 * they should and only then ({@code promtool test rules} over synthetic series: a node down, ingest
 * refused, budgets failing closed, Cassandra errors, analytics lag).
 */
class PrometheusRulesTest {

    private static final Path DIR = Path.of(System.getProperty("ledger.repo-root", "../..")).toAbsolutePath().normalize()
            .resolve("deploy/prometheus");

    @Test
    void theRulesAreValidAndTheirUnitTestsPass() throws Exception {
        String promtool = promtool();
        assertEquals(0, run(promtool, "check", "rules", "codex-ledger-rules.yml"), "promtool check rules");
        assertEquals(0, run(promtool, "test", "rules", "codex-ledger-rules.test.yml"), "promtool test rules");
    }

    private static int run(String... command) throws Exception {
        Path out = Files.createTempFile("promtool-", ".out");
        try {
            Process process = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            assertTrue(process.waitFor(2, TimeUnit.MINUTES), "promtool finishes");
            System.out.println(Files.readString(out, StandardCharsets.UTF_8));
            return process.exitValue();
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static String promtool() {
        for (String candidate : List.of("/usr/local/bin/promtool", "/usr/bin/promtool")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        // CI installs it (.ci/run): there, a missing promtool is a failure, not a skip
        assertTrue(System.getenv("CI") == null, "CI must have promtool (see .ci/run)");
        Assumptions.abort("promtool is not installed (Debian package prometheus)");
        return null;
    }
}

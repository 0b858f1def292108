package dev.codexledger.node;

import static dev.codexledger.testing.Records.array;
import static dev.codexledger.testing.Records.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.localcassandra.CassandraPorts;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, for real: {@code bin/ledger start} with an embedded Cassandra, a record
 * posted and read back, stopped by PID (SIGTERM), started again on the same data, then killed (SIGKILL)
 * without leaving its Cassandra behind.
 */
class LedgerCommandIT {

    private static final String KEY = "command-test-key";
    private static final String PATH = "/v1/workspaces/acme/records";

    private record Started(Process process, LedgerClient client, ProcessHandle cassandra, LedgerClient management) {}

    @Test
    void startPostReadStopRestartKill() throws Exception {
        Path dataDir = Files.createDirectories(SharedCassandra.testDataDir().resolve("command-" + System.nanoTime()));
        Path log = dataDir.resolve("ledger.out");

        Started first = start(dataDir, log);
        assertEquals(200, first.management().get("/alive").status(), "liveness");
        // ready once it is Up in its cluster (of one), its shard regions registered, its API bound over Cassandra
        dev.codexledger.testing.Eventually.assertThat(java.time.Duration.ofSeconds(60), () -> assertEquals(200,
                first.management().get("/ready").status(), "readiness: member, sharding, API, Cassandra"));
        String body = array(record("cmd-1", "dev", Instant.parse("2026-11-22T08:00:00Z"), "hello ledger"));
        LedgerClient.Reply posted = first.client().post(PATH, "application/json", body);
        assertEquals(200, posted.status(), posted.raw().body());
        assertEquals(1, first.client().get(PATH).body().get("records").size());

        first.process().destroy();
        assertTrue(first.process().waitFor(120, TimeUnit.SECONDS), "node stops on SIGTERM");
        assertTrue(waitUntilDead(first.cassandra(), Duration.ofSeconds(60)), "its Cassandra stops with it");

        Started second = start(dataDir, log);
        JsonNode records = second.client().get(PATH).body().get("records");
        assertEquals(1, records.size(), "the acknowledged record survived the restart");
        assertEquals("hello ledger", records.get(0).get("prompt").asText());

        second.process().destroyForcibly();
        assertTrue(second.process().waitFor(30, TimeUnit.SECONDS));
        assertTrue(waitUntilDead(second.cassandra(), Duration.ofSeconds(60)),
                "a killed node's Cassandra exits on its own");
        SharedCassandra.deleteRecursively(dataDir);
    }

    private static Started start(Path dataDir, Path log) throws Exception {
        int httpPort = CassandraPorts.freePort();
        int managementPort = CassandraPorts.freePort();
        ProcessBuilder builder = new ProcessBuilder("bash", SharedCassandra.repoRoot().resolve("bin/ledger").toString(),
                "start")
                .directory(SharedCassandra.repoRoot().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        env.remove("LEDGER_CASSANDRA_CONTACT_POINTS");
        env.put("LEDGER_HTTP_PORT", Integer.toString(httpPort));
        env.put("LEDGER_MANAGEMENT_PORT", Integer.toString(managementPort));
        env.put("LEDGER_REMOTE_PORT", Integer.toString(CassandraPorts.freePort()));
        env.put("LEDGER_DATA_DIR", dataDir.toString());
        env.put("LEDGER_ADMIN_KEY", KEY);
        env.put("LEDGER_EMBEDDED_CASSANDRA_HEAP_MB", "768");
        env.put("LEDGER_JAVA_OPTS", "-Xmx512m");
        Process process = builder.start();
        awaitLine(process, log, "Codex Ledger is up at http://127.0.0.1:" + httpPort, Duration.ofMinutes(3));
        List<ProcessHandle> children = process.toHandle().children().toList();
        assertEquals(1, children.size(), "the node runs exactly one child: its Cassandra");
        assertTrue(children.get(0).info().commandLine().orElse("").contains("ParentWatchdog"));
        return new Started(process, new LedgerClient("http://127.0.0.1:" + httpPort, KEY), children.get(0),
                new LedgerClient("http://127.0.0.1:" + managementPort, null));
    }

    private static void awaitLine(Process process, Path log, String line, Duration timeout) throws IOException {
        try {
            Eventually.until(timeout, Duration.ofMillis(250), () -> {
                boolean there = Files.readString(log, StandardCharsets.UTF_8).contains(line);
                assertTrue(there || process.isAlive(), "bin/ledger start exited early:\n" + Files.readString(log));
                return there;
            }, there -> there);
        } catch (AssertionError notThere) {
            if (!process.isAlive()) {
                throw notThere;
            }
            process.destroyForcibly();
            throw new AssertionError("no '" + line + "' within " + timeout + ":\n" + Files.readString(log), notThere);
        }
    }

    private static boolean waitUntilDead(ProcessHandle handle, Duration timeout) {
        try {
            Eventually.until(timeout, Duration.ofMillis(200), handle::isAlive, alive -> !alive);
        } catch (AssertionError stillAlive) {
            // reported below
        }
        assertFalse(handle.isAlive(), "process " + handle.pid() + " still alive");
        return true;
    }
}

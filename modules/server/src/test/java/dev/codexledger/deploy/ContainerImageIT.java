package dev.codexledger.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.localcassandra.CassandraPorts;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Podman;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The image the build writes (target/codex-ledger-image.tar, Jib from scratch) really runs: loaded into
 * Podman, three containers form one cluster over the test's Cassandra, take records through every node,
 * answer queries through the others, and go on when one of them is stopped.
 */
@ExtendWith(SharedCassandra.class)
class ContainerImageIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private static final int NODES = 3;
    /** Every container this test starts carries it, so a later run finds and removes leftovers. */
    private static final String LABEL = "dev.codexledger.test=ContainerImageIT";
    private static final List<String> WORKSPACES = IntStream.range(0, 6).mapToObj(i -> "img-" + i).toList();

    private static Podman podman;
    private static String image;
    private static final List<String> names = new ArrayList<>();
    private static final List<int[]> ports = new ArrayList<>(); // http, management, remote
    private static final String keyspace = TestNodes.newKeyspace("image");

    @BeforeAll
    static void loadImage() throws Exception {
        if (!Podman.installed()) {
            // CI installs podman and runc (.ci/run): there, a missing podman is a failure, not a skip
            assertTrue(System.getenv("CI") == null, "CI must have podman and runc (see .ci/run)");
            Assumptions.abort("podman and runc are not installed (apt-get install podman runc)");
        }
        Path tar = SharedCassandra.repoRoot().resolve("modules/server/target/codex-ledger-image.tar");
        if (!Files.isRegularFile(tar)) {
            // the image is built on amd64 Debian-like machines unless -DskipImage (pom.xml, profile "image")
            assertTrue(System.getenv("CI") == null, "CI builds the image tar: " + tar);
            Assumptions.abort("no image tar (built with -DskipImage, or not an amd64 glibc machine): " + tar);
        }
        podman = Podman.under(SharedCassandra.testDataDir().resolve("podman"));
        // containers an earlier run left behind (its JVM was killed before it could remove them)
        String leftovers = podman.run(Duration.ofSeconds(30), "ps", "-a", "-q", "--filter", "label=" + LABEL);
        for (String id : leftovers.split("\\s+")) {
            if (!id.isBlank()) {
                podman.attempt(Duration.ofSeconds(60), "rm", "-f", "-t", "2", id);
            }
        }
        String loaded = podman.run(Duration.ofMinutes(3), "load", "-i", tar.toString());
        Matcher name = Pattern.compile("Loaded image(?:\\(s\\))?: (\\S+)").matcher(loaded);
        assertTrue(name.find(), "podman load names the image: " + loaded);
        image = name.group(1);
    }

    @AfterAll
    static void removeContainers() throws Exception {
        if (podman == null) {
            return;
        }
        for (String container : names) {
            Podman.Result logs = podman.attempt(Duration.ofSeconds(30), "logs", container);
            Files.writeString(SharedCassandra.testDataDir().resolve(container + ".log"), logs.output(),
                    StandardCharsets.UTF_8);
            podman.attempt(Duration.ofSeconds(60), "rm", "-f", "-t", "5", container);
        }
        podman.close();
    }

    @Test
    void threeContainersFormOneClusterTakeRecordsAndGoOnWhenOneStops() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < NODES; i++) {
            ports.add(new int[] {CassandraPorts.freePort(), CassandraPorts.freePort(), CassandraPorts.freePort()});
        }
        String bootstrap = String.join(",", ports.stream().map(p -> "127.0.0.1:" + p[1]).toList());
        String cassandra = SharedCassandra.contactPoint().getHostString() + ":" + SharedCassandra.contactPoint().getPort();
        for (int i = 0; i < NODES; i++) {
            String container = "ledger-it-" + run + "-" + i;
            names.add(container);
            podman.run(Duration.ofMinutes(1), "run", "-d", "--name", container, "--label", LABEL, "--network", "host",
                    "-e", "LEDGER_CASSANDRA_CONTACT_POINTS=" + cassandra,
                    "-e", "LEDGER_CASSANDRA_KEYSPACE=" + keyspace,
                    "-e", "LEDGER_ADMIN_KEY=" + TestNodes.ADMIN_KEY,
                    "-e", "LEDGER_HTTP_PORT=" + ports.get(i)[0],
                    "-e", "LEDGER_MANAGEMENT_PORT=" + ports.get(i)[1],
                    "-e", "LEDGER_REMOTE_PORT=" + ports.get(i)[2],
                    "-e", "LEDGER_DISCOVERY=config",
                    "-e", "LEDGER_BOOTSTRAP_ENDPOINTS=" + bootstrap,
                    // a missing serializer fails here too, not in production
                    "-e", "JAVA_TOOL_OPTIONS=-Xmx320m -XX:+UseSerialGC -Dpekko.actor.serialize-messages=on",
                    image);
        }

        // the node runs as the image's unprivileged user
        String user = podman.run(Duration.ofSeconds(30), "top", names.get(0), "user");
        assertTrue(user.lines().skip(1).allMatch(line -> line.trim().equals("ledger")), "runs as ledger: " + user);

        // bootstrap forms one cluster; every node says it is ready
        for (int i = 0; i < NODES; i++) {
            int node = i;
            Eventually.assertThat(Duration.ofMinutes(3), Duration.ofMillis(500),
                    () -> assertEquals(200, status(ports.get(node)[1], "/ready"), "node " + node + " ready"));
        }
        Eventually.assertThat(Duration.ofMinutes(1), () -> assertEquals(NODES, upMembers(0), "members Up"));

        // the health check Compose runs inside the container (the image has no shell or curl)
        for (int i = 0; i < NODES; i++) {
            assertEquals(0, podman.attempt(Duration.ofMinutes(1), "exec", names.get(i), "java", "-cp",
                    "@/app/jib-classpath-file", "dev.codexledger.node.HealthCheck",
                    "http://127.0.0.1:" + ports.get(i)[1] + "/ready").exit(), "health check of node " + i);
        }
        Podman.Result closed = podman.attempt(Duration.ofMinutes(1), "exec", names.get(0), "java", "-cp",
                "@/app/jib-classpath-file", "dev.codexledger.node.HealthCheck", "http://127.0.0.1:1/ready");
        assertEquals(1, closed.exit(), "a port nobody answers on is unhealthy: " + closed.output());

        // records in through every node, read back through another one
        for (int w = 0; w < WORKSPACES.size(); w++) {
            ingest(client(w % NODES), WORKSPACES.get(w), 0, 20);
        }
        for (int w = 0; w < WORKSPACES.size(); w++) {
            assertGapFree(client((w + 1) % NODES), WORKSPACES.get(w), 20);
        }

        // stop one container (SIGTERM, as an orchestrator does): it leaves, the other two go on
        int stopped = 1;
        podman.run(Duration.ofMinutes(2), "stop", "-t", "60", names.get(stopped));
        assertEquals("false", podman.run(Duration.ofSeconds(30), "inspect", "-f", "{{.State.Running}}",
                names.get(stopped)).trim());
        Eventually.assertThat(Duration.ofMinutes(1), () -> assertEquals(NODES - 1, upMembers(0), "members Up"));
        List<Integer> left = IntStream.range(0, NODES).filter(i -> i != stopped).boxed().toList();
        for (int w = 0; w < WORKSPACES.size(); w++) {
            ingest(client(left.get(w % left.size())), WORKSPACES.get(w), 20, 10);
        }
        for (int w = 0; w < WORKSPACES.size(); w++) {
            assertGapFree(client(left.get((w + 1) % left.size())), WORKSPACES.get(w), 30);
        }
        for (int node : left) {
            assertEquals(200, status(ports.get(node)[1], "/ready"), "node " + node + " still ready");
        }
    }

    private static LedgerClient client(int node) {
        return new LedgerClient("http://127.0.0.1:" + ports.get(node)[0], TestNodes.ADMIN_KEY);
    }

    /** Records {@code from..from+count-1} of a workspace in one batch, retried as an exporter would. */
    private static void ingest(LedgerClient client, String workspace, int from, int count) {
        Instant now = Instant.now();
        String[] records = IntStream.range(from, from + count)
                .mapToObj(i -> Records.record(workspace + "-" + i, "u-" + (i % 3), now, "prompt " + i))
                .toArray(String[]::new);
        Eventually.assertThat(Duration.ofMinutes(1), Duration.ofMillis(500), () -> {
            LedgerClient.Reply reply = client.post("/v1/workspaces/" + workspace + "/records",
                    "application/x-ndjson", Records.ndjson(records));
            assertEquals(200, reply.status(), () -> workspace + ": " + reply.body());
            assertEquals(count, reply.body().path("accepted").asInt() + reply.body().path("duplicates").asInt());
        });
    }

    /** All {@code count} records are there, seqs 1..count, each once. */
    private static void assertGapFree(LedgerClient client, String workspace, int count) {
        Eventually.assertThat(Duration.ofSeconds(30), Duration.ofMillis(500), () -> {
            LedgerClient.Reply reply = client.get("/v1/workspaces/" + workspace + "/records?from="
                    + Instant.now().minus(Duration.ofDays(1)) + "&to=" + Instant.now().plus(Duration.ofDays(1))
                    + "&limit=1000");
            assertEquals(200, reply.status(), () -> String.valueOf(reply.body()));
            List<Long> seqs = new ArrayList<>();
            reply.body().path("records").forEach(record -> seqs.add(record.path("seq").asLong()));
            assertEquals(oneTo(count), seqs.stream().sorted().toList(), workspace);
            assertFalse(reply.body().path("next_cursor").isTextual(), "one page");
        });
    }

    private static List<Long> oneTo(int count) {
        return IntStream.rangeClosed(1, count).mapToObj(i -> (long) i).toList();
    }

    private static int upMembers(int node) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ports.get(node)[1] + "/cluster/members"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            int up = 0;
            for (JsonNode member : JSON.readTree(response.body()).path("members")) {
                up += member.path("status").asText().equals("Up") ? 1 : 0;
            }
            return up;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int status(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

package dev.codexledger.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The app-version from a Deployment's revision, read as a pod reads it from the Kubernetes API. */
class AppVersionTest {

    private HttpServer api;
    private final Map<String, String> documents = new ConcurrentHashMap<>();
    private final List<String> asked = new ArrayList<>();

    @BeforeEach
    void startApi() throws IOException {
        api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        api.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getRawPath();
            synchronized (asked) {
                asked.add(path);
            }
            String body = documents.get(path);
            byte[] bytes = (body == null ? "{\"kind\":\"Status\",\"code\":404}" : body).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(body == null ? 404 : 200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        api.start();
    }

    @AfterEach
    void stopApi() {
        api.stop(0);
    }

    private Config config(String from, String pod) {
        return ConfigFactory.parseMap(Map.of(
                "ledger.node.app-version-from", from,
                "ledger.node.kubernetes.pod-name", pod,
                "ledger.node.kubernetes.namespace", "ledger-ns",
                "ledger.node.kubernetes.api-url", "http://127.0.0.1:" + api.getAddress().getPort(),
                "ledger.node.kubernetes.api-wait", "2s",
                "pekko.cluster.app-version", "0.1.0"));
    }

    private void pod(String name, String ownerKind, String ownerName) {
        documents.put("/api/v1/namespaces/ledger-ns/pods/" + name, """
                {"kind":"Pod","metadata":{"name":"%s","namespace":"ledger-ns","ownerReferences":[
                  {"apiVersion":"apps/v1","kind":"%s","name":"%s","controller":true}]}}""".formatted(name, ownerKind, ownerName));
    }

    private void replicaSet(String name, String annotations) {
        documents.put("/apis/apps/v1/namespaces/ledger-ns/replicasets/" + name, """
                {"kind":"ReplicaSet","metadata":{"name":"%s","annotations":%s}}""".formatted(name, annotations));
    }

    @Test
    void theDeploymentRevisionOfThePodsReplicaSetBecomesTheAppVersion() throws Exception {
        pod("codex-ledger-7c9f-abcde", "ReplicaSet", "codex-ledger-7c9f");
        replicaSet("codex-ledger-7c9f", "{\"deployment.kubernetes.io/revision\":\"14\",\"other\":\"x\"}");

        Config resolved = AppVersion.resolve(config("kubernetes-deployment-revision", "codex-ledger-7c9f-abcde"));

        assertEquals("14", resolved.getString("pekko.cluster.app-version"));
        assertEquals(List.of("/api/v1/namespaces/ledger-ns/pods/codex-ledger-7c9f-abcde",
                "/apis/apps/v1/namespaces/ledger-ns/replicasets/codex-ledger-7c9f"), asked);
    }

    @Test
    void withoutAppVersionFromTheConfiguredVersionStays() throws Exception {
        Config config = config("", "");
        assertSame(config, AppVersion.resolve(config));
        assertEquals("0.1.0", AppVersion.resolve(config).getString("pekko.cluster.app-version"));
        assertTrue(asked.isEmpty(), "the API is not asked");
    }

    @Test
    void aPodNotFromADeploymentOrARevisionMissingFailsTheStartSayingWhy() {
        pod("lonely", "StatefulSet", "ledger");
        IOException notOwned = assertThrows(IOException.class,
                () -> AppVersion.resolve(config("kubernetes-deployment-revision", "lonely")));
        assertTrue(notOwned.getMessage().contains("not owned by a ReplicaSet"), notOwned.getMessage());

        pod("p2", "ReplicaSet", "rs2");
        replicaSet("rs2", "{}");
        IOException noRevision = assertThrows(IOException.class,
                () -> AppVersion.resolve(config("kubernetes-deployment-revision", "p2")));
        assertTrue(noRevision.getMessage().contains("deployment.kubernetes.io/revision"), noRevision.getMessage());

        IOException noPod = assertThrows(IOException.class,
                () -> AppVersion.resolve(config("kubernetes-deployment-revision", "")));
        assertTrue(noPod.getMessage().contains("LEDGER_POD_NAME"), noPod.getMessage());

        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> AppVersion.resolve(config("git-sha", "x")));
        assertTrue(unknown.getMessage().contains("LEDGER_APP_VERSION_FROM"), unknown.getMessage());
    }

    @Test
    void theApiIsAskedAgainUntilItAnswers() throws Exception {
        pod("late", "ReplicaSet", "rs-late");
        // the ReplicaSet answers only from the third request on (the API was briefly unreachable)
        Thread later = new Thread(() -> {
            try {
                Thread.sleep(1200);
            } catch (InterruptedException e) {
                return;
            }
            replicaSet("rs-late", "{\"deployment.kubernetes.io/revision\":\"3\"}");
        });
        later.start();
        Config resolved = AppVersion.resolve(config("kubernetes-deployment-revision", "late"));
        later.join();
        assertEquals("3", resolved.getString("pekko.cluster.app-version"));
        assertTrue(asked.size() >= 4, "asked again: " + asked);
    }
}

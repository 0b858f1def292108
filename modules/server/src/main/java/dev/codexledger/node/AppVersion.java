package dev.codexledger.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Pekko {@code app-version} this node joins with. Rolling updates move shards onto nodes of the
 * newest version once; on Kubernetes the version is the Deployment's revision, which a pod reads from its
 * ReplicaSet's {@code deployment.kubernetes.io/revision} annotation ({@code ledger.node.app-version-from =
 * kubernetes-deployment-revision}; RBAC: get pods and replicasets, deploy/kubernetes/base/rbac.yaml).
 * Elsewhere it is {@code pekko.cluster.app-version} as configured (LEDGER_APP_VERSION).
 */
final class AppVersion {

    static final String REVISION_ANNOTATION = "deployment.kubernetes.io/revision";
    private static final Logger log = LoggerFactory.getLogger(AppVersion.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SERVICE_ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

    private AppVersion() {}

    /** The config with {@code pekko.cluster.app-version} resolved as {@code ledger.node.app-version-from} says. */
    static Config resolve(Config config) throws IOException, InterruptedException {
        String from = config.getString("ledger.node.app-version-from");
        switch (from) {
            case "" -> {
                return config;
            }
            case "kubernetes-deployment-revision" -> {
                Config kubernetes = config.getConfig("ledger.node.kubernetes");
                String revision = deploymentRevision(Api.fromConfig(kubernetes), kubernetes.getString("pod-name"),
                        kubernetes.getDuration("api-wait"));
                log.info("app-version {} (the deployment revision of pod {})", revision, kubernetes.getString("pod-name"));
                return config.withValue("pekko.cluster.app-version", ConfigValueFactory.fromAnyRef(revision));
            }
            default -> throw new IllegalArgumentException("ledger.node.app-version-from (LEDGER_APP_VERSION_FROM) must be"
                    + " empty or kubernetes-deployment-revision, not '" + from + "'");
        }
    }

    /** The Kubernetes API as a pod sees it: URL, namespace, service-account token and CA. */
    record Api(URI url, String namespace, Optional<String> token, HttpClient http) {

        static Api fromConfig(Config kubernetes) throws IOException {
            String url = kubernetes.getString("api-url");
            if (url.isEmpty()) {
                String host = System.getenv("KUBERNETES_SERVICE_HOST");
                String port = System.getenv().getOrDefault("KUBERNETES_SERVICE_PORT", "443");
                if (host == null) {
                    throw new IOException("LEDGER_APP_VERSION_FROM=kubernetes-deployment-revision needs the Kubernetes"
                            + " API: KUBERNETES_SERVICE_HOST is not set (not in a pod?)");
                }
                url = "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
            }
            String namespace = kubernetes.getString("namespace");
            if (namespace.isEmpty()) {
                namespace = Files.readString(SERVICE_ACCOUNT.resolve("namespace"), StandardCharsets.UTF_8).trim();
            }
            Path tokenFile = SERVICE_ACCOUNT.resolve("token");
            Optional<String> token = Files.isReadable(tokenFile)
                    ? Optional.of(Files.readString(tokenFile, StandardCharsets.UTF_8).trim()) : Optional.empty();
            HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
            Path ca = SERVICE_ACCOUNT.resolve("ca.crt");
            if (url.startsWith("https:") && Files.isReadable(ca)) {
                http.sslContext(trusting(ca));
            }
            return new Api(URI.create(url), namespace, token, http.build());
        }

        JsonNode get(String path) throws IOException, InterruptedException {
            HttpRequest.Builder request = HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofSeconds(10));
            token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IOException("GET " + path + " answered " + response.statusCode() + ": " + response.body());
            }
            return JSON.readTree(response.body());
        }
    }

    /**
     * The revision of the Deployment that owns this pod, through its ReplicaSet; retried until {@code wait}
     * has passed (the API may be briefly unreachable while a pod starts).
     */
    static String deploymentRevision(Api api, String podName, Duration wait) throws IOException, InterruptedException {
        if (podName.isEmpty()) {
            throw new IOException("LEDGER_APP_VERSION_FROM=kubernetes-deployment-revision needs the pod's name in"
                    + " LEDGER_POD_NAME (the downward API's metadata.name)");
        }
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            try {
                return lookUp(api, podName);
            } catch (IllegalStateException e) {
                throw new IOException(e.getMessage(), e);
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("could not read the deployment revision of pod " + podName
                            + " from the Kubernetes API within " + wait + ": " + e.getMessage(), e);
                }
                log.warn("reading the deployment revision of pod {}: {} (retrying)", podName, e.getMessage());
                Thread.sleep(1000);
            }
        }
    }

    private static String lookUp(Api api, String podName) throws IOException, InterruptedException {
        String namespace = encode(api.namespace());
        JsonNode pod = api.get("/api/v1/namespaces/" + namespace + "/pods/" + encode(podName));
        String replicaSet = null;
        for (JsonNode owner : pod.path("metadata").path("ownerReferences")) {
            if (owner.path("kind").asText().equals("ReplicaSet")) {
                replicaSet = owner.path("name").asText();
            }
        }
        if (replicaSet == null) {
            throw new IllegalStateException("pod " + podName + " is not owned by a ReplicaSet (not from a Deployment?):"
                    + " set LEDGER_APP_VERSION instead of LEDGER_APP_VERSION_FROM");
        }
        JsonNode revision = api.get("/apis/apps/v1/namespaces/" + namespace + "/replicasets/" + encode(replicaSet))
                .path("metadata").path("annotations").path(REVISION_ANNOTATION);
        if (!revision.isTextual() || !revision.asText().matches("[0-9]+")) {
            throw new IllegalStateException("ReplicaSet " + replicaSet + " has no numeric " + REVISION_ANNOTATION
                    + " annotation: " + revision);
        }
        return revision.asText();
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static SSLContext trusting(Path caFile) throws IOException {
        try (InputStream in = Files.newInputStream(caFile)) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("kubernetes-ca-" + i++, certificate);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("the Kubernetes CA in " + caFile + " is not usable: " + e.getMessage(), e);
        }
    }
}

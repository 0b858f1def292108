package dev.codexledger.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/: every Kubernetes overlay rendered by {@code kubectl kustomize} and the Compose file, checked for
 * what makes them run: images pinned to this release, probes and scrape annotations on the management
 * port, bootstrap over the Kubernetes API with the RBAC it needs, references that resolve, and only
 * settings the node knows.
 */
class DeployManifestsTest {

    private static final Path REPO = Path.of(System.getProperty("ledger.repo-root", "../..")).toAbsolutePath().normalize();
    private static final String VERSION = System.getProperty("ledger.version", "0.1.0-SNAPSHOT");
    private static final int MANAGEMENT_PORT = 8558;
    private static final int HTTP_PORT = 8080;

    // ---- Kubernetes ------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyOverlayRendersARunnableCluster(String overlay) throws Exception {
        List<Map<String, Object>> resources = render(REPO.resolve("deploy/kubernetes/overlays/" + overlay));
        Map<String, Object> deployment = one(resources, "Deployment", "codex-ledger");
        String namespace = string(deployment, "metadata.namespace");
        assertFalse(namespace.isEmpty(), "the overlay sets a namespace");
        for (Map<String, Object> resource : resources) {
            if (!resource.get("kind").equals("Namespace")) {
                assertEquals(namespace, string(resource, "metadata.namespace"), "namespace of " + id(resource));
            }
        }

        // rolling update: the cluster never shrinks during an upgrade
        assertEquals("RollingUpdate", string(deployment, "spec.strategy.type"));
        assertEquals(0, path(deployment, "spec.strategy.rollingUpdate.maxUnavailable"));
        assertTrue(((Number) path(deployment, "spec.replicas")).intValue() >= 3, "three nodes or more");
        Map<String, Object> podLabels = map(deployment, "spec.template.metadata.labels");
        assertEquals(map(deployment, "spec.selector.matchLabels"), podLabels);

        Map<String, Object> pod = map(deployment, "spec.template.spec");
        Map<String, Object> container = onlyContainer(pod);

        // the image: this release, never :latest (or a digest)
        String image = (String) container.get("image");
        assertTrue(image.endsWith(":" + VERSION) || image.contains("@sha256:"), "pinned to " + VERSION + ": " + image);

        // ports, probes and scraping on the management port
        Map<String, Integer> ports = new HashMap<>();
        for (Map<String, Object> port : list(container, "ports")) {
            ports.put((String) port.get("name"), (Integer) port.get("containerPort"));
        }
        assertEquals(Map.of("http", HTTP_PORT, "management", MANAGEMENT_PORT, "remote", 25520), ports);
        assertProbe(container, "readinessProbe", "/ready", ports);
        assertProbe(container, "livenessProbe", "/alive", ports);
        assertProbe(container, "startupProbe", "/alive", ports);
        Map<String, Object> annotations = map(deployment, "spec.template.metadata.annotations");
        assertEquals("true", annotations.get("prometheus.io/scrape"));
        assertEquals(String.valueOf(MANAGEMENT_PORT), annotations.get("prometheus.io/port"));
        assertEquals("/metrics", annotations.get("prometheus.io/path"));

        // resources: requests for scheduling, a memory limit the heap is a share of
        assertNotNull(path(container, "resources.requests.cpu"));
        assertNotNull(path(container, "resources.requests.memory"));
        assertNotNull(path(container, "resources.limits.memory"));
        assertTrue((Boolean) path(pod, "securityContext.runAsNonRoot"));
        assertTrue((Boolean) path(container, "securityContext.readOnlyRootFilesystem"));

        // environment: the pod's IP for remoting, its name for the revision lookup, settings from the ConfigMap
        Map<String, Object> env = new HashMap<>();
        for (Map<String, Object> variable : list(container, "env")) {
            env.put((String) variable.get("name"), variable.containsKey("value") ? variable.get("value") : variable.get("valueFrom"));
        }
        assertEquals("status.podIP", path(asMap(env.get("LEDGER_REMOTE_HOST")), "fieldRef.fieldPath"));
        assertEquals("metadata.name", path(asMap(env.get("LEDGER_POD_NAME")), "fieldRef.fieldPath"));
        String configMapName = string(list(container, "envFrom").get(0), "configMapRef.name");
        Map<String, Object> configMap = one(resources, "ConfigMap", configMapName);
        Map<String, Object> settings = map(configMap, "data");
        assertEquals("kubernetes-api", settings.get("LEDGER_DISCOVERY"));
        assertEquals("kubernetes-deployment-revision", settings.get("LEDGER_APP_VERSION_FROM"));
        assertEquals("app=" + podLabels.get("app"), settings.get("LEDGER_KUBERNETES_POD_SELECTOR"));
        assertFalse(((String) settings.get("LEDGER_CASSANDRA_CONTACT_POINTS")).isBlank());
        Set<String> names = new TreeSet<>(settings.keySet());
        names.addAll(env.keySet());
        names.removeAll(knownSettings());
        names.removeAll(Set.of("JAVA_TOOL_OPTIONS"));
        assertEquals(Set.of(), names, "settings the node does not read");

        // secrets: present in the render, or (prod) created by the operator as deploy/README.md says
        for (Object from : env.values()) {
            if (from instanceof Map<?, ?> source && source.containsKey("secretKeyRef")) {
                String secret = string(asMap(source), "secretKeyRef.name");
                if (overlay.equals("dev")) {
                    one(resources, "Secret", secret);
                } else {
                    assertTrue(Files.readString(REPO.resolve("deploy/README.md")).contains(secret.replaceAll("-[a-z0-9]{10}$", "")),
                            "deploy/README.md says how to create secret " + secret);
                }
            }
        }

        // bootstrap reads pods, the revision lookup reads replicasets: bound to the pod's service account
        String account = (String) pod.get("serviceAccountName");
        one(resources, "ServiceAccount", account);
        Map<String, Object> binding = only(resources, "RoleBinding");
        assertEquals(account, string(list(binding, "subjects").get(0), "name"));
        Map<String, Object> role = one(resources, "Role", string(binding, "roleRef.name"));
        Map<String, Set<String>> granted = new HashMap<>();
        for (Map<String, Object> rule : list(role, "rules")) {
            for (Object resource : (List<?>) rule.get("resources")) {
                granted.computeIfAbsent((String) resource, r -> new HashSet<>()).addAll(strings(rule.get("verbs")));
            }
        }
        assertTrue(granted.getOrDefault("pods", Set.of()).containsAll(Set.of("get", "watch", "list")), "pods: " + granted);
        assertTrue(granted.getOrDefault("replicasets", Set.of()).contains("get"), "replicasets: " + granted);

        // a drain takes one node at a time; the services reach the pods on named ports
        Map<String, Object> budget = only(resources, "PodDisruptionBudget");
        assertEquals(1, path(budget, "spec.maxUnavailable"));
        assertEquals(podLabels, map(budget, "spec.selector.matchLabels"));
        Set<String> targets = new HashSet<>();
        for (Map<String, Object> service : all(resources, "Service")) {
            if (map(service, "spec.selector").equals(podLabels)) {
                for (Map<String, Object> port : list(service, "spec.ports")) {
                    assertTrue(ports.containsKey(String.valueOf(port.get("targetPort"))), "target port of " + id(service));
                    targets.add(String.valueOf(port.get("targetPort")));
                }
            }
        }
        assertEquals(Set.of("http", "management"), targets);

        // every other image pinned too (the dev Cassandra)
        for (Map<String, Object> resource : resources) {
            if (resource.get("kind").equals("StatefulSet")) {
                String other = (String) onlyContainer(map(resource, "spec.template.spec")).get("image");
                assertTrue(other.matches(".+:[0-9][^:]*") && !other.endsWith(":latest"), "pinned: " + other);
            }
        }
    }

    @Test
    void theDevOverlayRunsItsOwnCassandraAndProdPointsAtAnExternalOne() throws Exception {
        List<Map<String, Object>> dev = render(REPO.resolve("deploy/kubernetes/overlays/dev"));
        one(dev, "StatefulSet", "cassandra");
        one(dev, "Service", "cassandra");
        Map<String, Object> devSettings = settings(dev);
        assertEquals("cassandra:9042", devSettings.get("LEDGER_CASSANDRA_CONTACT_POINTS"));
        assertTrue(((String) devSettings.get("LEDGER_CASSANDRA_REPLICATION")).contains("'replication_factor':1"));

        List<Map<String, Object>> prod = render(REPO.resolve("deploy/kubernetes/overlays/prod"));
        assertTrue(all(prod, "StatefulSet").isEmpty(), "prod runs no Cassandra of its own");
        Map<String, Object> prodSettings = settings(prod);
        assertTrue(((String) prodSettings.get("LEDGER_CASSANDRA_REPLICATION")).contains("NetworkTopologyStrategy"));
        assertTrue(((String) prodSettings.get("LEDGER_CASSANDRA_CONTACT_POINTS")).endsWith(":9042"));
        // the base's settings survive the overlay's merge
        assertEquals("kubernetes-api", prodSettings.get("LEDGER_DISCOVERY"));
    }

    private static Map<String, Object> settings(List<Map<String, Object>> resources) {
        Map<String, Object> container = onlyContainer(map(one(resources, "Deployment", "codex-ledger"), "spec.template.spec"));
        return map(one(resources, "ConfigMap", string(list(container, "envFrom").get(0), "configMapRef.name")), "data");
    }

    private static void assertProbe(Map<String, Object> container, String probe, String path, Map<String, Integer> ports) {
        assertEquals(path, path(container, probe + ".httpGet.path"), probe);
        Object port = path(container, probe + ".httpGet.port");
        assertEquals(MANAGEMENT_PORT, port instanceof String name ? ports.get(name) : port, probe + " on the management port");
    }

    // ---- Compose ---------------------------------------------------------------------------------------

    @Test
    void theComposeFileRunsThreeNodesOverOneCassandra() throws Exception {
        Map<String, Object> compose = asMap(new Yaml().load(Files.readString(REPO.resolve("deploy/compose/compose.yaml"))));
        Map<String, Object> services = map(compose, "services");
        Map<String, Object> cassandra = map(compose, "services.cassandra");
        assertTrue(((String) cassandra.get("image")).matches("cassandra:[0-9.]+"), "pinned Cassandra");
        assertNotNull(cassandra.get("healthcheck"));
        String volume = strings(cassandra.get("volumes")).get(0).split(":")[0];
        assertTrue(map(compose, "volumes").containsKey(volume), "named volume " + volume);

        List<String> ledgers = services.keySet().stream().filter(name -> name.startsWith("ledger-")).sorted().toList();
        assertEquals(List.of("ledger-1", "ledger-2", "ledger-3"), ledgers);
        Set<String> hostPorts = new HashSet<>();
        for (String name : ledgers) {
            Map<String, Object> ledger = asMap(services.get(name));
            assertEquals("codex-ledger:" + VERSION, ledger.get("image"));
            assertEquals("service_healthy", path(ledger, "depends_on.cassandra.condition"));
            List<String> test = strings(path(ledger, "healthcheck.test"));
            assertEquals("dev.codexledger.node.HealthCheck", test.get(test.size() - 1));
            Class.forName(test.get(test.size() - 1)); // the class the health check runs exists
            Map<String, Object> env = map(ledger, "environment");
            assertEquals(name, env.get("LEDGER_REMOTE_HOST"));
            assertEquals(name, ledger.get("hostname"));
            List<String> endpoints = List.of(((String) env.get("LEDGER_BOOTSTRAP_ENDPOINTS")).split(","));
            assertEquals(ledgers.stream().map(l -> l + ":" + MANAGEMENT_PORT).toList(), endpoints);
            assertEquals("cassandra:9042", env.get("LEDGER_CASSANDRA_CONTACT_POINTS"));
            Set<String> unknown = new TreeSet<>(env.keySet());
            unknown.removeAll(knownSettings());
            assertEquals(Set.of(), unknown, "settings the node does not read");
            for (String port : strings(ledger.get("ports"))) {
                assertTrue(hostPorts.add(port.substring(0, port.lastIndexOf(':'))), "host port used once: " + port);
            }
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    /** Every {@code LEDGER_*} environment variable the node's config files read. */
    private static Set<String> knownSettings() throws IOException {
        Set<String> known = new TreeSet<>();
        Pattern variable = Pattern.compile("\\$\\{\\?(LEDGER_[A-Z0-9_]+)}");
        try (Stream<Path> files = Files.list(REPO.resolve("modules/server/src/main/resources"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".conf")).toList()) {
                Matcher matcher = variable.matcher(Files.readString(file, StandardCharsets.UTF_8));
                while (matcher.find()) {
                    known.add(matcher.group(1));
                }
            }
        }
        return known;
    }

    private static List<Map<String, Object>> render(Path overlay) throws Exception {
        String kubectl = kubectl();
        Path out = Files.createTempFile("kustomize-", ".yaml");
        try {
            Process process = new ProcessBuilder(kubectl, "kustomize", overlay.toString())
                    .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            assertTrue(process.waitFor(2, TimeUnit.MINUTES), "kubectl kustomize finishes");
            assertEquals(0, process.exitValue(), "kubectl kustomize " + overlay);
            List<Map<String, Object>> resources = new ArrayList<>();
            for (Object document : new Yaml().loadAll(Files.readString(out, StandardCharsets.UTF_8))) {
                if (document != null) {
                    resources.add(asMap(document));
                }
            }
            return resources;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static String kubectl() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "kubectl"))) {
                return Path.of(dir, "kubectl").toString();
            }
        }
        // CI installs it (.ci/run): there, a missing kubectl is a failure, not a skip
        assertTrue(System.getenv("CI") == null, "CI must have kubectl (see .ci/run)");
        Assumptions.abort("kubectl is not installed");
        return null;
    }

    private static String id(Map<String, Object> resource) {
        return resource.get("kind") + "/" + string(resource, "metadata.name");
    }

    private static List<Map<String, Object>> all(List<Map<String, Object>> resources, String kind) {
        return resources.stream().filter(r -> kind.equals(r.get("kind"))).toList();
    }

    private static Map<String, Object> only(List<Map<String, Object>> resources, String kind) {
        List<Map<String, Object>> found = all(resources, kind);
        assertEquals(1, found.size(), "one " + kind);
        return found.get(0);
    }

    private static Map<String, Object> one(List<Map<String, Object>> resources, String kind, String name) {
        List<Map<String, Object>> found = all(resources, kind).stream()
                .filter(r -> Objects.equals(name, string(r, "metadata.name"))).toList();
        assertEquals(1, found.size(), kind + "/" + name + " in the render");
        return found.get(0);
    }

    private static Map<String, Object> onlyContainer(Map<String, Object> podSpec) {
        List<Map<String, Object>> containers = list(podSpec, "containers");
        assertEquals(1, containers.size());
        return containers.get(0);
    }

    private static Object path(Map<String, Object> root, String dotted) {
        Object at = root;
        for (String key : dotted.split("\\.(?=[a-zA-Z])")) {
            if (!(at instanceof Map<?, ?> map)) {
                return null;
            }
            at = map.get(key);
        }
        return at;
    }

    private static String string(Map<String, Object> root, String dotted) {
        Object value = path(root, dotted);
        return value == null ? "" : value.toString();
    }

    private static Map<String, Object> map(Map<String, Object> root, String dotted) {
        Object value = path(root, dotted);
        assertNotNull(value, dotted);
        return asMap(value);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value) {
        assertTrue(value instanceof Map, "a mapping: " + value);
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> root, String dotted) {
        Object value = path(root, dotted);
        assertTrue(value instanceof List, dotted + " is a list");
        return (List<Map<String, Object>>) value;
    }

    private static List<String> strings(Object value) {
        assertTrue(value instanceof List, "a list: " + value);
        return ((List<?>) value).stream().map(String::valueOf).toList();
    }
}

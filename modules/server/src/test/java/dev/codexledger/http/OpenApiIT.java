package dev.codexledger.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * docs/openapi.json is the API: the node serves it, every authenticated endpoint (auth.Endpoint, complete
 * by construction) is in it or really not served, every operation in it is served and answers a request
 * with a status it documents, and every curl example of the README and docs is a documented operation.
 */
@ExtendWith(SharedCassandra.class)
class OpenApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Set<String> METHODS = Set.of("get", "post", "put", "delete", "patch", "head", "options");
    /** Pekko's answer when no route took the path: the operation does not exist. */
    private static final String NO_ROUTE = "The requested resource could not be found.";
    private static final Path DOCUMENT = SharedCassandra.repoRoot().resolve("docs/openapi.json");

    private static LedgerNode.Running node;
    private static JsonNode openApi;

    @BeforeAll
    static void start() throws Exception {
        node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("openapi"));
        openApi = JSON.readTree(Files.readString(DOCUMENT));
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.stop();
        }
    }

    record Operation(String method, String path, JsonNode spec) {}

    private static List<Operation> operations() {
        List<Operation> operations = new ArrayList<>();
        openApi.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            if (METHODS.contains(op.getKey())) {
                operations.add(new Operation(op.getKey().toUpperCase(), path.getKey(), op.getValue()));
            }
        }));
        return operations;
    }

    private static HttpResponse<String> send(String method, String path, String contentType, byte[] body, boolean key)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (key) {
            request.header("Authorization", "Bearer " + TestNodes.ADMIN_KEY);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean noRoute(HttpResponse<String> response) {
        return response.statusCode() == 405 || (response.statusCode() == 404 && response.body().contains(NO_ROUTE));
    }

    @Test
    void theNodeServesTheDocument() throws Exception {
        HttpResponse<String> served = send("GET", "/openapi.json", null, null, false);
        assertEquals(200, served.statusCode());
        assertTrue(served.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertEquals(openApi, JSON.readTree(served.body()), "the node serves docs/openapi.json as built");
        assertTrue(openApi.path("openapi").asText().startsWith("3.1"), "OpenAPI 3.1");
    }

    @Test
    void everyAuthenticatedEndpointIsDocumentedOrNotServed() throws Exception {
        List<Operation> operations = operations();
        for (Endpoint endpoint : Endpoint.values()) {
            List<Operation> documented = operations.stream()
                    .filter(op -> endpoint.name().equals(op.spec().path("x-endpoint").asText())).toList();
            assertFalse(documented.isEmpty(), endpoint + " is documented");
            for (Operation op : documented) {
                assertTrue(endpoint.method().equals("ANY") || Set.of(endpoint.method().split("\\|")).contains(op.method()),
                        op.method() + " " + op.path() + " is one of " + endpoint);
                assertTrue(op.spec().path("x-required-scope").toString().contains(endpoint.scope().name().toLowerCase().replace('_', '.')),
                        op.method() + " " + op.path() + " names scope " + endpoint.scope() + ": " + op.spec().path("x-required-scope"));
                assertTrue(matchesAny(op.path(), expansions(endpoint.pathTemplate())), op.path() + " is " + endpoint.pathTemplate());
            }
            // each method and path the endpoint names: documented, or the node really serves no such thing
            for (String path : expansions(endpoint.pathTemplate())) {
                for (String method : endpoint.method().equals("ANY") ? List.of("GET", "POST") : List.of(endpoint.method().split("\\|"))) {
                    boolean isDocumented = operations.stream().anyMatch(op -> op.method().equals(method)
                            && normalized(op.path()).equals(normalized(path)));
                    if (!isDocumented) {
                        HttpResponse<String> answer = send(method, concrete(path), "application/json", "{}".getBytes(), true);
                        assertTrue(noRoute(answer), method + " " + path + " is not documented but answered "
                                + answer.statusCode() + ": " + answer.body());
                    }
                }
            }
        }
    }

    @Test
    void everyDocumentedOperationIsServedAndAnswersWithADocumentedStatus() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (Operation op : operations()) {
            Set<String> statuses = new java.util.TreeSet<>();
            op.spec().path("responses").fieldNames().forEachRemaining(statuses::add);
            String path = op.path();
            Matcher parameter = Pattern.compile("\\{([^}]+)}").matcher(path);
            StringBuilder concrete = new StringBuilder();
            while (parameter.find()) {
                parameter.appendReplacement(concrete, Matcher.quoteReplacement(value(op, parameter.group(1))));
            }
            parameter.appendTail(concrete);
            String query = requiredQuery(op);
            String contentType = null;
            byte[] body = null;
            JsonNode content = op.spec().path("requestBody").path("content");
            if (content.size() > 0) {
                Iterator<String> types = content.fieldNames();
                contentType = content.has("application/json") ? "application/json" : types.next();
                JsonNode example = content.path(contentType).path("example");
                body = example.isMissingNode() ? (contentType.contains("json") ? "{}".getBytes() : new byte[0])
                        : (example.isTextual() ? example.asText() : example.toString()).getBytes(StandardCharsets.UTF_8);
            }
            boolean needsKey = !op.spec().has("security") || op.spec().path("security").size() > 0;
            HttpResponse<String> answer = send(op.method(), concrete + query, contentType, body, needsKey);
            String status = Integer.toString(answer.statusCode());
            System.out.printf("[OpenApiIT] %-7s %-70s %s%n", op.method(), op.path(), status);
            if (noRoute(answer) && !statuses.contains(status)) {
                wrong.add(op.method() + " " + op.path() + ": no route serves it (" + status + ")");
            } else if (!statuses.contains(status) && !statuses.contains("default")) {
                wrong.add(op.method() + " " + op.path() + " answered " + status + " (documented: " + statuses + "): "
                        + answer.body().substring(0, Math.min(200, answer.body().length())));
            }
        }
        assertEquals(List.of(), wrong, "operations whose answers the document does not describe");
    }

    @Test
    void theReadmesExamplesAreDocumentedOperations() throws Exception {
        List<Operation> operations = operations();
        List<String> undocumented = new ArrayList<>();
        int examples = 0;
        List<Path> files = new ArrayList<>(List.of(SharedCassandra.repoRoot().resolve("README.md")));
        try (var docs = Files.list(SharedCassandra.repoRoot().resolve("docs"))) {
            docs.filter(f -> f.toString().endsWith(".md")).forEach(files::add);
        }
        Pattern urlPath = Pattern.compile("(?:https?://[^/\\s\"']+|\\$\\{?[A-Z_]+}?)(/[^\\s\"'?]*)");
        Pattern explicitMethod = Pattern.compile("(?:-X|--request)\\s+([A-Z]+)");
        for (Path file : files) {
            String text = Files.readString(file).replace("\\\n", " ");
            for (String line : text.split("\n")) {
                int curl = line.indexOf("curl ");
                if (curl < 0) {
                    continue;
                }
                String command = line.substring(curl);
                Matcher url = urlPath.matcher(command);
                if (!url.find()) {
                    continue;
                }
                String path = url.group(1);
                if (!path.startsWith("/v1/") && !path.equals("/version") && !path.equals("/openapi.json")) {
                    continue;
                }
                Matcher method = explicitMethod.matcher(command);
                String verb = method.find() ? method.group(1)
                        : command.matches(".*(--data|--data-binary|-d |-F |--form|-T ).*") ? "POST" : "GET";
                examples++;
                boolean found = operations.stream().anyMatch(op -> op.method().equals(verb) && pathMatches(op.path(), path));
                if (!found) {
                    undocumented.add(file.getFileName() + ": " + verb + " " + path);
                }
            }
        }
        assertTrue(examples >= 10, "found the examples: " + examples);
        assertEquals(List.of(), undocumented, "curl examples that are no documented operation");
    }

    // ---------------------------------------------------------------- helpers

    /** A template's alternatives: {@code /budgets/{org|teams/{team}|settings}} → three paths. */
    private static List<String> expansions(String template) {
        Matcher alternatives = Pattern.compile("/\\{((?:[^{}]|\\{[^{}]*})*\\|(?:[^{}]|\\{[^{}]*})*)}$").matcher(template);
        if (!alternatives.find()) {
            return List.of(template);
        }
        String prefix = template.substring(0, alternatives.start());
        List<String> paths = new ArrayList<>();
        for (String alternative : alternatives.group(1).split("\\|")) {
            paths.add(prefix + "/" + alternative);
        }
        return paths;
    }

    private static String normalized(String path) {
        return path.replaceAll("\\{[^}]+}", "{}");
    }

    private static boolean matchesAny(String path, List<String> templates) {
        return templates.stream().anyMatch(t -> normalized(t).equals(normalized(path)));
    }

    /** A concrete path for a template (each parameter a plausible value). */
    private static String concrete(String template) {
        return template.replaceAll("\\{ws}|\\{workspace}", "openapi-ws").replaceAll("\\{[^}]+}", "no-such-id");
    }

    /** Does a documented template match an example's path? A template parameter matches any segment. */
    private static boolean pathMatches(String template, String example) {
        String[] t = template.split("/", -1);
        String[] e = example.replaceAll("/+$", "").split("/", -1);
        if (t.length != e.length) {
            return false;
        }
        for (int i = 0; i < t.length; i++) {
            if (!t[i].startsWith("{") && !t[i].equals(e[i])) {
                return false;
            }
        }
        return true;
    }

    private static JsonNode parameterSpec(JsonNode parameter) {
        if (parameter.has("$ref")) {
            String[] ref = parameter.get("$ref").asText().replace("#/", "").split("/");
            JsonNode at = openApi;
            for (String part : ref) {
                at = at.path(part);
            }
            return at;
        }
        return parameter;
    }

    private static List<JsonNode> parameters(Operation op) {
        List<JsonNode> all = new ArrayList<>();
        JsonNode pathLevel = openApi.path("paths").path(op.path()).path("parameters");
        pathLevel.forEach(p -> all.add(parameterSpec(p)));
        op.spec().path("parameters").forEach(p -> all.add(parameterSpec(p)));
        return all;
    }

    private static String value(Operation op, String name) {
        for (JsonNode parameter : parameters(op)) {
            if (parameter.path("name").asText().equals(name) && parameter.path("in").asText().equals("path")) {
                JsonNode schema = parameter.path("schema");
                if (schema.has("enum")) {
                    return schema.get("enum").get(0).asText();
                }
                if (parameter.has("example")) {
                    return parameter.get("example").asText();
                }
            }
        }
        return switch (name) {
            case "workspace", "ws" -> "openapi-ws";
            case "model" -> "gpt-5-codex";
            case "team" -> "team-a";
            case "user" -> "user-a";
            case "file" -> "index.html";
            default -> "no-such-id";
        };
    }

    private static String requiredQuery(Operation op) {
        List<String> pairs = new ArrayList<>();
        for (JsonNode parameter : parameters(op)) {
            if (parameter.path("in").asText().equals("query") && parameter.path("required").asBoolean()) {
                JsonNode schema = parameter.path("schema");
                String value = parameter.has("example") ? parameter.get("example").asText()
                        : schema.has("enum") ? schema.get("enum").get(0).asText()
                        : "date-time".equals(schema.path("format").asText()) ? Instant.now().toString()
                        : schema.path("type").asText().equals("integer") ? "1" : "x";
                pairs.add(parameter.path("name").asText() + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
            }
        }
        return pairs.isEmpty() ? "" : "?" + String.join("&", pairs);
    }
}

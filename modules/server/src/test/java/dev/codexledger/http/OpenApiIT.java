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
        List<Example> examples = examples();
        for (Example example : examples) {
            if (operation(operations, example) == null) {
                undocumented.add(example.file() + ": " + example.method() + " " + example.path());
            }
        }
        assertTrue(examples.size() >= 20, "found the examples: " + examples.size());
        assertEquals(List.of(), undocumented, "curl examples that are no documented operation");
    }

    /**
     * Every JSON body a curl example sends is valid against its operation's request schema, and the
     * README's examples, run in the README's order against a node as written (only the workspace renamed,
     * ids like {@code res_…} taken from the answer of the example that made them), answer a documented
     * success whose JSON body is valid against the documented response schema.
     */
    @Test
    void theReadmesExamplesMatchTheDocumentAndWorkAsWritten() throws Exception {
        List<Operation> operations = operations();
        List<String> wrong = new ArrayList<>();
        int bodies = 0;
        int ran = 0;
        java.util.Map<String, String> ids = new java.util.HashMap<>(); // "res_" → the newest id of that kind
        java.util.Map<String, Example> makers = new java.util.HashMap<>(); // "res_" → the example that made it
        Set<String> used = new java.util.HashSet<>();
        for (Example example : examples()) {
            Operation op = operation(operations, example);
            if (op == null) {
                continue; // theReadmesExamplesAreDocumentedOperations reports it
            }
            String where = example.file() + " " + example.method() + " " + example.path();
            if (example.body() != null && !example.body().startsWith("@")) {
                bodies++;
                JsonNode schema = op.spec().path("requestBody").path("content").path("application/json").path("schema");
                if (schema.isMissingNode()) {
                    wrong.add(where + ": sends a JSON body, but the operation documents no JSON request body");
                } else {
                    wrong.addAll(invalid(schema, example.body(), where + " request body"));
                }
            }
            if (!example.file().equals("README.md") || (example.body() != null && example.body().startsWith("@"))) {
                continue;
            }
            String path = example.path().replace("/workspaces/acme", "/workspaces/readme-acme");
            Matcher placeholder = Pattern.compile("([a-z]+_)…").matcher(path);
            if (placeholder.find()) {
                String kind = placeholder.group(1);
                if (!ids.containsKey(kind)) {
                    continue; // an id the README does not make (e.g. a log file's), nothing to run it on
                }
                if (!used.add(ids.get(kind))) { // e.g. release after settle: a fresh one, as a reader would make
                    remember(send(makers.get(kind)), makers.get(kind), ids, makers);
                    used.add(ids.get(kind));
                }
                path = path.replace(kind + "…", ids.get(kind));
            }
            if (path.contains("…") || example.query().contains("…")) {
                continue;
            }
            Example concrete = new Example(example.file(), example.method(), path, example.query(), example.body(),
                    example.contentType());
            HttpResponse<String> answer = send(concrete);
            ran++;
            String status = Integer.toString(answer.statusCode());
            System.out.printf("[OpenApiIT] README %-7s %-60s %s%n", concrete.method(), path, status);
            JsonNode documented = response(op, status);
            if (NOT_MADE_HERE.contains(example.path()) && documented != null) {
                continue; // names a thing a fresh workspace does not have: a documented refusal is right
            }
            if (answer.statusCode() / 100 != 2 || documented == null) {
                wrong.add(where + " answered " + status + ": " + answer.body().substring(0, Math.min(300,
                        answer.body().length())));
                continue;
            }
            JsonNode schema = documented.path("content").path("application/json").path("schema");
            if (!schema.isMissingNode() && answer.headers().firstValue("Content-Type").orElse("").contains("json")
                    && !answer.body().isEmpty()) {
                wrong.addAll(invalid(schema, answer.body(), where + " answer " + status));
            }
            remember(answer, concrete, ids, makers);
        }
        assertTrue(bodies >= 10, "JSON bodies checked: " + bodies);
        assertTrue(ran >= 15, "README examples run: " + ran);
        assertEquals(List.of(), wrong, "README examples that do not match the document or do not work");
    }

    /**
     * README examples that name something the examples before them do not make (a closed compliance log
     * file of a given hour): run against a fresh workspace they must answer a documented status, not 2xx.
     */
    private static final Set<String> NOT_MADE_HERE = Set.of(
            "/v1/compliance/workspaces/acme/logs/CODEX_LOG-1763769600000-3600000");

    /** The README's ids in an answer: a top-level {@code "reservation_id":"res_…"} or {@code "id":"hold_…"}. */
    private static void remember(HttpResponse<String> answer, Example made, java.util.Map<String, String> ids,
                                 java.util.Map<String, Example> makers) throws Exception {
        if (!answer.headers().firstValue("Content-Type").orElse("").contains("json") || answer.body().isBlank()) {
            return;
        }
        JsonNode body = JSON.readTree(answer.body());
        body.fields().forEachRemaining(field -> {
            Matcher id = Pattern.compile("^([a-z]+_)[A-Za-z0-9_-]+$").matcher(field.getValue().asText());
            if (field.getValue().isTextual() && id.matches() && (field.getKey().equals("id")
                    || field.getKey().endsWith("_id"))) {
                ids.put(id.group(1), field.getValue().asText());
                makers.put(id.group(1), made);
            }
        });
    }

    private static HttpResponse<String> send(Example example) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.baseUrl() + example.path()
                        + (example.query().isEmpty() ? "" : "?" + example.query())))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + TestNodes.ADMIN_KEY);
        if (example.body() != null) {
            request.header("Content-Type", example.contentType() == null ? "application/json" : example.contentType());
        }
        request.method(example.method(), example.body() == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(example.body()));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The documented response of {@code op} for {@code status} (a {@code $ref} to components followed), or null. */
    private static JsonNode response(Operation op, String status) {
        JsonNode response = op.spec().path("responses").path(status);
        if (response.isMissingNode()) {
            return null;
        }
        return response.has("$ref") ? resolve(response.get("$ref").asText()) : response;
    }

    private static JsonNode resolve(String ref) {
        JsonNode at = openApi;
        for (String part : ref.replace("#/", "").split("/")) {
            at = at.path(part.replace("~1", "/").replace("~0", "~"));
        }
        return at;
    }

    private static final com.networknt.schema.SchemaRegistry SCHEMAS = com.networknt.schema.SchemaRegistry
            .withDefaultDialect(com.networknt.schema.SpecificationVersion.DRAFT_2020_12);

    /**
     * What is wrong with {@code json} under an OpenAPI 3.1 schema (JSON Schema 2020-12): the schema made
     * whole with the document's component schemas as {@code $defs}, validated by networknt's validator.
     */
    private static List<String> invalid(JsonNode schema, String json, String what) {
        JsonNode instance;
        try {
            instance = JSON.readTree(json);
        } catch (java.io.IOException e) {
            return List.of(what + ": not JSON: " + e.getMessage());
        }
        com.fasterxml.jackson.databind.node.ObjectNode whole = JSON.createObjectNode();
        whole.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        whole.set("$defs", openApi.path("components").path("schemas"));
        whole.setAll((com.fasterxml.jackson.databind.node.ObjectNode) schema);
        String text = whole.toString().replace("\"#/components/schemas/", "\"#/$defs/");
        List<String> errors = new ArrayList<>();
        for (com.networknt.schema.Error error : SCHEMAS.getSchema(text, com.networknt.schema.InputFormat.JSON)
                .validate(instance)) {
            errors.add(what + ": " + error);
        }
        return errors;
    }

    /** A curl example of the README or docs/*.md: the operation it calls, its query and body as written. */
    record Example(String file, String method, String path, String query, String body, String contentType) {}

    /**
     * The curl examples of README.md and docs/*.md, in order: continuation lines joined, shell variables
     * the file defines ({@code B=http://…}) expanded, the URL's path and query, the method ({@code -X} or
     * POST when data is sent), the body of {@code -d '…'} / {@code --data…} and the content type.
     */
    private static List<Example> examples() throws Exception {
        List<Path> files = new ArrayList<>(List.of(SharedCassandra.repoRoot().resolve("README.md")));
        try (var docs = Files.list(SharedCassandra.repoRoot().resolve("docs"))) {
            docs.filter(f -> f.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        Pattern url = Pattern.compile("(?:https?://[^/\\s\"']+|\\$\\{?[A-Z_]+}?)(/[^\\s\"']*)");
        Pattern explicitMethod = Pattern.compile("(?:-X|--request)\\s+([A-Z]+)");
        Pattern data = Pattern.compile("(?:-d|--data(?:-binary|-raw)?)\\s+(?:'([^']*)'|(\\S+))");
        Pattern contentType = Pattern.compile("-H\\s+['\"]Content-Type:\\s*([^'\"]+)['\"]", Pattern.CASE_INSENSITIVE);
        Pattern variable = Pattern.compile("^([A-Z][A-Z_]*)=(\\S+)\\s*$");
        List<Example> examples = new ArrayList<>();
        for (Path file : files) {
            String text = Files.readString(file).replace("\\\n", " ");
            java.util.Map<String, String> variables = new java.util.HashMap<>();
            for (String line : text.split("\n")) {
                Matcher definition = variable.matcher(line.trim());
                if (definition.matches()) {
                    variables.put(definition.group(1), definition.group(2));
                    continue;
                }
                int curl = line.indexOf("curl ");
                if (curl < 0) {
                    continue;
                }
                String command = line.substring(curl);
                for (var entry : variables.entrySet()) {
                    command = command.replace("${" + entry.getKey() + "}", entry.getValue())
                            .replaceAll("\\$" + entry.getKey() + "\\b", Matcher.quoteReplacement(entry.getValue()));
                }
                Matcher body = data.matcher(command);
                boolean sends = body.find();
                // the URL is the command's, not one inside the body it sends
                Matcher target = url.matcher(sends ? command.substring(0, body.start()) + command.substring(body.end())
                        : command);
                if (!target.find()) {
                    continue;
                }
                String[] pathAndQuery = target.group(1).split("\\?", 2);
                String path = pathAndQuery[0];
                if (!path.startsWith("/v1/") && !path.equals("/version") && !path.equals("/openapi.json")) {
                    continue;
                }
                Matcher method = explicitMethod.matcher(command);
                String verb = method.find() ? method.group(1)
                        : sends || command.matches(".*(-F |--form|-T ).*") ? "POST" : "GET";
                Matcher type = contentType.matcher(command);
                examples.add(new Example(file.getFileName().toString(), verb, path,
                        pathAndQuery.length > 1 ? pathAndQuery[1] : "",
                        sends ? (body.group(1) != null ? body.group(1) : body.group(2)) : null,
                        type.find() ? type.group(1).trim() : null));
            }
        }
        return examples;
    }

    private static Operation operation(List<Operation> operations, Example example) {
        return operations.stream().filter(op -> op.method().equals(example.method())
                && pathMatches(op.path(), example.path())).findFirst().orElse(null);
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

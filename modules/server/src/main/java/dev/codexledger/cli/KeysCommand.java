package dev.codexledger.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/ledger keys ...}: the key admin API from a shell. Talks to the node at {@code LEDGER_URL}
 * (default http://127.0.0.1:8080) with the admin key in {@code LEDGER_ADMIN_KEY}; prints the API's JSON
 * answer; exits 0 on success, 1 when the API refused, 2 on a usage error.
 */
public final class KeysCommand {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String USAGE = """
            usage: bin/ledger keys create --workspace <id|*> --scope <scope> [--scope <scope>...] [--name <name>]
                   bin/ledger keys list [--workspace <id|*>]
                   bin/ledger keys revoke <key-id>
                   bin/ledger keys rotate <key-id> [--grace-seconds <n>]
            scopes: ingest, compliance.read, compliance.delete, analytics.read, budget.check, budget.admin, policy.admin, admin
            env: LEDGER_URL (default http://127.0.0.1:8080), LEDGER_ADMIN_KEY (a key with the admin scope)""";

    private final String baseUrl;
    private final String key;
    private final PrintStream out;
    private final PrintStream err;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public KeysCommand(String baseUrl, String key, PrintStream out, PrintStream err) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.key = key;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        Map<String, String> env = System.getenv();
        String key = env.getOrDefault("LEDGER_ADMIN_KEY", "");
        int code = new KeysCommand(env.getOrDefault("LEDGER_URL", "http://127.0.0.1:8080"), key, System.out,
                System.err).run(List.of(args));
        System.exit(code);
    }

    public int run(List<String> args) {
        if (args.isEmpty()) {
            return usage("missing subcommand");
        }
        if (key.isEmpty()) {
            err.println("set LEDGER_ADMIN_KEY to a key with the admin scope");
            return 2;
        }
        try {
            return switch (args.get(0)) {
                case "create" -> create(args.subList(1, args.size()));
                case "list" -> list(args.subList(1, args.size()));
                case "revoke" -> args.size() == 2 ? call("DELETE", "/v1/admin/keys/" + args.get(1), null)
                        : usage("revoke takes one key id");
                case "rotate" -> rotate(args.subList(1, args.size()));
                default -> usage("unknown subcommand " + args.get(0));
            };
        } catch (IllegalArgumentException e) {
            return usage(e.getMessage());
        } catch (IOException e) {
            err.println("cannot reach " + baseUrl + ": " + e);
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    private int create(List<String> args) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        List<String> scopes = new ArrayList<>();
        for (int i = 0; i < args.size(); i += 2) {
            String value = valueOf(args, i);
            switch (args.get(i)) {
                case "--workspace" -> body.put("workspace", value);
                case "--scope" -> scopes.add(value);
                case "--name" -> body.put("name", value);
                default -> throw new IllegalArgumentException("unknown option " + args.get(i));
            }
        }
        if (!body.has("workspace") || scopes.isEmpty()) {
            throw new IllegalArgumentException("create needs --workspace and at least one --scope");
        }
        scopes.forEach(body.putArray("scopes")::add);
        int code = call("POST", "/v1/admin/keys", body);
        if (code == 0) {
            err.println("The secret above is shown only now; Ledger keeps only its hash.");
        }
        return code;
    }

    private int list(List<String> args) throws IOException, InterruptedException {
        if (args.isEmpty()) {
            return call("GET", "/v1/admin/keys", null);
        }
        if (args.size() == 2 && args.get(0).equals("--workspace")) {
            return call("GET", "/v1/admin/keys?workspace=" + java.net.URLEncoder.encode(args.get(1),
                    java.nio.charset.StandardCharsets.UTF_8), null);
        }
        throw new IllegalArgumentException("list takes only --workspace <id>");
    }

    private int rotate(List<String> args) throws IOException, InterruptedException {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("rotate needs a key id");
        }
        ObjectNode body = JSON.createObjectNode();
        if (args.size() == 3 && args.get(1).equals("--grace-seconds")) {
            try {
                body.put("grace_seconds", Long.parseLong(args.get(2)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--grace-seconds takes a whole number");
            }
        } else if (args.size() != 1) {
            throw new IllegalArgumentException("rotate takes a key id and optionally --grace-seconds <n>");
        }
        return call("POST", "/v1/admin/keys/" + args.get(0) + "/rotate", body);
    }

    private static String valueOf(List<String> args, int i) {
        if (i + 1 >= args.size()) {
            throw new IllegalArgumentException(args.get(i) + " needs a value");
        }
        return args.get(i + 1);
    }

    private int call(String method, String path, JsonNode body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        PrintStream target = response.statusCode() / 100 == 2 ? out : err;
        target.println(pretty(response.body()));
        return response.statusCode() / 100 == 2 ? 0 : 1;
    }

    private static String pretty(String body) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(body));
        } catch (IOException e) {
            return body;
        }
    }

    private int usage(String problem) {
        err.println(problem);
        err.println(USAGE);
        return 2;
    }
}

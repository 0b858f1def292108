package dev.codexledger.policy;

import static dev.codexledger.http.WorkspacePaths.workspace;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.put;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.BadRequest;
import dev.codexledger.http.RequestBodies;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * A workspace's managed-configuration policy over HTTP ({@code policy.admin}):
 * <ul>
 *   <li>{@code GET|PUT /v1/admin/workspaces/{ws}/policy}: the whole document (requirement sets, groups,
 *       rules); {@code ?expected_version=N} makes a PUT apply only on that version;</li>
 *   <li>{@code PUT|DELETE …/policy/requirement-sets/{name}}, {@code PUT|DELETE …/policy/groups/{name}}
 *       ({@code {"users": [...]}}), {@code PUT …/policy/rules} ({@code {"rules": [...]}}): one part;</li>
 *   <li>{@code GET …/policy/versions}: the stored versions, newest first;</li>
 *   <li>{@code GET …/policy/requirements.toml?user=…|group=…|set=…}: the requirement set that applies, as
 *       Codex reads it ({@code &encoding=base64} for the MDM key {@code requirements_toml_base64}).</li>
 * </ul>
 * Every change is a new version and an {@code AUTH_LOG} record ({@code policy.changed}).
 */
public final class PolicyRoutes {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** {@code application/toml} (IANA, 2024). */
    private static final ContentType TOML = ContentTypes.create(MediaTypes.applicationWithOpenCharset("toml"),
            org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8);
    private static final int MAX_BODY = 4 * 1024 * 1024;
    private static final int MAX_VERSIONS_LISTED = 100;

    private final PolicyStore store;
    private final dev.codexledger.auth.ApiKeys keys;
    private final Access access;
    private final AuthAudit audit;
    private final RequestBodies bodies;
    private final Executor blocking;

    public PolicyRoutes(PolicyStore store, dev.codexledger.auth.ApiKeys keys, Access access, AuthAudit audit,
                        RequestBodies bodies, Executor blocking) {
        this.store = store;
        this.keys = keys;
        this.access = access;
        this.audit = audit;
        this.bodies = bodies;
        this.blocking = blocking;
    }

    public Route routes() {
        return pathPrefix("admin", () -> pathPrefix("workspaces", () -> workspace("policy", workspace -> concat(
                pathEnd(() -> concat(
                        get(() -> access.allow(Endpoint.POLICY_GET, workspace, key ->
                                answer(() -> ApiErrors.ok(view(store.current(workspace)))))),
                        put(() -> access.allow(Endpoint.POLICY_SET, workspace, key -> access.caller(key, caller ->
                                parameterMap(params -> body(json -> change(workspace, caller, "document replaced",
                                        expected(params), current -> PolicyDocument.parse(json))))))))),
                path("versions", () -> get(() -> access.allow(Endpoint.POLICY_VERSIONS, workspace, key ->
                        answer(() -> ApiErrors.ok(versions(workspace)))))),
                path("rules", () -> put(() -> access.allow(Endpoint.POLICY_PART_SET, workspace, key ->
                        access.caller(key, caller -> parameterMap(params -> body(json -> change(workspace, caller,
                                "rules replaced", expected(params), current -> current.withRules(field(json, "rules"))))))))),
                pathPrefix("requirement-sets", () -> path(segment(), name -> part(workspace, "requirement_sets", name))),
                pathPrefix("groups", () -> path(segment(), name -> part(workspace, "groups", name))),
                path("requirements.toml", () -> get(() -> access.allow(Endpoint.POLICY_REQUIREMENTS, workspace, key ->
                        parameterMap(params -> answer(() -> requirements(workspace, params)))))),
                path("managed-config", () -> org.apache.pekko.http.javadsl.server.Directives.post(() ->
                        access.allow(Endpoint.POLICY_MANAGED_CONFIG, workspace, key -> access.caller(key, caller ->
                                body(json -> answer(() -> managedConfig(workspace, caller, json)))))))))));
    }

    /** PUT or DELETE one requirement set or group: the document with that part replaced or removed. */
    private Route part(String workspace, String kind, String name) {
        String label = kind.equals("groups") ? "group " : "requirement set ";
        return concat(
                put(() -> access.allow(Endpoint.POLICY_PART_SET, workspace, key -> access.caller(key, caller ->
                        parameterMap(params -> body(json -> change(workspace, caller, label + name + " set",
                                expected(params), current -> {
                            RequirementSet.name(name, "name");
                            ObjectNode whole = current.toJson();
                            ((ObjectNode) whole.get(kind)).set(name, kind.equals("groups") ? field(json, "users") : json);
                            return reparsed(whole, kind, name);
                        })))))),
                delete(() -> access.allow(Endpoint.POLICY_PART_SET, workspace, key -> access.caller(key, caller ->
                        parameterMap(params -> change(workspace, caller, label + name + " removed", expected(params),
                                current -> {
                            ObjectNode whole = current.toJson();
                            if (((ObjectNode) whole.get(kind)).remove(name) == null) {
                                throw new NotFound(kind.equals("groups") ? "group" : "requirement_set",
                                        "no " + label + name + " in this policy");
                            }
                            for (JsonNode rule : whole.get("rules")) {
                                String uses = rule.path(kind.equals("groups") ? "group" : "requirements").asText();
                                if (uses.equals(name)) {
                                    throw new InUse(label + name + " is used by a rule (" + rule
                                            + "); change the rules first");
                                }
                            }
                            return reparsed(whole, kind, name);
                        }))))));
    }

    /** The document again, its errors named as the request's fields (the part's body, not the document's path). */
    private static PolicyDocument reparsed(ObjectNode whole, String kind, String name) {
        try {
            return PolicyDocument.parse(whole);
        } catch (PolicyInvalid invalid) {
            String prefix = kind + "." + name;
            String field = invalid.field().startsWith(prefix) ? invalid.field().substring(prefix.length())
                    : invalid.field();
            field = field.isEmpty() ? "body" : field.startsWith(".") ? field.substring(1)
                    : field.startsWith("[") ? (kind.equals("groups") ? "users" : "body") + field : field;
            throw new BadRequest(field, invalid.getMessage());
        }
    }

    private Route change(String workspace, AuthAudit.Caller caller, String change, Long expected,
                         UnaryOperator<PolicyDocument> edit) {
        return answer(() -> {
            PolicyStore.Version current = store.current(workspace);
            if (expected != null && expected != current.version()) {
                return conflict("expected_version", "the policy is at version " + current.version() + ", not " + expected);
            }
            PolicyDocument next;
            try {
                next = edit.apply(current.document());
            } catch (PolicyInvalid invalid) {
                throw new BadRequest(invalid.field(), invalid.getMessage());
            } catch (NotFound missing) {
                return ApiErrors.error(StatusCodes.NOT_FOUND, missing.getMessage(), missing.field);
            } catch (InUse used) {
                return conflict("name", used.getMessage());
            }
            PolicyStore.Version saved;
            try {
                saved = store.save(workspace, current, next, change, "key:" + caller.keyId());
            } catch (PolicyStore.Concurrent concurrent) {
                return conflict("version", concurrent.getMessage() + "; read it again and retry");
            }
            ObjectNode attributes = JSON.createObjectNode().put("version", saved.version())
                    .put("previous_version", current.version()).put("change", change);
            attributes.set("policy", next.toJson());
            AuthAudit.await(audit.adminAction(workspace, "policy.changed", caller, attributes),
                    "policy change of " + workspace);
            return ApiErrors.ok(view(saved));
        });
    }

    private HttpResponse requirements(String workspace, Map<String, String> params) {
        for (String name : params.keySet()) {
            if (!List.of("user", "group", "set", "encoding").contains(name)) {
                throw new BadRequest(name, "unknown parameter; the parameters are user, group, set, encoding");
            }
        }
        long chosen = params.keySet().stream().filter(p -> !p.equals("encoding")).count();
        if (chosen != 1) {
            throw new BadRequest("user", "give exactly one of user, group or set");
        }
        String encoding = params.getOrDefault("encoding", "toml");
        if (!encoding.equals("toml") && !encoding.equals("base64")) {
            throw new BadRequest("encoding", "must be toml (the file) or base64 (MDM's requirements_toml_base64)");
        }
        PolicyStore.Version version = store.current(workspace);
        PolicyDocument document = version.document();
        Optional<PolicyDocument.Match> match;
        if (params.containsKey("set")) {
            RequirementSet set = document.requirementSets().get(params.get("set"));
            if (set == null) {
                throw new BadRequest("set", "no requirement set " + params.get("set") + " in this policy; sets: "
                        + (document.requirementSets().isEmpty() ? "none" : String.join(", ", document.requirementSets().keySet())));
            }
            match = Optional.of(new PolicyDocument.Match(-1, null, params.get("set"), set));
        } else if (params.containsKey("group")) {
            if (!document.groups().containsKey(params.get("group")) && !params.get("group").equals(PolicyDocument.EVERYONE)) {
                throw new BadRequest("group", "no group " + params.get("group") + " in this policy");
            }
            match = document.forGroup(params.get("group"));
        } else {
            match = document.forUser(params.get("user"));
        }
        // no rule applies: nothing is required, which is what an empty requirements.toml says to Codex
        RequirementSet set = match.map(PolicyDocument.Match::requirements)
                .orElse(new RequirementSet(null, null, null, null, null, null, null));
        String text = encoding.equals("base64") ? RequirementsToml.base64(set) : RequirementsToml.render(set);
        ContentType type = encoding.equals("base64") ? ContentTypes.TEXT_PLAIN_UTF8 : TOML;
        return HttpResponse.create().withStatus(StatusCodes.OK)
                .addHeader(RawHeader.create("X-Ledger-Policy-Version", Long.toString(version.version())))
                .addHeader(RawHeader.create("X-Ledger-Policy-Requirement-Set", match.map(PolicyDocument.Match::setName)
                        .orElse("none")))
                .addHeader(RawHeader.create("X-Ledger-Policy-Rule", match.filter(m -> m.rule() >= 0)
                        .map(m -> Integer.toString(m.rule())).orElse("none")))
                .withEntity(HttpEntities.create(type, text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * A managed_config.toml whose [otel] exporter sends to {@code endpoint} with a new ingest key bound to
     * the workspace (its secret is in the file and shown only here; the key's id is in X-Ledger-Key-Id).
     */
    private HttpResponse managedConfig(String workspace, AuthAudit.Caller caller, JsonNode body) {
        for (java.util.Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!List.of("endpoint", "protocol", "environment", "log_user_prompt", "encoding").contains(name)) {
                throw new BadRequest(name, "unknown field; the fields are endpoint, protocol, environment, log_user_prompt, encoding");
            }
        }
        if (!body.isObject() || !body.path("endpoint").isTextual()
                || !body.get("endpoint").asText().matches("https?://[^\\s/]+(/\\S*)?")) {
            throw new BadRequest("endpoint", "required: the OTLP/HTTP logs URL as Codex machines reach this ledger,"
                    + " e.g. https://ledger.example.com/v1/logs (used exactly as given)");
        }
        String protocol = body.path("protocol").asText("binary");
        if (!protocol.equals("binary") && !protocol.equals("json")) {
            throw new BadRequest("protocol", "must be binary (protobuf) or json");
        }
        JsonNode environment = body.path("environment");
        if (!environment.isMissingNode() && (!environment.isTextual() || environment.asText().isBlank())) {
            throw new BadRequest("environment", "must be a non-empty string, e.g. prod");
        }
        JsonNode logPrompt = body.path("log_user_prompt");
        if (!logPrompt.isMissingNode() && !logPrompt.isBoolean()) {
            throw new BadRequest("log_user_prompt", "must be true or false");
        }
        String encoding = body.path("encoding").asText("toml");
        if (!encoding.equals("toml") && !encoding.equals("base64")) {
            throw new BadRequest("encoding", "must be toml (the file) or base64 (MDM's config_toml_base64)");
        }
        dev.codexledger.auth.ApiKeys.Created created = keys.create("codex-managed-config", workspace,
                java.util.Set.of(dev.codexledger.auth.Scope.INGEST), "key:" + caller.keyId());
        AuthAudit.await(audit.keyOperation("key.created", caller, created.key()), "key.created of key " + created.key().id());
        String text = ManagedConfigToml.render(new ManagedConfigToml.Exporter(body.get("endpoint").asText(), protocol,
                environment.isMissingNode() ? "prod" : environment.asText(), logPrompt.asBoolean(false), workspace,
                created.secret()));
        boolean base64 = encoding.equals("base64");
        return HttpResponse.create().withStatus(StatusCodes.CREATED)
                .addHeader(RawHeader.create("X-Ledger-Key-Id", created.key().id()))
                .withEntity(HttpEntities.create(base64 ? ContentTypes.TEXT_PLAIN_UTF8 : TOML, (base64
                        ? java.util.Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)) : text)
                        .getBytes(StandardCharsets.UTF_8)));
    }

    private ObjectNode versions(String workspace) {
        ObjectNode answer = JSON.createObjectNode().put("workspace", workspace);
        ArrayNode list = answer.putArray("versions");
        for (PolicyStore.Version version : store.versions(workspace, MAX_VERSIONS_LISTED)) {
            list.add(view(version));
        }
        return answer;
    }

    private static ObjectNode view(PolicyStore.Version version) {
        ObjectNode node = JSON.createObjectNode().put("workspace", version.workspace()).put("version", version.version());
        node.put("set_at", version.setAt() == null ? null : version.setAt().toString());
        node.put("set_by", version.setBy());
        node.put("change", version.change());
        node.setAll(version.document().toJson());
        return node;
    }

    /** {@code ?expected_version=N}, the only parameter a change takes (a misspelt one is refused, not ignored). */
    private static Long expected(Map<String, String> params) {
        for (String name : params.keySet()) {
            if (!name.equals("expected_version")) {
                throw new BadRequest(name, "unknown parameter; a change takes only expected_version");
            }
        }
        String value = params.get("expected_version");
        if (value == null) {
            return null;
        }
        try {
            long version = Long.parseLong(value);
            if (version < 0) {
                throw new NumberFormatException();
            }
            return version;
        } catch (NumberFormatException e) {
            throw new BadRequest("expected_version", "must be a version number (0 for a workspace without a policy)");
        }
    }

    private static JsonNode field(JsonNode body, String name) {
        if (body == null || !body.isObject() || !body.has(name)) {
            throw new BadRequest(name, "required: {\"" + name + "\": [...]}");
        }
        if (body.size() != 1) {
            body.fieldNames().forEachRemaining(other -> {
                if (!other.equals(name)) {
                    throw new BadRequest(other, "unknown field; the body is {\"" + name + "\": [...]}");
                }
            });
        }
        return body.get(name);
    }

    private Route body(java.util.function.Function<JsonNode, Route> inner) {
        return extractRequestEntity(entity -> bodies.strict(entity, MAX_BODY, Duration.ofSeconds(10), (bytes, reservation) -> {
            JsonNode json;
            try {
                json = JSON.readTree(bytes);
            } catch (IOException e) {
                throw new BadRequest("body", "malformed JSON body");
            }
            if (json == null) {
                throw new BadRequest("body", "a JSON body is required");
            }
            return inner.apply(json);
        }));
    }

    private static HttpResponse conflict(String field, String message) {
        return ApiErrors.error(StatusCodes.CONFLICT, message, field);
    }

    private Route answer(Supplier<HttpResponse> work) {
        return dev.codexledger.http.Blocking.answer(blocking, work);
    }

    private static final class NotFound extends RuntimeException {
        private final String field;

        NotFound(String field, String message) {
            super(message, null, false, false);
            this.field = field;
        }
    }

    private static final class InUse extends RuntimeException {
        InUse(String message) {
            super(message, null, false, false);
        }
    }

}

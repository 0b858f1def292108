package dev.codexledger.auth;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.BadRequest;
import dev.codexledger.http.RequestBodies;
import dev.codexledger.workspace.WorkspaceId;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key admin API ({@code admin} scope). An org-wide admin key manages every key; a workspace's admin
 * key manages the keys of its workspace only, and sees other keys as absent (404, like unknown ids).
 */
public final class KeysRoutes {

    private static final Logger LOG = LoggerFactory.getLogger(KeysRoutes.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY_BYTES = 16 * 1024;
    private static final int MAX_NAME_LENGTH = 200;
    private static final Duration MAX_GRACE = Duration.ofDays(30);

    private final ApiKeys keys;
    private final Access access;
    private final AuthAudit audit;
    private final Executor blocking;
    private final RequestBodies bodies;

    public KeysRoutes(ApiKeys keys, Access access, AuthAudit audit, Executor blocking, RequestBodies bodies) {
        this.keys = keys;
        this.bodies = bodies;
        this.access = access;
        this.audit = audit;
        this.blocking = blocking;
    }

    public Route routes() {
        return pathPrefix("admin", () -> pathPrefix("keys", () -> concat(
                pathEnd(() -> concat(post(this::create), get(this::list))),
                pathPrefix(segment(), id -> concat(
                        pathEnd(() -> delete(() -> revoke(id))),
                        path("rotate", () -> post(() -> rotate(id))))))));
    }

    private Route create() {
        return access.authenticate(Endpoint.KEYS_CREATE, Optional.empty(), key -> jsonBody(body -> {
            NewKey request = NewKey.parse(body);
            return access.authorize(key, Endpoint.KEYS_CREATE, request.workspace(), () -> access.caller(key, caller ->
                    answer(() -> {
                        ApiKeys.Created created = keys.create(request.name(), request.workspace(), request.scopes(),
                                "key:" + key.id());
                        audited("key.created", caller, created.key());
                        return ApiErrors.json(StatusCodes.CREATED, new NewKeySecret(KeyView.of(created.key()),
                                created.secret()));
                    })));
        }));
    }

    private Route list() {
        return parameterOptional("workspace", filter -> access.authenticate(Endpoint.KEYS_LIST, filter, key -> {
            Optional<String> workspace = filter.isPresent() ? filter
                    : key.orgWide() ? Optional.empty() : Optional.of(key.workspace());
            if (workspace.isPresent() && !WorkspaceId.isValid(workspace.get())
                    && !ApiKey.ALL_WORKSPACES.equals(workspace.get())) {
                throw new BadRequest("workspace", WorkspaceId.RULE + ", or * for org-wide keys");
            }
            return access.authorize(key, Endpoint.KEYS_LIST, workspace.orElse(ApiKey.ALL_WORKSPACES), () -> answer(() -> {
                return ApiErrors.ok(new KeyList(keys.list(workspace).stream().map(KeyView::of).toList()));
            }));
        }));
    }

    private Route revoke(String id) {
        return access.authenticate(Endpoint.KEYS_REVOKE, Optional.empty(), key -> withVisibleKey(key, id,
                Endpoint.KEYS_REVOKE, target -> access.caller(key, caller -> answer(() -> {
                    ApiKey revoked = keys.revoke(target.id()).orElseThrow();
                    audited("key.revoked", caller, revoked);
                    return ApiErrors.ok(KeyView.of(revoked));
                }))));
    }

    private Route rotate(String id) {
        return access.authenticate(Endpoint.KEYS_ROTATE, Optional.empty(), key -> jsonBody(body -> {
            Duration grace = graceOf(body);
            return withVisibleKey(key, id, Endpoint.KEYS_ROTATE, target -> access.caller(key, caller -> answer(() -> {
                Optional<ApiKeys.Created> rotated = keys.rotate(target.id(), grace, "key:" + key.id());
                if (rotated.isEmpty()) {
                    return ApiErrors.error(StatusCodes.CONFLICT, "key " + id + " is revoked or expired; create a new one",
                            "id");
                }
                ApiKey old = keys.find(target.id()).orElseThrow();
                audited("key.rotated", caller, old);
                audited("key.created", caller, rotated.get().key());
                return ApiErrors.json(StatusCodes.CREATED, new RotatedKey(KeyView.of(rotated.get().key()),
                        rotated.get().secret(), old.id(), KeyView.of(old)));
            })));
        }));
    }

    /** The key named in the path, if the caller may see it: else 404 whether or not it exists. */
    private Route withVisibleKey(ApiKey caller, String id, Endpoint endpoint,
                                 java.util.function.Function<ApiKey, Route> inner) {
        if (!KeyTokens.isKeyId(id)) {
            return complete(ApiErrors.error(StatusCodes.NOT_FOUND, "no key with id " + id, "id"));
        }
        return onSuccess(CompletableFuture.supplyAsync(() -> keys.find(id), blocking), found -> {
            Optional<ApiKey> target = found.filter(k -> caller.covers(k.workspace()));
            if (target.isEmpty()) {
                return complete(ApiErrors.error(StatusCodes.NOT_FOUND, "no key with id " + id, "id"));
            }
            return access.authorize(caller, endpoint, target.get().workspace(), () -> inner.apply(target.get()));
        });
    }

    private void audited(String action, AuthAudit.Caller caller, ApiKey target) {
        AuthAudit.await(audit.keyOperation(action, caller, target), action + " of key " + target.id());
    }

    private Route answer(Supplier<HttpResponse> work) {
        return dev.codexledger.http.Blocking.answer(blocking, work);
    }

    private Route jsonBody(java.util.function.Function<JsonNode, Route> inner) {
        return extractRequestEntity(entity -> bodies.strict(entity, MAX_BODY_BYTES, Duration.ofSeconds(10),
                (bytes, reservation) -> {
                    if (bytes.length == 0) {
                        return inner.apply(JSON.createObjectNode());
                    }
                    JsonNode tree;
                    try {
                        tree = JSON.readTree(bytes);
                    } catch (IOException e) {
                        throw new BadRequest("body", "malformed JSON body");
                    }
                    return inner.apply(tree);
                }));
    }

    /** A key as the API shows it: never its secret, nor the secret's hash. */
    record KeyView(String id, String name, String workspace, List<String> scopes,
                   @JsonProperty("created_at") String createdAt, @JsonProperty("created_by") String createdBy,
                   boolean active, @JsonProperty("expires_at") String expiresAt,
                   @JsonProperty("revoked_at") String revokedAt) {

        static KeyView of(ApiKey key) {
            return new KeyView(key.id(), key.name(), key.workspace(),
                    key.scopes().stream().map(Scope::wireName).sorted().toList(), key.createdAt().toString(),
                    key.createdBy(), key.isActive(java.time.Instant.now()),
                    key.expiresAt() == null ? null : key.expiresAt().toString(),
                    key.revokedAt() == null ? null : key.revokedAt().toString());
        }
    }

    record KeyList(List<KeyView> keys) {}

    /** A key just made: the one time its secret is shown. */
    record NewKeySecret(@JsonUnwrapped KeyView key, String secret) {}

    /** A rotated key: the new one with its secret, and the one it replaces (expiring after the grace period). */
    record RotatedKey(@JsonUnwrapped KeyView key, String secret, String replaces, KeyView previous) {}

    private static Duration graceOf(JsonNode body) {
        if (!body.isObject()) {
            throw new BadRequest("body", "expected a JSON object");
        }
        JsonNode grace = body.path("grace_seconds");
        if (grace.isMissingNode() || grace.isNull()) {
            return Duration.ZERO;
        }
        if (!grace.canConvertToLong() || !grace.isIntegralNumber() || grace.asLong() < 0
                || grace.asLong() > MAX_GRACE.toSeconds()) {
            throw new BadRequest("grace_seconds", "must be an integer from 0 to " + MAX_GRACE.toSeconds());
        }
        return Duration.ofSeconds(grace.asLong());
    }

    /** A validated create request. */
    record NewKey(String workspace, Set<Scope> scopes, String name) {

        static NewKey parse(JsonNode body) {
            if (!body.isObject()) {
                throw new BadRequest("body", "expected a JSON object with workspace, scopes and name");
            }
            JsonNode workspace = body.path("workspace");
            if (!workspace.isTextual()) {
                throw new BadRequest("workspace", "required: a workspace id, or \"*\" for an org-wide key");
            }
            String ws = workspace.textValue();
            if (!ApiKey.ALL_WORKSPACES.equals(ws) && !WorkspaceId.isValid(ws)) {
                throw new BadRequest("workspace", WorkspaceId.RULE + ", or \"*\" for an org-wide key");
            }
            JsonNode scopesNode = body.path("scopes");
            if (!scopesNode.isArray() || scopesNode.isEmpty()) {
                throw new BadRequest("scopes", "required: a non-empty array of " + Scope.allWireNames());
            }
            Set<Scope> scopes = EnumSet.noneOf(Scope.class);
            for (int i = 0; i < scopesNode.size(); i++) {
                JsonNode scope = scopesNode.get(i);
                Optional<Scope> parsed = scope.isTextual() ? Scope.fromWireName(scope.textValue()) : Optional.empty();
                if (parsed.isEmpty()) {
                    throw new BadRequest("scopes[" + i + "]", "unknown scope; one of " + Scope.allWireNames());
                }
                scopes.add(parsed.get());
            }
            JsonNode nameNode = body.path("name");
            String name = "";
            if (!nameNode.isMissingNode() && !nameNode.isNull()) {
                if (!nameNode.isTextual() || nameNode.textValue().length() > MAX_NAME_LENGTH
                        || nameNode.textValue().chars().anyMatch(Character::isISOControl)) {
                    throw new BadRequest("name", "must be a string of at most " + MAX_NAME_LENGTH
                            + " characters without control characters");
                }
                name = nameNode.textValue();
            }
            for (var fields = body.fieldNames(); fields.hasNext(); ) {
                String field = fields.next();
                if (!List.of("workspace", "scopes", "name").contains(field)) {
                    throw new BadRequest(field, "unknown field; a key has workspace, scopes and name");
                }
            }
            return new NewKey(ws, scopes, name);
        }
    }
}

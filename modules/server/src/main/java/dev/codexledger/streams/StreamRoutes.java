package dev.codexledger.streams;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.ApiKey;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.Blocking;
import dev.codexledger.http.RequestBodies;
import dev.codexledger.workspace.WorkspaceId;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Stream destinations over HTTP (admin scope): {@code POST /v1/admin/streams} creates one (201), {@code GET}
 * lists them with their status, {@code GET|DELETE /v1/admin/streams/{id}}, {@code POST …/{id}/pause} and
 * {@code …/resume}. A destination of one workspace needs an admin key of that workspace or an org-wide
 * one; an org-wide destination an org-wide key. Every change is an {@code AUTH_LOG} record; no answer ever
 * holds a secret.
 */
public final class StreamRoutes {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Streams streams;
    private final Access access;
    private final AuthAudit audit;
    private final RequestBodies bodies;
    private final Executor blocking;

    public StreamRoutes(Streams streams, Access access, AuthAudit audit, RequestBodies bodies, Executor blocking) {
        this.streams = streams;
        this.access = access;
        this.audit = audit;
        this.bodies = bodies;
        this.blocking = blocking;
    }

    public Route routes() {
        return pathPrefix("admin", () -> pathPrefix("streams", () -> concat(
                pathEnd(() -> concat(post(this::create), get(this::list))),
                pathPrefix(segment(), id -> concat(
                        pathEnd(() -> concat(
                                get(() -> withDestination(Endpoint.STREAM_GET, id, (d, key) ->
                                        answer(() -> ApiErrors.ok(streams.status(d))))),
                                delete(() -> withDestination(Endpoint.STREAM_DELETE, id, (d, key) ->
                                        access.caller(key, caller -> answer(() -> {
                                            if (!streams.delete(d.id())) {
                                                return notFound(id);
                                            }
                                            audited("stream.deleted", caller, d);
                                            return ApiErrors.ok(JSON.createObjectNode().put("id", d.id()).put("deleted", true));
                                        })))))),
                        path("pause", () -> post(() -> pause(id, true))),
                        path("resume", () -> post(() -> pause(id, false))))))));
    }

    private Route create() {
        return access.authenticate(Endpoint.STREAMS_CREATE, Optional.empty(), key ->
                bodies.jsonObject(64 * 1024, Duration.ofSeconds(10), body -> {
                    String scope = body.hasNonNull("workspace") && body.get("workspace").isTextual()
                            && WorkspaceId.isValid(body.get("workspace").asText())
                            ? body.get("workspace").asText() : ApiKey.ALL_WORKSPACES;
                    return access.authorize(key, Endpoint.STREAMS_CREATE, scope, () -> access.caller(key, caller ->
                            answer(() -> {
                                StreamDestination d = streams.create(body, "key:" + key.id());
                                audited("stream.created", caller, d);
                                return ApiErrors.json(StatusCodes.CREATED, streams.status(d));
                            })));
                }));
    }

    private Route list() {
        return org.apache.pekko.http.javadsl.server.Directives.parameterOptional("workspace", filter ->
                access.authenticate(Endpoint.STREAMS_LIST, filter, key -> {
                    if (filter.isPresent() && !WorkspaceId.isValid(filter.get())) {
                        throw new dev.codexledger.http.BadRequest("workspace", WorkspaceId.RULE);
                    }
                    String scope = filter.orElse(key.workspace());
                    return access.authorize(key, Endpoint.STREAMS_LIST, scope, () -> answer(() -> {
                        ArrayNode list = JSON.createArrayNode();
                        for (StreamDestination d : streams.list()) {
                            if (key.orgWide() || key.workspace().equals(d.workspace())) {
                                if (filter.isEmpty() || d.covers(filter.get())) {
                                    list.add(streams.status(d, filter));
                                }
                            } else if (d.workspace() == null) {
                                // an org-wide destination, as it concerns the caller's workspace only
                                list.add(streams.status(d, Optional.of(key.workspace())));
                            }
                        }
                        ObjectNode out = JSON.createObjectNode();
                        out.set("data", list);
                        return ApiErrors.ok(out);
                    }));
                }));
    }

    private Route pause(String id, boolean paused) {
        Endpoint endpoint = Endpoint.STREAM_PAUSE;
        return withDestination(endpoint, id, (d, key) -> access.caller(key, caller -> answer(() -> {
            Optional<StreamDestination> changed = streams.setPaused(d.id(), paused);
            if (changed.isEmpty()) {
                return notFound(id);
            }
            audited(paused ? "stream.paused" : "stream.resumed", caller, changed.get());
            return ApiErrors.ok(streams.status(changed.get()));
        })));
    }

    private Route withDestination(Endpoint endpoint, String id, java.util.function.BiFunction<StreamDestination, ApiKey, Route> inner) {
        return access.authenticate(endpoint, Optional.empty(), key -> {
            Optional<StreamDestination> d = streams.find(id);
            // the same answer whether it does not exist or belongs to another workspace
            if (d.isEmpty() || !(key.orgWide() || key.workspace().equals(d.get().workspace()))) {
                return org.apache.pekko.http.javadsl.server.Directives.complete(notFound(id));
            }
            String scope = d.get().workspace() == null ? ApiKey.ALL_WORKSPACES : d.get().workspace();
            if (!key.orgWide() && !key.workspace().equals(scope)) {
                return access.authorize(key, endpoint, key.workspace(), () ->
                        org.apache.pekko.http.javadsl.server.Directives.complete(notFound(id)));
            }
            return access.authorize(key, endpoint, scope, () -> inner.apply(d.get(), key));
        });
    }

    private static HttpResponse notFound(String id) {
        return ApiErrors.error(StatusCodes.NOT_FOUND, "no stream destination " + id, "id");
    }

    private void audited(String action, AuthAudit.Caller caller, StreamDestination d) {
        ObjectNode attributes = JSON.createObjectNode().put("destination", d.id()).put("destination_name", d.name())
                .put("destination_type", d.kind().wire());
        attributes.set("destination_settings", d.view());
        AuthAudit.await(audit.adminAction(d.workspace() == null ? WorkspaceId.ORG : d.workspace(), action, caller,
                attributes), action);
    }

    private Route answer(Supplier<HttpResponse> work) {
        return Blocking.answer(blocking, work);
    }
}

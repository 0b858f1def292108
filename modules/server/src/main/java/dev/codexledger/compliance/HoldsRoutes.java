package dev.codexledger.compliance;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.RequestBodies;
import dev.codexledger.records.InvalidRecords;
import dev.codexledger.records.RecordParser;
import dev.codexledger.records.Rfc3339;
import dev.codexledger.workspace.WorkspaceId;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Legal holds of a workspace: {@code POST /v1/compliance/workspaces/{ws}/holds} and
 * {@code DELETE …/holds/{id}} ({@code compliance.delete}: the scope that changes what is kept),
 * {@code GET …/holds} ({@code compliance.read}). Creating and releasing a hold are AUTH_LOG records.
 */
public final class HoldsRoutes {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final LegalHolds holds;
    private final Access access;
    private final AuthAudit audit;
    private final RequestBodies bodies;
    private final Executor blocking;

    public HoldsRoutes(LegalHolds holds, Access access, AuthAudit audit, RequestBodies bodies, Executor blocking) {
        this.holds = holds;
        this.access = access;
        this.audit = audit;
        this.bodies = bodies;
        this.blocking = blocking;
    }

    public Route routes() {
        return pathPrefix("compliance", () -> pathPrefix("workspaces", () -> pathPrefix(segment(), workspace ->
                pathPrefix("holds", () -> {
                    if (!WorkspaceId.isValid(workspace)) {
                        return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, WorkspaceId.RULE, "workspace"));
                    }
                    return concat(
                            pathEndOrSingleSlash(() -> concat(
                                    post(() -> access.allow(Endpoint.HOLDS_CREATE, workspace, key ->
                                            access.caller(key, caller -> create(workspace, caller)))),
                                    get(() -> access.allow(Endpoint.HOLDS_LIST, workspace, key -> answer(() -> {
                                        ObjectNode body = JSON.createObjectNode();
                                        ArrayNode list = body.putArray("holds");
                                        holds.list(workspace).forEach(h -> list.add(describe(h)));
                                        return ApiErrors.json(StatusCodes.OK, body);
                                    }))))),
                            pathPrefix(segment(), id -> pathEndOrSingleSlash(() -> delete(() ->
                                    access.allow(Endpoint.HOLDS_RELEASE, workspace, key ->
                                            access.caller(key, caller -> release(workspace, id, caller)))))));
                }))));
    }

    private Route create(String workspace, AuthAudit.Caller caller) {
        return extractRequestEntity(entity -> bodies.strict(entity, 64 * 1024, Duration.ofSeconds(10), (bytes, r) -> {
            LegalHolds.Hold spec;
            try {
                spec = parse(workspace, JSON.readTree(bytes));
            } catch (IOException e) {
                return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, "malformed JSON body", "body"));
            } catch (InvalidRecords bad) {
                return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, bad.getMessage(), bad.field()));
            }
            return answer(() -> {
                LegalHolds.Hold hold = holds.create(spec, "key:" + caller.keyId());
                audited(workspace, "legal_hold.created", caller, hold, hold.held());
                return ApiErrors.json(StatusCodes.CREATED, describe(hold));
            });
        }));
    }

    private Route release(String workspace, String id, AuthAudit.Caller caller) {
        return answer(() -> holds.release(workspace, id, "key:" + caller.keyId())
                .map(released -> {
                    audited(workspace, "legal_hold.released", caller, released.getKey(), released.getValue());
                    return ApiErrors.json(StatusCodes.OK, describe(released.getKey()).put("freed", released.getValue()));
                })
                .orElseGet(() -> ApiErrors.error(StatusCodes.NOT_FOUND, "no hold " + id + " in this workspace", "id")));
    }

    private void audited(String workspace, String action, AuthAudit.Caller caller, LegalHolds.Hold hold, long count) {
        ObjectNode attributes = describe(hold).put("records", count);
        AuthAudit.await(audit.adminAction(workspace, action, caller, attributes), action + " in " + workspace);
    }

    static ObjectNode describe(LegalHolds.Hold hold) {
        ObjectNode json = JSON.createObjectNode()
                .put("id", hold.id())
                .put("name", hold.name())
                .put("active", hold.active());
        hold.users().stream().sorted().forEach(json.putArray("custodians")::add);
        hold.eventTypes().stream().sorted().forEach(json.putArray("event_types")::add);
        json.put("conversation_id", hold.conversationId());
        json.put("from", hold.fromMicros() == null ? null : Instant.EPOCH.plus(hold.fromMicros(),
                java.time.temporal.ChronoUnit.MICROS).toString());
        json.put("to", hold.toMicros() == null ? null : Instant.EPOCH.plus(hold.toMicros(),
                java.time.temporal.ChronoUnit.MICROS).toString());
        json.put("created_at", hold.createdAt() == null ? null : hold.createdAt().toString());
        json.put("created_by", hold.createdBy());
        json.put("released_at", hold.releasedAt() == null ? null : hold.releasedAt().toString());
        json.put("released_by", hold.releasedBy());
        json.put("held_at_creation", hold.held());
        return json;
    }


    private static LegalHolds.Hold parse(String workspace, JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new InvalidRecords("body", "expected a JSON object");
        }
        for (var names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!Set.of("name", "custodians", "event_types", "conversation_id", "from", "to").contains(name)) {
                throw new InvalidRecords(name, "unknown field; a hold has name, custodians, event_types, conversation_id,"
                        + " from and to");
            }
        }
        JsonNode name = body.path("name");
        if (!name.isTextual() || name.textValue().isBlank() || name.textValue().length() > 200) {
            throw new InvalidRecords("name", "required: 1 to 200 characters");
        }
        Set<String> users = strings(body, "custodians");
        Set<String> types = strings(body, "event_types");
        for (String type : types) {
            if (!RecordParser.EVENT_TYPES.contains(type)) {
                throw new InvalidRecords("event_types", "one of " + new TreeSet<>(RecordParser.EVENT_TYPES));
            }
        }
        JsonNode conversation = body.path("conversation_id");
        if (!conversation.isMissingNode() && !conversation.isNull() && !conversation.isTextual()) {
            throw new InvalidRecords("conversation_id", "must be a string");
        }
        Long from = micros(body, "from");
        Long to = micros(body, "to");
        if (from != null && to != null && from >= to) {
            throw new InvalidRecords("to", "must be after from");
        }
        return new LegalHolds.Hold(workspace, null, name.textValue(), users, types,
                conversation.isTextual() ? conversation.textValue() : null, from, to, null, null, null, null, 0);
    }

    private static Set<String> strings(JsonNode body, String field) {
        JsonNode node = body.path(field);
        Set<String> values = new TreeSet<>();
        if (node.isMissingNode() || node.isNull()) {
            return values;
        }
        if (!node.isArray()) {
            throw new InvalidRecords(field, "must be an array of strings");
        }
        for (JsonNode value : node) {
            if (!value.isTextual() || value.textValue().isEmpty()) {
                throw new InvalidRecords(field, "must be an array of non-empty strings");
            }
            values.add(value.textValue());
        }
        return values;
    }

    private static Long micros(JsonNode body, String field) {
        JsonNode node = body.path(field);
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        return Rfc3339.micros(Rfc3339.parse(node.asText(), field));
    }

    private Route answer(Supplier<HttpResponse> work) {
        return dev.codexledger.http.Blocking.answer(blocking, work);
    }
}

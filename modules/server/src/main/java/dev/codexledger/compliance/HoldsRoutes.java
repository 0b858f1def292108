package dev.codexledger.compliance;

import static dev.codexledger.http.WorkspacePaths.workspace;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.RequestBodies;
import dev.codexledger.records.ContentFilter;
import dev.codexledger.http.BadRequest;
import dev.codexledger.records.RecordParser;
import dev.codexledger.records.Rfc3339;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
    private static final List<String> FIELDS = List.of("name", "custodians", "event_types", "from", "to", "model",
            "surface", "conversation_id", "tool_name", "decision", "q");

    /** Who finishes a job a stopped node left unfinished. */
    static final AuthAudit.Caller RESUMED = new AuthAudit.Caller("ledger", "ledger (job resumed at start)", null);

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
        return pathPrefix("compliance", () -> pathPrefix("workspaces", () -> workspace("holds", workspace ->
                    concat(
                            pathEndOrSingleSlash(() -> concat(
                                    post(() -> access.allow(Endpoint.HOLDS_CREATE, workspace, key ->
                                            access.caller(key, caller -> create(workspace, caller)))),
                                    get(() -> access.allow(Endpoint.HOLDS_LIST, workspace, key -> answer(() ->
                                            ApiErrors.ok(new HoldList(holds.list(workspace).stream()
                                                    .map(HoldView::of).toList()))))))),
                            pathPrefix(segment(), id -> pathEndOrSingleSlash(() -> delete(() ->
                                    access.allow(Endpoint.HOLDS_RELEASE, workspace, key ->
                                            access.caller(key, caller -> release(workspace, id, caller))))))))));
    }

    private Route create(String workspace, AuthAudit.Caller caller) {
        return bodies.jsonObject(64 * 1024, Duration.ofSeconds(10), body -> {
            LegalHolds.Hold spec = parse(workspace, body);
            return answer(() -> {
                LegalHolds.Hold hold = holds.create(spec, "key:" + caller.keyId(),
                        applied -> audited(workspace, "legal_hold.applied", caller, applied, applied.held()));
                audited(workspace, "legal_hold.created", caller, hold, 0);
                return ApiErrors.json(StatusCodes.CREATED, HoldView.of(hold));
            });
        });
    }

    /** Runs again the copy jobs a stopped node left unfinished; their end is audited as the ledger's. */
    public void resumePending() {
        holds.resumePending(applied -> audited(applied.workspace(), "legal_hold.applied", RESUMED, applied,
                applied.held()));
    }

    private Route release(String workspace, String id, AuthAudit.Caller caller) {
        return answer(() -> holds.release(workspace, id, "key:" + caller.keyId())
                .map(released -> {
                    audited(workspace, "legal_hold.released", caller, released.getKey(), released.getValue());
                    return ApiErrors.ok(new Released(HoldView.of(released.getKey()), released.getValue()));
                })
                .orElseGet(() -> ApiErrors.error(StatusCodes.NOT_FOUND, "no hold " + id + " in this workspace", "id")));
    }

    private void audited(String workspace, String action, AuthAudit.Caller caller, LegalHolds.Hold hold, long count) {
        ObjectNode attributes = JSON.<ObjectNode>valueToTree(HoldView.of(hold)).put("records", count);
        AuthAudit.await(audit.adminAction(workspace, action, caller, attributes), action + " in " + workspace);
    }

    /** A hold as the API shows it (and as its audit records describe it). */
    record HoldView(String id, String name, String state, boolean active, List<String> custodians,
                    @JsonProperty("event_types") List<String> eventTypes,
                    @JsonProperty("conversation_id") String conversationId, String model, String surface,
                    @JsonProperty("tool_name") String toolName, String decision, List<String> terms, String from,
                    String to, @JsonProperty("created_at") String createdAt, @JsonProperty("created_by") String createdBy,
                    @JsonProperty("released_at") String releasedAt, @JsonProperty("released_by") String releasedBy,
                    @JsonProperty("applied_at") String appliedAt,
                    @JsonProperty("held_at_creation") Long heldAtCreation) {

        static HoldView of(LegalHolds.Hold hold) {
            ContentFilter content = hold.content();
            return new HoldView(hold.id(), hold.name(), hold.state(), hold.active(),
                    hold.users().stream().sorted().toList(), hold.eventTypes().stream().sorted().toList(),
                    content.conversationId().orElse(null), content.model().orElse(null),
                    content.surface().orElse(null), content.toolName().orElse(null), content.decision().orElse(null),
                    List.copyOf(content.terms()), instant(hold.fromMicros()), instant(hold.toMicros()),
                    text(hold.createdAt()), hold.createdBy(), text(hold.releasedAt()), hold.releasedBy(),
                    text(hold.appliedAt()), hold.appliedAt() == null ? null : hold.held());
        }

        private static String instant(Long micros) {
            return micros == null ? null : Instant.EPOCH.plus(micros, java.time.temporal.ChronoUnit.MICROS).toString();
        }

        private static String text(Instant instant) {
            return instant == null ? null : instant.toString();
        }
    }

    record HoldList(List<HoldView> holds) {}

    /** A released hold and how many copies its release freed. */
    record Released(@JsonUnwrapped HoldView hold, long freed) {}

    private static LegalHolds.Hold parse(String workspace, JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new BadRequest("body", "expected a JSON object");
        }
        for (var names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new BadRequest(name, "unknown field; a hold has " + String.join(", ", FIELDS));
            }
        }
        JsonNode name = body.path("name");
        if (!name.isTextual() || name.textValue().isBlank() || name.textValue().length() > 200) {
            throw new BadRequest("name", "required: 1 to 200 characters");
        }
        Set<String> users = strings(body, "custodians");
        Set<String> types = strings(body, "event_types");
        for (String type : types) {
            if (!RecordParser.EVENT_TYPES.contains(type)) {
                throw new BadRequest("event_types", "one of " + new TreeSet<>(RecordParser.EVENT_TYPES));
            }
        }
        ContentFilter content = ContentFilter.of(text(body, "model"), text(body, "surface"),
                text(body, "conversation_id"), text(body, "tool_name"), text(body, "decision"), text(body, "q"));
        if (body.has("q") && content.terms().isEmpty()) {
            throw new BadRequest("q", "has no word or phrase");
        }
        Long from = micros(body, "from");
        Long to = micros(body, "to");
        if (from != null && to != null && from >= to) {
            throw new BadRequest("to", "must be after from");
        }
        return new LegalHolds.Hold(workspace, null, name.textValue(), users, types, content, from, to, null, null,
                null, null, null, 0);
    }

    private static String text(JsonNode body, String field) {
        JsonNode node = body.path(field);
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (!node.isTextual() || node.textValue().isEmpty() || node.textValue().length() > 1000) {
            throw new BadRequest(field, "must be a string of 1 to 1000 characters");
        }
        return node.textValue();
    }

    private static Set<String> strings(JsonNode body, String field) {
        JsonNode node = body.path(field);
        Set<String> values = new TreeSet<>();
        if (node.isMissingNode() || node.isNull()) {
            return values;
        }
        if (!node.isArray()) {
            throw new BadRequest(field, "must be an array of strings");
        }
        for (JsonNode value : node) {
            if (!value.isTextual() || value.textValue().isEmpty()) {
                throw new BadRequest(field, "must be an array of non-empty strings");
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

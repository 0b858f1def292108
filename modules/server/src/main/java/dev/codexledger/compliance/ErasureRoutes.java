package dev.codexledger.compliance;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.RequestBodies;
import dev.codexledger.workspace.Digest;
import dev.codexledger.workspace.WorkspaceId;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code POST /v1/compliance/workspaces/{ws}/erasures} ({@code compliance.delete}) with
 * {@code {"user_id": …}} or {@code {"conversation_id": …}}: erases the matching records (see
 * {@link Erasures}; records under a legal hold are kept and reported) and records the erasure as an {@code AUTH_LOG} record: who, by which criterion (its
 * value only as a SHA-256 digest), how many, which seqs.
 */
public final class ErasureRoutes {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_LISTED_SEQS = 1000;

    private final Erasures erasures;
    private final Access access;
    private final AuthAudit audit;
    private final RequestBodies bodies;
    private final Executor blocking;
    private final Clock clock;

    public ErasureRoutes(CqlSession session, String keyspace, dev.codexledger.records.RecordTable table, Access access,
                         AuthAudit audit, RequestBodies bodies, Executor blocking, Clock clock) {
        this.erasures = new Erasures(session, keyspace, table);
        this.access = access;
        this.audit = audit;
        this.bodies = bodies;
        this.blocking = blocking;
        this.clock = clock;
    }

    public Route routes() {
        return pathPrefix("compliance", () -> pathPrefix("workspaces", () -> pathPrefix(segment(), workspace ->
                path("erasures", () -> post(() -> {
                    if (!WorkspaceId.isValid(workspace)) {
                        return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, WorkspaceId.RULE, "workspace"));
                    }
                    return access.allow(Endpoint.ERASURE, workspace, key -> access.caller(key, caller ->
                            extractRequestEntity(entity -> bodies.strict(entity, 4096, Duration.ofSeconds(10),
                                    (bytes, reservation) -> erase(workspace, bytes, caller)))));
                })))));
    }

    private Route erase(String workspace, byte[] body, AuthAudit.Caller caller) {
        Erasures.Criteria criteria;
        try {
            criteria = criteriaOf(JSON.readTree(body));
        } catch (IOException e) {
            return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, "malformed JSON body", "body"));
        } catch (IllegalArgumentException bad) {
            return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, bad.getMessage(), "body"));
        }
        return onComplete(CompletableFuture.supplyAsync(() -> {
            Erasures.Result result = erasures.erase(workspace, criteria, clock.instant());
            ObjectNode attributes = JSON.createObjectNode()
                    .put("criterion", criteria.field())
                    .put("criterion_sha256", Digest.sha256(criteria.value()).hex())
                    .put("erased", result.erased().size())
                    .put("held", result.held().size());
            attributes.putArray("erased_seqs").addAll(result.erased().stream().limit(MAX_LISTED_SEQS)
                    .map(seq -> JSON.getNodeFactory().numberNode(seq)).toList());
            AuthAudit.await(audit.adminAction(workspace, "records.erased", caller, attributes), "erasure in " + workspace);
            ObjectNode answer = JSON.createObjectNode()
                    .put("workspace", workspace)
                    .put("criterion", criteria.field())
                    .put("erased", result.erased().size())
                    .put("held", result.held().size());
            answer.set("held_seqs", JSON.valueToTree(result.held().stream().limit(MAX_LISTED_SEQS).toList()));
            answer.set("erased_seqs", attributes.get("erased_seqs").deepCopy());
            return answer;
        }, blocking), result -> complete(result.isSuccess() ? ApiErrors.json(StatusCodes.OK, result.get())
                : ApiErrors.fromFailure(result.failed().get())));
    }

    private static Erasures.Criteria criteriaOf(JsonNode body) {
        if (body == null || !body.isObject() || body.size() != 1) {
            throw new IllegalArgumentException("send exactly one of {\"user_id\": …} or {\"conversation_id\": …}");
        }
        String field = body.fieldNames().next();
        JsonNode value = body.get(field);
        if (!List.of("user_id", "conversation_id").contains(field) || !value.isTextual() || value.textValue().isEmpty()) {
            throw new IllegalArgumentException("send exactly one of {\"user_id\": …} or {\"conversation_id\": …},"
                    + " a non-empty string");
        }
        return new Erasures.Criteria(field, value.textValue());
    }
}

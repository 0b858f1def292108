package dev.codexledger.compliance;

import static dev.codexledger.http.WorkspacePaths.workspace;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.AuthAudit;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.RequestBodies;
import dev.codexledger.http.BadRequest;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Erasure jobs of a workspace. {@code POST /v1/compliance/workspaces/{ws}/erasures}
 * ({@code compliance.delete}) with {@code {"user_id": …}} or {@code {"conversation_id": …}} answers
 * {@code 202} with the job; the erasure runs in the background (see {@link ErasureJobs}, {@link Erasures}:
 * records under a legal hold are kept and reported). {@code GET …/erasures} and {@code GET …/erasures/{id}}
 * ({@code compliance.delete} too: whoever may erase follows the jobs) show the jobs: state {@code running|done|failed}, how many records were erased
 * and held. A finished erasure is recorded as an {@code AUTH_LOG} record: who, by which criterion (its
 * value only as a SHA-256 digest), how many, which seqs.
 */
public final class ErasureRoutes {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ErasureJobs jobs;
    private final Access access;
    private final AuthAudit audit;
    private final RequestBodies bodies;
    private final Executor blocking;

    public ErasureRoutes(CqlSession session, String keyspace, dev.codexledger.records.RecordStore store, HeldCopies held,
                         dev.codexledger.workspace.WorkspaceLedgers ledgers, Access access, AuthAudit audit,
                         RequestBodies bodies, Executor blocking, Clock clock, dev.codexledger.storage.JobLeases leases,
                         dev.codexledger.metrics.LedgerMetrics metrics) {
        this.jobs = new ErasureJobs(session, keyspace, new Erasures(session, keyspace, store, held), ledgers, blocking,
                clock, leases, metrics);
        this.access = access;
        this.audit = audit;
        this.bodies = bodies;
        this.blocking = blocking;
    }

    public Route routes() {
        return pathPrefix("compliance", () -> pathPrefix("workspaces", () -> workspace("erasures", workspace ->
                    concat(
                            pathEndOrSingleSlash(() -> concat(
                                    post(() -> access.allow(Endpoint.ERASURE, workspace, key -> access.caller(key,
                                            caller -> extractRequestEntity(entity -> bodies.strict(entity, 4096,
                                                    Duration.ofSeconds(10),
                                                    (bytes, reservation) -> erase(workspace, bytes, caller)))))),
                                    get(() -> access.allow(Endpoint.ERASURES_LIST, workspace, key -> answer(() ->
                                            ApiErrors.ok(new ErasureList(jobs.list(workspace).stream()
                                                    .map(ErasureView::of).toList()))))))),
                            path(segment(), id -> get(() -> access.allow(Endpoint.ERASURE_STATUS, workspace, key ->
                                    answer(() -> jobs.find(workspace, id)
                                            .map(job -> ApiErrors.ok(ErasureView.of(job)))
                                            .orElseGet(() -> ApiErrors.error(StatusCodes.NOT_FOUND,
                                                    "no erasure " + id + " in this workspace", "id"))))))))));
    }

    /** Runs again the erasures a stopped node left running; their end is audited as the ledger's. */
    public void resumePending() {
        jobs.resumePending(HoldsRoutes.RESUMED, this::audited);
    }

    private Route erase(String workspace, byte[] body, AuthAudit.Caller caller) {
        Erasures.Criteria criteria = criteriaOf(tree(body));
        return answer(() -> ApiErrors.json(StatusCodes.ACCEPTED,
                ErasureView.of(jobs.start(workspace, criteria, caller, this::audited))));
    }

    private void audited(ErasureJobs.Job job, AuthAudit.Caller caller) {
        ObjectNode attributes = JSON.createObjectNode()
                .put("erasure_id", job.id())
                .put("criterion", job.criterion())
                .put("criterion_sha256", job.criterionSha256())
                .put("erased", job.erased())
                .put("held", job.held());
        attributes.set("erased_seqs", JSON.valueToTree(job.erasedSeqs()));
        AuthAudit.await(audit.adminAction(job.workspace(), "records.erased", caller, attributes),
                "erasure in " + job.workspace());
    }

    /** An erasure job as the API shows it; {@code error} only when it failed. */
    record ErasureView(String id, String workspace, String state, String criterion,
                       @JsonProperty("criterion_sha256") String criterionSha256,
                       @JsonProperty("requested_by") String requestedBy,
                       @JsonProperty("requested_by_name") String requestedByName,
                       @JsonProperty("requested_at") String requestedAt, @JsonProperty("finished_at") String finishedAt,
                       long erased, long held, @JsonProperty("erased_seqs") List<Long> erasedSeqs,
                       @JsonProperty("held_seqs") List<Long> heldSeqs,
                       @JsonInclude(JsonInclude.Include.NON_NULL) String error) {

        static ErasureView of(ErasureJobs.Job job) {
            return new ErasureView(job.id(), job.workspace(), job.state(), job.criterion(), job.criterionSha256(),
                    job.requestedBy(), job.requestedByName(), job.requestedAt().toString(),
                    job.finishedAt() == null ? null : job.finishedAt().toString(), job.erased(), job.held(),
                    job.erasedSeqs(), job.heldSeqs(), job.error());
        }
    }

    record ErasureList(List<ErasureView> erasures) {}

    private Route answer(Supplier<HttpResponse> work) {
        return dev.codexledger.http.Blocking.answer(blocking, work);
    }

    private static JsonNode tree(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new BadRequest("body", "malformed JSON body");
        }
    }

    private static Erasures.Criteria criteriaOf(JsonNode body) {
        if (body == null || !body.isObject() || body.size() != 1) {
            throw new BadRequest("body", "send exactly one of {\"user_id\": …} or {\"conversation_id\": …}");
        }
        String field = body.fieldNames().next();
        JsonNode value = body.get(field);
        if (!List.of("user_id", "conversation_id").contains(field) || !value.isTextual() || value.textValue().isEmpty()) {
            throw new BadRequest("body", "send exactly one of {\"user_id\": …} or {\"conversation_id\": …},"
                    + " a non-empty string");
        }
        return new Erasures.Criteria(field, value.textValue());
    }
}

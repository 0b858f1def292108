package dev.codexledger.records;

import static dev.codexledger.http.WorkspacePaths.workspace;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.put;

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
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET|PUT /v1/admin/workspaces/{ws}/retention} ({@code admin} scope): a workspace's retention.
 * A change applies to records accepted from then on and is itself an {@code AUTH_LOG} record.
 */
public final class RetentionRoutes {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String APPLIES = "records accepted from now on; records already stored keep the retention they were written with";

    private final Retention retention;
    private final Access access;
    private final AuthAudit audit;
    private final RequestBodies bodies;
    private final Executor blocking;

    public RetentionRoutes(Retention retention, Access access, AuthAudit audit, RequestBodies bodies, Executor blocking) {
        this.retention = retention;
        this.access = access;
        this.audit = audit;
        this.bodies = bodies;
        this.blocking = blocking;
    }

    public Route routes() {
        return pathPrefix("admin", () -> pathPrefix("workspaces", () -> workspace("retention", workspace ->
                    pathEnd(() -> concat(
                            get(() -> access.allow(Endpoint.RETENTION_GET, workspace, key ->
                                    answer(() -> ApiErrors.ok(RetentionView.of(retention.get(workspace)))))),
                            put(() -> access.allow(Endpoint.RETENTION_SET, workspace, key ->
                                    access.caller(key, caller -> change(workspace, caller)))))))));
    }

    private Route change(String workspace, AuthAudit.Caller caller) {
        return extractRequestEntity(entity -> bodies.strict(entity, 4096, Duration.ofSeconds(10), (bytes, r) -> {
            Duration ttl = ttlOf(tree(bytes));
            return answer(() -> {
                Retention.Setting before = retention.get(workspace);
                Retention.Setting after;
                try {
                    after = retention.set(workspace, ttl, "key:" + caller.keyId());
                } catch (Retention.OutOfBounds bad) {
                    throw new BadRequest("ttl_seconds", bad.getMessage());
                }
                ObjectNode attributes = JSON.createObjectNode()
                        .put("previous_ttl_seconds", before.ttl().toSeconds())
                        .put("ttl_seconds", after.ttl().toSeconds())
                        .put("applies_to", APPLIES);
                AuthAudit.await(audit.adminAction(workspace, "retention.changed", caller, attributes),
                        "retention change of " + workspace);
                return ApiErrors.ok(RetentionView.of(after));
            });
        }));
    }

    private static JsonNode tree(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new BadRequest("body", "malformed JSON body");
        }
    }

    private Duration ttlOf(JsonNode body) {
        JsonNode seconds = body == null ? null : body.get("ttl_seconds");
        if (seconds == null || !seconds.isIntegralNumber() || !seconds.canConvertToLong()) {
            throw new BadRequest("ttl_seconds", "required: ttl_seconds, an integer from " + retention.min().toSeconds()
                    + " to " + retention.max().toSeconds());
        }
        return Duration.ofSeconds(seconds.asLong());
    }

    /** A workspace's retention as the API shows it: its own (source "workspace") or the default. */
    record RetentionView(String workspace, @JsonProperty("ttl_seconds") long ttlSeconds, String source,
                         @JsonProperty("applies_to") String appliesTo, @JsonProperty("updated_at") String updatedAt,
                         @JsonProperty("updated_by") String updatedBy) {

        static RetentionView of(Retention.Setting setting) {
            return new RetentionView(setting.workspace(), setting.ttl().toSeconds(),
                    setting.explicit() ? "workspace" : "default", APPLIES,
                    setting.updatedAt() == null ? null : setting.updatedAt().toString(), setting.updatedBy());
        }
    }

    private Route answer(Supplier<HttpResponse> work) {
        return dev.codexledger.http.Blocking.answer(blocking, work);
    }
}

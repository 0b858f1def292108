package dev.codexledger.compliance;

import static dev.codexledger.http.WorkspacePaths.readableWorkspace;
import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.encodeResponse;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.typesafe.config.Config;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.BadRequest;
import dev.codexledger.records.RecordParser;
import dev.codexledger.records.Rfc3339;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The OpenAI-Compliance-API-compatible log files ({@code compliance.read}):
 * {@code GET /v1/compliance/workspaces/{ws}/logs?event_type&after&limit} lists the closed files of one
 * event type, oldest first; the client passes {@code last_end_time} back as {@code after}.
 * {@code GET /v1/compliance/workspaces/{ws}/logs/{id}} streams a file as JSON lines (gzip on request).
 */
public final class ComplianceRoutes {

    /** A closed log file, as the Compliance API lists it. */
    record FileAnswer(String object, String id, @JsonProperty("workspace_id") String workspaceId,
                      @JsonProperty("event_type") String eventType, @JsonProperty("start_time") String startTime,
                      @JsonProperty("end_time") String endTime, @JsonProperty("record_count") long recordCount) {

        static FileAnswer of(String workspace, LogFile file) {
            return new FileAnswer("compliance.log_file", file.id(), workspace, file.eventType(),
                    file.start().toString(), file.end().toString(), file.records());
        }
    }

    /** A page of files; {@code last_end_time} is where the next page starts ({@code after}), null when empty. */
    record Files(List<FileAnswer> data, @JsonProperty("has_more") boolean hasMore,
                 @JsonProperty("last_end_time") String lastEndTime) {}

    private final LogFiles files;
    private final Access access;
    private final Executor blocking;
    private final Clock clock;
    private final int defaultLimit;
    private final int maxLimit;

    public ComplianceRoutes(CqlSession session, String keyspace, Config config, Access access, Executor blocking,
                            Clock clock) {
        Config block = config.getConfig("ledger.compliance");
        this.files = new LogFiles(session, keyspace, block.getDuration("file-window"), block.getDuration("settle"));
        this.access = access;
        this.blocking = blocking;
        this.clock = clock;
        this.defaultLimit = block.getInt("default-list-limit");
        this.maxLimit = block.getInt("max-list-limit");
    }

    public Route routes() {
        return pathPrefix("compliance", () -> pathPrefix("workspaces", () -> readableWorkspace("logs", workspace ->
                get(() -> concat(
                        pathEndOrSingleSlash(() -> access.allow(Endpoint.COMPLIANCE_LOGS_LIST, workspace,
                                key -> parameterMap(params -> list(workspace, params)))),
                        pathPrefix(segment(), id -> pathEndOrSingleSlash(() -> access.allow(
                                Endpoint.COMPLIANCE_LOG_DOWNLOAD, workspace, key -> download(workspace, id)))))))));
    }

    private Route list(String workspace, Map<String, String> params) {
        String eventType = params.get("event_type");
        if (eventType == null || !RecordParser.EVENT_TYPES.contains(eventType)) {
            throw new BadRequest("event_type", "required: one of " + RecordParser.EVENT_TYPES.stream().sorted().toList());
        }
        Instant after = Instant.EPOCH;
        if (params.containsKey("after")) {
            after = Rfc3339.parse(params.get("after"), "after");
        }
        int limit = defaultLimit;
        if (params.containsKey("limit")) {
            try {
                limit = Integer.parseInt(params.get("limit"));
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > maxLimit) {
                throw new BadRequest("limit", "an integer from 1 to " + maxLimit);
            }
        }
        Instant from = after;
        int pageSize = limit;
        return onSuccess(CompletableFuture.supplyAsync(
                () -> files.list(workspace, eventType, from, pageSize + 1, clock.instant()), blocking), found -> {
                    boolean hasMore = found.size() > pageSize;
                    List<LogFile> page = hasMore ? found.subList(0, pageSize) : found;
                    return complete(ApiErrors.ok(new Files(page.stream().map(file -> FileAnswer.of(workspace, file))
                            .toList(), hasMore, page.isEmpty() ? null : page.get(page.size() - 1).end().toString())));
                });
    }

    private Route download(String workspace, String id) {
        Optional<LogFile.Key> key = LogFile.parse(id);
        if (key.isEmpty()) {
            return complete(ApiErrors.error(StatusCodes.NOT_FOUND, "no log file " + id, "id"));
        }
        return onSuccess(CompletableFuture.supplyAsync(() -> files.find(workspace, key.get(), clock.instant()),
                blocking), found -> {
                    if (found.isEmpty()) {
                        return complete(ApiErrors.error(StatusCodes.NOT_FOUND, "no log file " + id
                                + " (unknown, expired, or its window is not closed yet)", "id"));
                    }
                    HttpResponse response = HttpResponse.create().withEntity(HttpEntities.create(
                            MediaTypes.applicationWithFixedCharset("x-ndjson", HttpCharsets.UTF_8).toContentType(),
                            files.stream(workspace, found.get())));
                    return encodeResponse(() -> complete(response));
                });
    }
}

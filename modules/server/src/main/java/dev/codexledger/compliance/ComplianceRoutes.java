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
import dev.codexledger.tlog.Checkpoints;

/**
 * The OpenAI-Compliance-API-compatible log files ({@code compliance.read}):
 * {@code GET /v1/compliance/workspaces/{ws}/logs?event_type&after&limit} lists the closed files of one
 * event type, oldest first; the client passes {@code last_end_time} back as {@code after}.
 * {@code GET /v1/compliance/workspaces/{ws}/logs/{id}} streams a file as JSON lines (gzip on request).
 */
public final class ComplianceRoutes {

    /**
     * A closed log file, as the Compliance API lists it; beyond OpenAI's fields, like CloudTrail's digest files:
     * the seqs it holds and the signed checkpoint of the workspace's log that covers them (null until one is
     * signed, within {@code ledger.checkpoints.interval} of its last record).
     */
    record FileAnswer(String object, String id, @JsonProperty("workspace_id") String workspaceId,
                      @JsonProperty("event_type") String eventType, @JsonProperty("start_time") String startTime,
                      @JsonProperty("end_time") String endTime, @JsonProperty("record_count") long recordCount,
                      @JsonProperty("first_seq") long firstSeq, @JsonProperty("last_seq") long lastSeq,
                      String checkpoint) {

        static FileAnswer of(String workspace, LogFile file, String checkpoint) {
            return new FileAnswer("compliance.log_file", file.id(), workspace, file.eventType(),
                    file.start().toString(), file.end().toString(), file.records(), file.firstSeq(), file.lastSeq(),
                    checkpoint);
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

    private final Checkpoints checkpoints;

    public ComplianceRoutes(CqlSession session, String keyspace, Config config, Checkpoints checkpoints, Access access,
                            Executor blocking, Clock clock) {
        this.checkpoints = checkpoints;
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
                () -> files.list(workspace, eventType, from, pageSize + 1, clock.instant()), blocking)
                .thenCompose(found -> withCheckpoints(workspace, found.size() > pageSize ? found.subList(0, pageSize) : found)
                        .thenApply(answers -> new Files(answers, found.size() > pageSize,
                                answers.isEmpty() ? null : answers.get(answers.size() - 1).endTime()))),
                page -> complete(ApiErrors.ok(page)));
    }

    private CompletableFuture<List<FileAnswer>> withCheckpoints(String workspace, List<LogFile> page) {
        List<CompletableFuture<FileAnswer>> answers = page.stream().map(file -> checkpoints
                .covering(workspace, file.lastSeq()).toCompletableFuture()
                .thenApply(covering -> FileAnswer.of(workspace, file,
                        covering.map(Checkpoints.Stored::note).orElse(null)))).toList();
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .thenApply(done -> answers.stream().map(CompletableFuture::join).toList());
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

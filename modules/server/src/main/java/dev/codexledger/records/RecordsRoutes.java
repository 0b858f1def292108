package dev.codexledger.records;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.RequestBodies;
import dev.codexledger.workspace.NewRecord;
import dev.codexledger.workspace.WorkspaceId;
import dev.codexledger.workspace.WorkspaceLedger;
import dev.codexledger.workspace.WorkspaceLedgers;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code POST /v1/workspaces/{ws}/records} (JSON array or NDJSON) and
 * {@code GET /v1/workspaces/{ws}/records?from&to&user&event_type&limit&cursor}.
 */
public final class RecordsRoutes {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final WorkspaceLedgers ledgers;
    private final RecordSearch table;
    private final RecordParser parser;
    private final RecordsSettings settings;
    private final Executor blockingReads;
    private final Access access;
    private final RequestBodies bodies;

    public RecordsRoutes(WorkspaceLedgers ledgers, RecordSearch table, RecordsSettings settings,
                         Executor blockingReads, Access access, RequestBodies bodies) {
        this.ledgers = ledgers;
        this.bodies = bodies;
        this.access = access;
        this.table = table;
        this.settings = settings;
        this.blockingReads = blockingReads;
        this.parser = new RecordParser(settings.maxRecordsPerRequest(), settings.maxJsonDepth(),
                settings.maxStringLength());
    }

    public Route routes() {
        return pathPrefix("workspaces", () -> pathPrefix(segment(), workspace -> concat(
                path("records", () -> withWorkspace(workspace, () -> concat(
                        post(() -> access.allow(Endpoint.RECORDS_APPEND, workspace, key -> append(workspace))),
                        get(() -> access.allow(Endpoint.RECORDS_LIST, workspace, key -> list(workspace)))))),
                path(org.apache.pekko.http.javadsl.server.PathMatchers.segment("records").slash("export"),
                        () -> withWorkspace(workspace, () -> get(() -> access.allow(Endpoint.RECORDS_EXPORT,
                                workspace, key -> export(workspace))))))));
    }

    private Route withWorkspace(String workspace, java.util.function.Supplier<Route> inner) {
        if (!WorkspaceId.isReadable(workspace)) {
            return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, WorkspaceId.RULE, "workspace"));
        }
        return inner.get();
    }

    // ---------------------------------------------------------------- POST

    private Route append(String workspace) {
        if (WorkspaceId.ORG.equals(workspace)) {
            return complete(ApiErrors.error(StatusCodes.FORBIDDEN, "workspace " + WorkspaceId.ORG
                    + " is written by the ledger only", "workspace"));
        }
        return extractRequest(request -> {
            var entity = request.entity();
            Optional<Function<byte[], List<NewRecord>>> decoder = decoderFor(entity.getContentType().mediaType());
            if (decoder.isEmpty()) {
                return complete(ApiErrors.error(StatusCodes.UNSUPPORTED_MEDIA_TYPE,
                        "unsupported content type " + entity.getContentType()
                                + "; send application/json (an array of records) or application/x-ndjson",
                        "Content-Type"));
            }
            return bodies.decoded(request, settings.maxBodyBytes(), settings.maxDecompressedBytes(),
                    settings.bodyReadTimeout(), (body, reservation) -> decodeAndAppend(workspace, decoder.get(), body));
        });
    }

    private Route decodeAndAppend(String workspace, Function<byte[], List<NewRecord>> decoder, byte[] body) {
        List<NewRecord> records;
        try {
            records = decoder.apply(body);
        } catch (InvalidRecords invalid) {
            return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, invalid.getMessage(), invalid.field()));
        }
        java.util.OptionalLong oversized = settings.oversizedBatch(records);
        if (oversized.isPresent()) {
            return complete(ApiErrors.batchTooLarge(oversized.getAsLong(), settings.maxBatchContentBytes()));
        }
        return onComplete(ledgers.append(workspace, records), result -> complete(
                result.isSuccess() ? toResponse(result.get()) : ApiErrors.fromFailure(result.failed().get())));
    }

    private Optional<Function<byte[], List<NewRecord>>> decoderFor(MediaType mediaType) {
        String type = mediaType.mainType() + "/" + mediaType.subType();
        return switch (type) {
            case "application/json" -> Optional.of(parser::parseJson);
            case "application/x-ndjson", "application/jsonl", "application/json-seq" ->
                    Optional.of(parser::parseNdjson);
            default -> Optional.empty();
        };
    }

    private static HttpResponse toResponse(WorkspaceLedger.AppendResult result) {
        if (result instanceof WorkspaceLedger.Accepted accepted) {
            ObjectNode body = JSON.createObjectNode()
                    .put("accepted", accepted.accepted())
                    .put("duplicates", accepted.duplicates());
            if (accepted.accepted() > 0) {
                body.put("first_seq", accepted.firstSeq()).put("last_seq", accepted.lastSeq());
            } else {
                body.putNull("first_seq").putNull("last_seq");
            }
            return ApiErrors.json(StatusCodes.OK, body);
        }
        if (result instanceof WorkspaceLedger.Conflict conflict) {
            return ApiErrors.json(StatusCodes.CONFLICT, JSON.createObjectNode()
                    .put("error", "event_id " + conflict.eventId() + " is already stored with different content")
                    .put("field", "records[" + conflict.index() + "].event_id")
                    .put("event_id", conflict.eventId()));
        }
        return ApiErrors.unavailable(((WorkspaceLedger.Unavailable) result).reason());
    }

    // ---------------------------------------------------------------- GET

    private Route list(String workspace) {
        return pathEndOrSingleSlash(() -> parameterMap(params -> {
            RecordQuery query;
            try {
                query = RecordQueries.parse(workspace, params, settings);
            } catch (InvalidRecords invalid) {
                return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, invalid.getMessage(), invalid.field()));
            }
            return onComplete(CompletableFuture.supplyAsync(() -> table.read(query), blockingReads), page -> complete(
                    page.isSuccess() ? toResponse(page.get()) : ApiErrors.fromFailure(page.failed().get())));
        }));
    }

    /**
     * {@code GET /v1/workspaces/{ws}/records/export?<the same filters>}: every matching record as JSON
     * lines, read page by page (memory flat however many match); gzip on request.
     */
    private Route export(String workspace) {
        return parameterMap(params -> {
            java.util.Map<String, String> filters = new java.util.HashMap<>(params);
            filters.remove("limit");
            filters.remove("cursor");
            RecordQuery first;
            try {
                first = RecordQueries.parse(workspace, filters, settings);
            } catch (InvalidRecords invalid) {
                return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, invalid.getMessage(), invalid.field()));
            }
            RecordQuery query = new RecordQuery(first.workspace(), first.fromMicros(), first.toMicros(), first.users(),
                    first.eventTypes(), first.content(), settings.maxPageSize(), first.cursor(), first.scanBudget());
            org.apache.pekko.stream.javadsl.Source<org.apache.pekko.util.ByteString, org.apache.pekko.NotUsed> lines =
                    org.apache.pekko.stream.javadsl.Source.unfoldAsync(Optional.of(query.cursor()), cursor -> {
                        if (cursor.isEmpty()) {
                            return CompletableFuture.completedFuture(Optional.empty());
                        }
                        return CompletableFuture.supplyAsync(() -> table.read(query.from(cursor.get())), blockingReads)
                                .thenApply(page -> {
                                    StringBuilder chunk = new StringBuilder();
                                    page.records().forEach(r -> chunk.append(r.toJson()).append('\n'));
                                    return Optional.of(org.apache.pekko.japi.Pair.create(
                                            Optional.ofNullable(page.next()),
                                            org.apache.pekko.util.ByteString.fromString(chunk.toString())));
                                });
                    });
            return org.apache.pekko.http.javadsl.server.Directives.encodeResponse(() -> complete(HttpResponse.create()
                    .withEntity(org.apache.pekko.http.javadsl.model.HttpEntities.create(
                            org.apache.pekko.http.javadsl.model.MediaTypes.applicationWithFixedCharset("x-ndjson",
                                    org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8).toContentType(),
                            lines.filter(bytes -> !bytes.isEmpty())))));
        });
    }

    private static HttpResponse toResponse(RecordPage page) {
        StringBuilder body = new StringBuilder(256 + page.records().size() * 512).append("{\"records\":[");
        for (int i = 0; i < page.records().size(); i++) {
            if (i > 0) {
                body.append(',');
            }
            body.append(page.records().get(i).toJson());
        }
        body.append("],\"next_cursor\":");
        body.append(page.next() == null ? "null" : "\"" + page.next().encode() + "\"");
        body.append('}');
        return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, body.toString());
    }

}

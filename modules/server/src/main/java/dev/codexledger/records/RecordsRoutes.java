package dev.codexledger.records;

import static dev.codexledger.http.WorkspacePaths.readableWorkspace;
import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;


import com.fasterxml.jackson.annotation.JsonProperty;
import dev.codexledger.auth.Access;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.RequestBodies;
import dev.codexledger.workspace.NewRecord;
import dev.codexledger.workspace.Appended;
import dev.codexledger.workspace.WorkspaceId;
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

    private final WorkspaceLedgers ledgers;
    private final RecordSearch table;
    private final RecordParser parser;
    private final RecordsSettings settings;
    private final Executor blockingReads;
    private final Access access;
    private final RequestBodies bodies;
    private final dev.codexledger.metrics.LedgerMetrics metrics;

    public RecordsRoutes(WorkspaceLedgers ledgers, RecordSearch table, RecordsSettings settings,
                         Executor blockingReads, Access access, RequestBodies bodies,
                         dev.codexledger.metrics.LedgerMetrics metrics) {
        this.metrics = metrics;
        this.ledgers = ledgers;
        this.bodies = bodies;
        this.access = access;
        this.table = table;
        this.settings = settings;
        this.blockingReads = blockingReads;
        this.parser = new RecordParser(settings.maxRecordsPerRequest(), settings.maxJsonDepth(),
                settings.maxStringLength());
    }

    /** The body of a 200 to an append ({@code first_seq}/{@code last_seq} null when nothing was new). */
    record Stored(int accepted, int duplicates, @JsonProperty("first_seq") Long firstSeq,
                  @JsonProperty("last_seq") Long lastSeq) {

        static Stored of(Appended.Stored stored) {
            boolean any = stored.accepted() > 0;
            return new Stored(stored.accepted(), stored.duplicates(), any ? stored.firstSeq() : null,
                    any ? stored.lastSeq() : null);
        }
    }

    /** The body of a 409: the id, and where in the batch the record with other content is. */
    record Conflicting(String error, String field, @JsonProperty("event_id") String eventId) {}

    public Route routes() {
        return pathPrefix("workspaces", () -> readableWorkspace("records", workspace -> concat(
                pathEnd(() -> concat(
                        post(() -> access.allow(Endpoint.RECORDS_APPEND, workspace, key -> append(workspace))),
                        get(() -> access.allow(Endpoint.RECORDS_LIST, workspace, key -> list(workspace))))),
                path("export", () -> get(() -> access.allow(Endpoint.RECORDS_EXPORT, workspace,
                        key -> export(workspace)))))));
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
            var refusal = ledgers.gate().refusesBeforeReading(workspace);
            if (refusal != null) {
                return bodies.refuse(request, settings.maxBodyBytes(), new dev.codexledger.workspace.LedgerOverloaded(refusal));
            }
            return bodies.decoded(request, settings.maxBodyBytes(), settings.maxDecompressedBytes(),
                    settings.bodyReadTimeout(), (body, reservation) -> decodeAndAppend(workspace, decoder.get(), body));
        });
    }

    private Route decodeAndAppend(String workspace, Function<byte[], List<NewRecord>> decoder, byte[] body) {
        List<NewRecord> records = decoder.apply(body);
        java.util.OptionalLong oversized = settings.oversizedBatch(records);
        if (oversized.isPresent()) {
            return complete(ApiErrors.batchTooLarge(oversized.getAsLong(), settings.maxBatchContentBytes()));
        }
        return onSuccess(ledgers.append(workspace, records), appended -> {
            if (appended instanceof Appended.Stored stored) {
                metrics.recordsStored("records", stored.accepted(), stored.duplicates());
            }
            return complete(toResponse(appended));
        });
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

    private static HttpResponse toResponse(Appended appended) {
        if (appended instanceof Appended.Stored stored) {
            return ApiErrors.ok(Stored.of(stored));
        }
        Appended.Conflict conflict = (Appended.Conflict) appended;
        return ApiErrors.json(StatusCodes.CONFLICT, new Conflicting(
                "event_id " + conflict.eventId() + " is already stored with different content",
                "records[" + conflict.index() + "].event_id", conflict.eventId()));
    }

    // ---------------------------------------------------------------- GET

    private Route list(String workspace) {
        return parameterMap(params -> {
            RecordQuery query = RecordQueries.parse(workspace, params, settings);
            return onSuccess(CompletableFuture.supplyAsync(() -> table.read(query), blockingReads),
                    page -> complete(toResponse(page)));
        });
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
            RecordQuery first = RecordQueries.parse(workspace, filters, settings);
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

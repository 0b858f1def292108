package dev.codexledger.otlp;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import dev.codexledger.auth.Access;
import dev.codexledger.auth.Endpoint;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.RequestBodies;
import dev.codexledger.records.RecordParser;
import dev.codexledger.records.RecordsSettings;
import dev.codexledger.workspace.WorkspaceId;
import dev.codexledger.workspace.Appended;
import dev.codexledger.workspace.WorkspaceLedgers;
import java.time.Clock;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code POST /v1/logs}: the OTLP/HTTP logs endpoint a Codex client's exporter points at. The workspace
 * is the one the ingest key is bound to, or, for an org-wide key, the {@code X-Ledger-Workspace} header. Answers 200 with an ExportLogsServiceResponse in the
 * request's encoding only once every accepted record is durable and queryable.
 */
public final class OtlpRoutes {

    public static final String WORKSPACE_HEADER = "X-Ledger-Workspace";

    private final WorkspaceLedgers ledgers;
    private final RecordsSettings settings;
    private final OtlpDecoder decoder;
    private final OtlpLogs logs;
    private final Access access;
    private final RequestBodies bodies;

    private final dev.codexledger.metrics.LedgerMetrics metrics;

    public OtlpRoutes(WorkspaceLedgers ledgers, RecordsSettings settings, Clock clock, Access access,
                      RequestBodies bodies, dev.codexledger.metrics.LedgerMetrics metrics) {
        this.metrics = metrics;
        this.ledgers = ledgers;
        this.bodies = bodies;
        this.access = access;
        this.settings = settings;
        this.decoder = new OtlpDecoder(settings.maxDecompressedBytes(), settings.maxJsonDepth());
        this.logs = new OtlpLogs(new RecordParser(settings.maxRecordsPerRequest(), settings.maxJsonDepth(),
                settings.maxStringLength()), settings.maxRecordBytes(), settings.maxRecordsPerRequest(), clock);
    }

    public Route routes() {
        return path("logs", () -> post(() -> extractRequest(request -> {
            Optional<String> header = request.getHeader(WORKSPACE_HEADER).map(h -> h.value().trim());
            return access.authenticate(Endpoint.OTLP_LOGS, header, key -> {
                // A key bound to a workspace names it; an org-wide key needs the header.
                Optional<String> workspace = header.isPresent() || key.orgWide() ? header : Optional.of(key.workspace());
                if (workspace.isEmpty() || !WorkspaceId.isValid(workspace.get())) {
                    return complete(ApiErrors.error(StatusCodes.BAD_REQUEST, workspace.isEmpty()
                            ? "missing header " + WORKSPACE_HEADER + ": an org-wide key must name the workspace"
                            + " these logs belong to" : WorkspaceId.RULE, WORKSPACE_HEADER));
                }
                return access.authorize(key, Endpoint.OTLP_LOGS, workspace.get(), () -> export(request, workspace.get()));
            });
        })));
    }

    private Route export(HttpRequest request, String workspace) {
        String mediaType = request.entity().getContentType().mediaType().toString();
        Optional<OtlpDecoder.Encoding> encoding = switch (mediaType) {
            case "application/x-protobuf", "application/protobuf" -> Optional.of(OtlpDecoder.Encoding.PROTOBUF);
            case "application/json" -> Optional.of(OtlpDecoder.Encoding.JSON);
            default -> Optional.empty();
        };
        if (encoding.isEmpty()) {
            return complete(ApiErrors.error(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "unsupported content type "
                    + mediaType + "; OTLP/HTTP is application/x-protobuf or application/json", "Content-Type"));
        }
        var refusal = ledgers.gate().refusesBeforeReading(workspace);
        if (refusal != null) {
            return bodies.refuse(request, settings.maxBodyBytes(), new dev.codexledger.workspace.LedgerOverloaded(refusal));
        }
        return bodies.decoded(request, settings.maxBodyBytes(), settings.maxDecompressedBytes(),
                settings.bodyReadTimeout(), (body, reservation) -> ingest(workspace, body, encoding.get()));
    }

    private Route ingest(String workspace, byte[] body, OtlpDecoder.Encoding encoding) {
        OtlpLogs.Batch batch = logs.toRecords(decoder.decode(body, encoding));
        metrics.recordsRejected("otlp", "invalid", batch.rejected());
        if (batch.records().isEmpty()) {
            return complete(OtlpResponses.exported(encoding, batch));
        }
        java.util.OptionalLong oversized = settings.oversizedBatch(batch.records());
        if (oversized.isPresent()) {
            return complete(ApiErrors.batchTooLarge(oversized.getAsLong(), settings.maxBatchContentBytes()));
        }
        return onSuccess(ledgers.append(workspace, batch.records()), appended -> {
            if (appended instanceof Appended.Stored stored) {
                metrics.recordsStored("otlp", stored.accepted(), stored.duplicates());
            }
            return complete(toResponse(appended, encoding, batch));
        });
    }

    private static HttpResponse toResponse(Appended appended, OtlpDecoder.Encoding encoding, OtlpLogs.Batch batch) {
        if (appended instanceof Appended.Conflict conflict) {
            // ids of OTLP records are hashes of their whole content: equal ids mean equal records
            return ApiErrors.error(StatusCodes.CONFLICT, "event id " + conflict.eventId()
                    + " is already stored with different content", "logRecords[" + conflict.index() + "]");
        }
        return OtlpResponses.exported(encoding, batch);
    }
}

package dev.codexledger.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.UUID;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every error the API answers is JSON: {@code {"error": reason, "field": name?}}. Infrastructure
 * failures are mapped here, once: overload or storage trouble → 503 with Retry-After, anything
 * unexpected → 500 with a correlation id that is also logged.
 */
public final class ApiErrors {

    private static final Logger LOG = LoggerFactory.getLogger(ApiErrors.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String RETRY_AFTER_SECONDS = "2";

    private ApiErrors() {}

    public static HttpResponse error(StatusCode status, String message, String field) {
        ObjectNode body = JSON.createObjectNode().put("error", message);
        if (field != null) {
            body.put("field", field);
        }
        return json(status, body);
    }

    public static HttpResponse json(StatusCode status, ObjectNode body) {
        return HttpResponse.create().withStatus(status)
                .withEntity(ContentTypes.APPLICATION_JSON, body.toString());
    }

    /** A response body from a DTO record, written by Jackson (field names as the record's annotations say). */
    public static HttpResponse json(StatusCode status, Object body) {
        try {
            return HttpResponse.create().withStatus(status)
                    .withEntity(ContentTypes.APPLICATION_JSON, JSON.writeValueAsBytes(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a response DTO always serializes: " + body.getClass(), e);
        }
    }

    /** 200 with a DTO body. */
    public static HttpResponse ok(Object body) {
        return json(StatusCodes.OK, body);
    }

    public static HttpResponse badRequest(BadRequest bad) {
        return error(StatusCodes.BAD_REQUEST, bad.getMessage(), bad.field());
    }

    public static HttpResponse bodyTooLarge(long limit) {
        return error(StatusCodes.CONTENT_TOO_LARGE, "body exceeds the limit of " + limit + " bytes", "body");
    }

    public static HttpResponse batchTooLarge(long size, long limit) {
        return error(StatusCodes.CONTENT_TOO_LARGE, "the records of this request take " + size
                + " bytes once stored; the limit is " + limit + ": send smaller batches", "body");
    }

    public static HttpResponse unavailable(String message) {
        return error(StatusCodes.SERVICE_UNAVAILABLE, message, null)
                .addHeader(RawHeader.create("Retry-After", RETRY_AFTER_SECONDS));
    }

    public static HttpResponse unexpected(Throwable failure) {
        String correlationId = UUID.randomUUID().toString();
        LOG.error("unexpected failure, correlation id {}", correlationId, failure);
        ObjectNode body = JSON.createObjectNode()
                .put("error", "internal error")
                .put("correlation_id", correlationId);
        return json(StatusCodes.INTERNAL_SERVER_ERROR, body);
    }

    /**
     * Maps a failure that reached the edge (the handler's one mapping; transports outside {@code http}
     * never call it: they fail their route and let the handler answer): a {@link BadRequest} → 400
     * naming the field; storage and timeouts → 503, the caller's cue to retry.
     */
    public static HttpResponse fromFailure(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof BadRequest bad) {
            return badRequest(bad);
        }
        if (cause instanceof EntityStreamSizeException size) {
            return bodyTooLarge(size.limit());
        }
        if (cause instanceof org.apache.pekko.http.scaladsl.model.IllegalRequestException illegal) {
            return error(illegal.status(), illegal.info().summary(), null);
        }
        if (cause instanceof MemoryBudget.TooLarge || cause instanceof Gzip.TooLarge) {
            return error(StatusCodes.CONTENT_TOO_LARGE, cause.getMessage(), "body");
        }
        if (cause instanceof Gzip.Invalid) {
            return error(StatusCodes.BAD_REQUEST, cause.getMessage(), "body");
        }
        if (cause instanceof MemoryBudget.Busy) {
            return unavailable(cause.getMessage());
        }
        if (cause instanceof dev.codexledger.workspace.NotProvable notProvable) {
            return error(StatusCodes.CONFLICT, notProvable.getMessage(), null);
        }
        if (cause instanceof dev.codexledger.workspace.LedgerUnavailable unavailable) {
            return unavailable(unavailable.getMessage());
        }
        if (cause instanceof dev.codexledger.workspace.LedgerOverloaded overloaded) {
            if (overloaded.status() == 503) {
                return unavailable(overloaded.getMessage());
            }
            return error(StatusCodes.TOO_MANY_REQUESTS, overloaded.getMessage(), null)
                    .addHeader(RawHeader.create("Retry-After", RETRY_AFTER_SECONDS));
        }
        if (cause instanceof java.util.concurrent.TimeoutException
                || cause instanceof com.datastax.oss.driver.api.core.DriverException) {
            return unavailable("storage is unavailable or overloaded; retry later");
        }
        return unexpected(cause);
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof java.util.concurrent.CompletionException
                || current instanceof java.util.concurrent.ExecutionException) && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    public static ExceptionHandler exceptionHandler() {
        return ExceptionHandler.newBuilder()
                .match(Throwable.class, failure -> Route.class.cast(
                        org.apache.pekko.http.javadsl.server.Directives.complete(fromFailure(failure))))
                .build();
    }

    public static RejectionHandler rejectionHandler() {
        return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
            if (response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                return response;
            }
            String text = response.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict strict
                    ? strict.getData().utf8String() : response.status().reason();
            return response.withEntity(ContentTypes.APPLICATION_JSON,
                    JSON.createObjectNode().put("error", text).toString());
        });
    }
}

package dev.codexledger.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractMaterializer;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.failWith;
import static org.apache.pekko.http.javadsl.server.Directives.mapRouteResultFuture;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.util.ByteString;

/**
 * Reads a whole request body within a byte limit (413 as soon as it is known to be larger) and within
 * the node's {@link MemoryBudget}: a declared length is reserved before reading, a streamed body chunk
 * by chunk, and everything is released once the request is answered.
 */
public final class RequestBodies {

    /** Bodies declared up to this many times the limit are drained before the 413 is sent. */
    private static final long DRAIN_FACTOR = 4;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MemoryBudget budget;

    public RequestBodies(MemoryBudget budget) {
        this.budget = budget;
    }

    /**
     * The request's body as one JSON object ({@link #strict}): malformed JSON, or anything but an
     * object, is a {@link BadRequest} naming {@code body}.
     */
    public Route jsonObject(long maxBytes, Duration timeout, Function<JsonNode, Route> inner) {
        return extractRequestEntity(entity -> strict(entity, maxBytes, timeout, (bytes, reservation) -> {
            JsonNode json;
            try {
                json = JSON.readTree(bytes);
            } catch (IOException e) {
                throw new BadRequest("body", "malformed JSON body");
            }
            if (json == null || !json.isObject()) {
                throw new BadRequest("body", "expected a JSON object");
            }
            return inner.apply(json);
        }));
    }

    /**
     * {@link #strict} plus {@code Content-Encoding}: gzip bodies are inflated within
     * {@code maxDecompressedBytes} (and the reservation); anything but gzip or identity is 415.
     */
    public Route decoded(org.apache.pekko.http.javadsl.model.HttpRequest request, long maxBytes,
                         long maxDecompressedBytes, Duration timeout,
                         BiFunction<byte[], MemoryBudget.Reservation, Route> inner) {
        String encoding = request.getHeader("Content-Encoding").map(h -> h.value().trim().toLowerCase())
                .orElse("identity");
        if (!encoding.equals("gzip") && !encoding.equals("identity")) {
            return complete(ApiErrors.error(org.apache.pekko.http.javadsl.model.StatusCodes.UNSUPPORTED_MEDIA_TYPE,
                    "unsupported Content-Encoding " + encoding + "; use gzip or none", "Content-Encoding"));
        }
        return strict(request.entity(), maxBytes, timeout, (body, reservation) -> {
            if (!encoding.equals("gzip")) {
                return inner.apply(body, reservation);
            }
            byte[] plain;
            try {
                plain = Gzip.inflate(body, maxDecompressedBytes, reservation);
            } catch (RuntimeException refused) {
                return complete(ApiErrors.fromFailure(refused));
            }
            return inner.apply(plain, reservation);
        });
    }

    /**
     * Answers with {@code refusal} (mapped by {@link ApiErrors#fromFailure}) without parsing the body: the
     * body is read to nowhere first, so a client still sending gets the answer, not a reset connection.
     */
    public Route refuse(org.apache.pekko.http.javadsl.model.HttpRequest request, long maxBytes, RuntimeException refusal) {
        return extractMaterializer(materializer -> onComplete(
                request.entity().withSizeLimit(maxBytes).discardBytes(materializer).completionStage(),
                drained -> complete(ApiErrors.fromFailure(refusal))));
    }

    public Route strict(HttpEntity entity, long maxBytes, Duration timeout,
                        BiFunction<byte[], MemoryBudget.Reservation, Route> inner) {
        long declared = entity.getContentLengthOption().orElse(-1L);
        if (declared > maxBytes) {
            if (declared > maxBytes * DRAIN_FACTOR) {
                return complete(ApiErrors.bodyTooLarge(maxBytes)); // and the connection closes: not worth reading
            }
            // Read the body to nowhere first: a client still sending would otherwise see the connection
            // reset instead of the 413 (and an exporter would retry a batch that can never fit).
            return extractMaterializer(materializer -> onComplete(
                    entity.discardBytes(materializer).completionStage(),
                    drained -> complete(ApiErrors.bodyTooLarge(maxBytes))));
        }
        MemoryBudget.Reservation reservation = budget.reservation();
        try {
            if (declared > 0) {
                reservation.grow(declared);
            }
        } catch (MemoryBudget.Busy | MemoryBudget.TooLarge busy) {
            reservation.close();
            // The body is within limits: read it to nowhere so the client, still sending, gets the answer.
            // (answering before the body is read makes the server close the connection mid-upload)
            return extractMaterializer(materializer -> onComplete(
                    entity.withSizeLimit(maxBytes).discardBytes(materializer).completionStage(),
                    drained -> complete(ApiErrors.fromFailure(busy))));
        } catch (RuntimeException refused) {
            reservation.close();
            return complete(ApiErrors.fromFailure(refused));
        }
        if (entity instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict strictEntity) {
            // the whole body arrived with the request (small bodies usually do): no stream to run
            ByteString data = strictEntity.getData();
            if (data.size() > maxBytes) {
                reservation.close();
                return complete(ApiErrors.bodyTooLarge(maxBytes));
            }
            try {
                if (declared < 0) {
                    reservation.grow(data.size());
                }
            } catch (RuntimeException refused) {
                reservation.close();
                return complete(ApiErrors.fromFailure(refused));
            }
            return mapRouteResultFuture(result -> result.whenComplete((r, e) -> reservation.close()),
                    () -> attempt(() -> inner.apply(data.toArray(), reservation)));
        }
        return mapRouteResultFuture(result -> result.whenComplete((r, e) -> reservation.close()),
                () -> extractMaterializer(materializer -> onComplete(
                        // past maxBytes a streamed body is read to nowhere (up to DRAIN_FACTOR times the
                        // limit), so the client sees the 413 instead of a reset mid-upload
                        entity.withSizeLimit(maxBytes * DRAIN_FACTOR).getDataBytes()
                                .completionTimeout(timeout)
                                .runFold(new Received(), (received, chunk) -> {
                                    received.size += chunk.size();
                                    if (received.size <= maxBytes) {
                                        if (declared < 0) {
                                            reservation.grow(chunk.size());
                                        }
                                        received.bytes = received.bytes.concat(chunk);
                                    }
                                    return received;
                                }, materializer),
                        body -> {
                            if (body.isFailure()) {
                                Throwable failure = body.failed().get();
                                boolean tooLarge = failure instanceof org.apache.pekko.http.scaladsl.model.EntityStreamSizeException
                                        || failure.getCause() instanceof org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
                                return complete(tooLarge ? ApiErrors.bodyTooLarge(maxBytes) : ApiErrors.fromFailure(failure));
                            }
                            if (body.get().size > maxBytes) {
                                return complete(ApiErrors.bodyTooLarge(maxBytes));
                            }
                            return attempt(() -> inner.apply(body.get().bytes.toArray(), reservation));
                        })));
    }

    /**
     * The route {@code inner} builds, or its refusal (a {@link BadRequest} thrown while parsing) as a
     * failed route: it then passes the reservation's release on its way to the exception handler.
     */
    private static Route attempt(Supplier<Route> inner) {
        try {
            return inner.get();
        } catch (RuntimeException refused) {
            return failWith(refused);
        }
    }

    /** A body as it arrives: its bytes up to the limit, and how many came in all. */
    private static final class Received {
        ByteString bytes = ByteString.emptyByteString();
        long size;
    }
}

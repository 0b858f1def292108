package dev.codexledger.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractMaterializer;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;

import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.server.Route;

/** Reads a whole request body within a byte limit: 413 as soon as it is known to be larger. */
public final class RequestBodies {

    private RequestBodies() {}

    public static Route strict(HttpEntity entity, long maxBytes, Duration timeout, Function<byte[], Route> inner) {
        if (entity.getContentLengthOption().orElse(0L) > maxBytes) {
            return complete(ApiErrors.bodyTooLarge(maxBytes));
        }
        return extractMaterializer(materializer -> onComplete(
                entity.withSizeLimit(maxBytes).toStrict(timeout.toMillis(), materializer),
                strict -> strict.isSuccess()
                        ? inner.apply(strict.get().getData().toArray())
                        : complete(ApiErrors.fromFailure(strict.failed().get()))));
    }
}

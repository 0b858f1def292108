package dev.codexledger.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Answers a request with work that blocks (Cassandra reads and writes), run off the HTTP threads; what
 * it throws (a {@link BadRequest}, a storage failure) is answered by the exception handler.
 */
public final class Blocking {

    private Blocking() {}

    public static Route answer(Executor executor, Supplier<HttpResponse> work) {
        return onSuccess(CompletableFuture.supplyAsync(work, executor), response -> complete(response));
    }
}

package dev.codexledger.http;

import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.server.Route;

/** Binds the API and unbinds it first when the node shuts down (coordinated shutdown). */
public final class HttpServer {

    private HttpServer() {}

    public static CompletionStage<InetSocketAddress> start(ActorSystem<?> system, HttpSettings settings, Route api) {
        Route guarded = handleExceptions(ApiErrors.exceptionHandler(),
                () -> handleRejections(ApiErrors.rejectionHandler(), () -> api));
        return Http.get(system).newServerAt(settings.host(), settings.port())
                .bind(guarded)
                .thenApply(binding -> {
                    binding.addToCoordinatedShutdown(Duration.ofSeconds(10), system);
                    return binding.localAddress();
                });
    }

}

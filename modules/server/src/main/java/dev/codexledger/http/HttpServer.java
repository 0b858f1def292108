package dev.codexledger.http;

import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.mapResponse;

import dev.codexledger.metrics.LedgerMetrics;
import dev.codexledger.metrics.RouteTemplates;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.server.Route;

/** Binds the API (HTTPS when configured) and unbinds it first when the node shuts down. */
public final class HttpServer {

    /** One line per API request when LEDGER_ACCESS_LOG=info (logback.xml): client, method, path, status, time, bytes, agent. */
    private static final org.slf4j.Logger ACCESS = org.slf4j.LoggerFactory.getLogger("codex-ledger.access");

    private HttpServer() {}

    public static CompletionStage<InetSocketAddress> start(ActorSystem<?> system, HttpSettings settings, Route api,
                                                           LedgerMetrics metrics) {
        Route guarded = measured(metrics, handleExceptions(ApiErrors.exceptionHandler(),
                () -> handleRejections(ApiErrors.rejectionHandler(), () -> api)));
        ServerBuilder server = Http.get(system).newServerAt(settings.host(), settings.port());
        if (settings.tls().isPresent()) {
            server = server.enableHttps(ConnectionContext.httpsServer(sslContext(settings.tls().get())));
        }
        return server.bind(guarded)
                .thenApply(binding -> {
                    binding.addToCoordinatedShutdown(Duration.ofSeconds(10), system);
                    return binding.localAddress();
                });
    }

    /**
     * Every answer counted by method, route template and status, timed from the request's arrival to the
     * response's head (after errors and rejections became responses); refused ingest requests also by
     * reason.
     */
    static Route measured(LedgerMetrics metrics, Route inner) {
        return extractRequest(request -> {
            long started = System.nanoTime();
            String route = RouteTemplates.of(request.getUri().path());
            String method = request.method().value();
            return mapResponse(response -> {
                int status = response.status().intValue();
                long nanos = System.nanoTime() - started;
                // a path no route took (404, 405) is anybody's invention: one label for all of them
                metrics.httpRequest(method, status == 404 || status == 405 ? "unmatched" : route, status, nanos);
                if (ACCESS.isInfoEnabled()) {
                    ACCESS.info("{} {} {} {} {}ms {} \"{}\"", request.getAttribute(
                                    org.apache.pekko.http.javadsl.model.AttributeKeys.remoteAddress)
                                    .flatMap(a -> a.getAddress()).map(java.net.InetAddress::getHostAddress).orElse("-"),
                            method, request.getUri().path(), status, nanos / 1_000_000,
                            response.entity().getContentLengthOption().isPresent()
                                    ? response.entity().getContentLengthOption().getAsLong() : "-",
                            request.getHeader("User-Agent").map(h -> h.value().replace('"', '\'')).orElse("-"));
                }
                String source = ingestSource(method, route);
                if (source != null && status >= 400) {
                    metrics.ingestRefused(source, refusal(status));
                }
                return response;
            }, () -> inner);
        });
    }

    /** The ingest endpoints: the records API and OTLP logs. */
    private static String ingestSource(String method, String route) {
        if (!method.equals("POST")) {
            return null;
        }
        return switch (route) {
            case "/v1/workspaces/{workspace}/records" -> "records";
            case "/v1/logs" -> "otlp";
            default -> null;
        };
    }

    static String refusal(int status) {
        return switch (status) {
            case 400 -> "invalid";
            case 401 -> "unauthenticated";
            case 403 -> "forbidden";
            case 409 -> "conflict";
            case 413 -> "too_large";
            case 415 -> "unsupported_media_type";
            case 429 -> "overloaded";
            case 503 -> "unavailable";
            default -> status >= 500 ? "server_error" : "other";
        };
    }

    /** The server's TLS context from its PKCS12 keystore; a missing file or wrong password stops the start. */
    static SSLContext sslContext(HttpSettings.Tls tls) {
        try (InputStream in = Files.newInputStream(tls.keystore())) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, tls.password());
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, tls.password());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot use the TLS keystore " + tls.keystore()
                    + " (ledger.http.tls.keystore, a PKCS12 file, and ledger.http.tls.keystore-password): " + e, e);
        }
    }
}

package dev.codexledger.http;

import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;

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

    private HttpServer() {}

    public static CompletionStage<InetSocketAddress> start(ActorSystem<?> system, HttpSettings settings, Route api) {
        Route guarded = handleExceptions(ApiErrors.exceptionHandler(),
                () -> handleRejections(ApiErrors.rejectionHandler(), () -> api));
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

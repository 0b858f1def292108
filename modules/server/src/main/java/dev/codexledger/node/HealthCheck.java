package dev.codexledger.node;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A container health check for images without a shell or curl: exits 0 when the URL (default: this
 * node's readiness, {@code http://127.0.0.1:8558/ready}) answers 200 within 3 s, 1 otherwise.
 * {@code java -cp @/app/jib-classpath-file dev.codexledger.node.HealthCheck [url]} (deploy/compose).
 */
public final class HealthCheck {

    private HealthCheck() {}

    public static void main(String[] args) {
        String url = args.length > 0 ? args[0] : "http://127.0.0.1:8558/ready";
        System.exit(check(url) ? 0 : 1);
    }

    static boolean check(String url) {
        try {
            HttpResponse<Void> response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()
                    .send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).build(),
                            HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() != 200) {
                System.err.println(url + " answered " + response.statusCode());
            }
            return response.statusCode() == 200;
        } catch (IOException | IllegalArgumentException e) {
            System.err.println(url + ": " + e);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

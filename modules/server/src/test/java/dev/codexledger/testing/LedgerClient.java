package dev.codexledger.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small HTTP client for the Ledger API, as a user's code would call it. */
public final class LedgerClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    public record Reply(int status, JsonNode body, HttpResponse<String> raw) {}

    private final HttpClient http;
    private final String base;
    private final String key;

    public LedgerClient(InetSocketAddress address, String key) {
        this("http://" + address.getHostString() + ":" + address.getPort(), key);
    }

    public LedgerClient(String base, String key) {
        this(base, key, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
    }

    /** With a client of one's own (e.g. one that trusts a test certificate). */
    public LedgerClient(String base, String key, HttpClient http) {
        this.base = base;
        this.key = key;
        this.http = http;
    }

    public Reply post(String path, String contentType, String body) {
        return send(request(path).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    public Reply postBytes(String path, String contentType, byte[] body) {
        return send(request(path).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /** A body of unknown length: sent chunked, without Content-Length. */
    public Reply postStream(String path, String contentType, java.util.function.Supplier<java.io.InputStream> body) {
        return send(request(path).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofInputStream(body)).build());
    }

    public Reply get(String path) {
        return send(request(path).GET().build());
    }

    public Reply delete(String path) {
        return send(request(path).DELETE().build());
    }

    /** Any method, with extra headers; a null body sends none. */
    public Reply send(String method, String path, java.util.Map<String, String> headers, byte[] body) {
        HttpRequest.Builder builder = request(path).method(method, body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(builder::header);
        return send(builder.build());
    }

    public String baseUrl() {
        return base;
    }

    /** The same node, another key (null: none). */
    public LedgerClient withKey(String otherKey) {
        return new LedgerClient(base, otherKey, http);
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (key != null) {
            builder.header("Authorization", "Bearer " + key);
        }
        return builder;
    }

    private Reply send(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode body = response.body().isEmpty() ? null : parse(response.body());
            return new Reply(response.statusCode(), body, response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(text);
        }
    }
}

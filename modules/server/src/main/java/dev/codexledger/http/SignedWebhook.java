package dev.codexledger.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The alert webhook: a JSON POST signed with HMAC-SHA256 of the body ({@code X-Ledger-Signature:
 * sha256=<hex>}), retried with exponential backoff (from {@code firstBackoff}, at most {@code maxBackoff}
 * apart) until it answers 2xx. Budget alerts and policy findings go through it.
 */
public final class SignedWebhook {

    private final URI url;
    private final byte[] secret;
    private final Duration firstBackoff;
    private final Duration maxBackoff;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public SignedWebhook(URI url, String secret, Duration firstBackoff, Duration maxBackoff) {
        this.url = url;
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.firstBackoff = firstBackoff;
        this.maxBackoff = maxBackoff;
    }

    /** Delivers {@code body}; completes once the receiver answered 2xx. */
    public CompletionStage<Void> post(String body) {
        return post(body, firstBackoff);
    }

    private CompletionStage<Void> post(String body, Duration backoff) {
        HttpRequest request = HttpRequest.newBuilder(url)
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("X-Ledger-Signature", "sha256=" + sign(body))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .handle((response, failure) -> failure == null && response.statusCode() / 100 == 2)
                .thenCompose(delivered -> {
                    if (delivered) {
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    Duration next = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
                    return CompletableFuture.supplyAsync(() -> null,
                                    CompletableFuture.delayedExecutor(backoff.toMillis(), TimeUnit.MILLISECONDS))
                            .thenCompose(waited -> post(body, next));
                });
    }

    /** HMAC-SHA256 of the body with the configured secret, hex: what a receiver recomputes to trust it. */
    public String sign(String body) {
        return hmacSha256Hex(secret, body.getBytes(StandardCharsets.UTF_8));
    }

    /** HMAC-SHA256 of {@code bytes} under {@code secret} (an empty secret as one zero byte), hex. */
    public static String hmacSha256Hex(byte[] secret, byte[] bytes) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.length == 0 ? new byte[1] : secret, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(bytes));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}

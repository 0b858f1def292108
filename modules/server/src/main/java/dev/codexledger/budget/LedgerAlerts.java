package dev.codexledger.budget;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Alerts as {@code BUDGET_LOG} records of the workspace (through the ledger, so they are chained,
 * searchable and in compliance files like any record; a re-delivery has the same event id and content,
 * so it is a duplicate, never a second record) and, when a URL is configured, a webhook: a JSON POST
 * signed with HMAC-SHA256 of the body ({@code X-Ledger-Signature: sha256=<hex>}), retried with
 * exponential backoff until it answers 2xx.
 */
public final class LedgerAlerts implements BudgetAlerts {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final BiFunction<String, ObjectNode, CompletionStage<?>> records;
    private final Optional<URI> webhook;
    private final byte[] secret;
    private final Duration firstBackoff;
    private final Duration maxBackoff;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** {@code records}: appends one record to a workspace's ledger, failing if it was not stored. */
    public LedgerAlerts(BiFunction<String, ObjectNode, CompletionStage<?>> records, Optional<URI> webhook,
                        String secret, Duration firstBackoff, Duration maxBackoff) {
        this.records = records;
        this.webhook = webhook;
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.firstBackoff = firstBackoff;
        this.maxBackoff = maxBackoff;
    }

    @Override
    public CompletionStage<Void> deliver(String workspace, String alertId, BudgetBook.ThresholdCrossing crossing) {
        ObjectNode alert = alert(workspace, alertId, crossing);
        return records.apply(workspace, record(alertId, alert, crossing)).thenCompose(stored -> webhook.isEmpty()
                ? CompletableFuture.completedFuture(null) : post(alert.toString(), firstBackoff));
    }

    static ObjectNode alert(String workspace, String alertId, BudgetBook.ThresholdCrossing crossing) {
        ObjectNode alert = JSON.createObjectNode()
                .put("type", crossing.percent() >= 100 ? "budget.cap_reached" : "budget.threshold_crossed")
                .put("alert_id", alertId)
                .put("workspace", workspace)
                .put("level", BudgetSpec.levelOf(crossing.key()))
                .put("name", BudgetSpec.nameOf(crossing.key()))
                .put("window_start", crossing.windowStart())
                .put("threshold_percent", crossing.percent())
                .put("spent", Credits.toCredits(crossing.spentMicros()))
                .put("cap", Credits.toCredits(crossing.capMicros()))
                .put("crossed_at", Instant.EPOCH.plus(crossing.atMicros(), ChronoUnit.MICROS).toString());
        return alert;
    }

    private static ObjectNode record(String alertId, ObjectNode alert, BudgetBook.ThresholdCrossing crossing) {
        ObjectNode record = JSON.createObjectNode()
                .put("event_id", "budget-alert-" + HexFormat.of().formatHex(
                        dev.codexledger.workspace.Digest.sha256(alertId).toBytes()).substring(0, 32))
                .put("event_type", "BUDGET_LOG")
                .put("timestamp", alert.get("crossed_at").asText())
                .put("action", alert.get("type").asText());
        record.set("attributes", alert.deepCopy());
        return record;
    }

    private CompletionStage<Void> post(String body, Duration backoff) {
        HttpRequest request = HttpRequest.newBuilder(webhook.orElseThrow())
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
    String sign(String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.length == 0 ? new byte[1] : secret, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}

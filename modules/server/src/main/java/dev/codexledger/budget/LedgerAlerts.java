package dev.codexledger.budget;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;

/**
 * Alerts as {@code BUDGET_LOG} records of the workspace (through the ledger, so they are chained,
 * searchable and in compliance files like any record; a re-delivery has the same event id and content,
 * so it is a duplicate, never a second record) and, when a URL is configured, the signed alert webhook
 * ({@link dev.codexledger.http.SignedWebhook}).
 */
public final class LedgerAlerts implements BudgetAlerts {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final BiFunction<String, ObjectNode, CompletionStage<?>> records;
    private final Optional<dev.codexledger.http.SignedWebhook> webhook;

    /** {@code records}: appends one record to a workspace's ledger, failing if it was not stored. */
    public LedgerAlerts(BiFunction<String, ObjectNode, CompletionStage<?>> records,
                        Optional<dev.codexledger.http.SignedWebhook> webhook) {
        this.records = records;
        this.webhook = webhook;
    }

    @Override
    public CompletionStage<Void> deliver(String workspace, String alertId, BudgetBook.ThresholdCrossing crossing) {
        ObjectNode alert = alert(workspace, alertId, crossing);
        return records.apply(workspace, record(alertId, alert, crossing)).thenCompose(stored -> webhook.isEmpty()
                ? CompletableFuture.completedFuture(null) : webhook.get().post(alert.toString()));
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
}

package dev.codexledger.budget;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.codexledger.http.ApiErrors;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.Done;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.pattern.StatusReply;

/**
 * The JSON bodies the budget API answers with, as records Jackson writes; each maps a domain value
 * explicitly. Nulls are written (as {@code null}) unless a field says otherwise.
 */
final class BudgetAnswers {

    private BudgetAnswers() {}

    /** {@code {"ok": true}}: a change was made. */
    record Ok(boolean ok) {
        static final Ok INSTANCE = new Ok(true);
    }

    /** A change's reply: 200 when made, else 409 saying why (an unknown budget or reservation). */
    static HttpResponse changed(StatusReply<Done> reply) {
        return reply.isSuccess() ? ApiErrors.ok(Ok.INSTANCE)
                : ApiErrors.error(StatusCodes.CONFLICT, reply.getError().getMessage(), "id");
    }

    /** One level's standing. */
    record Level(String level, String name, String window, BigDecimal cap, BigDecimal spent, BigDecimal reserved,
                 BigDecimal remaining, @JsonProperty("resets_at") String resetsAt) {

        static Level of(BudgetBook.Level level) {
            return new Level(BudgetSpec.levelOf(level.key()), BudgetSpec.nameOf(level.key()), level.window(),
                    Credits.toCredits(level.capMicros()), Credits.toCredits(level.spentMicros()),
                    Credits.toCredits(level.reservedMicros()), Credits.toCredits(level.remainingMicros()),
                    level.resetsAt().toString());
        }
    }

    /** A budget in the status: its level, thresholds, parent team (departments only) and crossed thresholds. */
    record Budget(String level, String name, String window, BigDecimal cap, BigDecimal spent, BigDecimal reserved,
                  BigDecimal remaining, @JsonProperty("resets_at") String resetsAt, List<Integer> thresholds,
                  @JsonInclude(JsonInclude.Include.NON_NULL) String parent,
                  @JsonProperty("thresholds_crossed") List<Integer> thresholdsCrossed) {

        static Budget of(BudgetBook.Level standing, BudgetSpec spec, List<Integer> crossed) {
            Level level = Level.of(standing);
            return new Budget(level.level(), level.name(), level.window(), level.cap(), level.spent(),
                    level.reserved(), level.remaining(), level.resetsAt(), spec.thresholds(), spec.parent(), crossed);
        }
    }

    record Status(String workspace, @JsonProperty("spend_from") String spendFrom, List<Budget> budgets,
                  Map<String, String> members) {

        static Status of(String workspace, BudgetStatus status) {
            List<Budget> budgets = status.levels().stream().map(level -> Budget.of(level, status.budgets().stream()
                            .filter(b -> b.key().equals(level.key())).findFirst().orElseThrow(),
                    status.thresholdsCrossed(level.key()))).toList();
            return new Status(workspace, status.spendFrom(), budgets, new TreeMap<>(status.members()));
        }
    }

    /** A decision on a user's estimate; {@code reason} only when denied by a level. */
    record Decision(boolean allowed, @JsonProperty("decided_by") String decidedBy, String user, String model,
                    @JsonProperty("estimate_credits") BigDecimal estimateCredits,
                    @JsonProperty("binding_level") Level bindingLevel,
                    @JsonInclude(JsonInclude.Include.NON_NULL) String reason, List<Level> levels) {

        static Decision of(BudgetBook.Decision decision, BudgetRequests.Ask ask) {
            BudgetBook.Level binding = decision.binding();
            return new Decision(decision.allowed(), "budget", ask.user(), ask.model(),
                    Credits.toCredits(ask.estimateMicros()), binding == null ? null : Level.of(binding),
                    binding == null || decision.allowed() ? null : denial(binding),
                    decision.levels().stream().map(Level::of).toList());
        }

        private static String denial(BudgetBook.Level level) {
            return BudgetSpec.levelOf(level.key()) + " " + BudgetSpec.nameOf(level.key()) + " has "
                    + Credits.toCredits(Math.max(0, level.remainingMicros())).toPlainString() + " of "
                    + Credits.toCredits(level.capMicros()).toPlainString() + " credits left this "
                    + level.window() + " (resets " + level.resetsAt() + ")";
        }
    }

    /** A reservation request's answer: the decision, and the reservation when one is held. */
    record Reservation(boolean allowed, @JsonProperty("decided_by") String decidedBy, String user, String model,
                       @JsonProperty("estimate_credits") BigDecimal estimateCredits,
                       @JsonProperty("binding_level") Level bindingLevel,
                       @JsonInclude(JsonInclude.Include.NON_NULL) String reason, List<Level> levels,
                       @JsonProperty("reservation_id") String reservationId,
                       @JsonProperty("expires_at") String expiresAt) {

        static Reservation of(ReserveResult result, BudgetRequests.Ask ask) {
            Decision decision = Decision.of(result.decision(), ask);
            boolean held = result instanceof ReserveResult.Reserved;
            return new Reservation(held, decision.decidedBy(), decision.user(), decision.model(),
                    decision.estimateCredits(), decision.bindingLevel(), decision.reason(), decision.levels(),
                    held ? ((ReserveResult.Reserved) result).id() : null,
                    held ? ((ReserveResult.Reserved) result).expiresAt().toString() : null);
        }
    }

    /** The answer when no decision came in time: the configured failure policy's. */
    record Policy(boolean allowed, @JsonProperty("decided_by") String decidedBy, String reason, String user,
                  @JsonProperty("estimate_credits") BigDecimal estimateCredits) {

        static Policy of(boolean failOpen, BudgetRequests.Ask ask) {
            return new Policy(failOpen, name(failOpen), "the budget could not be decided in time; the configured"
                    + " policy is " + (failOpen ? "fail-open" : "fail-closed"), ask.user(),
                    Credits.toCredits(ask.estimateMicros()));
        }

        static String name(boolean failOpen) {
            return failOpen ? "policy:fail-open" : "policy:fail-closed";
        }
    }

    /** A model's price from a time on ({@code effective_from} null: the configured default). */
    record PriceAnswer(String model, @JsonProperty("effective_from") String effectiveFrom, BigDecimal input,
                       @JsonProperty("cached_input") BigDecimal cachedInput, BigDecimal output,
                       BigDecimal reasoning) {

        static PriceAnswer of(Price price) {
            return new PriceAnswer(price.model(), price.effectiveFromMicros() == Long.MIN_VALUE ? null
                    : Instant.EPOCH.plus(price.effectiveFromMicros(), ChronoUnit.MICROS).toString(),
                    price.input(), price.cachedInput(), price.output(), price.reasoning());
        }
    }

    record Prices(List<PriceAnswer> prices) {}
}

package dev.codexledger.budget;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The budget state of one workspace, owned by its {@link WorkspaceBudget} entity (mutated by its event
 * handler only): budgets, team membership, spending per budget key and day, reservations in force, which
 * thresholds have fired in which window, and how far the ledger's records have been counted.
 *
 * <p>Spending is kept per key and day (in the configured zone), so any window — and a budget created
 * mid-month — sees everything spent in it. Days older than {@link #KEPT_DAYS} are dropped.
 *
 * <p>Only the entity changes the book, but checks on the same node read it from other threads (see
 * {@link BudgetViews}): what a decision reads — budgets, membership, spending, reserved sums — is held in
 * concurrent maps, so such a read sees each value whole, as of some moment. Reservations themselves are
 * decided by the entity alone.
 */
public final class BudgetBook {

    static final int KEPT_DAYS = 62;

    /**
     * A reservation in force: {@code levels} are the keys it holds credits on; {@code idempotencyKey} the
     * gateway's key for it (null for none), remembered while it is in force.
     */
    public record Reservation(String id, String user, List<String> levels, long amountMicros, long expiresAtMicros,
                              String idempotencyKey) {

        public Reservation(String id, String user, List<String> levels, long amountMicros, long expiresAtMicros) {
            this(id, user, levels, amountMicros, expiresAtMicros, null);
        }
    }

    /** One level's standing for a decision; {@code resetsAt}: when its window starts again. */
    public record Level(String key, long capMicros, long spentMicros, long reservedMicros, Instant resetsAt,
                        String window) {
        public long remainingMicros() {
            return capMicros - spentMicros - reservedMicros;
        }
    }

    /** {@code binding}: the level that denies (or, when allowed, the one with the least room); null without budgets. */
    public record Decision(boolean allowed, Level binding, List<Level> levels) {}

    private final ZoneId zone;
    final Map<String, BudgetSpec> budgets = new ConcurrentHashMap<>();
    final Map<String, String> teamOf = new ConcurrentHashMap<>();
    final Map<String, ConcurrentSkipListMap<Long, Long>> spent = new ConcurrentHashMap<>();
    final Map<String, Long> reserved = new ConcurrentHashMap<>();
    final Map<String, Reservation> reservations = new LinkedHashMap<>();
    /** idempotency key → id of the reservation in force under it */
    final Map<String, String> reservationByKey = new HashMap<>();
    /** key → "window start day:percent" of thresholds already fired */
    final Map<String, java.util.Set<String>> fired = new HashMap<>();
    long countedThroughSeq;
    /** both | records | settlements: see {@link BudgetEvent.SpendFromSet}. */
    volatile String spendFrom = "both";
    /** The write id of the last journal event applied ({@link BudgetEvent.Changes}); empty: none. */
    String lastWriteId = "";
    /** Alerts fired and not yet delivered, by alert id, oldest first. */
    final Map<String, ThresholdCrossing> pendingAlerts = new LinkedHashMap<>();

    public BudgetBook(ZoneId zone) {
        this.zone = zone;
    }

    public ZoneId zone() {
        return zone;
    }

    // ---------------------------------------------------------------- reading

    /** The budget keys above a user, nearest first: the user, its team and the team's ancestors, the org. */
    public List<String> chain(String user) {
        List<String> keys = new ArrayList<>();
        keys.add(BudgetSpec.user(user));
        String team = teamOf.get(user);
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (team != null && seen.add(team)) {
            keys.add(BudgetSpec.team(team));
            BudgetSpec spec = budgets.get(BudgetSpec.team(team));
            team = spec == null ? null : spec.parent();
        }
        keys.add(BudgetSpec.ORG);
        return keys;
    }

    /** Whether {@code estimateMicros} more fits every budget above {@code user} at {@code nowMicros}. */
    public Decision decide(String user, long estimateMicros, long nowMicros) {
        return decide(user, estimateMicros, nowMicros, PendingChanges.NONE);
    }

    /** The same, with the changes decided and not yet written counted as if they were. */
    Decision decide(String user, long estimateMicros, long nowMicros, PendingChanges pending) {
        List<Level> levels = new ArrayList<>();
        Level binding = null;
        boolean allowed = true;
        for (String key : chain(user)) {
            BudgetSpec spec = budgets.get(key);
            if (spec == null) {
                continue;
            }
            Level level = level(spec, nowMicros, pending);
            levels.add(level);
            boolean fits = estimateMicros <= level.remainingMicros();
            if (allowed && !fits) {
                allowed = false;
                binding = level;
            } else if (allowed && (binding == null || level.remainingMicros() < binding.remainingMicros())) {
                binding = level;
            }
        }
        return new Decision(allowed, binding, levels);
    }

    Level level(BudgetSpec spec, long nowMicros) {
        return level(spec, nowMicros, PendingChanges.NONE);
    }

    private Level level(BudgetSpec spec, long nowMicros, PendingChanges pending) {
        LocalDate today = day(nowMicros);
        LocalDate start = spec.window().start(today);
        LocalDate end = spec.window().end(today);
        return new Level(spec.key(), spec.capMicros(),
                spentBetween(spec.key(), start, end) + pending.spentBetween(spec.key(), start, end),
                reserved.getOrDefault(spec.key(), 0L) + pending.reserved(spec.key()),
                end.atStartOfDay(zone).toInstant(), spec.window().wireName());
    }

    long spentBetween(String key, LocalDate from, LocalDate until) {
        return sumOfDays(spent.get(key), from, until);
    }

    /** The sum of {@code days} (epoch day → micros) from {@code from} up to, not including, {@code until}. */
    static long sumOfDays(java.util.NavigableMap<Long, Long> days, LocalDate from, LocalDate until) {
        if (days == null) {
            return 0;
        }
        long sum = 0;
        for (long amount : days.subMap(from.toEpochDay(), until.toEpochDay()).values()) {
            sum += amount;
        }
        return sum;
    }

    LocalDate day(long micros) {
        return Instant.EPOCH.plus(micros, ChronoUnit.MICROS).atZone(zone).toLocalDate();
    }

    public Map<String, BudgetSpec> budgets() {
        return java.util.Collections.unmodifiableMap(budgets);
    }

    public Map<String, String> members() {
        return java.util.Collections.unmodifiableMap(teamOf);
    }

    public Reservation reservation(String id) {
        return reservations.get(id);
    }

    /** The reservation in force under a gateway's idempotency key, or null. */
    public Reservation reservationByKey(String idempotencyKey) {
        String id = reservationByKey.get(idempotencyKey);
        return id == null ? null : reservations.get(id);
    }

    public String spendFrom() {
        return spendFrom;
    }

    public long countedThroughSeq() {
        return countedThroughSeq;
    }

    /** Reservations whose time is up at {@code nowMicros}. */
    public List<String> expired(long nowMicros) {
        return reservations.values().stream().filter(r -> r.expiresAtMicros() <= nowMicros).map(Reservation::id).toList();
    }

    /** Thresholds of {@code keys} crossed at {@code nowMicros} that have not fired in their window yet. */
    public List<ThresholdCrossing> crossings(List<String> keys, long nowMicros) {
        List<ThresholdCrossing> out = new ArrayList<>();
        for (String key : keys) {
            BudgetSpec spec = budgets.get(key);
            if (spec == null || spec.capMicros() <= 0) {
                continue;
            }
            Level level = level(spec, nowMicros);
            LocalDate windowStart = spec.window().start(day(nowMicros));
            for (int percent : spec.thresholds()) {
                boolean crossed = level.spentMicros() * 100 >= (long) percent * spec.capMicros();
                String mark = windowStart + ":" + percent;
                if (crossed && !fired.getOrDefault(key, java.util.Set.of()).contains(mark)) {
                    out.add(new ThresholdCrossing(key, windowStart.toString(), percent, level.spentMicros(),
                            spec.capMicros(), nowMicros));
                }
            }
        }
        return out;
    }

    /** A soft threshold (or the cap, at 100 %) crossed in a window. */
    public record ThresholdCrossing(String key, String windowStart, int percent, long spentMicros, long capMicros,
                                    long atMicros) {}

    // ---------------------------------------------------------------- changes (event handler only)

    /**
     * Set when the entity restarts and is about to empty this book and recover into it again; cleared
     * once recovered. A check from another thread that finds it set after deciding discards its decision.
     */
    private volatile boolean retired;

    void retire() {
        retired = true;
    }

    void recovered() {
        retired = false;
    }

    boolean retired() {
        return retired;
    }

    /** Back to empty, before the entity recovers into this book again (after a failed write). */
    void reset() {
        budgets.clear();
        teamOf.clear();
        spent.clear();
        reserved.clear();
        reservations.clear();
        reservationByKey.clear();
        fired.clear();
        pendingAlerts.clear();
        countedThroughSeq = 0;
        spendFrom = "both";
        lastWriteId = "";
    }

    void setBudget(BudgetSpec spec) {
        budgets.put(spec.key(), spec);
    }

    void removeBudget(String key) {
        budgets.remove(key);
    }

    void setMember(String user, String team) {
        if (team == null || team.isEmpty()) {
            teamOf.remove(user);
        } else {
            teamOf.put(user, team);
        }
    }

    void reserve(Reservation reservation) {
        reservations.put(reservation.id(), reservation);
        if (reservation.idempotencyKey() != null) {
            reservationByKey.put(reservation.idempotencyKey(), reservation.id());
        }
        reservation.levels().forEach(key -> reserved.merge(key, reservation.amountMicros(), Long::sum));
    }

    /** Ends a reservation (settled, released or expired); absent ids are ignored. */
    void endReservation(String id) {
        Reservation reservation = reservations.remove(id);
        if (reservation != null && reservation.idempotencyKey() != null) {
            reservationByKey.remove(reservation.idempotencyKey(), id);
        }
        if (reservation != null) {
            reservation.levels().forEach(key -> reserved.computeIfPresent(key, (k, v) -> v == reservation.amountMicros()
                    ? null : v - reservation.amountMicros()));
        }
    }

    void spend(List<String> keys, long micros, long atMicros) {
        if (micros <= 0) {
            return;
        }
        long day = day(atMicros).toEpochDay();
        for (String key : keys) {
            ConcurrentSkipListMap<Long, Long> days = spent.computeIfAbsent(key, k -> new ConcurrentSkipListMap<>());
            days.merge(day, micros, Long::sum);
            days.headMap(days.lastKey() - KEPT_DAYS).clear();
        }
    }

    void fired(ThresholdCrossing crossing) {
        fired.computeIfAbsent(crossing.key(), k -> new java.util.HashSet<>())
                .add(crossing.windowStart() + ":" + crossing.percent());
        pendingAlerts.put(alertId(crossing), crossing);
    }

    void delivered(String alertId) {
        pendingAlerts.remove(alertId);
    }

    /** Alerts fired and not yet delivered (delivered again after a restart: at least once). */
    public Map<String, ThresholdCrossing> pendingAlerts() {
        return java.util.Collections.unmodifiableMap(pendingAlerts);
    }

    /** Stable per budget, window and threshold: receivers deduplicate deliveries by it. */
    public static String alertId(ThresholdCrossing crossing) {
        return crossing.key() + "@" + crossing.windowStart() + ":" + crossing.percent();
    }

    void counted(long throughSeq) {
        countedThroughSeq = Math.max(countedThroughSeq, throughSeq);
    }
}

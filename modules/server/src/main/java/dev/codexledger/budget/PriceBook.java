package dev.codexledger.budget;

import dev.codexledger.workspace.RecordFacts;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.Config;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The price table: credits per million tokens per model and token kind. Defaults come from config
 * ({@code ledger.budget.prices}, with a {@code default} entry for models not listed); changes are rows of
 * {@code model_prices}, each effective from its time on, which is never in the past (a change never
 * re-prices usage already counted). Every node keeps the table in memory, re-read every second.
 */
public final class PriceBook implements Pricing {

    /** The model name whose price applies to models without one of their own. */
    public static final String DEFAULT_MODEL = "default";

    private final CqlSession session;
    private final Clock clock;
    private final Map<String, Price> configured;
    private final PreparedStatement insert;
    private final PreparedStatement selectAll;
    private volatile Map<String, NavigableMap<Long, Price>> changes = Map.of();

    public PriceBook(CqlSession session, String keyspace, Config prices, Clock clock) {
        this.session = session;
        this.clock = clock;
        this.configured = fromConfig(prices);
        if (!configured.containsKey(DEFAULT_MODEL)) {
            throw new IllegalArgumentException("ledger.budget.prices needs a \"default\" entry");
        }
        this.insert = session.prepare("INSERT INTO " + keyspace + ".model_prices (model, effective_from, input,"
                + " cached_input, output, reasoning, set_by, set_at) VALUES (?,?,?,?,?,?,?,?)");
        this.selectAll = session.prepare("SELECT * FROM " + keyspace + ".model_prices");
    }

    private static Map<String, Price> fromConfig(Config prices) {
        Map<String, Price> out = new HashMap<>();
        for (String model : prices.root().keySet()) {
            Config price = prices.getConfig("\"" + model + "\"");
            out.put(model, new Price(model, Long.MIN_VALUE, new BigDecimal(price.getNumber("input").toString()),
                    new BigDecimal(price.getNumber("cached-input").toString()),
                    new BigDecimal(price.getNumber("output").toString()),
                    new BigDecimal(price.getNumber("reasoning").toString())));
        }
        return Map.copyOf(out);
    }

    /** The price of {@code model} for a call at {@code atMicros}. */
    public Price priceAt(String model, long atMicros) {
        Price own = latest(model, atMicros);
        return own != null ? own : latest(DEFAULT_MODEL, atMicros);
    }

    private Price latest(String model, long atMicros) {
        NavigableMap<Long, Price> rows = model == null ? null : changes.get(model);
        Map.Entry<Long, Price> changed = rows == null ? null : rows.floorEntry(atMicros);
        if (changed != null) {
            return changed.getValue();
        }
        return model == null ? null : configured.get(model);
    }

    /** Micro-credits of a record's usage at its model's price at its time; 0 for a record without usage. */
    @Override
    public long costMicros(RecordFacts facts, long atMicros) {
        return facts.usage().isEmpty() ? 0 : priceAt(facts.model(), atMicros).costMicros(facts.usage());
    }

    /** Stores a price change; {@code price.effectiveFromMicros()} must not be in the past (checked by the caller). */
    public void set(Price price, String setBy) {
        session.execute(insert.bind(price.model(), price.effectiveFromMicros(), price.input(), price.cachedInput(),
                price.output(), price.reasoning(), setBy, clock.instant()));
        refresh();
    }

    /** Every model's current price and scheduled changes: configured ones, then the table's. */
    public List<Price> list() {
        List<Price> all = new ArrayList<>(configured.values());
        changes.values().forEach(rows -> all.addAll(rows.values()));
        all.sort(java.util.Comparator.comparing(Price::model).thenComparingLong(Price::effectiveFromMicros));
        return all;
    }

    public long nowMicros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, clock.instant());
    }

    public void refresh() {
        Map<String, NavigableMap<Long, Price>> loaded = new HashMap<>();
        for (Row row : session.execute(selectAll.bind())) {
            Price price = new Price(row.getString("model"), row.getLong("effective_from"), row.getBigDecimal("input"),
                    row.getBigDecimal("cached_input"), row.getBigDecimal("output"), row.getBigDecimal("reasoning"));
            loaded.computeIfAbsent(price.model(), m -> new TreeMap<>()).put(price.effectiveFromMicros(), price);
        }
        changes = Map.copyOf(loaded);
    }
}

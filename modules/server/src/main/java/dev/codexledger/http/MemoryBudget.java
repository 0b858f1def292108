package dev.codexledger.http;

import com.typesafe.config.Config;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the heap that request bodies may take at once, so no mix of large or hostile requests can run
 * the node out of memory. Each body reserves its bytes (compressed and decompressed) times an expansion
 * factor (parsed trees, canonical copies, the journal event) while it is read, and releases them when
 * its answer is sent. A request that does not fit now gets 503 + Retry-After; one that could never fit
 * gets 413.
 */
public final class MemoryBudget {

    /** The body could never fit in this node's budget. */
    public static final class TooLarge extends RuntimeException {
        TooLarge(long capacity, int expansion) {
            super("the body is larger than this node can hold at once (" + capacity / expansion
                    + " bytes, from ledger.http.memory-budget): send smaller batches", null, false, false);
        }
    }

    /** The budget is taken by other requests right now. */
    public static final class Busy extends RuntimeException {
        Busy() {
            super("the node is holding as many request bodies as its memory allows; retry later", null, false, false);
        }
    }

    private final long capacity;
    private final int expansion;
    private final AtomicLong used = new AtomicLong();

    public MemoryBudget(long capacity, int expansion) {
        this.capacity = capacity;
        this.expansion = expansion;
    }

    /** {@code ledger.http.memory-budget}: bytes, or a fraction of the max heap such as "40%". */
    public static MemoryBudget fromConfig(Config config) {
        return new MemoryBudget(heapShare(config, "ledger.http.memory-budget"),
                config.getInt("ledger.http.body-expansion-factor"));
    }

    /** A setting in bytes ("300 MiB") or as a share of the max heap ("40%"), in bytes. */
    public static long heapShare(Config config, String path) {
        String value = config.getString(path).trim();
        if (!value.endsWith("%")) {
            return config.getBytes(path);
        }
        double percent;
        try {
            percent = Double.parseDouble(value.substring(0, value.length() - 1));
        } catch (NumberFormatException e) {
            percent = -1;
        }
        if (!(percent > 0 && percent <= 100)) {
            throw new com.typesafe.config.ConfigException.BadValue(config.origin(), path,
                    "a share of the heap is a percentage above 0 and at most 100, not " + value);
        }
        return (long) (Runtime.getRuntime().maxMemory() * percent / 100);
    }

    public long used() {
        return used.get();
    }

    public Reservation reservation() {
        return new Reservation();
    }

    /** What one request holds; {@link #close()} gives it all back (once). */
    public final class Reservation implements AutoCloseable {
        private final AtomicLong held = new AtomicLong();

        /**
         * Takes room for {@code rawBytes} more bytes of body.
         *
         * @throws TooLarge when the request as a whole could never fit
         * @throws Busy     when it does not fit now
         */
        public void grow(long rawBytes) {
            long cost = rawBytes * expansion;
            if (held.get() + cost > capacity) {
                throw new TooLarge(capacity, expansion);
            }
            while (true) {
                long current = used.get();
                if (current + cost > capacity) {
                    throw new Busy();
                }
                if (used.compareAndSet(current, current + cost)) {
                    held.addAndGet(cost);
                    return;
                }
            }
        }

        @Override
        public void close() {
            used.addAndGet(-held.getAndSet(0));
        }
    }
}

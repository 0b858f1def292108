package dev.codexledger.analytics;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Conversations a node knows are stored in {@code analytics_threads}, for all its workspaces together:
 * a hint that spares a point read per conversation, bounded by entries for the node (not per workspace),
 * so its heap does not grow with the number of active workspaces. Least recently used entries go first;
 * a conversation not held here is looked up. An entry is added only once its thread is stored, so a
 * hint is never wrong (short of the table row expiring, after the analytics' retention).
 *
 * <p>Striped: counting threads of different workspaces run at once.
 */
final class KnownThreads {

    /** Heap an entry takes, measured shape: key String (~50 chars) ~90 B, map entry 40 B, table slot ~8 B. */
    static final int BYTES_PER_ENTRY = 140;
    private static final int STRIPES = 16;

    private final Stripe[] stripes;
    private final int capacity;

    private static final class Stripe extends LinkedHashMap<String, Boolean> {
        private final int max;

        Stripe(int max) {
            super(64, 0.75f, true);
            this.max = max;
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > max;
        }
    }

    /** Holds at most {@code capacity} entries (rounded down to a multiple of the stripes; at least one). */
    KnownThreads(int capacity) {
        int count = Math.max(1, Math.min(STRIPES, capacity));
        int perStripe = Math.max(1, capacity / count);
        this.stripes = new Stripe[count];
        for (int i = 0; i < count; i++) {
            stripes[i] = new Stripe(perStripe);
        }
        this.capacity = perStripe * count;
    }

    private static String key(String workspace, String conversation) {
        return workspace + '\u0000' + conversation;
    }

    private Stripe stripe(String key) {
        return stripes[Math.floorMod(key.hashCode() * 0x9E3779B9, stripes.length)];
    }

    boolean contains(String workspace, String conversation) {
        String key = key(workspace, conversation);
        Stripe stripe = stripe(key);
        synchronized (stripe) {
            return stripe.get(key) != null; // get: counts as a use
        }
    }

    /** The workspace's conversations, now stored. */
    void addAll(String workspace, Collection<String> conversations) {
        for (String conversation : conversations) {
            String key = key(workspace, conversation);
            Stripe stripe = stripe(key);
            synchronized (stripe) {
                stripe.put(key, Boolean.TRUE);
            }
        }
    }

    int size() {
        int size = 0;
        for (Stripe stripe : stripes) {
            synchronized (stripe) {
                size += stripe.size();
            }
        }
        return size;
    }

    int capacity() {
        return capacity;
    }
}

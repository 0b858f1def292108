package dev.codexledger.workspace;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The workspace ledgers running on this node, least recently used first, and the heap each holds (its
 * dedup window and last batch, {@link LedgerState#heapBytes()}). When their sum passes the node's
 * budget ({@code ledger.workspace.active-ledgers-memory}), the least recently used are asked to
 * passivate until the rest fit: a passivated ledger keeps nothing in memory and recovers from its
 * snapshot when next addressed. This bounds the heap that ledgers take however many workspaces are
 * active, where a limit on their number would not (a ledger's size varies with its window and batches),
 * and it is one budget for the node where Pekko's {@code active-entity-limit} divides its limit evenly
 * among shards.
 *
 * <p>Thread-safe: ledgers report from their own actors.
 */
public final class ActiveLedgers {

    /** A budget no node reaches: nothing is ever passivated for memory. */
    public static final ActiveLedgers UNBOUNDED = new ActiveLedgers(Long.MAX_VALUE);

    private final long budgetBytes;
    /** Access order: the least recently used first. */
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
    private long totalBytes;
    private long passivations;

    private static final class Entry {
        final Object incarnation;
        final Runnable passivate;
        long bytes;
        boolean asked;

        Entry(Object incarnation, Runnable passivate) {
            this.incarnation = incarnation;
            this.passivate = passivate;
        }
    }

    public ActiveLedgers(long budgetBytes) {
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("the active ledgers' memory budget must be positive");
        }
        this.budgetBytes = budgetBytes;
    }

    /**
     * A ledger was used and now holds {@code bytes}. {@code incarnation} tells one run of the ledger from
     * the next (a recovered ledger reports as a new one); {@code passivate} asks it to stop. Asks the least
     * recently used others to passivate while the total is over the budget.
     */
    public void used(String workspace, Object incarnation, long bytes, Runnable passivate) {
        List<Runnable> toAsk = new ArrayList<>();
        synchronized (this) {
            Entry entry = entries.get(workspace);
            if (entry == null || entry.incarnation != incarnation) {
                if (entry != null) {
                    totalBytes -= entry.bytes;
                }
                entry = new Entry(incarnation, passivate);
                entries.put(workspace, entry);
            }
            totalBytes += bytes - entry.bytes;
            entry.bytes = bytes;
            entry.asked = false;
            askEldest(budgetBytes, entry, toAsk);
        }
        toAsk.forEach(Runnable::run);
    }

    /**
     * Asks the least recently used ledgers to passivate until the rest hold at most {@code bytes} (the
     * heap is nearly full: {@link HeapGuard}). Ledgers already asked count as leaving.
     */
    public void passivateDownTo(long bytes) {
        List<Runnable> toAsk = new ArrayList<>();
        synchronized (this) {
            askEldest(bytes, null, toAsk);
        }
        toAsk.forEach(Runnable::run);
    }

    /**
     * From the least recently used on (up to {@code keep}, never asked itself), collects the passivation of
     * ledgers until the others hold at most {@code bytes}; ledgers already asked count as leaving.
     */
    private void askEldest(long bytes, Entry keep, List<Runnable> toAsk) {
        long releasing = 0;
        for (Iterator<Entry> eldest = entries.values().iterator(); totalBytes - releasing > bytes && eldest.hasNext(); ) {
            Entry candidate = eldest.next();
            if (candidate == keep) {
                break;
            }
            releasing += candidate.bytes;
            if (!candidate.asked) {
                candidate.asked = true;
                passivations++;
                toAsk.add(candidate.passivate);
            }
        }
    }

    /** The ledger stopped: its heap is free (a later incarnation's entry is left alone). */
    public synchronized void stopped(String workspace, Object incarnation) {
        Entry entry = entries.get(workspace);
        if (entry != null && entry.incarnation == incarnation) {
            entries.remove(workspace);
            totalBytes -= entry.bytes;
        }
    }

    public synchronized long totalBytes() {
        return totalBytes;
    }

    public synchronized int active() {
        return entries.size();
    }

    /** Ledgers asked to passivate for memory since the node started. */
    public synchronized long passivations() {
        return passivations;
    }

    public long budgetBytes() {
        return budgetBytes;
    }
}

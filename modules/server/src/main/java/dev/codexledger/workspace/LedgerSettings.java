package dev.codexledger.workspace;

import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;

/**
 * Settings of the workspace ledgers, from the {@code ledger.workspace} config block.
 *
 * @param dedupWindowSize ids of recent records each ledger keeps in memory to spot re-sends: as many as
 *                        {@code dedup-window-bytes} hold ({@link DedupWindow#capacityFor})
 * @param snapshotEvery   a snapshot every this many batches; older journal rows are then deleted
 * @param keepSnapshots   snapshots kept (journal rows are kept back to the oldest of them)
 * @param maxCoalescedRecords queued appends are persisted together up to this many records
 * @param maxCoalescedChars   ... and up to this much content (one journal row must stay a valid mutation)
 * @param checkpointInterval  a checkpoint of the workspace's tree is signed this often while it has new
 *                            records (and when the ledger stops); zero: only on demand
 * @param checkpointer        signs and stores them
 */
public record LedgerSettings(int dedupWindowSize, int snapshotEvery, int keepSnapshots, int maxCoalescedRecords,
                             long maxCoalescedChars, Clock clock, Duration checkpointInterval, Checkpointer checkpointer) {

    public LedgerSettings(int dedupWindowSize, int snapshotEvery, int keepSnapshots, int maxCoalescedRecords,
                          long maxCoalescedChars, Clock clock) {
        this(dedupWindowSize, snapshotEvery, keepSnapshots, maxCoalescedRecords, maxCoalescedChars, clock,
                Duration.ZERO, Checkpointer.NONE);
    }

    public static LedgerSettings fromConfig(Config config) {
        Config block = config.getConfig("ledger.workspace");
        return new LedgerSettings(
                dedupWindowIds(config),
                block.getInt("snapshot-every"),
                block.getInt("keep-snapshots"),
                block.getInt("max-coalesced-records"),
                block.getBytes("max-coalesced-bytes"),
                Clock.systemUTC(),
                config.getDuration("ledger.checkpoints.interval"),
                Checkpointer.NONE);
    }

    /** The ids a full dedup window holds within {@code ledger.workspace.dedup-window-bytes}. */
    public static int dedupWindowIds(Config config) {
        if (config.hasPath("ledger.workspace.dedup-window-size")) {
            throw new com.typesafe.config.ConfigException.BadPath("ledger.workspace.dedup-window-size",
                    "renamed: the window is sized in bytes, ledger.workspace.dedup-window-bytes (LEDGER_DEDUP_WINDOW_BYTES),"
                            + " about 17 bytes an id");
        }
        String path = "ledger.workspace.dedup-window-bytes";
        try {
            return DedupWindow.capacityFor(config.getBytes(path));
        } catch (IllegalArgumentException e) {
            throw new com.typesafe.config.ConfigException.BadValue(config.origin(), path, e.getMessage());
        }
    }

    public LedgerSettings withClock(Clock value) {
        return new LedgerSettings(dedupWindowSize, snapshotEvery, keepSnapshots, maxCoalescedRecords,
                maxCoalescedChars, value, checkpointInterval, checkpointer);
    }

    public LedgerSettings withCheckpoints(Duration interval, Checkpointer value) {
        return new LedgerSettings(dedupWindowSize, snapshotEvery, keepSnapshots, maxCoalescedRecords,
                maxCoalescedChars, clock, interval, value);
    }

    public LedgerSettings withCheckpointer(Checkpointer value) {
        return withCheckpoints(checkpointInterval, value);
    }
}

package dev.codexledger.workspace;

import dev.codexledger.verify.MerkleFrontier;
import java.util.ArrayList;
import java.util.List;

/**
 * What one batch adds to its workspace's Merkle tree (RFC 6962, leaves = the records in seq order): the
 * tree's right edge before and after it, and the tile entries to store. Tiles follow C2SP tlog-tiles: tiles
 * of height 8, a level-0 tile holds 256 leaf hashes, a level-L tile holds the roots of 256 perfect subtrees
 * of height 8·L. Each entry is written once at a fixed place and never changes, so writing a batch's
 * entries again (recovery) is harmless.
 *
 * @param before  the tree before the batch
 * @param after   the tree after it
 * @param entries the tile entries the batch completes: every leaf, and every subtree of height 8, 16, …
 */
public record TreeWrites(MerkleFrontier before, MerkleFrontier after, List<TileEntry> entries) {

    public static final int TILE_HEIGHT = 8;
    public static final int TILE_WIDTH = 1 << TILE_HEIGHT;

    /** One hash of a tile: entry {@code position} (0–255) of tile {@code tile} at tile level {@code level}. */
    public record TileEntry(int level, long tile, int position, byte[] hash) {
    }

    public TreeWrites {
        entries = List.copyOf(entries);
    }

    /** The tree writes of {@code records} (consecutive, following the tree {@code before}). */
    public static TreeWrites of(MerkleFrontier before, List<LedgerRecord> records) {
        List<TileEntry> entries = new ArrayList<>(records.size() + records.size() / 128 + 1);
        MerkleFrontier tree = before;
        for (LedgerRecord record : records) {
            if (record.seq() != tree.size() + 1) {
                throw new IllegalStateException("record " + record.seq() + " does not follow a tree of " + tree.size());
            }
            tree = tree.append(record.leafHash(), subtree -> {
                if (subtree.level() % TILE_HEIGHT == 0) {
                    entries.add(new TileEntry(subtree.level() / TILE_HEIGHT, subtree.index() >>> TILE_HEIGHT,
                            (int) (subtree.index() & (TILE_WIDTH - 1)), subtree.hash()));
                }
            });
        }
        return new TreeWrites(before, tree, entries);
    }
}

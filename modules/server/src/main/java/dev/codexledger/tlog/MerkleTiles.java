package dev.codexledger.tlog;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import dev.codexledger.storage.StatementWindow;
import dev.codexledger.verify.Merkle;
import dev.codexledger.workspace.TreeWrites;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The workspaces' Merkle trees in Cassandra, as tiles (C2SP tlog-tiles layout, see {@link TreeWrites}): table
 * {@code merkle_tiles}, one partition per tile, one row per entry. Rows have no TTL: a tile entry is 32 bytes
 * of hash and no content, and proofs of held or young records need their neighbours' hashes after those
 * records expired. Entries are written once and never change.
 *
 * <p>Proofs are computed in two passes over the same RFC 6962 algorithm ({@link Merkle}): the first records
 * which perfect subtrees it needs, the tiles holding them are read in parallel, the second computes.
 */
public final class MerkleTiles {

    private static final int ROWS_PER_BATCH = 64;

    private final CqlSession session;
    private final PreparedStatement insert;
    private final PreparedStatement selectTile;
    private final int parallelism;

    /** A tile: level and index. */
    public record TileKey(int level, long tile) {
    }

    /**
     * A proof could not be computed: a tile entry it needs is not stored (409). Records of a workspace whose
     * ledger was written before the Merkle log, and replayed from its first event, have a tree but no tiles.
     */
    public static final class MissingTile extends dev.codexledger.workspace.NotProvable {
        public MissingTile(TileKey key, int position) {
            super("the tree's tile " + key.level() + "/" + key.tile() + " has no entry " + position
                    + " (records written before this workspace's Merkle log kept tiles cannot be proven from the tiles)");
        }
    }

    public MerkleTiles(CqlSession session, String keyspace, int parallelism) {
        this.session = session;
        this.parallelism = parallelism;
        this.insert = session.prepare("INSERT INTO " + keyspace
                + ".merkle_tiles (workspace, level, tile, position, hash) VALUES (?, ?, ?, ?, ?)");
        this.selectTile = session.prepare("SELECT position, hash FROM " + keyspace
                + ".merkle_tiles WHERE workspace = ? AND level = ? AND tile = ?");
    }

    /** Writes a batch's tile entries; nothing for a workspace without a tree. */
    public CompletionStage<Void> write(String workspace, TreeWrites tree) {
        if (tree == null || tree.entries().isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        Map<TileKey, List<BoundStatement>> byTile = new LinkedHashMap<>();
        for (TreeWrites.TileEntry entry : tree.entries()) {
            byTile.computeIfAbsent(new TileKey(entry.level(), entry.tile()), k -> new ArrayList<>())
                    .add(insert.boundStatementBuilder()
                            .setString(0, workspace).setInt(1, entry.level()).setLong(2, entry.tile())
                            .setInt(3, entry.position()).setByteBuffer(4, ByteBuffer.wrap(entry.hash()))
                            .build());
        }
        List<Statement<?>> statements = new ArrayList<>();
        for (List<BoundStatement> sameTile : byTile.values()) {
            for (int from = 0; from < sameTile.size(); from += ROWS_PER_BATCH) {
                List<BoundStatement> chunk = sameTile.subList(from, Math.min(sameTile.size(), from + ROWS_PER_BATCH));
                statements.add(chunk.size() == 1 ? chunk.get(0)
                        : BatchStatement.builder(DefaultBatchType.UNLOGGED).addStatements(List.copyOf(chunk)).build());
            }
        }
        return StatementWindow.executeAll(session, statements, parallelism);
    }

    /** One tile's entries by position (null where none is stored). */
    public CompletionStage<byte[][]> readTile(String workspace, TileKey key) {
        return session.executeAsync(selectTile.bind(workspace, key.level(), key.tile()).setPageSize(TreeWrites.TILE_WIDTH))
                .thenCompose(rows -> collect(rows, new byte[TreeWrites.TILE_WIDTH][]));
    }

    private static CompletionStage<byte[][]> collect(AsyncResultSet rows, byte[][] into) {
        for (Row row : rows.currentPage()) {
            int position = row.getInt("position");
            ByteBuffer hash = row.getByteBuffer("hash");
            if (position >= 0 && position < into.length && hash != null) {
                byte[] bytes = new byte[hash.remaining()];
                hash.duplicate().get(bytes);
                into[position] = bytes;
            }
        }
        return rows.hasMorePages() ? rows.fetchNextPage().thenCompose(next -> collect(next, into))
                : CompletableFuture.completedFuture(into);
    }

    /**
     * Runs {@code computation} (a proof or a root over {@link Merkle.Nodes}) against the workspace's stored
     * tiles: once to learn which tiles it reads, then, with those tiles loaded, for real.
     */
    public <T> CompletionStage<T> compute(String workspace, Function<Merkle.Nodes, T> computation) {
        Set<TileKey> needed = new LinkedHashSet<>();
        computation.apply((level, index) -> {
            needed.add(tileOf(level, index));
            return new byte[Merkle.HASH_BYTES];
        });
        Map<TileKey, CompletableFuture<byte[][]>> reads = new HashMap<>();
        needed.forEach(key -> reads.put(key, readTile(workspace, key).toCompletableFuture()));
        return CompletableFuture.allOf(reads.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
            Map<TileKey, byte[][]> tiles = new HashMap<>();
            reads.forEach((key, read) -> tiles.put(key, read.join()));
            return computation.apply(new TileNodes(tiles));
        });
    }

    /** The tile a perfect subtree's hash is found or computed in. */
    static TileKey tileOf(int level, long index) {
        int tileLevel = level / TreeWrites.TILE_HEIGHT;
        int within = level % TreeWrites.TILE_HEIGHT;
        long firstEntry = index << within;
        return new TileKey(tileLevel, firstEntry >>> TreeWrites.TILE_HEIGHT);
    }

    /** Perfect subtrees from loaded tiles: stored directly at heights 0, 8, 16, …; hashed from 2, 4, … 128 entries between. */
    static final class TileNodes implements Merkle.Nodes {
        private final Map<TileKey, byte[][]> tiles;

        TileNodes(Map<TileKey, byte[][]> tiles) {
            this.tiles = tiles;
        }

        @Override
        public byte[] node(int level, long index) {
            int within = level % TreeWrites.TILE_HEIGHT;
            long firstEntry = index << within;
            TileKey key = tileOf(level, index);
            byte[][] tile = tiles.get(key);
            if (tile == null) {
                throw new MissingTile(key, -1);
            }
            int first = (int) (firstEntry & (TreeWrites.TILE_WIDTH - 1));
            return subtree(tile, key, first, within);
        }

        private static byte[] subtree(byte[][] tile, TileKey key, int first, int height) {
            if (height == 0) {
                byte[] entry = tile[first];
                if (entry == null) {
                    throw new MissingTile(key, first);
                }
                return entry;
            }
            int half = 1 << (height - 1);
            return Merkle.nodeHash(subtree(tile, key, first, height - 1), subtree(tile, key, first + half, height - 1));
        }
    }
}

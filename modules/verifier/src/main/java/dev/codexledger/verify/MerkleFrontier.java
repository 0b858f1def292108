package dev.codexledger.verify;

import java.util.Arrays;

/**
 * The right edge of a Merkle tree: the roots of the perfect subtrees its size decomposes into (one per set bit
 * of the size, largest first). Enough to append leaves and compute the root at every size, in O(log n) space;
 * immutable. Appending reports each perfect subtree it completes, so a writer can store them (e.g. as tiles).
 */
public final class MerkleFrontier {

    public static final MerkleFrontier EMPTY = new MerkleFrontier(0, new byte[0][]);

    /** A perfect subtree completed by an append: it covers leaves [index·2^level, (index+1)·2^level). */
    public record Completed(int level, long index, byte[] hash) {
    }

    @FunctionalInterface
    public interface CompletedSink {
        void completed(Completed subtree);
    }

    private final long size;
    private final byte[][] roots;

    private MerkleFrontier(long size, byte[][] roots) {
        this.size = size;
        this.roots = roots;
    }

    /** A frontier restored from storage: {@code roots} must be as {@link #roots()} gave them for {@code size}. */
    public static MerkleFrontier of(long size, byte[][] roots) {
        if (size < 0 || Long.bitCount(size) != roots.length) {
            throw new IllegalArgumentException("a tree of " + size + " leaves has " + Long.bitCount(size)
                    + " edge subtrees, not " + roots.length);
        }
        for (byte[] root : roots) {
            if (root.length != Merkle.HASH_BYTES) {
                throw new IllegalArgumentException("an edge subtree hash has 32 bytes, not " + root.length);
            }
        }
        return new MerkleFrontier(size, Arrays.stream(roots).map(byte[]::clone).toArray(byte[][]::new));
    }

    public long size() {
        return size;
    }

    /** Copies of the edge subtrees' roots, largest first. */
    public byte[][] roots() {
        return Arrays.stream(roots).map(byte[]::clone).toArray(byte[][]::new);
    }

    /** The frontier with one more leaf; {@code sink} hears the leaf (level 0) and every subtree it completes. */
    public MerkleFrontier append(byte[] leafHash, CompletedSink sink) {
        if (leafHash.length != Merkle.HASH_BYTES) {
            throw new IllegalArgumentException("a leaf hash has 32 bytes, not " + leafHash.length);
        }
        long newSize = size + 1;
        // the low set bits of size merge with the new leaf: as many as trailing ones of size
        int merges = Long.numberOfTrailingZeros(newSize);
        byte[][] next = Arrays.copyOf(roots, roots.length - merges + 1);
        byte[] carry = leafHash.clone();
        sink.completed(new Completed(0, size, carry));
        for (int level = 1; level <= merges; level++) {
            carry = Merkle.nodeHash(roots[roots.length - level], carry);
            sink.completed(new Completed(level, (newSize >>> level) - 1, carry));
        }
        next[next.length - 1] = carry;
        return new MerkleFrontier(newSize, next);
    }

    public MerkleFrontier append(byte[] leafHash) {
        return append(leafHash, subtree -> { });
    }

    /** The tree's root (RFC 6962 MTH); SHA-256 of nothing for the empty tree. */
    public byte[] root() {
        if (roots.length == 0) {
            return Merkle.emptyRoot();
        }
        byte[] root = roots[roots.length - 1];
        for (int i = roots.length - 2; i >= 0; i--) {
            root = Merkle.nodeHash(roots[i], root);
        }
        return root;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MerkleFrontier that && size == that.size && Arrays.deepEquals(roots, that.roots);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(size) * 31 + Arrays.deepHashCode(roots);
    }

    @Override
    public String toString() {
        return "MerkleFrontier(size " + size + ")";
    }
}

package dev.codexledger.verify;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The RFC 6962 / RFC 9162 Merkle tree over SHA-256: leaf hash = SHA-256(0x00 ‖ entry), interior node =
 * SHA-256(0x01 ‖ left ‖ right), a tree of n leaves split at the largest power of two below n. Proofs are
 * built from a {@link Nodes} source of perfect subtrees and checked with the algorithms of RFC 9162
 * sections 2.1.3.2 and 2.1.4.2. Sizes and indexes are {@code long} throughout (no 32-bit arithmetic).
 */
public final class Merkle {

    public static final int HASH_BYTES = 32;

    private Merkle() {
    }

    /** The hashes of perfect subtrees: {@code node(level, index)} covers leaves [index·2^level, (index+1)·2^level). */
    @FunctionalInterface
    public interface Nodes {
        byte[] node(int level, long index);
    }

    public static byte[] leafHash(byte[] entry) {
        MessageDigest sha = sha256();
        sha.update((byte) 0x00);
        sha.update(entry);
        return sha.digest();
    }

    public static byte[] nodeHash(byte[] left, byte[] right) {
        MessageDigest sha = sha256();
        sha.update((byte) 0x01);
        sha.update(left);
        sha.update(right);
        return sha.digest();
    }

    /** The root of the empty tree: SHA-256 of nothing. */
    public static byte[] emptyRoot() {
        return sha256().digest();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** The largest power of two strictly below {@code n} (n ≥ 2). */
    static long split(long n) {
        return Long.highestOneBit(n - 1);
    }

    /** MTH(D[start : start + n]) where the range is a perfect aligned subtree or the tree's right edge. */
    public static byte[] rangeHash(Nodes nodes, long start, long n) {
        if (n == 0) {
            return emptyRoot();
        }
        if (Long.bitCount(n) == 1 && start % n == 0) {
            return nodes.node(Long.numberOfTrailingZeros(n), start / n);
        }
        long k = split(n);
        return nodeHash(rangeHash(nodes, start, k), rangeHash(nodes, start + k, n - k));
    }

    /** The root of a tree of {@code size} leaves. */
    public static byte[] root(Nodes nodes, long size) {
        return rangeHash(nodes, 0, size);
    }

    /** The inclusion proof of leaf {@code index} in the tree of {@code size} leaves (RFC 6962 PATH), leaf side first. */
    public static List<byte[]> inclusionProof(Nodes nodes, long index, long size) {
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException("leaf " + index + " is not in a tree of " + size);
        }
        List<byte[]> proof = new ArrayList<>();
        path(nodes, index, 0, size, proof);
        return proof;
    }

    private static void path(Nodes nodes, long m, long start, long n, List<byte[]> out) {
        if (n == 1) {
            return;
        }
        long k = split(n);
        if (m < k) {
            path(nodes, m, start, k, out);
            out.add(rangeHash(nodes, start + k, n - k));
        } else {
            path(nodes, m - k, start + k, n - k, out);
            out.add(rangeHash(nodes, start, k));
        }
    }

    /** The consistency proof from the tree of {@code size1} leaves to the one of {@code size2} (RFC 6962 PROOF). */
    public static List<byte[]> consistencyProof(Nodes nodes, long size1, long size2) {
        if (size1 < 0 || size1 > size2) {
            throw new IllegalArgumentException("no consistency proof from " + size1 + " to " + size2);
        }
        List<byte[]> proof = new ArrayList<>();
        if (size1 == 0 || size1 == size2) {
            return proof;
        }
        subproof(nodes, size1, 0, size2, true, proof);
        return proof;
    }

    private static void subproof(Nodes nodes, long m, long start, long n, boolean complete, List<byte[]> out) {
        if (m == n) {
            if (!complete) {
                out.add(rangeHash(nodes, start, n));
            }
            return;
        }
        long k = split(n);
        if (m <= k) {
            subproof(nodes, m, start, k, complete, out);
            out.add(rangeHash(nodes, start + k, n - k));
        } else {
            subproof(nodes, m - k, start + k, n - k, false, out);
            out.add(rangeHash(nodes, start, k));
        }
    }

    /** RFC 9162 section 2.1.3.2: whether {@code proof} shows leaf {@code index} (hash {@code leaf}) in the tree of {@code size} with {@code root}. */
    public static boolean verifyInclusion(long index, long size, byte[] leaf, List<byte[]> proof, byte[] root) {
        if (index < 0 || index >= size || leaf.length != HASH_BYTES || !allHashes(proof)) {
            return false;
        }
        long fn = index;
        long sn = size - 1;
        byte[] r = leaf;
        for (byte[] p : proof) {
            if (sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = nodeHash(p, r);
                if ((fn & 1) == 0) {
                    // the "shift until odd" step: right-shift both until fn is odd or zero
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>>= 1;
                        sn >>>= 1;
                    }
                }
            } else {
                r = nodeHash(r, p);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        return sn == 0 && Arrays.equals(r, root);
    }

    /** RFC 9162 section 2.1.4.2: whether {@code proof} shows the tree ({@code size1}, {@code root1}) is a prefix of ({@code size2}, {@code root2}). */
    public static boolean verifyConsistency(long size1, long size2, List<byte[]> proof, byte[] root1, byte[] root2) {
        if (size1 < 0 || size1 > size2) {
            return false;
        }
        if (size1 == size2) {
            return proof.isEmpty() && Arrays.equals(root1, root2);
        }
        if (size1 == 0 || proof.isEmpty() || !allHashes(proof)) {
            // RFC 9162 defines no proof from the empty tree (and transparency-dev/merkle refuses one)
            return false;
        }
        List<byte[]> path = new ArrayList<>(proof);
        if (Long.bitCount(size1) == 1) {
            // size1 is a power of two: its root is the first node of the path
            path.add(0, root1);
        }
        long fn = size1 - 1;
        long sn = size2 - 1;
        while ((fn & 1) == 1) {
            fn >>>= 1;
            sn >>>= 1;
        }
        byte[] fr = path.get(0);
        byte[] sr = path.get(0);
        for (int i = 1; i < path.size(); i++) {
            byte[] c = path.get(i);
            if (sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                fr = nodeHash(c, fr);
                sr = nodeHash(c, sr);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>>= 1;
                        sn >>>= 1;
                    }
                }
            } else {
                sr = nodeHash(sr, c);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        return sn == 0 && Arrays.equals(fr, root1) && Arrays.equals(sr, root2);
    }

    private static boolean allHashes(List<byte[]> proof) {
        return proof.stream().allMatch(p -> p != null && p.length == HASH_BYTES);
    }

    /** A {@link Nodes} over leaf hashes held in memory (tests, the offline verifier): node hashes computed, not stored. */
    public static Nodes overLeaves(List<byte[]> leafHashes) {
        return new Nodes() {
            @Override
            public byte[] node(int level, long index) {
                if (level == 0) {
                    return leafHashes.get(Math.toIntExact(index));
                }
                return nodeHash(node(level - 1, 2 * index), node(level - 1, 2 * index + 1));
            }
        };
    }
}

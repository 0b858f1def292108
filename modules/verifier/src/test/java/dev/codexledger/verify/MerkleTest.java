package dev.codexledger.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Known answers from transparency-dev/merkle (testonly/constants.go, testdata/{inclusion,consistency}/N/happy-path.json). */
class MerkleTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final String[] INPUTS = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
            "606162636465666768696a6b6c6d6e6f"};
    private static final String[] ROOTS = {
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

    private static List<byte[]> leaves(int n) {
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            leaves.add(Merkle.leafHash(HEX.parseHex(INPUTS[i])));
        }
        return leaves;
    }

    private static List<byte[]> hashes(String... hex) {
        return Arrays.stream(hex).map(HEX::parseHex).toList();
    }

    private static byte[] root(int size) {
        return HEX.parseHex(ROOTS[size]);
    }

    @Test
    void rootsOfEverySizeFromTheTreeAndFromTheFrontier() {
        MerkleFrontier frontier = MerkleFrontier.EMPTY;
        assertArrayEquals(root(0), frontier.root());
        for (int size = 1; size <= 8; size++) {
            assertArrayEquals(root(size), Merkle.root(Merkle.overLeaves(leaves(size)), size), "size " + size);
            frontier = frontier.append(leaves(8).get(size - 1));
            assertArrayEquals(root(size), frontier.root(), "frontier size " + size);
        }
    }

    @Test
    void knownInclusionProofs() {
        Merkle.Nodes nodes = Merkle.overLeaves(leaves(8));
        checkInclusion(nodes, 0, 1);
        checkInclusion(nodes, 0, 8, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
        checkInclusion(nodes, 5, 8, "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
        checkInclusion(nodes, 2, 3, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
        checkInclusion(nodes, 1, 5, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
    }

    private static void checkInclusion(Merkle.Nodes nodes, int index, int size, String... expected) {
        List<byte[]> proof = Merkle.inclusionProof(nodes, index, size);
        assertEquals(Arrays.asList(expected), proof.stream().map(HEX::formatHex).toList());
        byte[] leaf = leaves(8).get(index);
        assertTrue(Merkle.verifyInclusion(index, size, leaf, proof, root(size)));
        // the classic mistakes must fail: wrong index, wrong size, a bit flipped, a hash dropped or added
        assertFalse(Merkle.verifyInclusion(index ^ 2, size, leaf, proof, root(size)));
        assertFalse(Merkle.verifyInclusion(index, size * 2, leaf, proof, root(size)));
        assertFalse(Merkle.verifyInclusion(index, size, leaves(8).get((index + 1) % 8), proof, root(size)));
        if (!proof.isEmpty()) {
            List<byte[]> flipped = new ArrayList<>(proof);
            byte[] first = flipped.get(0).clone();
            first[3] ^= 1;
            flipped.set(0, first);
            assertFalse(Merkle.verifyInclusion(index, size, leaf, flipped, root(size)));
            assertFalse(Merkle.verifyInclusion(index, size, leaf, proof.subList(0, proof.size() - 1), root(size)));
        }
        List<byte[]> longer = new ArrayList<>(proof);
        longer.add(root(size));
        assertFalse(Merkle.verifyInclusion(index, size, leaf, longer, root(size)));
    }

    @Test
    void knownConsistencyProofs() {
        Merkle.Nodes nodes = Merkle.overLeaves(leaves(8));
        checkConsistency(nodes, 1, 1);
        checkConsistency(nodes, 1, 8, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
        checkConsistency(nodes, 6, 8, "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
        checkConsistency(nodes, 2, 5, "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
        checkConsistency(nodes, 6, 7, "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
    }

    private static void checkConsistency(Merkle.Nodes nodes, int size1, int size2, String... expected) {
        List<byte[]> proof = Merkle.consistencyProof(nodes, size1, size2);
        assertEquals(Arrays.asList(expected), proof.stream().map(HEX::formatHex).toList());
        assertTrue(Merkle.verifyConsistency(size1, size2, proof, root(size1), root(size2)));
        if (size1 != size2) {
            assertFalse(Merkle.verifyConsistency(size1, size2, proof, root(size2), root(size1)), "swapped roots");
            assertFalse(Merkle.verifyConsistency(size1, size2, proof.subList(0, proof.size() - 1), root(size1), root(size2)));
            assertFalse(Merkle.verifyConsistency(size1 + 1 == size2 ? size1 - 1 : size1 + 1, size2, proof, root(size1), root(size2)));
        }
        assertFalse(Merkle.verifyConsistency(0, size2, List.of(), root(0), root(size2)), "from the empty tree is meaningless");
    }

    /** Every proof of every leaf and every pair of sizes up to 70 leaves verifies; the frontier agrees on every root. */
    @Test
    void allProofsOfRandomTreesVerify() {
        SplittableRandom random = new SplittableRandom(6962);
        List<byte[]> leaves = new ArrayList<>();
        List<byte[]> roots = new ArrayList<>();
        MerkleFrontier frontier = MerkleFrontier.EMPTY;
        roots.add(frontier.root());
        for (int i = 0; i < 70; i++) {
            byte[] entry = new byte[random.nextInt(0, 40)];
            random.nextBytes(entry);
            leaves.add(Merkle.leafHash(entry));
            frontier = frontier.append(leaves.get(i));
            roots.add(frontier.root());
        }
        Merkle.Nodes nodes = Merkle.overLeaves(leaves);
        for (int size = 1; size <= 70; size++) {
            assertArrayEquals(roots.get(size), Merkle.root(nodes, size));
            for (int index = 0; index < size; index++) {
                assertTrue(Merkle.verifyInclusion(index, size, leaves.get(index),
                        Merkle.inclusionProof(nodes, index, size), roots.get(size)), index + " in " + size);
            }
            for (int size1 = 1; size1 <= size; size1++) {
                assertTrue(Merkle.verifyConsistency(size1, size, Merkle.consistencyProof(nodes, size1, size),
                        roots.get(size1), roots.get(size)), size1 + " to " + size);
            }
        }
    }

    /** The frontier reports each completed perfect subtree with the hash the tree has there. */
    @Test
    void theFrontierReportsEveryCompletedSubtree() {
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            leaves.add(Merkle.leafHash(new byte[] {(byte) i, (byte) (i >> 8)}));
        }
        Merkle.Nodes nodes = Merkle.overLeaves(leaves);
        List<MerkleFrontier.Completed> completed = new ArrayList<>();
        MerkleFrontier frontier = MerkleFrontier.EMPTY;
        for (byte[] leaf : leaves) {
            frontier = frontier.append(leaf, completed::add);
        }
        assertEquals(300 + 150 + 75 + 37 + 18 + 9 + 4 + 2 + 1, completed.size());
        for (MerkleFrontier.Completed subtree : completed) {
            assertArrayEquals(nodes.node(subtree.level(), subtree.index()), subtree.hash(),
                    subtree.level() + "/" + subtree.index());
        }
        MerkleFrontier restored = MerkleFrontier.of(frontier.size(), frontier.roots());
        assertEquals(frontier, restored);
        assertArrayEquals(frontier.append(leaves.get(0)).root(), restored.append(leaves.get(0)).root());
    }
}

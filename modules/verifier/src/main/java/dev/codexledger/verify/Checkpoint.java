package dev.codexledger.verify;

import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The body of a C2SP tlog-checkpoint: the log's origin, its tree size in decimal (no leading zeros) and the
 * base64 root hash, one per line, each ending in a newline. Extension lines are not written (the spec advises
 * against them) and are kept when read.
 */
public record Checkpoint(String origin, long size, byte[] root, List<String> extensions) {

    public Checkpoint {
        if (origin == null || origin.isEmpty() || origin.chars().anyMatch(c -> c < 0x20)) {
            throw new IllegalArgumentException("a checkpoint's origin is a non-empty line");
        }
        if (size < 0) {
            throw new IllegalArgumentException("a tree size is not negative");
        }
        if (root == null || root.length != Merkle.HASH_BYTES) {
            throw new IllegalArgumentException("a root hash has 32 bytes");
        }
        root = root.clone();
        extensions = List.copyOf(extensions);
    }

    public Checkpoint(String origin, long size, byte[] root) {
        this(origin, size, root, List.of());
    }

    @Override
    public byte[] root() {
        return root.clone();
    }

    /** The note text that is signed. */
    public String text() {
        StringBuilder out = new StringBuilder(origin).append('\n').append(size).append('\n')
                .append(Base64.getEncoder().encodeToString(root)).append('\n');
        extensions.forEach(line -> out.append(line).append('\n'));
        return out.toString();
    }

    /** Reads a checkpoint's note text (not its signatures: see {@link SignedNote#open}). */
    public static Checkpoint parse(String text) {
        if (!text.endsWith("\n")) {
            throw new IllegalArgumentException("a checkpoint ends with a newline");
        }
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        if (lines.length < 3) {
            throw new IllegalArgumentException("a checkpoint has an origin, a size and a root hash line");
        }
        String sizeLine = lines[1];
        if (!sizeLine.matches("0|[1-9][0-9]{0,18}")) {
            throw new IllegalArgumentException("the tree size is a decimal without leading zeros: " + sizeLine);
        }
        byte[] root;
        try {
            root = Base64.getDecoder().decode(lines[2]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the root hash is not base64");
        }
        List<String> extensions = Arrays.asList(lines).subList(3, lines.length);
        if (extensions.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("extension lines are not empty");
        }
        return new Checkpoint(lines[0], Long.parseLong(sizeLine), root, extensions);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Checkpoint that && origin.equals(that.origin) && size == that.size
                && Arrays.equals(root, that.root) && extensions.equals(that.extensions);
    }

    @Override
    public int hashCode() {
        return (origin.hashCode() * 31 + Long.hashCode(size)) * 31 + Arrays.hashCode(root);
    }

    @Override
    public String toString() {
        return text();
    }
}

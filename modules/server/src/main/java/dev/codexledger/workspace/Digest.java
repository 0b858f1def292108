package dev.codexledger.workspace;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** A SHA-256 value. Immutable: the array is copied in and out. */
public final class Digest {

    public static final int LENGTH = 32;
    /** The "previous hash" of a workspace's first record. */
    public static final Digest ZERO = new Digest(new byte[LENGTH]);

    private final byte[] bytes;

    private Digest(byte[] bytes) {
        this.bytes = bytes;
    }

    public static Digest of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a SHA-256 digest has 32 bytes, got " + bytes.length);
        }
        return new Digest(bytes.clone());
    }

    public static Digest sha256(String text) {
        return new Digest(newSha256().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    public static Digest sha256(ByteString utf8) {
        MessageDigest sha = newSha256();
        sha.update(utf8.asReadOnlyByteBuffer());
        return new Digest(sha.digest());
    }

    /**
     * The chain hash of record {@code seq}: SHA-256 over the previous record's chain hash (32 bytes),
     * the sequence number (8 bytes, big-endian) and the record's canonical content (UTF-8).
     */
    public static Digest chain(Digest previous, long seq, ByteString canonicalContentUtf8) {
        MessageDigest sha = newSha256();
        sha.update(previous.bytes);
        sha.update(ByteBuffer.allocate(Long.BYTES).putLong(seq).array());
        sha.update(canonicalContentUtf8.asReadOnlyByteBuffer());
        return new Digest(sha.digest());
    }

    public static Digest chain(Digest previous, long seq, String canonicalContent) {
        return chain(previous, seq, ByteString.copyFromUtf8(canonicalContent));
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    /** The 32 bytes as protobuf's immutable byte string (no copy kept by the caller can change it). */
    public ByteString toByteString() {
        return ByteString.copyFrom(bytes);
    }

    public ByteBuffer toByteBuffer() {
        return ByteBuffer.wrap(toBytes());
    }

    public String hex() {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Digest that && MessageDigest.isEqual(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return hex();
    }
}
